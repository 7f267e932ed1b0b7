// The journal at scale, small form (the large one is `npm run scale`): a journal of 50,000
// records built through the journal's own batch writes, then 100,000 (the second half
// written through the running region's journal), each measured through the region. Each
// operator call (stats, CEMT INQUIRE SYSTEM, /metrics, every filter's first page and a
// deep page, a record and its bytes, its task, an export's first bytes, a prune batch) is
// counted in LMDB entries read: a call costs the same at 100,000 records as at 50,000
// (within a few reads of the search by halves of a time range), and no call reads more
// than a page's budget. Counted, not timed: the verdict does not hang on the machine.
import t, { type Test } from 'tap';
import { OPERATOR_CALLS, type JournalShape } from '../../bench/journal-calls.js';
import { sampleMessage, syntheticEntries, syntheticTask } from '../../bench/journal-records.js';
import { Journal } from '../../journal/journal.js';
import { PAGE_BUDGET } from '../../journal/query.js';
import { startRegion, type TestRegion } from '../helpers/region.js';
import { freshDir } from '../helpers/test-like.js';

const START = Date.parse('2026-09-01T00:00:00Z');
/** Two and a half a minute: 100,000 records span four weeks. */
const STEP_MS = 24_000;
const message = sampleMessage(600);
// Every record final: the retry spool has nothing to do while the calls are counted.
const options = { start: START, stepMs: STEP_MS, message, finalBefore: Infinity };

/** Appends records `from` + 1 to `to` and the tasks of the last few, through the journal's batch writes. */
async function build(journal: Journal, from: number, to: number): Promise<void> {
  for (let i = from; i < to; i += 2000) await journal.appendBatch(syntheticEntries(i, Math.min(2000, to - i), options));
  // The tasks of the last few records, for the console's task view.
  for (let seq = to - 4; seq <= to; seq++) await journal.tasks.add(syntheticTask(seq, START + (seq - 1) * STEP_MS));
  await journal.tasks.flush();
}

/** LMDB entries each call reads in the region, and a prune batch's. */
async function measure(t: Test, region: TestRegion, n: number, held: number): Promise<Map<string, number>> {
  const journal = region.journal();
  const shape: JournalShape = { records: n, start: START, stepMs: STEP_MS, deep: 40_000 };
  const reads = new Map<string, number>();
  for (const call of OPERATOR_CALLS) {
    const path = call.path(shape);
    const before = journal.reads;
    const res = await region.fetch(path);
    t.equal(res.status, 200, `${call.name}: ${path}`);
    if (call.firstBytes) {
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const first = await reader.read();
      reads.set(call.name, journal.reads - before);
      t.match(Buffer.from(first.value ?? []).toString(), /^\ufeffseq,/);
      await reader.cancel();
      continue;
    }
    const body = await res.arrayBuffer();
    reads.set(call.name, journal.reads - before);
    if (call.name === 'stats') t.match(JSON.parse(Buffer.from(body).toString()), { records: held });
  }
  const before = journal.reads;
  const pruned = await journal.pruneBatch(START + 2000 * STEP_MS, 200);
  t.equal(pruned.records, 200);
  reads.set('prune batch of 200', journal.reads - before);
  return reads;
}

t.test('each operator call reads about as much at 100,000 records as at 50,000', async (t) => {
  const dir = freshDir(t);
  const figures: Map<string, number>[] = [];
  // The first half written before the region starts (its start check reads it), the second
  // through the running region's own journal: one region start, not two.
  const first = Journal.open(dir);
  await build(first, 0, 50_000);
  await first.close();
  const region = await startRegion(t, { CICSMAIL_DATA: dir, CICSMAIL_RETENTION_DAYS: '0' });
  await region.app.upkeep;
  figures.push(await measure(t, region, 50_000, 50_000));
  await build(region.journal(), 50_000, 100_000);
  // The first round's prune batch took 200.
  figures.push(await measure(t, region, 100_000, 100_000 - 200));
  const [small, large] = figures as [Map<string, number>, Map<string, number>];
  for (const call of [...OPERATOR_CALLS, { name: 'prune batch of 200' }]) {
    const [at50, at100] = [small.get(call.name) as number, large.get(call.name) as number];
    const figures = `${at50} reads at 50,000, ${at100} at 100,000`;
    // A search by halves reads one more entry where the journal doubles; a filter's choice of index a few.
    if (!('bounded' in call && call.bounded)) t.ok(at100 <= at50 * 1.1 + 16, `${call.name}: ${figures}`);
    t.ok(at100 <= PAGE_BUDGET + 2 * 500, `${call.name}: ${figures}, within a page's budget`);
  }
});
