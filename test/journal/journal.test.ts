// The journal on a real LMDB on disk: durable accept, one place for state moves, paging,
// and reading from another process while it is open.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { MESSAGE_FILE_BYTES } from '../../journal/message-files.js';
import { environmentOptions, Journal } from '../../journal/journal.js';
import type { MessageChunks } from '../../cics/message-chunks.js';
import type { MailOrigin } from '../../journal/record.js';
import { JournalError } from '../../journal/errors.js';
import { afterAttempt, isFinal } from '../../journal/states.js';

const origin = (n: number): MailOrigin => ({
  tranid: 'MAIL',
  taskn: n,
  userid: 'CICSUSER',
  jobname: 'JOB1',
  ccsid: 37,
  envelope: { from: 'a@x.example', to: ['b@y.example'] },
  subject: `mail ${n}`,
  attachments: 0,
  messageId: `<m${n}@t>`,
});
const attempt = (
  outcome: 'sent' | 'deferred' | 'failed',
  reply: string,
  accepted: string[] = outcome === 'sent' ? ['b@y.example'] : [],
  refused: { recipient: string; reply: string }[] = [],
) => ({
  at: new Date().toISOString(),
  relay: 'smtp://r',
  outcome,
  reply,
  via: 'task' as const,
  accepted,
  ...(refused.length ? { refused } : {}),
});

t.test('states: one place moves a mail, recipient by recipient', async (t) => {
  const start = { state: 'ACCEPTED' as const, pending: ['a@x', 'b@x', 'c@x'], delivered: [], failed: [] };
  const none = { accepted: [], refused: [] };
  t.same(afterAttempt(start, { outcome: 'sent', accepted: ['a@x', 'b@x', 'c@x'], refused: [] }, false), {
    state: 'SENT',
    pending: [],
    delivered: ['a@x', 'b@x', 'c@x'],
    failed: [],
  });
  t.same(
    afterAttempt(start, { outcome: 'deferred', ...none }, false),
    { state: 'DEFERRED', pending: ['a@x', 'b@x', 'c@x'], delivered: [], failed: [] },
    'a 4xx to the mail: all still owed',
  );
  const partly = afterAttempt(
    start,
    {
      outcome: 'deferred',
      accepted: ['a@x'],
      refused: [
        { recipient: 'b@x', reply: '452 full' },
        { recipient: 'c@x', reply: '550 gone' },
      ],
    },
    false,
  );
  t.same(
    partly,
    { state: 'DEFERRED', pending: ['b@x'], delivered: ['a@x'], failed: ['c@x'] },
    'taken, waiting, refused for good',
  );
  t.same(afterAttempt(partly!, { outcome: 'sent', accepted: ['b@x'], refused: [] }, false), {
    state: 'SENT',
    pending: [],
    delivered: ['a@x', 'b@x'],
    failed: ['c@x'],
  });
  t.same(
    afterAttempt(partly!, { outcome: 'deferred', ...none }, true),
    { state: 'SENT', pending: [], delivered: ['a@x'], failed: ['c@x', 'b@x'] },
    'given up at the retry limit: on record as failed',
  );
  t.same(
    afterAttempt(partly!, { outcome: 'failed', accepted: [], refused: [{ recipient: 'b@x', reply: '550 no' }] }, false),
    { state: 'SENT', pending: [], delivered: ['a@x'], failed: ['c@x', 'b@x'] },
    'refused for the rest: failed, on record',
  );
  t.same(afterAttempt(start, { outcome: 'failed', ...none }, false), {
    state: 'FAILED',
    pending: [],
    delivered: [],
    failed: ['a@x', 'b@x', 'c@x'],
  });
  t.same(afterAttempt(start, { outcome: 'deferred', ...none }, true), {
    state: 'FAILED',
    pending: [],
    delivered: [],
    failed: ['a@x', 'b@x', 'c@x'],
  });
  t.same(
    afterAttempt(partly!, { outcome: 'sent', accepted: ['z@x'], refused: [] }, false),
    { state: 'DEFERRED', pending: ['b@x'], delivered: ['a@x'], failed: ['c@x'] },
    'a recipient not asked for is no delivery',
  );
  t.equal(
    afterAttempt({ ...start, state: 'SENT' }, { outcome: 'sent', accepted: ['a@x'], refused: [] }, false),
    undefined,
  );
  t.same(
    ['ACCEPTED', 'DEFERRED', 'SENT', 'FAILED'].map((s) => isFinal(s as 'SENT')),
    [false, false, true, true],
  );
});

t.test('accept, settle, list, message bytes', async (t) => {
  const dir = t.testdir();
  const journal = Journal.open(dir);
  t.teardown(() => journal.close());
  const seqs = await Promise.all([1, 2, 3].map((n) => journal.accept(origin(n), Buffer.from(`message ${n}\r\n`))));
  t.same([...seqs].sort(), [1, 2, 3], 'sequence numbers from 1, no gaps, even when accepted at once');
  t.match(journal.get(2), { seq: 2, state: 'ACCEPTED', relayReply: null, attempts: [], size: 11 });
  t.equal(journal.message(seqs[1]!)?.toString(), 'message 2\r\n');

  const deferred = await journal.settle(1, attempt('deferred', '451 later'));
  t.match(deferred, { state: 'DEFERRED', relayReply: '451 later' });
  const sent = await journal.settle(1, attempt('sent', '250 ok'));
  t.match(sent, { state: 'SENT', relayReply: '250 ok' });
  t.same(
    sent.attempts.map((a) => a.outcome),
    ['deferred', 'sent'],
    'every attempt kept, in order',
  );
  const late = await journal.settle(1, attempt('failed', '550 no'));
  t.equal(late.state, 'SENT', 'a final record keeps its state…');
  t.same(
    late.attempts.map((a) => a.outcome),
    ['deferred', 'sent', 'failed'],
    '…and the late attempt is on record',
  );
  await t.rejects(journal.settle(99, attempt('sent', '250')), { code: 'CICSMAIL_JOURNAL_NO_RECORD' });

  t.same(
    journal.list().map((r) => r.seq),
    [1, 2, 3],
  );
  t.same(
    journal.list({ after: 1, limit: 1 }).map((r) => r.seq),
    [2],
  );
  t.same(
    journal.list({ state: 'SENT' }).map((r) => r.seq),
    [1],
  );
  t.same(
    journal.list({ state: 'ACCEPTED' }).map((r) => r.seq),
    [2, 3],
  );
});

/** A message given in chunks of one buffer overwritten for each (as the composer gives a large one). */
function inChunks(bytes: Buffer, size: number): MessageChunks {
  return {
    byteLength: bytes.length,
    ascii: false,
    headerAscii: true,
    *chunks() {
      const scratch = Buffer.alloc(size);
      for (let at = 0; at < bytes.length; at += size) {
        yield scratch.subarray(0, bytes.copy(scratch, 0, at, at + size));
        scratch.fill(0);
      }
    },
  };
}

t.test(
  'a message given in chunks is kept as the same bytes, in its file or in LMDB, and read back in chunks',
  async (t) => {
    const dir = t.testdir();
    const journal = Journal.open(dir);
    t.teardown(() => journal.close());
    const big = randomBytes(3 * MESSAGE_FILE_BYTES + 5);
    const small = randomBytes(1000);
    const b = await journal.accept(origin(1), inChunks(big, 256 * 1024));
    const a = await journal.accept(origin(2), inChunks(small, 300));
    t.ok(journal.message(b)?.equals(big), 'the large one: its file holds the exact bytes');
    t.match(journal.get(b), { size: big.length });
    t.ok(journal.message(a)?.equals(small), 'the small one: joined, in LMDB');
    t.match(journal.get(a), { size: small.length });
    for (const [seq, bytes] of [
      [b, big],
      [a, small],
    ] as const) {
      const copies: Buffer[] = [];
      let largest = 0;
      for await (const chunk of journal.messageChunks(seq)) {
        copies.push(Buffer.from(chunk));
        largest = Math.max(largest, chunk.byteLength);
      }
      t.ok(Buffer.concat(copies).equals(bytes), `message ${seq} read back in ${copies.length} chunks`);
      if (seq === b) t.ok(largest <= 256 * 1024, `no chunk of its file over 256 KiB (${largest})`);
    }
    // A message whose chunks come to other than its size is refused, and leaves no file behind.
    const short: MessageChunks = { ...inChunks(big, 256 * 1024), byteLength: big.length + 1 };
    await t.rejects(journal.accept(origin(3), short), { code: 'CICSMAIL_JOURNAL_WRITE' });
    t.equal(readdirSync(join(dir, 'journal', 'messages')).length, 1, "only the first one's file");
  },
);

t.test(
  'a message of 1 MB or more is kept as a file: synced before its record, read back exact, pruned with it, swept if no record names it',
  async (t) => {
    const dir = t.testdir();
    const journal = Journal.open(dir);
    t.teardown(() => journal.close());
    const files = () =>
      existsSync(join(dir, 'journal', 'messages')) ? readdirSync(join(dir, 'journal', 'messages')).sort() : [];
    const small = Buffer.alloc(MESSAGE_FILE_BYTES - 1, 0x41);
    const big = randomBytes(MESSAGE_FILE_BYTES);
    const a = await journal.accept(origin(1), small);
    t.same(files(), [], 'under 1 MB: in LMDB');
    const b = await journal.accept(origin(2), big);
    t.equal(files().length, 1, '1 MB: a file');
    t.match(files()[0], /^[0-9a-f-]{36}\.eml$/);
    t.ok(readFileSync(join(dir, 'journal', 'messages', files()[0]!)).equals(big), 'the file holds the exact bytes');
    t.ok(journal.message(b)?.equals(big), 'message() reads it back');
    t.ok(journal.message(a)?.equals(small));
    t.match(journal.get(b), { size: MESSAGE_FILE_BYTES, state: 'ACCEPTED' });

    // Another process (the command line) reads it too.
    const script = `import { Journal } from ${JSON.stringify(new URL('../../journal/journal.ts', import.meta.url).href)};
    const j = Journal.open(process.argv[1], { readOnly: true });
    console.log(j.message(${b})?.length);
    await j.close();`;
    const { stdout } = await promisify(execFile)(process.execPath, [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      script,
      dir,
    ]);
    t.equal(stdout.trim(), String(MESSAGE_FILE_BYTES));

    // A file left by a crash between the file and its record: swept; a named one stays.
    writeFileSync(join(dir, 'journal', 'messages', '00000000-0000-4000-8000-000000000000.eml'), 'orphan');
    writeFileSync(join(dir, 'journal', 'messages', 'notes.txt'), 'not ours');
    t.equal(journal.sweepMessageFiles(), 1);
    t.equal(files().length, 2, 'the named file and the stranger stay');
    t.ok(journal.message(b)?.equals(big));

    await journal.settle(b, attempt('sent', '250 ok'));
    await journal.settle(a, attempt('sent', '250 ok'));
    t.equal(await journal.prune(Date.now() + 1000), 2);
    t.same(files(), ['notes.txt'], 'pruned with its record');
    t.equal(journal.message(b), undefined);
  },
);

t.test('another process reads the journal while this one has it open', async (t) => {
  const dir = t.testdir();
  const journal = Journal.open(dir);
  t.teardown(() => journal.close());
  await journal.accept(origin(7), Buffer.from('seven'));
  const script = `import { Journal } from ${JSON.stringify(new URL('../../journal/journal.ts', import.meta.url).href)};
    const j = Journal.open(process.argv[1], { readOnly: true });
    console.log(JSON.stringify({ record: j.get(1), bytes: j.message(1)?.toString() }));
    await j.close();`;
  const { stdout } = await promisify(execFile)(process.execPath, [
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    script,
    dir,
  ]);
  const seen = JSON.parse(stdout) as { record: { subject: string; state: string }; bytes: string };
  t.equal(seen.record.subject, 'mail 7');
  t.equal(seen.record.state, 'ACCEPTED');
  t.equal(seen.bytes, 'seven');
});

t.test('a journal that cannot be opened says where', async (t) => {
  const dir = t.testdir({ journal: 'a file, not a folder' });
  const err = (() => {
    try {
      Journal.open(dir);
    } catch (e) {
      return e as JournalError;
    }
    return undefined;
  })();
  t.ok(err instanceof JournalError);
  t.equal(err?.code, 'CICSMAIL_JOURNAL_OPEN');
  t.match(err?.message, /^cannot open the journal at .*journal: /);
});

t.test('retention: final records past their age go, undelivered ones stay, numbers are never reused', async (t) => {
  const journal = Journal.open(t.testdir());
  t.teardown(() => journal.close());
  for (const n of [1, 2, 3, 4]) await journal.accept(origin(n), Buffer.from(`m${n}`));
  await journal.settle(1, attempt('sent', '250 ok'));
  await journal.settle(2, attempt('deferred', '451 later'));
  await journal.settle(4, attempt('failed', '554 no'));
  t.equal(await journal.prune(Date.now() + 1000), 2, 'SENT and FAILED ones');
  t.same(
    journal.list().map((r) => [r.seq, r.state]),
    [
      [2, 'DEFERRED'],
      [3, 'ACCEPTED'],
    ],
  );
  t.equal(journal.message(1), undefined, 'with their bytes');
  t.equal(journal.message(2)?.toString(), 'm2');
  t.equal(await journal.prune(Date.now() - 60_000), 0, 'nothing younger than the cut-off');
  await journal.settle(3, attempt('sent', '250 ok'));
  await journal.prune(Date.now() + 1000);
  t.equal(await journal.accept(origin(5), Buffer.from('m5')), 5, 'the next number after the highest ever given');
});

t.test('message bytes are appended, and put the ordinary way where a higher key is there already', async (t) => {
  const dir = t.testdir();
  const journal = Journal.open(dir);
  t.teardown(() => journal.close());
  t.equal(await journal.accept(origin(1), Buffer.from('first')), 1);
  // Another program left bytes under a number the journal has not given yet.
  const { open } = await import('lmdb');
  const raw = open(environmentOptions(join(dir, 'journal')));
  await raw.openDB<Buffer, number>({ name: 'messages', encoding: 'binary' }).put(50, Buffer.from('stray'));
  await raw.close();
  t.equal(await journal.accept(origin(2), Buffer.from('second')), 2);
  t.equal(journal.message(2)?.toString(), 'second', 'kept all the same');
  t.equal(journal.message(1)?.toString(), 'first');
});
