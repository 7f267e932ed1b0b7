// Work in proportion to input, measured: the time of a piece of work on an input and on
// the same input doubled, within one test, so the machine's speed (shared, busy) cancels
// out. Linear work doubles; quadratic work quadruples. Never a wall-clock threshold.
// Each time is the best of several runs taken in turn, so that a pause of the machine (a
// busy one, shared) falls on both sizes alike, and the one run that no other process
// interrupted counts. The heap is collected before each run, so that one run does not
// pay for the garbage of another. Time on the clock, not the process's CPU time: that
// counts the heap's helper threads too, which sweep after one run into the next.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

export interface Doubling {
  /** The size of the smaller input, once grown to take long enough to time. */
  readonly n: number;
  /** Best time on the input of size n and of size 2n, in milliseconds. */
  readonly small: number;
  readonly large: number;
  /** large / small: about 2 where the work grows in proportion. */
  readonly ratio: number;
}

/** Below this a verdict on the ratio says "linear"; a quadratic cost gives 4. */
export const LINEAR_RATIO = 3;

export interface DoublingOptions {
  /** The smallest input to try. */
  readonly n: number;
  /** The input is doubled until a run takes this long (ms): below it, the heap's and the scheduler's steps are most of the time. */
  readonly minMs?: number;
  /** Runs of each size; the best counts. */
  readonly rounds?: number;
  /** Measurements at most, where the ratio comes out too high. */
  readonly attempts?: number;
  /** The input is never grown past this. */
  readonly maxN?: number;
}

async function timeMs(work: () => unknown): Promise<number> {
  collect();
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

async function measure<T>(
  make: (n: number) => T,
  run: (input: T) => unknown,
  n: number,
  rounds: number,
): Promise<Doubling> {
  const inputs = [make(n), make(2 * n)] as const;
  const best = [Infinity, Infinity];
  for (let r = 0; r < rounds; r++) {
    for (const k of [0, 1] as const) best[k] = Math.min(best[k] as number, await timeMs(() => run(inputs[k])));
  }
  const [small, large] = best as [number, number];
  return { n, small, large, ratio: large / small };
}

/**
 * The time `run` takes (and the promise it returns, where it returns one) on `make(n)` and on `make(2 * n)`, the best of `rounds` runs
 * each. The input grows (n doubled) until a run takes `minMs`; those first runs also have
 * the JIT compile the code before it is timed. Inputs are made before the clock starts.
 * Where the ratio comes out at LINEAR_RATIO or more it is measured again, up to
 * `attempts` times in all, and the best kept: a busy machine may spoil a measurement,
 * work that grows faster than its input spoils every one.
 */
export async function doubling<T>(
  make: (n: number) => T,
  run: (input: T) => unknown,
  options: DoublingOptions,
): Promise<Doubling> {
  const { minMs = 25, rounds = 7, attempts = 3 } = options;
  const maxN = options.maxN ?? options.n * 256;
  let n = options.n;
  for (;;) {
    const input = make(n);
    await run(input);
    // The best of three: one slow run must not stop the input growing.
    const ms = Math.min(await timeMs(() => run(input)), await timeMs(() => run(input)), await timeMs(() => run(input)));
    if (ms >= minMs || 2 * n > maxN) break;
    n *= 2;
  }
  let best = await measure(make, run, n, rounds);
  for (let attempt = 1; attempt < attempts && best.ratio >= LINEAR_RATIO; attempt++) {
    const again = await measure(make, run, n, rounds);
    if (again.ratio < best.ratio) best = again;
  }
  return best;
}

/** The figures as a test names them: `n=10,000: 12.3 ms -> 24.1 ms (x1.96)`. */
export const doublingText = ({ n, small, large, ratio }: Doubling) =>
  `n=${n.toLocaleString('en-US')}: ${small.toFixed(1)} ms -> ${large.toFixed(1)} ms (x${ratio.toFixed(2)})`;
