// Values kept within one LMDB page (journal/page-fit.ts): a message longer than a page in
// parts, the task log's entries and request keys' answers compressed; each read back byte
// for byte, and removed with its record. Checked on the LMDB itself: every value the
// journal wrote for a mail is one page at most.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import t from 'tap';
import { open, type Key, type RootDatabase } from 'lmdb';
import { requestKeyId, type RequestKeyRef } from '../../cics/request-key.js';
import { environmentOptions, Journal } from '../../journal/journal.js';
import { MESSAGE_FILE_BYTES } from '../../journal/message-files.js';
import { PAGE_VALUE_BYTES, pageParts } from '../../journal/page-fit.js';
import type { NewTaskEntry, TaskEntry } from '../../journal/task-log.js';
import { mailOrigin, sentAttempt } from '../helpers/mail-origin.js';

/**
 * A MAILCA as a program fills it: its fields of 4,442 bytes, each padded with blanks
 * (EBCDIC 0x40), then a body of 22 lines of text.
 */
function mailca(): Uint8Array {
  const fields = Buffer.alloc(4442, 0x40);
  for (let at = 0; at < 4442; at += 256) Buffer.from('ops@example.test').copy(fields, at);
  const line = 'Volume SYSRES is 97 percent full; dataset SYS1.LINKLIB has 3 extents left.';
  const body = Buffer.from(Array.from({ length: 22 }, (_, i) => `${i} ${line}`).join('\n'));
  return Buffer.concat([fields, body]);
}

/** The lengths of the raw values of a store of the journal's environment, opened beside it. */
function valueLengths(root: RootDatabase, name: string): number[] {
  const db = root.openDB<Buffer, Key>({ name, encoding: 'binary' });
  return [...db.getRange({})].map(({ value }) => value.byteLength);
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const all: Buffer[] = [];
  for await (const chunk of chunks) all.push(Buffer.from(chunk));
  return Buffer.concat(all);
}

t.test('pageParts: pages of PAGE_VALUE_BYTES in order', async (t) => {
  t.same(pageParts(new Uint8Array(0)), [], 'none for nothing');
  t.same(
    pageParts(new Uint8Array(PAGE_VALUE_BYTES)).map((p) => p.length),
    [PAGE_VALUE_BYTES],
  );
  const bytes = randomBytes(2 * PAGE_VALUE_BYTES + 1);
  const parts = pageParts(bytes);
  t.same(
    parts.map((p) => p.length),
    [PAGE_VALUE_BYTES, PAGE_VALUE_BYTES, 1],
  );
  t.ok(Buffer.concat(parts).equals(bytes), 'the same bytes');
});

t.test('messages up to a file: whole within a page, in parts past it, read and pruned', async (t) => {
  const dir = t.testdir();
  const journal = Journal.open(dir);
  t.teardown(() => journal.close());
  const sizes = [0, 1, PAGE_VALUE_BYTES, PAGE_VALUE_BYTES + 1, 6000, 100_000, MESSAGE_FILE_BYTES - 1];
  const messages = sizes.map((n) => randomBytes(n));
  const seqs: number[] = [];
  for (const [i, bytes] of messages.entries()) seqs.push(await journal.accept(mailOrigin(i + 1), bytes));
  for (const [i, seq] of seqs.entries()) {
    const want = messages[i]!;
    t.ok(journal.message(seq)?.equals(want) ?? want.length === 0, `${sizes[i]} bytes: message()`);
    t.ok((await collect(journal.messageChunks(seq))).equals(want), `${sizes[i]} bytes: messageChunks()`);
    t.equal(journal.get(seq)?.size, sizes[i]);
  }

  const raw = open(environmentOptions(join(dir, 'journal')));
  t.teardown(() => raw.close());
  const whole = valueLengths(raw, 'messages');
  const parts = valueLengths(raw, 'message-parts');
  t.same(
    whole.sort((a, b) => a - b),
    [0, 1, PAGE_VALUE_BYTES],
    'those within a page: whole',
  );
  const partCount = sizes
    .filter((n) => n > PAGE_VALUE_BYTES)
    .reduce((sum, n) => sum + Math.ceil(n / PAGE_VALUE_BYTES), 0);
  t.equal(parts.length, partCount, 'the others: a part a page');
  t.ok(
    parts.every((n) => n <= PAGE_VALUE_BYTES),
    'no value longer than a page',
  );
  const stats = raw.openDB({ name: 'message-parts', encoding: 'binary' }).getStats() as { overflowPages: number };
  t.ok(stats.overflowPages <= partCount, `one overflow page a part at most (${stats.overflowPages} for ${partCount})`);

  for (const seq of seqs) await journal.settle(seq, sentAttempt());
  t.equal(await journal.prune(Date.now() + 1000), seqs.length);
  t.same(valueLengths(raw, 'message-parts'), [], 'pruned: every part gone');
  t.same(valueLengths(raw, 'messages'), [], 'and every whole one');
  t.equal(journal.message(seqs[4]!), undefined);
});

t.test('a message longer than a page written whole before parts is read and pruned', async (t) => {
  const dir = t.testdir();
  const journal = Journal.open(dir);
  t.teardown(() => journal.close());
  const bytes = randomBytes(6000);
  const seq = await journal.accept(mailOrigin(1), Buffer.from('placeholder'));
  // As an earlier cicsmail kept it: the whole message under its sequence number.
  const raw = open(environmentOptions(join(dir, 'journal')));
  t.teardown(() => raw.close());
  await raw.openDB<Buffer, number>({ name: 'messages', encoding: 'binary' }).put(seq, bytes);
  t.ok(journal.message(seq)?.equals(bytes), 'read whole');
  t.ok((await collect(journal.messageChunks(seq))).equals(bytes));
  await journal.settle(seq, sentAttempt());
  t.equal(await journal.prune(Date.now() + 1000), 1);
  t.same(valueLengths(raw, 'messages'), [], 'pruned with its record');
});

t.test(
  'a task log entry is kept compressed: a MAILCA with its body in a page, any other as it came back',
  async (t) => {
    const dir = t.testdir();
    const journal = Journal.open(dir);
    t.teardown(() => journal.close());
    const area = mailca();
    const dense = randomBytes(6000);
    const entry = (commarea: Uint8Array, seq: number): NewTaskEntry => ({
      at: new Date().toISOString(),
      taskn: seq,
      tranid: 'MAIL',
      userid: 'TESTER',
      jobname: 'NIGHTLY',
      ccsid: 37,
      commarea: { form: 'bytes', bytes: commarea },
      containers: [],
      outcome: { kind: 'normal', rc: 0 },
      journalSeqs: [seq],
      durationMs: 3,
    });
    const seqs = [
      await journal.accept(mailOrigin(1), Buffer.from('m1')),
      await journal.accept(mailOrigin(2), Buffer.from('m2')),
    ];
    const ids = await Promise.all([
      journal.tasks.add(entry(area, seqs[0]!)),
      journal.tasks.add(entry(dense, seqs[1]!)),
    ]);
    await journal.tasks.flush();

    const bytesOf = (e: TaskEntry | undefined | 'indexing') =>
      e !== undefined && e !== 'indexing' && e.commarea.form === 'bytes' ? Buffer.from(e.commarea.bytes) : undefined;
    t.ok(bytesOf(journal.tasks.get(ids[0]))?.equals(area), 'get: the MAILCA byte for byte');
    t.ok(bytesOf(journal.tasks.forRecord(seqs[0]!))?.equals(area), 'by its record');
    t.same(
      [...journal.tasks.scan()].map((e) => bytesOf(e)?.length),
      [area.length, 6000],
      'scan: both at their length',
    );
    t.ok(bytesOf([...journal.tasks.committed(1, 3)][1])?.equals(dense), 'bytes that do not compress: as they came');

    const raw = open(environmentOptions(join(dir, 'journal')));
    t.teardown(() => raw.close());
    const [kept] = valueLengths(raw, 'tasks');
    t.ok(kept! <= PAGE_VALUE_BYTES, `the MAILCA's entry (${area.length} bytes of COMMAREA): ${kept} bytes`);

    // An entry written before the log compressed: read as it is.
    await raw.openDB<object, number>({ name: 'tasks' }).put(99, { ...entry(area, 7), id: 99 });
    t.ok(valueLengths(raw, 'tasks')[2]! > area.length, 'written uncompressed');
    t.ok(bytesOf(journal.tasks.get(99))?.equals(area), 'an entry written uncompressed is read');
  },
);

t.test("a request key's answer is kept compressed", async (t) => {
  const dir = t.testdir();
  const journal = Journal.open(dir);
  t.teardown(() => journal.close());
  const key = 'order-1';
  const ref: RequestKeyRef = { id: requestKeyId('TESTER', 'MAIL', key), key, digest: 'd' };
  const answer = { status: 200, headers: { 'x-cics-resp': 'NORMAL' }, body: mailca() };
  await journal.keys.answered(ref, { userid: 'TESTER', tranid: 'MAIL', taskn: 1 }, answer);
  const read = journal.keys.get(ref.id);
  t.same(read?.answer?.headers, answer.headers);
  t.ok(Buffer.from(read!.answer!.body).equals(answer.body), 'the body byte for byte');
  const raw = open(environmentOptions(join(dir, 'journal')));
  t.teardown(() => raw.close());
  const [length] = valueLengths(raw, 'request-keys');
  t.ok(length! <= PAGE_VALUE_BYTES, `kept in ${length} bytes`);
});
