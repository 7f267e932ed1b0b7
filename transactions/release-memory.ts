// After a task that carried megabytes, one full garbage collection, so that its buffers
// go back to the system now. Left to V8's own heuristics, dead buffers of up to ~64 MB a
// thread linger until the next major collection: a region sending 10 MB attachments one
// after another grew by ~150 MB more than it needed. Node offers gc() only behind
// --expose-gc, which the worker's entry turns on for its thread (transactions/worker.ts).

/** A task whose input came to this many bytes or more is followed by a collection. */
export const LARGE_TASK_BYTES = 4 * 1_048_576;

export class MemoryRelease {
  readonly #gc: () => void;
  #scheduled = false;

  constructor(gc: () => void) {
    this.#gc = gc;
  }

  /** Schedules one full collection after the current task has answered; tasks ending together share it. */
  afterTask(bytes: number): void {
    if (bytes < LARGE_TASK_BYTES || this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#gc();
    });
  }
}
