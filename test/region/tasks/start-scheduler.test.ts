// The STARTs' timer over a real journal on disk, on a clock the test moves, with a run of the
// test's own: how a TIME is reckoned, how many run at once, a run that throws, the journal's
// work for twice the STARTs (counted, not timed), and paging through those waiting.
import FakeTimers from '@sinonjs/fake-timers';
import t, { type Test } from 'tap';
import type { Clock } from '../../../cics/clock.js';
import { Journal } from '../../../journal/journal.js';
import type { StartEnd, StartRequest } from '../../../journal/starts.js';
import { dueAt, TIME_EXPIRED_MS } from '../../../region/tasks/start-request.js';
import { StartScheduler } from '../../../region/tasks/start-scheduler.js';
import { doubling, doublingText, LINEAR_RATIO } from '../../helpers/doubling.js';
import { freshDir } from '../../helpers/test-like.js';

const T0 = Date.parse('2026-12-01T09:00:00Z');
const REQUEST: StartRequest = {
  tranid: 'MAIL',
  userid: 'U',
  jobname: '',
  ccsid: 37,
  remote: '127.0.0.1',
  commarea: { form: 'bytes', bytes: new Uint8Array([0xc1, 0xc2]) },
  containers: [],
};
const ENDED: StartEnd = { taskn: 1, outcome: { kind: 'normal', rc: 0 }, journalSeqs: [] };

t.test('dueAt: INTERVAL from now; TIME the next such time of day, or now where at most six hours past', async (t) => {
  const now = new Date(2026, 11, 1, 9, 30, 15).getTime();
  const local = (d: number, h: number, m: number, s: number) => new Date(2026, 11, d, h, m, s).getTime();
  t.equal(dueAt({ kind: 'interval', hhmmss: '0' }, now), now);
  t.equal(dueAt({ kind: 'interval', hhmmss: '130' }, now), now + 90_000, 'digits left out are leading zeros');
  t.equal(dueAt({ kind: 'interval', hhmmss: '990000' }, now), now + 99 * 3600_000);
  t.equal(dueAt({ kind: 'time', hhmmss: '093016' }, now), local(1, 9, 30, 16));
  t.equal(dueAt({ kind: 'time', hhmmss: '093015' }, now), now, 'now is now');
  t.equal(dueAt({ kind: 'time', hhmmss: '033015' }, now), now, 'six hours past exactly: at once');
  t.equal(dueAt({ kind: 'time', hhmmss: '033014' }, now), local(2, 3, 30, 14), 'a second more: tomorrow');
  t.equal(dueAt({ kind: 'time', hhmmss: '0' }, now), local(2, 0, 0, 0), 'midnight, long past: the next one');
  t.equal(TIME_EXPIRED_MS, 6 * 3600_000);
});

async function onAClock(t: Test, run: (reqid: string) => Promise<StartEnd>, concurrency = 2) {
  const fake = FakeTimers.createClock(T0);
  const clock: Clock = {
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
    clearTimeout: (id) => fake.clearTimeout(id as never),
  };
  const journal = Journal.open(t.testdir(), { now: () => fake.now });
  const errors: string[] = [];
  const scheduler = new StartScheduler({
    starts: journal.starts,
    clock,
    run: (entry) => run(entry.reqid),
    concurrency,
    pollMs: 60_000,
    onError: (reqid, err) => errors.push(`${reqid}: ${err.message}`),
  });
  t.teardown(async () => {
    await scheduler.stop();
    await journal.close();
  });
  const add = async (inMs: number, reqid?: string) => {
    const entry = await journal.starts.add(REQUEST, fake.now + inMs, new Date(fake.now), reqid);
    if (entry === 'in use') throw new Error('in use');
    scheduler.added(entry);
    return entry;
  };
  const advance = async (ms: number) => {
    await fake.tickAsync(ms);
    await scheduler.whenIdle();
  };
  return { journal, scheduler, add, advance, errors, fake };
}

t.test('at most `concurrency` run at once; a run that throws ends its START ASRA, the others run', async (t) => {
  let running = 0;
  let most = 0;
  const order: string[] = [];
  const { journal, scheduler, add, advance, errors } = await onAClock(t, async (reqid) => {
    running++;
    most = Math.max(most, running);
    order.push(reqid);
    await new Promise((resolve) => setImmediate(resolve));
    running--;
    if (reqid === 'BAD') throw new Error('a bug');
    return ENDED;
  });
  await scheduler.start();
  for (const [ms, id] of [
    [3000, 'C'],
    [1000, 'A'],
    [2000, 'BAD'],
    [1000, 'B'],
    [5000, 'D'],
    [4000, 'E'],
  ] as const)
    await add(ms, id);
  await advance(4000);
  t.same(order, ['A', 'B', 'BAD', 'C', 'E'], 'earliest due first; D not yet');
  t.equal(most, 2);
  t.match(journal.starts.get('BAD'), { state: 'RAN', outcome: { kind: 'failed', resp: 'INVREQ', abcode: 'ASRA' } });
  t.same(errors, ['BAD: a bug']);
  t.equal(journal.starts.get('D')?.state, 'WAITING');
  await advance(1000);
  t.equal(journal.starts.get('D')?.state, 'RAN');
  t.equal(scheduler.ran, 6);
});

t.test('twice the STARTs due together, about twice the journal reads', async (t) => {
  const counted = async (n: number) => {
    const { journal, scheduler, add, advance } = await onAClock(t, async () => ENDED, 4);
    await scheduler.start();
    for (let i = 0; i < n; i++) await add(1000 + (i % 7));
    // Every read of the STARTs' databases the timer makes, by the keys it visits.
    let reads = 0;
    const starts = journal.starts;
    for (const name of ['due', 'waiting', 'get'] as const) {
      const original = starts[name].bind(starts) as (...args: unknown[]) => unknown;
      (starts as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => {
        const out = original(...args);
        reads += Array.isArray(out) ? out.length + 1 : 1;
        return out;
      };
    }
    await advance(2000);
    t.equal(scheduler.ran, n);
    return reads;
  };
  const small = await counted(200);
  const large = await counted(400);
  const ratio = large / small;
  t.ok(ratio > 1.5 && ratio < 2.5, `reads: ${small} for 200, ${large} for 400 (x${ratio.toFixed(2)})`);
});

t.test('paging through those waiting, and a REQID made for each', async (t) => {
  const { journal, add } = await onAClock(t, async () => ENDED);
  const made = [];
  for (let i = 0; i < 5; i++) made.push((await add(1000 * (5 - i))).reqid);
  t.same(made, ['S0000001', 'S0000002', 'S0000003', 'S0000004', 'S0000005']);
  // A REQID a caller chose that the count reaches next is skipped while it waits.
  await add(10, 'S0000006');
  t.equal((await add(20)).reqid, 'S0000007');
  const first = journal.starts.waiting(3);
  t.same(
    first.map((e) => e.reqid),
    ['S0000006', 'S0000007', 'S0000005'],
  );
  const last = first.at(-1) as { dueAt: number; reqid: string };
  t.same(
    journal.starts.waiting(10, last).map((e) => e.reqid),
    ['S0000004', 'S0000003', 'S0000002', 'S0000001'],
  );
  t.same(
    journal.starts.all(3, 'S0000002').map((e) => e.reqid),
    ['S0000003', 'S0000004', 'S0000005'],
  );
  t.equal(journal.starts.waitingCount(), 7);
});

t.test('pruning: STARTs that ended before the cut-off go; those that wait stay', async (t) => {
  const { journal, add, fake } = await onAClock(t, async () => ENDED);
  await add(1000, 'OLD');
  await add(1000, 'WAITS');
  await journal.starts.cancel('OLD', 'OPER', new Date(fake.now));
  t.equal(await journal.starts.prune(fake.now), 0, 'ended at the cut-off: kept');
  t.equal(await journal.starts.prune(fake.now + 1), 1);
  t.same(
    journal.starts.all(10).map((e) => [e.reqid, e.state]),
    [['WAITS', 'WAITING']],
  );
});

t.test('the scan at start and pruning: twice the STARTs on record, about twice the time', async (t) => {
  const journals: Journal[] = [];
  t.teardown(() => Promise.all(journals.map((j) => j.close())));
  // n STARTs, half of them ended: the scans read every one, whatever its state. Large enough
  // that the reading, not the commit's flush, is most of a run's time.
  const make = async (n: number) => {
    const journal = Journal.open(freshDir(t));
    journals.push(journal);
    const added = await Promise.all(
      Array.from({ length: n }, (_, i) => journal.starts.add(REQUEST, T0 + i, new Date(T0))),
    );
    await Promise.all(
      added.slice(0, n / 2).map((e) => journal.starts.cancel((e as { reqid: string }).reqid, 'OPER', new Date(T0))),
    );
    return journal;
  };
  for (const [name, scan] of [
    ['interrupted', (j: Journal) => j.starts.interrupted(new Date(T0))],
    // A cut-off before every end: nothing goes, every START is read.
    ['prune', (j: Journal) => j.starts.prune(T0 - 1)],
  ] as const) {
    const d = await doubling(make, async (input) => scan(await input), {
      n: 2000,
      minMs: 150,
      maxN: 16_000,
      rounds: 5,
    });
    t.ok(d.ratio < LINEAR_RATIO, `${name}: ${doublingText(d)}`);
  }
});
