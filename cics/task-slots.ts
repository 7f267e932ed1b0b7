// Which worker thread runs which task, in shared memory: the dispatcher opens a slot when
// it queues a task, a worker claims it when it starts the task (no message, no wait), and
// the dispatcher stops a task past its hard limit: cancelled where no worker took it yet,
// its thread ended where it runs and does not yield. A worker notes when it took the task:
// the hard limit counts from then, as the task's own time limit does, so a task that a busy
// worker took late is not taken for a runaway. A task that journals a mail says so here, and
// while it waits on the relay or the disk its worker notes now and then that its thread still
// yields: the hard stop waits for such a task (its mail is the retry spool's from then on, and
// a thread ended mid-session could leave a mail delivered but on record as not sent).
import type { Worker } from 'node:worker_threads';

const SLOTS = 65_536;
/** How often a committed task's worker notes that its thread yields (beat). */
export const BEAT_MS = 200;
/**
 * A note older than this says the thread hangs: five beats, so that a worker busy with other
 * tasks (a loaded machine) is not taken for one that hangs.
 */
export const BEAT_STALE_MS = 5 * BEAT_MS;
const PENDING = 0;
const CANCELLED = -1;

export type StopOutcome = 'cancelled' | 'ended' | 'unknown';

export class TaskSlots {
  /**
   * Pairs of (task number, PENDING | CANCELLED | thread id), by task number modulo SLOTS,
   * then the time (ms since the epoch) each was taken.
   */
  readonly buffer: SharedArrayBuffer;
  readonly #view: Int32Array;
  readonly #takenAt: BigInt64Array;
  /** When a committed task's thread last showed that it yields (ms since the epoch); 0: not committed. */
  readonly #beat: BigInt64Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(SLOTS * 2 * 4 + SLOTS * 8 * 2)) {
    this.buffer = buffer;
    this.#view = new Int32Array(buffer, 0, SLOTS * 2);
    this.#takenAt = new BigInt64Array(buffer, SLOTS * 2 * 4, SLOTS);
    this.#beat = new BigInt64Array(buffer, SLOTS * 2 * 4 + SLOTS * 8, SLOTS);
  }

  /** In the region, before the task is queued. */
  open(taskn: number): void {
    const i = (taskn % SLOTS) * 2;
    Atomics.store(this.#beat, taskn % SLOTS, 0n);
    Atomics.store(this.#view, i + 1, PENDING);
    Atomics.store(this.#view, i, taskn | 0);
  }

  /**
   * In the worker: the task journals a mail (or has), and its thread yields at `now`. Called
   * at the commit and then now and then while the task runs on.
   */
  beat(taskn: number, now = Date.now()): void {
    if (Atomics.load(this.#view, (taskn % SLOTS) * 2) !== (taskn | 0)) return;
    Atomics.store(this.#beat, taskn % SLOTS, BigInt(Math.max(1, now)));
  }

  /** In the region: when the committed task's thread last yielded, or undefined where it has not committed. */
  lastBeat(taskn: number): number | undefined {
    if (Atomics.load(this.#view, (taskn % SLOTS) * 2) !== (taskn | 0)) return undefined;
    const beat = Number(Atomics.load(this.#beat, taskn % SLOTS));
    return beat === 0 ? undefined : beat;
  }

  /** In the worker: claims the task for this thread; false where it was cancelled. */
  claim(taskn: number, threadId: number, now = Date.now()): boolean {
    const i = (taskn % SLOTS) * 2;
    // A slot reused by a newer task (65,536 later) cannot be cancelled: run it.
    if (Atomics.load(this.#view, i) !== (taskn | 0)) return true;
    // Before the claim, so that whoever sees the claim sees the time too.
    Atomics.store(this.#takenAt, taskn % SLOTS, BigInt(now));
    return Atomics.compareExchange(this.#view, i + 1, PENDING, threadId) !== CANCELLED;
  }

  /**
   * In the worker: the task's program is loaded and its time limit starts now. Loading is the
   * region's cost, not the task's (a thread's first task of a program, or one after NEWCOPY).
   */
  started(taskn: number, now = Date.now()): void {
    if (Atomics.load(this.#view, (taskn % SLOTS) * 2) !== (taskn | 0)) return;
    Atomics.store(this.#takenAt, taskn % SLOTS, BigInt(now));
  }

  /** In the region: when a worker took the task (its limit counts from then), or undefined where none has (or the slot is another's). */
  takenAt(taskn: number): number | undefined {
    const i = (taskn % SLOTS) * 2;
    if (Atomics.load(this.#view, i) !== (taskn | 0)) return undefined;
    const owner = Atomics.load(this.#view, i + 1);
    return owner === PENDING || owner === CANCELLED ? undefined : Number(Atomics.load(this.#takenAt, taskn % SLOTS));
  }

  /**
   * In the region, past the hard limit: cancels a task no worker took yet, or ends the
   * thread that runs it (resolving once it has exited, so the pool gives it no more work).
   */
  async stop(taskn: number, threads: readonly Worker[]): Promise<StopOutcome> {
    const i = (taskn % SLOTS) * 2;
    if (Atomics.load(this.#view, i) !== (taskn | 0)) return 'unknown';
    const owner = Atomics.compareExchange(this.#view, i + 1, PENDING, CANCELLED);
    if (owner === PENDING || owner === CANCELLED) return 'cancelled';
    const thread = threads.find((t) => t.threadId === owner);
    if (!thread) return 'unknown';
    await thread.terminate();
    return 'ended';
  }
}
