// Fault 11: the journal's disk fills under load. The journal lives on a 4 MiB tmpfs that a
// file fills to within a MiB, and the region keeps no reserve (CICSMAIL_JOURNAL_RESERVE_MB
// 0), so tasks meet the full disk themselves (the journal's own floor, journal/room.ts):
// each mail is RC 0 (journaled, sent) or 503 NOSPACE (nothing journaled), and a mail whose outcome could not be recorded stays
// ACCEPTED, to be sent again (same Message-ID) once its task is over and space is back.
// Mounting needs root; the scenario is skipped, saying so, where it cannot mount. What a
// region does after its disk was full is in journal-full-after.ts.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { probeMail, steadyLoad, Tally } from './load.js';
import { reconcile } from './reconcile.js';
import { faultRegion, states, waitDrained } from './region.js';
import { noSink, SinkRelay } from './sink-relay.js';
import { cannotMount, smallDisk } from '../helpers/small-disk.js';
import { AFTER } from './steady-fault.js';
import { rowOf, type Scenario } from './table.js';

const REQUESTS = 400;

const full: Scenario = {
  fault: '11. journal out of space (tmpfs)',
  skip: noSink || cannotMount,
  async run(t) {
    const dir = smallDisk(t, 4);
    const relay = await SinkRelay.create(t);
    await relay.start();
    const region = await faultRegion(t, relay.url, { CICSMAIL_DATA: dir, CICSMAIL_JOURNAL_RESERVE_MB: '0' });
    const journal = region.journal();
    const tally = new Tally();
    writeFileSync(join(dir, 'filler'), Buffer.alloc(3 * 1_048_576));

    const during = await steadyLoad(region.url, { requests: REQUESTS, seed: 1 });
    tally.addRun(during);
    const r = during.recorder;
    t.same(
      Object.keys(r.byResp)
        .filter((resp) => resp !== 'INVREQ')
        .sort(),
      ['NORMAL', 'NOSPACE'],
      `answers: ${JSON.stringify(r.byResp)}`,
    );
    t.same(Object.keys(r.byRc), ['0'], 'every answer with a COMMAREA is RC 0');
    t.equal(r.byRc['0'], r.byResp.NORMAL, 'as many RC 0 as NORMAL answers');
    t.same(r.byStatus, { 200: r.byResp.NORMAL, 503: r.byResp.NOSPACE }, 'NOSPACE is HTTP 503');
    // A task once hung here in Journal.accept (awaiting lmdb-js's flush of another task's
    // failed batch) and ended AICA with its mail journaled: see Journal.open.
    t.same(r.byAbend, {}, 'no abend: no task ran into its time limit');

    const probe = await probeMail(region.url);
    tally.addProbe(probe);
    t.match(
      probe,
      {
        status: 503,
        resp: 'NOSPACE',
        abcode: null,
        failure: {
          resp: 'NOSPACE',
          abcode: null,
          message: /^the journal's file system has [\d.]+ MiB free, less than the [\d.]+ MiB it needs/,
        },
      },
      'a probe while the disk is full: 503 NOSPACE',
    );

    // A refused task journals nothing; a mail answered RC 0 is SENT, or ACCEPTED where the
    // disk filled between the relay's answer and its record.
    const records = [...journal.scan()];
    const answered = new Set(tally.mails.map((m) => m.seq));
    const unanswered = records.filter((rec) => !answered.has(rec.seq));
    t.same(
      unanswered.map((rec) => rec.seq),
      [],
      'no record but those of RC 0 answers',
    );
    t.same(
      records
        .filter(
          (rec) =>
            !(rec.state === 'SENT' && rec.attempts.length === 1) &&
            !(rec.state === 'ACCEPTED' && rec.attempts.length === 0),
        )
        .map((rec) => `SEQ=${rec.seq} ${rec.state}`),
      [],
      'each record SENT, or ACCEPTED with no attempt on record',
    );
    const unsettled = records.filter((rec) => rec.state === 'ACCEPTED').length;
    // Sent by its task (RC 0), not on record: the spool sends it again.
    const sentTwice = records.filter((rec) => rec.state === 'ACCEPTED' && answered.has(rec.seq)).length;

    rmSync(join(dir, 'filler'));
    await region.app.room.check();
    const cleared = performance.now();
    const [after, drainMs] = await Promise.all([
      steadyLoad(region.url, { requests: AFTER, seed: 2 }),
      unsettled > 0 ? waitDrained(journal, cleared) : null,
    ]);
    tally.addRun(after);
    t.same(after.recorder.byRc, { 0: AFTER }, `space back: ${AFTER} more mails, every one RC 0`);
    await waitDrained(journal);

    const result = reconcile(journal, tally.mails, relay.received());
    t.same(result.problems, [], 'answers, journal and relay agree');
    t.equal(result.lost, 0, 'lost: 0');
    t.equal(result.delivered, records.length + AFTER, 'delivered: every journaled mail');
    t.equal(
      result.duplicated,
      sentTwice,
      `arrived twice: the ${sentTwice} mails answered RC 0 whose outcome the full disk did not let the task record`,
    );
    t.same(states(journal), { SENT: records.length + AFTER }, 'every mail SENT');
    return rowOf(this.fault, tally, result, drainMs);
  },
};

export const journalFull: readonly Scenario[] = [full];
