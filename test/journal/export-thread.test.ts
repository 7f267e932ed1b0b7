// Exports in a thread of their own (journal/export-thread.ts): the same lines as read on
// the main thread (the first page read there, the rest in the thread), the main thread
// turning meanwhile, and a stop half-way that ends the thread and leaves the journal open
// for the region.
import t from 'tap';
import { sampleMessage, syntheticEntries } from '../../bench/journal-records.js';
import { csvHeader, exportLines } from '../../journal/export.js';
import { exportsEnded, exportsRunning, exportStream, FIRST_PAGE } from '../../journal/export-thread.js';
import { Journal } from '../../journal/journal.js';
import { eachRecord } from '../../journal/query.js';

const options = { start: Date.parse('2026-11-01T00:00:00Z'), stepMs: 1000, message: sampleMessage(300) };

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

t.test('the lines the main thread would make, while it turns', async (t) => {
  const dataDir = t.testdir();
  const journal = Journal.open(dataDir);
  t.teardown(() => journal.close());
  await journal.appendBatch(syntheticEntries(0, 20_000, options));
  for (const [format, filter] of [
    ['csv', { state: 'SENT' }],
    ['jsonl', { userid: 'USER3' }],
    ['csv', { userid: 'NOBODY' }],
  ] as const) {
    const want = [];
    for await (const r of eachRecord(journal, filter)) want.push(r);
    let turns = 0;
    let reading = true;
    const spin = () => {
      turns++;
      if (reading) setImmediate(spin);
    };
    setImmediate(spin);
    const got = await text(exportStream(journal, { filter, format, owner: 'MVSA' })).finally(() => (reading = false));
    t.equal(
      got,
      (format === 'csv' ? csvHeader() : '') + exportLines(want, format, 'MVSA'),
      `${format} ${JSON.stringify(filter)}`,
    );
    if (want.length > 5000) t.ok(turns > 20, `the event loop turned ${turns} times meanwhile`);
  }
  await exportsEnded();
  t.equal(exportsRunning(), 0, 'every thread ended');
});

t.test('a stop half-way ends the thread; the journal stays open for the region', async (t) => {
  const dataDir = t.testdir();
  const journal = Journal.open(dataDir);
  t.teardown(() => journal.close());
  await journal.appendBatch(syntheticEntries(0, 20_000, options));
  const stream = exportStream(journal, { filter: {}, format: 'jsonl', owner: '' });
  const chunks: string[] = [];
  for await (const chunk of stream) {
    chunks.push(String(chunk));
    // The first page (the main thread's), then one of the thread's.
    if (chunks.length === 2) break;
  }
  t.match(chunks[0], /^\{"seq":1,/);
  t.match(chunks[1], new RegExp(`^\\{"seq":${FIRST_PAGE + 1},`), 'the thread went on after the first page');
  await exportsEnded();
  t.equal(exportsRunning(), 0, 'the thread ended');
  t.equal(journal.get(20_000)?.seq, 20_000, 'the region reads its journal as before');
  t.equal(await journal.accept({ ...journal.get(1)!, taskn: 1 }, Buffer.from('more')), 20_001, 'and writes it');
});

t.test('a caller gone after the first page costs no thread: it starts after those bytes go out', async (t) => {
  const dataDir = t.testdir();
  const journal = Journal.open(dataDir);
  t.teardown(() => journal.close());
  await journal.appendBatch(syntheticEntries(0, 200, options));
  const stream = exportStream(journal, { filter: {}, format: 'jsonl', owner: '' });
  const first = await new Promise<string>((resolve) => stream.once('data', (chunk) => resolve(String(chunk))));
  // The stream has asked for the next page by now; the thread waits for the next turn.
  stream.destroy();
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  t.match(first, /^\{"seq":1,/);
  t.equal(exportsRunning(), 0, 'no thread started');
});

t.test("a CSV export's header goes out on its own, before a record is read", async (t) => {
  const dataDir = t.testdir();
  const journal = Journal.open(dataDir);
  t.teardown(() => journal.close());
  await journal.appendBatch(syntheticEntries(0, 200, options));
  const stream = exportStream(journal, { filter: { state: 'SENT' }, format: 'csv', owner: 'MVSA' });
  const chunks: string[] = [];
  for await (const chunk of stream) {
    chunks.push(String(chunk));
    if (chunks.length === 2) break;
  }
  t.equal(chunks[0], csvHeader(), 'the header alone');
  t.match(chunks[1], /^1,/, 'then the first page, from the first record');
  await exportsEnded();
  t.equal(exportsRunning(), 0, 'the thread ended');
});
