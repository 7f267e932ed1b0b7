// The STARTs' timer: runs each START the journal keeps when it falls due, at most
// `concurrency` at once, on the clock it is given (a test's moves by hand). A START is
// claimed in a commit before its task runs and settled with what became of it after; one
// a crash left RUNNING is INTERRUPTED at start, never run twice. A START due while the
// region was down is due at start, and runs then.
import type { Clock } from '../../cics/clock.js';
import type { StartEnd, StartEntry, StartLog, StartRequest } from '../../journal/starts.js';

export type WaitingStart = StartEntry & { readonly request: StartRequest };

export interface StartSchedulerOptions {
  readonly starts: StartLog;
  readonly clock: Clock;
  /** Runs a START's task and says how it ended; a throw is a bug (the START ends ASRA). */
  readonly run: (entry: WaitingStart) => Promise<StartEnd>;
  /** STARTs running at once. */
  readonly concurrency: number;
  /** Look again at least this often (a clock set forward). */
  readonly pollMs: number;
  readonly onError: (reqid: string, err: Error) => void;
}

/** How a START ends whose run failed unexpectedly. */
const FAILED: StartEnd = { taskn: 0, outcome: { kind: 'failed', resp: 'INVREQ', abcode: 'ASRA' }, journalSeqs: [] };

export class StartScheduler {
  readonly #options: StartSchedulerOptions;
  /** The STARTs claimed or being claimed, each with its run. */
  readonly #inflight = new Map<string, Promise<void>>();
  #timer: unknown;
  /** When the timer set goes off (epoch ms). */
  #timerAt = 0;
  #stopped = false;
  /** STARTs run since start. */
  ran = 0;

  constructor(options: StartSchedulerOptions) {
    this.#options = options;
  }

  /** The scheduler's time (epoch ms): when a START is asked for, as when it falls due. */
  now(): number {
    return this.#options.clock.now();
  }

  /** Ends the STARTs a crash left RUNNING, then runs what is due. Returns their REQIDs. */
  async start(): Promise<string[]> {
    const lost = await this.#options.starts.interrupted(new Date(this.now()));
    this.#schedule(0);
    return lost;
  }

  /** A START was added: its time may come sooner than the timer's. */
  added(entry: StartEntry): void {
    this.#schedule(Math.max(0, entry.dueAt - this.now()));
  }

  /** Resolves once no START runs and none is due now (a test moves its clock in between). */
  async whenIdle(): Promise<void> {
    while (this.#inflight.size > 0) await Promise.all(this.#inflight.values());
  }

  /** Stops taking STARTs; waits for the ones running. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#options.clock.clearTimeout(this.#timer);
    await this.whenIdle();
  }

  /** Looks again in `ms` (pollMs at most), or sooner where the timer is set sooner already. */
  #schedule(ms: number): void {
    if (this.#stopped) return;
    const { clock, pollMs } = this.#options;
    const at = clock.now() + Math.min(ms, pollMs);
    if (this.#timer !== undefined && this.#timerAt <= at) return;
    clock.clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = clock.setTimeout(
      () => {
        this.#timer = undefined;
        this.#round();
      },
      Math.max(0, at - clock.now()),
    );
  }

  /** Runs the STARTs due now, up to `concurrency` running; sets the timer for the next. */
  #round(): void {
    const { starts, concurrency, pollMs } = this.#options;
    if (this.#stopped) return;
    const now = this.now();
    const free = concurrency - this.#inflight.size;
    if (free > 0) {
      for (const reqid of starts.due(now, free + this.#inflight.size)) {
        if (this.#inflight.size >= concurrency) break;
        if (!this.#inflight.has(reqid)) this.#inflight.set(reqid, this.#runOne(reqid));
      }
    }
    // Each run that ends looks again; otherwise the next START not running yet says when.
    if (this.#inflight.size >= concurrency) return this.#schedule(pollMs);
    const next = starts.waiting(this.#inflight.size + 1).find((e) => !this.#inflight.has(e.reqid));
    this.#schedule(next === undefined ? pollMs : Math.max(0, next.dueAt - now));
  }

  async #runOne(reqid: string): Promise<void> {
    const { starts, run, onError, pollMs } = this.#options;
    let again = 0;
    // After the caller's turn: the map holds this run before it can end.
    await Promise.resolve();
    try {
      const entry = await starts.claim(reqid);
      if (!entry?.request) return;
      let end: StartEnd;
      try {
        end = await run(entry as WaitingStart);
      } catch (err) {
        onError(reqid, err as Error);
        end = FAILED;
      }
      await starts.settle(reqid, end, new Date(this.now()));
      this.ran++;
    } catch (err) {
      // The journal could not be written: the START stays as it was (WAITING, or RUNNING until
      // the next start); not again at once.
      onError(reqid, err as Error);
      again = pollMs;
    } finally {
      this.#inflight.delete(reqid);
      // A place is free: look now (not on the timer, which a test's clock may not move).
      if (again === 0) this.#round();
      else this.#schedule(again);
    }
  }
}
