// What the region does with its journal behind the tasks, a transaction at a time with the
// event loop let in between, so that none holds the main thread or LMDB's write lock for
// more than a few milliseconds:
// - retention: final records past their age go (with their bytes, index keys and counts),
//   and task log entries with them, and request keys past theirs (each walked by time),
//   continuously: every pass removes all that is due, then
//   the next comes a second later, so that pruning keeps up with any rate the region
//   reaches (a pass removes tens of thousands of records a second);
// - a journal written before the indexes gets them, once (Journal.indexLegacy);
// - the cheap check of the counts and index (verify.ts), and a repair where it fails.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { systemClock, type Clock } from '../cics/clock.js';
import { TASK_KEPT } from './coverage.js';
import type { Journal } from './journal.js';
import type { KeyTime } from './request-keys.js';
import { check, verify, type VerifyReport } from './verify.js';

export interface RetentionOptions {
  /** Final records older than this go; 0: none ever does. */
  readonly retentionMs: number;
  /** Request keys taken longer ago than this go (one whose mail the spool still has stays); 0 or absent: none does. */
  readonly keyRetentionMs?: number;
  /** Between passes. */
  readonly pollMs?: number;
  /** The system's clock where not given. */
  readonly clock?: Clock;
  readonly onError?: (err: Error) => void;
}

/** Between retention passes. */
export const RETENTION_POLL_MS = 1000;

export interface PassResult {
  readonly records: number;
  readonly tasks: number;
  readonly keys: number;
}

/** Removes what is past its retention, continuously, a small transaction at a time. */
export class Retention {
  readonly #journal: Journal;
  readonly #options: RetentionOptions;
  readonly #clock: Clock;
  #timer: unknown;
  #running: Promise<unknown> | null = null;
  #stopped = false;
  /** Removed since start (the operators' view and tests). */
  records = 0;
  tasks = 0;
  keys = 0;

  constructor(journal: Journal, options: RetentionOptions) {
    this.#journal = journal;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  start(): void {
    if (this.#options.retentionMs <= 0 && (this.#options.keyRetentionMs ?? 0) <= 0) return;
    this.#schedule(0);
  }

  /** Removes everything due now: batch after batch until none is left. */
  async pass(): Promise<PassResult> {
    const now = this.#clock.now();
    const keys = await this.#pruneKeys(now);
    if (this.#options.retentionMs <= 0) {
      this.keys += keys;
      return { records: 0, tasks: 0, keys };
    }
    const before = now - this.#options.retentionMs;
    let records = 0;
    let tasks = 0;
    for (let more = true; more && !this.#stopped;) {
      const batch = await this.#journal.pruneBatch(before);
      records += batch.records;
      more = batch.more;
      if (more) await nextTurn();
    }
    for (let more = true; more && !this.#stopped;) {
      const batch = await this.#journal.tasks.pruneBatch(before);
      tasks += batch.entries;
      more = batch.more;
      if (more) await nextTurn();
    }
    // STARTs that ended go with the records of their age (at most 10,000 a pass).
    if (!this.#stopped) await this.#journal.starts.prune(before);
    this.records += records;
    this.tasks += tasks;
    this.keys += keys;
    return { records, tasks, keys };
  }

  /** Request keys past their retention, a transaction at a time; how many went. */
  async #pruneKeys(now: number): Promise<number> {
    const keyRetentionMs = this.#options.keyRetentionMs ?? 0;
    if (keyRetentionMs <= 0) return 0;
    const unfinished = (seq: number) => this.#journal.get(seq)?.nextAttemptAt != null;
    let keys = 0;
    for (let after: KeyTime | undefined; !this.#stopped;) {
      const batch = await this.#journal.keys.pruneBatch(now - keyRetentionMs, unfinished, after);
      keys += batch.keys;
      if (batch.next === null) break;
      after = batch.next;
      await nextTurn();
    }
    return keys;
  }

  /** Resolves once the pass under way, if any, is over (a test moves its clock in between). */
  async whenIdle(): Promise<void> {
    await this.#running;
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#running = this.pass()
        .catch((err: Error) => this.#options.onError?.(err))
        .finally(() => {
          this.#running = null;
          this.#schedule(this.#options.pollMs ?? RETENTION_POLL_MS);
        });
    }, delay);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    await this.#running;
  }
}

export interface UpkeepEvents {
  /** Records written before the indexes were indexed; `left`: whether any remain. */
  readonly indexed?: (left: boolean) => void;
  /** The cheap check failed, and verify repaired (its report). */
  readonly repaired?: (detail: string, report: VerifyReport) => void;
}

/**
 * Indexes what was written before the indexes (a batch a transaction), then checks the
 * counts and index and repairs them where the check fails. `stopped` ends it between batches.
 */
export async function bringUpToDate(journal: Journal, events: UpkeepEvents, stopped: () => boolean): Promise<void> {
  if (journal.unindexed() || journal.unindexed(TASK_KEPT)) {
    for (let left = true; left && !stopped();) {
      left = await journal.indexLegacy();
      events.indexed?.(left);
      await nextTurn();
    }
    if (stopped()) return;
  }
  const quick = check(journal);
  if (quick.ok) return;
  const report = await verify(journal, { repair: true });
  events.repaired?.(quick.detail, report);
}
