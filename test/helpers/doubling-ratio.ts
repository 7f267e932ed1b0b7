// Work in proportion to input: the time of a piece of work at size n and at 2n, measured in
// the same test, as a ratio (about 2 where it is linear, about 4 where it is quadratic). The
// verdict is the ratio, never a time. The two sizes take turns, each run until it has taken a
// while, and the fastest round of each counts: a busy machine or a collection only ever adds
// time, so the fastest rounds are the truest.

/** The time per call of `work(size)` over one round of at least `roundMs`. */
function roundMs(work: (size: number) => unknown, size: number, minMs: number): number {
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    work(size);
    calls++;
    elapsed = performance.now() - start;
  } while (elapsed < minMs);
  return elapsed / calls;
}

/**
 * How much longer `work` takes at twice `size`. A ratio of 3 or more is measured again, up to
 * three times, and the lowest counts: a machine busy with other work can slow one size's
 * rounds throughout, but not every measurement the same way; quadratic work stays near 4.
 */
export function doublingRatio(work: (size: number) => unknown, size: number, minMs = 25, rounds = 9): number {
  work(size); // warm the JIT on the shape of the work
  work(2 * size);
  let best = Infinity;
  for (let attempt = 0; attempt < 3 && best >= 3; attempt++) {
    let small = Infinity;
    let large = Infinity;
    for (let r = 0; r < rounds; r++) {
      small = Math.min(small, roundMs(work, size, minMs));
      large = Math.min(large, roundMs(work, 2 * size, minMs));
    }
    best = Math.min(best, large / small);
  }
  return best;
}
