// Which worker thread runs which task, in shared memory: a worker writes its thread id
// when it starts a task, at no message cost, and the dispatcher reads it only to end the
// thread of a task that loops past its time limit.
import type { Worker } from 'node:worker_threads';

const SLOTS = 65_536;

export class TaskSlots {
  /** Pairs of (task number, thread id), indexed by task number modulo SLOTS. */
  readonly buffer: SharedArrayBuffer;
  readonly #view: Int32Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(SLOTS * 2 * 4)) {
    this.buffer = buffer;
    this.#view = new Int32Array(buffer);
  }

  /** In the worker: this thread now runs task `taskn`. */
  claim(taskn: number, threadId: number): void {
    const i = (taskn % SLOTS) * 2;
    Atomics.store(this.#view, i + 1, threadId);
    Atomics.store(this.#view, i, taskn | 0);
  }

  /**
   * In the region: ends the thread running `taskn`, where it is known and still running.
   * Resolves once it has exited, so that the pool gives it no further task.
   */
  async terminate(taskn: number, threads: readonly Worker[]): Promise<boolean> {
    const i = (taskn % SLOTS) * 2;
    if (Atomics.load(this.#view, i) !== (taskn | 0)) return false;
    const threadId = Atomics.load(this.#view, i + 1);
    const thread = threads.find((t) => t.threadId === threadId);
    if (!thread) return false;
    await thread.terminate();
    return true;
  }
}
