// Work in proportion to input: the time of `work(n)` and of `work(2n)` measured in the same
// test, as a ratio (about 2 where it is linear, about 4 where it is quadratic). The verdict is
// the ratio, never a time. The sizes take turns, each run until it has taken a while, and the
// fastest round of each counts: a busy machine or a collection only ever adds time, so the
// fastest rounds are the truest. Rounds are timed in the process's CPU time, not the wall
// clock's: on a machine shared with other work, preemption only ever adds wall time, and work
// that yields to the event loop between its steps is the more exposed to it. `work` may be
// synchronous or return a promise (awaited either way).

/** The process's CPU time so far, in ms. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

async function roundMs(work: (size: number) => unknown, size: number, minMs: number): Promise<number> {
  let calls = 0;
  const start = cpuMs();
  let elapsed = 0;
  do {
    await work(size);
    calls++;
    elapsed = cpuMs() - start;
  } while (elapsed < minMs);
  return elapsed / calls;
}

async function measure(work: (size: number) => unknown, size: number, minMs: number, rounds: number) {
  let small = Infinity;
  let large = Infinity;
  for (let r = 0; r < rounds; r++) {
    small = Math.min(small, await roundMs(work, size, minMs));
    large = Math.min(large, await roundMs(work, 2 * size, minMs));
  }
  return large / small;
}

/** A ratio this low passes any test here: no second measure is needed. */
const CLEARLY_LINEAR = 2.5;
const MEASURES = 3;

/**
 * How much longer `work` takes at twice `size`, in CPU time. Where the first measure is not
 * clearly linear it is taken again, up to three times, and the lowest counts: on a machine
 * shared with other work, the larger input's rounds suffer more from the caches others
 * empty, so a linear piece of work measures 3 now and then. Quadratic work measures about 4
 * every time.
 */
export async function doublingRatio(
  work: (size: number) => unknown,
  size: number,
  minMs = 40,
  rounds = 9,
): Promise<number> {
  await work(size); // warm the JIT on the shape of the work
  await work(2 * size);
  let ratio = Infinity;
  for (let m = 0; m < MEASURES && ratio >= CLEARLY_LINEAR; m++)
    ratio = Math.min(ratio, await measure(work, size, minMs, rounds));
  return ratio;
}

/** A long String.repeat or concatenation is a rope that V8 flattens on first use: made flat before the clock runs. */
function flat<T>(value: T): T {
  return (typeof value === 'string' ? Buffer.from(value, 'utf8').toString('utf8') : value) as T;
}

/**
 * How much longer `work` takes on `make(2 * size)` than on `make(size)`, in CPU time; both
 * inputs are made (and strings flattened) before any round, so only the work is timed.
 */
export async function inputDoublingRatio<T>(
  make: (size: number) => T,
  work: (input: T) => unknown,
  size: number,
  minMs?: number,
  rounds?: number,
): Promise<number> {
  const inputs = new Map([size, 2 * size].map((n) => [n, flat(make(n))]));
  return doublingRatio((n) => work(inputs.get(n) as T), size, minMs, rounds);
}
