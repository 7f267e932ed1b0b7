// Fault 11: the journal's disk fills under load. The journal lives on a 4 MiB tmpfs that a
// file fills to within a MiB, and the region keeps no reserve (CICSMAIL_JOURNAL_RESERVE_MB
// 0), so tasks meet the full disk themselves: each mail is RC 0 (journaled, sent) or 503
// NOSPACE (nothing journaled), and a mail whose outcome could not be recorded stays
// ACCEPTED, to be sent again (same Message-ID) once its task is over and space is back.
// Mounting needs root; the scenario is skipped, saying so, where it cannot mount.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startRegionProcess, writeUsers, type TestLike } from '../helpers.js';
import { probeMail, steadyLoad, Tally } from './load.js';
import { reconcile } from './reconcile.js';
import { distProblem, faultRegion, states, waitDrained } from './region.js';
import { noSink, SinkRelay } from './sink-relay.js';
import { AFTER } from './steady-fault.js';
import { rowOf, type Check, type Scenario } from './table.js';

/** Why this machine cannot mount a small tmpfs, or false where it can. */
function cannotMount(): string | false {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const probe = mkdtempSync(join(tmpdir(), 'cicsmail-mount-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe]);
    return false;
  } catch (err) {
    return `cannot mount a tmpfs here: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** A tmpfs of `mib` MiB on a fresh folder, unmounted (lazily: the region may hold it) in teardown. */
function smallDisk(t: TestLike, mib: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'cicsmail-faults-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir], { stdio: 'pipe' });
  t.teardown(() => {
    execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

const REQUESTS = 400;

const full: Scenario = {
  fault: '11. journal out of space (tmpfs)',
  skip: noSink || cannotMount(),
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
    t.same(Object.keys(r.byResp).sort(), ['NORMAL', 'NOSPACE'], `answers: ${JSON.stringify(r.byResp)}`);
    t.same(Object.keys(r.byRc), ['0'], 'every answer with a COMMAREA is RC 0');
    t.equal(r.byRc['0'], r.byResp.NORMAL, 'as many RC 0 as NORMAL answers');
    t.same(r.byStatus, { 200: r.byResp.NORMAL, 503: r.byResp.NOSPACE }, 'NOSPACE is HTTP 503');
    t.same(r.byAbend, {}, 'no abend');

    const probe = await probeMail(region.url);
    tally.addProbe(probe);
    t.match(probe, { status: 503, resp: 'NOSPACE', abcode: null, failure: { resp: 'NOSPACE', abcode: null, message: /^the journal's file system has [\d.]+ MiB free, less than the [\d.]+ MiB it needs/ } }, 'a probe while the disk is full: 503 NOSPACE');

    // A refused task journals nothing; a mail answered RC 0 is SENT, or ACCEPTED where the
    // disk filled between the relay's answer and its record.
    const records = [...journal.scan()];
    const answered = new Set(tally.mails.map((m) => m.seq));
    t.same(records.filter((rec) => !answered.has(rec.seq)).map((rec) => rec.seq), [], 'no record but those of RC 0 answers');
    t.same(
      records.filter((rec) => !(rec.state === 'SENT' && rec.attempts.length === 1) && !(rec.state === 'ACCEPTED' && rec.attempts.length === 0)).map((rec) => `SEQ=${rec.seq} ${rec.state}`),
      [],
      'each record SENT, or ACCEPTED with no attempt on record',
    );
    const unsettled = records.filter((rec) => rec.state === 'ACCEPTED').length;

    rmSync(join(dir, 'filler'));
    await region.app.region.space.check();
    const cleared = performance.now();
    const [after, drainMs] = await Promise.all([steadyLoad(region.url, { requests: AFTER, seed: 2 }), unsettled > 0 ? waitDrained(journal, cleared) : null]);
    tally.addRun(after);
    t.same(after.recorder.byRc, { 0: AFTER }, `space back: ${AFTER} more mails, every one RC 0`);
    await waitDrained(journal);

    const result = reconcile(journal, tally.mails, relay.received());
    t.same(result.problems, [], 'answers, journal and relay agree');
    t.equal(result.lost, 0, 'lost: 0');
    t.equal(result.delivered, records.length + AFTER, 'delivered: every mail answered RC 0');
    t.equal(result.duplicated, unsettled, `arrived twice: the ${unsettled} mails whose outcome the full disk did not let the task record`);
    t.same(states(journal), { SENT: records.length + AFTER }, 'every mail SENT');
    return rowOf(this.fault, tally, result, drainMs);
  },
};

export const journalFull: readonly Scenario[] = [full];

/**
 * After its journal's disk has been full, a region does not close its journal on SIGTERM:
 * LMDB's close (lmdb-js RootDatabase.close, from Journal.close in the region's onClose hook)
 * never resolves once a commit has failed for want of room, even after the room is back
 * (in a region in this process: dispatcher.close() and spool.stop() return at once,
 * journal.close() is still pending 8 s later). The process ends only when its event loop
 * runs dry, about 5 s after the signal, with exit code 0 but without "region … stopped":
 * the contract's "the journal is closed cleanly" does not hold. A region that never had a
 * full disk stops in about 0.3 s and says so. Nothing is lost (LMDB needs no clean close),
 * and a journal write that succeeds after the room is back lets the close finish (fault 11
 * closes its region in teardown after its drain).
 */
const shutdownAfterFull: Check = {
  name: '11. journal out of space: SIGTERM afterwards drains and closes the journal',
  skip: noSink || cannotMount(),
  async run(t) {
    // Tap runs no test marked todo; the assertions the bug fails are marked instead.
    const todo = 'bug: a journal whose disk was full is never closed (lmdb-js close pending); SIGTERM ends ~5 s later without "region … stopped"';
    const stale = distProblem();
    if (stale) throw new Error(stale);
    const dir = smallDisk(t, 4);
    const relay = await SinkRelay.create(t);
    await relay.start();
    writeUsers(dir);
    const region = await startRegionProcess(dir, { CICSMAIL_RELAY: relay.url, CICSMAIL_WORKERS: '1', CICSMAIL_JOURNAL_RESERVE_MB: '0', CICSMAIL_LOG_LEVEL: 'warn' });
    t.teardown(() => region.child.kill('SIGKILL'));
    writeFileSync(join(dir, 'filler'), Buffer.alloc(3 * 1_048_576));
    const run = await steadyLoad(region.url, { requests: 300, seed: 1 });
    t.ok((run.recorder.byResp.NOSPACE ?? 0) > 0, `the disk filled: ${JSON.stringify(run.recorder.byResp)}`);
    rmSync(join(dir, 'filler'));
    // The region looks at its free space every second.
    await new Promise((r) => setTimeout(r, 1500));
    const exited = new Promise<number | null>((resolve) => region.child.once('exit', (code) => resolve(code)));
    const signalled = performance.now();
    region.child.kill('SIGTERM');
    const code = await exited;
    const ms = Math.round(performance.now() - signalled);
    t.equal(code, 0, 'exit code 0');
    t.match(region.output(), /^region CICSMAIL stopped$/m, 'the region says it stopped: its journal closed', { todo });
    t.ok(ms < 2000, `it stopped ${ms} ms after SIGTERM (one that never had a full disk: ~300 ms)`, { todo });
  },
};

export const journalFullChecks: readonly Check[] = [shutdownAfterFull];
