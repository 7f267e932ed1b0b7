// Work in proportion to input, measured: the cost of a piece of work on an input and on the
// same input doubled, within one test, so that the machine's speed (shared, busy) cancels
// out. Linear work doubles; quadratic work quadruples. The verdict is the ratio, never a time.
// The one measure every doubling test uses:
// - CPU time, not the wall clock's: on a machine shared with other work, preemption only
//   ever adds wall time, and work that awaits between its steps is the more exposed to it.
//   The CPU time of the thread that runs the test (Linux's /proc/thread-self/schedstat, in
//   nanoseconds), not of the whole process: the heap's helper threads mark and sweep
//   concurrently, more for a larger heap and after one round into the next, and counted they
//   made linear record parsing measure 3.5 (48 ms to 170 ms for 256,000 one-byte records).
//   Work handed to other threads (a worker pool, the libuv pool) is not counted; where
//   /proc is not there, the process's CPU time is the measure. The heap is collected before
//   each round, so that one round does not pay for another's garbage.
// - Rounds: each size runs until it has taken `minMs` of CPU (a call or many), the sizes
//   take turns, and the fastest round of each counts: a pause only ever adds time.
// - The input grows (n doubled, up to `maxN`) until one call takes `minMs`, so that fixed
//   costs do not hide how the work grows; those first calls also have the JIT compile it.
// - A ratio that looks too high (2.5 or more) is measured again, up to `attempts` times in
//   all, the lowest counting: another process emptying the caches can spoil a measure, but
//   work that grows faster than its input spoils every one (about 4 each time).
// Inputs are made, and long strings flattened, before the clock runs.
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

export interface Doubling {
  /** The size of the smaller input, once grown to take long enough to time. */
  readonly n: number;
  /** Best CPU time a call on the input of size n and of size 2n, in milliseconds. */
  readonly small: number;
  readonly large: number;
  /** large / small: about 2 where the work grows in proportion. */
  readonly ratio: number;
}

/** Below this a verdict on the ratio says "linear"; a quadratic cost gives 4. */
export const LINEAR_RATIO = 3;
/** A ratio this low passes any test here: it is not measured again. */
const CLEARLY_LINEAR = 2.5;

export interface DoublingOptions {
  /** The size of the smallest input to try. */
  readonly n: number;
  /** The smaller input never grows past this (the default: 256 times n; n itself: no growth). */
  readonly maxN?: number;
  /** A round runs calls until it has taken this much CPU time, and the input grows until one call does. */
  readonly minMs?: number;
  /** Rounds of each size; the fastest counts. */
  readonly rounds?: number;
  /** Measures at most, where the ratio comes out too high. */
  readonly attempts?: number;
}

const SCHEDSTAT = '/proc/thread-self/schedstat';
const hasSchedstat = (() => {
  try {
    return Number.isFinite(Number(readFileSync(SCHEDSTAT, 'latin1').split(' ')[0]));
  } catch {
    return false;
  }
})();

/** This thread's CPU time so far, in ms (the process's, where the system does not tell a thread's). */
function cpuMs(): number {
  if (hasSchedstat) return Number(readFileSync(SCHEDSTAT, 'latin1').split(' ')[0]) / 1e6;
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** CPU time a call of `run(input)`, over a round of at least `minMs`. */
async function roundMs<T>(run: (input: T) => unknown, input: T, minMs: number): Promise<number> {
  collect();
  let calls = 0;
  const start = cpuMs();
  let elapsed = 0;
  do {
    await run(input);
    calls++;
    elapsed = cpuMs() - start;
  } while (elapsed < minMs);
  return elapsed / calls;
}

/** A long String.repeat or concatenation is a rope that V8 flattens on first use: flattened before the clock runs. */
function flat<T>(value: T): T {
  return (typeof value === 'string' ? Buffer.from(value, 'utf8').toString('utf8') : value) as T;
}

async function measure<T>(
  inputs: readonly [T, T],
  run: (input: T) => unknown,
  n: number,
  options: Required<DoublingOptions>,
) {
  let small = Infinity;
  let large = Infinity;
  for (let r = 0; r < options.rounds; r++) {
    small = Math.min(small, await roundMs(run, inputs[0], options.minMs));
    large = Math.min(large, await roundMs(run, inputs[1], options.minMs));
  }
  return { n, small, large, ratio: large / small };
}

/**
 * The CPU time `run` takes (and the promise it returns, where it returns one) on `make(n)`
 * and on `make(2 * n)`, as above.
 */
export async function doubling<T>(
  make: (n: number) => T,
  run: (input: T) => unknown,
  options: DoublingOptions,
): Promise<Doubling> {
  const settled: Required<DoublingOptions> = { maxN: options.n * 256, minMs: 20, rounds: 7, attempts: 3, ...options };
  let n = settled.n;
  for (;;) {
    const input = flat(make(n));
    await run(input);
    if (2 * n > settled.maxN) break;
    // The best of three: one slow call must not stop the input growing.
    const once = async () => {
      const start = cpuMs();
      await run(input);
      return cpuMs() - start;
    };
    if (Math.min(await once(), await once(), await once()) >= settled.minMs) break;
    n *= 2;
  }
  const inputs = [flat(make(n)), flat(make(2 * n))] as const;
  await run(inputs[1]); // the larger shape compiled too
  let best = await measure(inputs, run, n, settled);
  for (let attempt = 1; attempt < settled.attempts && best.ratio >= CLEARLY_LINEAR; attempt++) {
    const again = await measure(inputs, run, n, settled);
    if (again.ratio < best.ratio) best = again;
  }
  return best;
}

/** The figures as a test names them: `n=10,000: 12.3 ms -> 24.1 ms (x1.96)`. */
export const doublingText = ({ n, small, large, ratio }: Doubling) =>
  `n=${n.toLocaleString('en-US')}: ${small.toFixed(2)} ms -> ${large.toFixed(2)} ms (x${ratio.toFixed(2)})`;
