// A journal that cannot grow: new tasks get 503 NOSPACE, mail accepted before is intact and
// delivered, and tasks are taken again once space is back. lmdb-js grows its map by itself,
// so the full resource is a real file system: a small tmpfs, where the test may mount one
// (root); the reserve check runs everywhere.
import { readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { cannotMount, smallDisk } from '../helpers/small-disk.js';
import { Journal } from '../../journal/journal.js';
import { mailOrigin } from '../helpers/mail-origin.js';
import { JournalError } from '../../journal/errors.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import { within } from '../helpers/within.js';
import { requestKeyId } from '../../cics/request-key.js';
import { TESTER } from '../helpers/users.js';

const noTmpfs = cannotMount;

const body = 'x'.repeat(70) + '\n';
const mail = (i: number) =>
  buildMailCommarea(
    { from: 'batch@corp.example', to: 'ops@corp.example', subject: `mail ${i}`, body: body.repeat(100) },
    37,
  );

t.test(
  'Journal.accept on a full disk: JournalError FULL, nothing half-written, writes resume once space is back',
  { skip: noTmpfs },
  async (t) => {
    const dir = smallDisk(t, 3);
    const journal = Journal.open(dir);
    t.teardown(() => journal.close());
    writeFileSync(join(dir, 'filler'), Buffer.alloc(2 * 1_048_576));
    const message = Buffer.alloc(8000, 0x41);
    const origin = mailOrigin(1);
    const seqs: number[] = [];
    let failure: unknown;
    for (let i = 0; i < 1000 && failure === undefined; i++) {
      await journal.accept({ ...origin, messageId: `<m${i}@x>` }, message).then(
        (seq) => seqs.push(seq),
        (err: unknown) => (failure = err),
      );
    }
    t.ok(failure instanceof JournalError, 'a JournalError');
    t.equal((failure as JournalError).code, 'CICSMAIL_JOURNAL_FULL');
    // Refused before LMDB meets the full disk (journal/room.ts).
    t.match(
      (failure as Error).message,
      /^the journal cannot grow: its file system has \d+ KiB free, less than the \d+ KiB this record needs with the 512 KiB the journal keeps for its database$/,
    );
    t.ok(seqs.length > 10, `${seqs.length} mails accepted before the disk filled`);
    t.same(
      seqs,
      seqs.map((_, i) => i + 1),
      'sequence numbers without gaps',
    );
    // Give an orphaned lmdb-js rejection the turns it needs to surface: it must not end the test process.
    await new Promise((r) => setTimeout(r, 100));

    rmSync(join(dir, 'filler'));
    const next = await journal.accept(origin, message);
    t.equal(next, seqs.length + 1, 'the failed accept took no sequence number');
    for (const seq of [...seqs, next]) {
      t.equal(journal.get(seq)?.state, 'ACCEPTED');
      t.ok(journal.message(seq)?.equals(message), `record ${seq} has its bytes`);
    }
    t.equal(journal.get(next + 1), undefined, 'nothing half-written past it');
  },
);

t.test(
  'a large message on a full disk: JournalError FULL, its file removed, no record, no sequence number used',
  { skip: noTmpfs },
  async (t) => {
    const dir = smallDisk(t, 4);
    const journal = Journal.open(dir);
    t.teardown(() => journal.close());
    const origin = {
      tranid: 'MAIL',
      taskn: 1,
      userid: 'CICSUSER',
      jobname: '',
      ccsid: 37,
      envelope: { from: 'a@b.example', to: ['c@d.example'] },
      subject: 's',
      attachments: 1,
      messageId: '<big@x>',
    };
    const failure = await journal.accept(origin, Buffer.alloc(5 * 1_048_576, 0x41)).then(
      () => undefined,
      (err: unknown) => err,
    );
    t.ok(failure instanceof JournalError, 'a JournalError');
    t.equal((failure as JournalError).code, 'CICSMAIL_JOURNAL_FULL');
    t.match(
      (failure as Error).message,
      /^the journal cannot grow: its file system has \d+ KiB free, less than the \d+ KiB this message file needs/,
    );
    t.same(readdirSync(join(dir, 'journal', 'messages')), [], 'the part written is gone');
    t.equal(journal.get(1), undefined, 'no record');
    const fits = Buffer.alloc(1_048_576, 0x42);
    t.equal(
      await journal.accept({ ...origin, messageId: '<fits@x>' }, fits),
      1,
      'a message that fits takes the first number',
    );
    t.ok(journal.message(1)?.equals(fits));
  },
);

/** Fills the disk of `dir` but for `room` bytes. */
function fillBut(dir: string, room: number): void {
  const s = statfsSync(dir);
  writeFileSync(join(dir, 'filler'), Buffer.alloc(s.bavail * s.bsize - room));
}

// Bounds far above the few milliseconds these need: they tell a hang, not a speed.
const ACCEPT_BOUND_MS = 2000;
const CLOSE_BOUND_MS = 3000;

t.test(
  'Journal.close after a write the full disk refused: it closes, with the room back or not',
  { skip: noTmpfs },
  async (t) => {
    for (const roomBack of [true, false]) {
      const dir = smallDisk(t, 3);
      const journal = Journal.open(dir);
      t.equal(
        await within(journal.accept(mailOrigin(1), Buffer.alloc(1000, 0x41)), ACCEPT_BOUND_MS),
        'settled',
        'a mail accepted',
      );
      fillBut(dir, 400 * 1024);
      t.match(
        await within(journal.accept(mailOrigin(2), Buffer.alloc(600_000, 0x41)), ACCEPT_BOUND_MS),
        /^rejected: the journal cannot grow: /,
        'a mail the disk has no room for: refused',
      );
      if (roomBack) rmSync(join(dir, 'filler'));
      // lmdb-js's close waits for the last write batch; one whose flush never settles held it for good.
      t.equal(
        await within(journal.close(), CLOSE_BOUND_MS),
        'settled',
        `closed, the room ${roomBack ? 'back' : 'still taken'}`,
      );
      const again = Journal.open(dir);
      t.equal(again.get(1)?.state, 'ACCEPTED', 'what was accepted is there when opened again');
      t.equal(again.get(2), undefined, 'and nothing of the refused one');
      await again.close();
    }
  },
);

t.test(
  'Journal.accept resolves after its own commit though the one after it is refused',
  { skip: noTmpfs },
  async (t) => {
    const dir = smallDisk(t, 3);
    const journal = Journal.open(dir);
    t.equal(await within(journal.accept(mailOrigin(1), Buffer.alloc(1000, 0x41)), ACCEPT_BOUND_MS), 'settled');
    // Room for a small record past the journal's floor, not for a 600 KB one.
    fillBut(dir, 700 * 1024);
    // The second accept starts while the first is in its write transaction (the record is made
    // from the origin there), so it is the next batch, which the disk has no room for. The first
    // had waited for the flush of that batch, which lmdb-js never settles.
    let firstSettled = false;
    let secondStartedEarly = false;
    let second: Promise<string> | undefined;
    const first = mailOrigin(2);
    Object.defineProperty(first, 'subject', {
      enumerable: true,
      get: () => {
        second ??= within(
          new Promise((resolve) => setImmediate(resolve)).then(() => {
            secondStartedEarly = !firstSettled;
            return journal.accept(mailOrigin(3), Buffer.alloc(600_000, 0x41));
          }),
          ACCEPT_BOUND_MS,
        );
        return 's';
      },
    });
    let seq: number | undefined;
    const accepted = journal.accept(first, Buffer.alloc(100, 0x41)).then((n) => (seq = n));
    void accepted.finally(() => (firstSettled = true)).catch(() => undefined);
    t.equal(await within(accepted, ACCEPT_BOUND_MS), 'settled', 'the first mail accepted');
    t.match(await second, /^rejected: the journal cannot grow: /, 'the second refused');
    t.ok(secondStartedEarly, 'the second started before the first had settled');
    if (seq !== undefined) {
      t.equal(journal.get(seq)?.state, 'ACCEPTED', 'the first on record');
      t.equal(journal.get(seq + 1), undefined, 'nothing of the second');
    }
    t.equal(await within(journal.close(), CLOSE_BOUND_MS), 'settled', 'the journal closes');
  },
);

t.test(
  'a region on a full disk answers 503 NOSPACE, keeps what it accepted, and takes tasks again once space is back',
  { skip: noTmpfs },
  async (t) => {
    const dir = smallDisk(t, 4);
    const relay = await startRelay(t);
    // Reserve 0: the tasks themselves meet the full disk, the hard case.
    const region = await startRegion(t, {
      CICSMAIL_DATA: dir,
      CICSMAIL_RELAY: relay.url,
      CICSMAIL_JOURNAL_RESERVE_MB: '0',
    });
    writeFileSync(join(dir, 'filler'), Buffer.alloc(3 * 1_048_576));
    const delivered: number[] = [];
    let refused: Response | undefined;
    for (let i = 1; i <= 2000 && !refused; i++) {
      const res = await region.post('MAIL', mail(i));
      if (res.status !== 200) {
        refused = res;
        break;
      }
      const answer = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
      t.equal(answer.rc, 0, `mail ${i} RC 0`);
      delivered.push(answer.journalSeq);
    }
    t.ok(delivered.length > 5, `${delivered.length} mails sent before the disk filled`);
    t.ok(refused, 'a task was refused');
    t.equal(refused!.status, 503);
    t.equal(refused!.headers.get('x-cics-resp'), 'NOSPACE');
    t.equal(refused!.headers.get('retry-after'), '30');
    const reply = (await refused!.json()) as { resp: string; abcode: unknown; message: string };
    t.equal(reply.resp, 'NOSPACE');
    t.equal(reply.abcode, null);
    t.match(
      reply.message,
      /^the journal cannot grow: its file system has \d+ KiB free, less than the \d+ KiB this record needs with the 512 KiB the journal keeps for its database$/,
    );

    // Until space comes back, tasks are refused before they run.
    const again = await region.post('MAIL', mail(0));
    t.equal(again.status, 503);
    t.match(
      ((await again.json()) as { message: string }).message,
      /^the journal's file system has [\d.]+ MiB free, less than the [\d.]+ MiB it needs/,
    );
    t.equal(relay.mails.length, delivered.length, 'the relay got exactly the mails answered RC 0');

    rmSync(join(dir, 'filler'));
    await region.app.room.check();
    const after = await region.post('MAIL', mail(9999));
    t.equal(after.status, 200, 'taken again once space is back');
    const last = readMailResponse(Buffer.from(await after.arrayBuffer()), 37);
    t.equal(last.rc, 0);
    t.equal(last.journalSeq, delivered.length + 1, 'the refused tasks left no record');
    const journal = region.journal();
    let unsettled = 0;
    for (const [i, seq] of delivered.entries()) {
      const record = journal.get(seq);
      // SENT; or, where the disk filled between the relay's answer and its record, still
      // ACCEPTED and due: the retry spool sends it again with the same Message-ID.
      if (record?.state === 'ACCEPTED' && record.nextAttemptAt !== null) unsettled++;
      else t.equal(record?.state, 'SENT', `record ${seq} SENT`);
      t.ok(journal.message(seq)?.equals(relay.mails[i]!.message), `record ${seq} holds the bytes the relay got`);
    }
    t.ok(unsettled <= 2, `${unsettled} records left ACCEPTED by a failed settle`);
  },
);

t.test('a reserve larger than the free space: tasks are refused before they run, nothing is journaled', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_JOURNAL_RESERVE_MB: '1048576' });
  const res = await region.post('MAIL', mail(1));
  t.equal(res.status, 503);
  t.equal(res.headers.get('x-cics-resp'), 'NOSPACE');
  t.equal(res.headers.get('retry-after'), '30');
  t.equal(res.headers.get('x-cics-taskn'), null, 'no task was started');
  t.match(
    ((await res.json()) as { message: string }).message,
    /less than the 1048576\.0 MiB it needs \(CICSMAIL_JOURNAL_RESERVE_MB\); mail already accepted is kept$/,
  );
  t.equal(relay.mails.length, 0);
  t.same(region.journal().list({}), []);
  // Reading the journal still works.
  t.equal((await region.fetch(`/journal`)).status, 200);
});

t.test(
  'a START the full disk has no room for: 503 NOSPACE, nothing kept; the STARTs kept before are intact',
  { skip: noTmpfs },
  async (t) => {
    const dir = smallDisk(t, 4);
    const relay = await startRelay(t);
    const region = await startRegion(t, {
      CICSMAIL_DATA: dir,
      CICSMAIL_RELAY: relay.url,
      CICSMAIL_JOURNAL_RESERVE_MB: '0',
    });
    const start = (i: number) => region.post('MAIL', mail(i), { 'x-cics-start-interval': '010000' });
    const kept = await start(1);
    t.equal(kept.status, 202);
    fillBut(dir, 400 * 1024);
    const refused = await start(2);
    t.equal(refused.status, 503);
    t.equal(refused.headers.get('x-cics-resp'), 'NOSPACE');
    t.match(((await refused.json()) as { message: string }).message, /^the journal cannot grow: /);
    t.same(
      region
        .journal()
        .starts.waiting(10)
        .map((e) => e.reqid),
      [kept.headers.get('x-cics-reqid')],
      'only the one kept before waits',
    );
    rmSync(join(dir, 'filler'));
  },
);

t.test(
  "a keyed MAIL whose disk fills while the relay takes it: the key keeps no answer, the caller hears the journal's failure, the retry answers from the record",
  { skip: noTmpfs },
  async (t) => {
    const dir = smallDisk(t, 4);
    // The disk fills once the relay has the mail: the settle and the key's answer both meet it.
    const relay = await startRelay(t, {
      data: () => {
        fillBut(dir, 0);
        return undefined;
      },
    });
    const region = await startRegion(t, {
      CICSMAIL_DATA: dir,
      CICSMAIL_RELAY: relay.url,
      CICSMAIL_JOURNAL_RESERVE_MB: '0',
    });
    const res = await region.post('MAIL', mail(1), { 'Idempotency-Key': 'full' });
    t.equal(res.status, 500);
    t.equal(res.headers.get('x-cics-resp'), 'INVREQ');
    t.equal(res.headers.get('x-cics-abcode'), 'ASRA');
    t.equal(relay.mails.length, 1, 'the relay has the mail');
    const journal = region.journal();
    journal.sawOtherThreads();
    t.equal(journal.get(1)?.state, 'ACCEPTED', 'the record stays ACCEPTED: the retry spool sends it again');
    const key = journal.keys.get(requestKeyId(TESTER.id, 'MAIL', 'full'));
    t.same(key?.seqs, [1], 'the key has its mail');
    t.equal(key?.answer, null, 'and no answer');

    rmSync(join(dir, 'filler'));
    await region.app.room.check();
    const again = await region.post('MAIL', mail(1), { 'Idempotency-Key': 'full' });
    t.equal(again.status, 200);
    t.equal(again.headers.get('idempotent-replayed'), null, 'run again, not a replay');
    const answer = readMailResponse(Buffer.from(await again.arrayBuffer()), 37);
    t.equal(answer.journalSeq, 1, 'answered from the record of the first run');
    t.equal(relay.mails.length, 1, 'nothing sent a second time by the task');
    t.not(
      region.journal().keys.get(requestKeyId(TESTER.id, 'MAIL', 'full'))?.answer,
      null,
      'the key keeps this answer',
    );
  },
);
