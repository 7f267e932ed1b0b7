// The retry spool: delivers what the journal holds and has not finished, when it falls
// due: DEFERRED mail on the retry schedule, and mail left ACCEPTED by a task that died
// (a crash, a drain cut short). It sends only to the recipients still pending, with the
// journaled bytes, so every retry carries the same Message-ID. It runs in the region's
// main thread with connections of its own, so a backlog drains without taking the
// workers' connections from new mail.
import { systemClock, type Clock } from '../cics/clock.js';
import { attemptOf, type DeliveryReport } from './attempt.js';
import type { Journal } from './journal.js';

/**
 * Sends the journaled bytes to the given recipients and says what became of them (a relay
 * client's send). `mail` names the record, so that every attempt goes from the same return
 * path (a region with a bounce address: the mail's own VERP, whoever sends it).
 */
export type Send = (
  from: string,
  to: readonly string[],
  message: Uint8Array,
  mail: { readonly seq: number; readonly sysid?: string | undefined },
) => Promise<DeliveryReport>;

export interface SpoolOptions {
  readonly journal: Journal;
  readonly send: Send;
  /** Mails under way at once. */
  readonly concurrency: number;
  /** How often to look for due records when nothing is known to be due sooner. */
  readonly pollMs: number;
  /** How long a record is held while the spool tries it (it is due again after, if the try says nothing). */
  readonly holdMs: number;
  readonly onError?: (seq: number, err: Error) => void;
  /** The system's clock where not given. */
  readonly clock?: Clock;
}

export class RetrySpool {
  readonly #options: SpoolOptions;
  readonly #inflight = new Set<number>();
  readonly #clock: Clock;
  #timer: unknown;
  #running: Promise<void> | null = null;
  #stopped = false;
  /** Attempts made since start (for tests and the operators' view). */
  attempts = 0;

  constructor(options: SpoolOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  start(): void {
    this.#schedule(0);
  }

  /** Resolves once the round under way, if any, is over (a test moves its clock in between). */
  async whenIdle(): Promise<void> {
    await this.#running;
  }

  /** Look now (e.g. after recovery at start). */
  wake(): void {
    this.#schedule(0);
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => {
      this.#running ??= this.#round()
        .catch((err: Error) => {
          // The journal could not be read (e.g. the disk): look again later.
          this.#options.onError?.(0, err);
          this.#schedule(this.#options.pollMs);
        })
        .finally(() => {
          this.#running = null;
        });
    }, delay);
  }

  /** Delivers every record due now, `concurrency` at a time, earliest first. */
  async #round(): Promise<void> {
    const { journal, concurrency, pollMs } = this.#options;
    for (;;) {
      if (this.#stopped) return;
      const due = journal.due(this.#clock.now(), concurrency * 4).filter((seq) => !this.#inflight.has(seq));
      if (due.length === 0) break;
      const queue = [...due];
      const lanes = Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let seq = queue.shift(); seq !== undefined && !this.#stopped; seq = queue.shift())
          await this.#attempt(seq);
      });
      await Promise.all(lanes);
      // Let HTTP and timers in between batches of a long backlog.
      await new Promise((resolve) => setImmediate(resolve));
    }
    const next = journal.nextDue();
    this.#schedule(next === null ? pollMs : Math.max(0, Math.min(pollMs, next - this.#clock.now())));
  }

  async #attempt(seq: number): Promise<void> {
    const { journal, send, holdMs } = this.#options;
    this.#inflight.add(seq);
    try {
      // Claimed in a transaction: still not final, and not due again while this try runs.
      const record = await journal.claim(seq, holdMs);
      const message = record ? journal.message(seq) : undefined;
      if (!record || !message) return;
      const report = await send(record.envelope.from, record.pending, message, record);
      this.attempts++;
      await journal.settle(seq, attemptOf(report, 'retry', new Date(this.#clock.now())));
    } catch (err) {
      this.#options.onError?.(seq, err as Error);
    } finally {
      this.#inflight.delete(seq);
    }
  }

  /** Stops taking records; waits for the mails under way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    await this.#running;
  }
}
