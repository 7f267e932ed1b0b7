// Exports in a thread of their own (journal/export-thread.ts): the same lines as read on
// the main thread, the main thread turning meanwhile, a stop half-way that ends the thread
// and leaves the journal open for the region, and a journal that cannot be opened.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import t from 'tap';
import { sampleMessage, syntheticEntries } from '../../bench/journal-records.js';
import { csvHeader, exportLines } from '../../journal/export.js';
import { exportsRunning, exportStream } from '../../journal/export-thread.js';
import { Journal } from '../../journal/journal.js';
import { eachRecord, type RecordFilter } from '../../journal/query.js';

const options = { start: Date.parse('2026-11-01T00:00:00Z'), stepMs: 1000, message: sampleMessage(300) };

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

async function whenNoExport(): Promise<void> {
  for (let i = 0; i < 10_000 && exportsRunning() > 0; i++) await nextTurn();
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
    for await (const r of eachRecord(journal, filter as RecordFilter)) want.push(r);
    let turns = 0;
    let reading = true;
    const spin = () => {
      turns++;
      if (reading) setImmediate(spin);
    };
    setImmediate(spin);
    const got = await text(exportStream({ dataDir, filter, format, owner: 'MVSA' })).finally(() => (reading = false));
    t.equal(
      got,
      (format === 'csv' ? csvHeader() : '') + exportLines(want, format, 'MVSA'),
      `${format} ${JSON.stringify(filter)}`,
    );
    if (want.length > 5000) t.ok(turns > 20, `the event loop turned ${turns} times meanwhile`);
  }
  await whenNoExport();
  t.equal(exportsRunning(), 0, 'every thread ended');
});

t.test('a stop half-way ends the thread; the journal stays open for the region', async (t) => {
  const dataDir = t.testdir();
  const journal = Journal.open(dataDir);
  t.teardown(() => journal.close());
  await journal.appendBatch(syntheticEntries(0, 20_000, options));
  const stream = exportStream({ dataDir, filter: {}, format: 'jsonl', owner: '' });
  const first = await new Promise<string>((resolve) => stream.once('data', (c) => resolve(String(c))));
  t.match(first, /^\{"seq":1,/);
  stream.destroy();
  await whenNoExport();
  t.equal(exportsRunning(), 0, 'the thread ended');
  t.equal(journal.get(20_000)?.seq, 20_000, 'the region reads its journal as before');
  t.equal(await journal.accept({ ...journal.get(1)!, taskn: 1 }, Buffer.from('more')), 20_001, 'and writes it');
});

t.test('a journal that cannot be opened: the stream fails with the reason', async (t) => {
  const dataDir = t.testdir();
  writeFileSync(join(dataDir, 'journal'), 'a file, not a folder');
  await t.rejects(text(exportStream({ dataDir, filter: {}, format: 'csv', owner: '' })), {
    message: /^the export failed: cannot open the journal at /,
  });
  await whenNoExport();
  t.equal(exportsRunning(), 0);
});
