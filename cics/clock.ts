// Time, as the parts that act on it read it: the system's clock in the region, one a test
// moves by hand (@sinonjs/fake-timers' createClock() fits) where a verdict would otherwise
// wait on the wall clock. Only the parts whose behaviour is about time take one.

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(timer: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    // A timer of the clock never holds a process open on its own.
    timer.unref();
    return timer;
  },
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};
