// Refused attempts on record (state DENIED: who, from where, what, why), without a record
// per knock: the refusals of one user id, address and reason within a minute of the first
// are one record, its count kept up to date a few seconds behind (and at close). A caller that
// knocks ten thousand times a minute leaves one record, not ten thousand, and cannot fill
// the journal's disk with them. The region keeps one for what it refuses (logins, rates,
// transaction security), each worker one for the mails its programs refuse (sender
// verification, the region's limits): a SPOL stream of thousands of refused mails is one
// record too. What a record keeps of a refused mail is bounded, however large the mail.
import { systemClock, type Clock } from '../cics/clock.js';
import type { Journal } from './journal.js';
import type { DeniedAttempt } from './record.js';

const done = (): void => undefined;

/** Recipients a DENIED record keeps, at most: the first ones, and how many there were. */
export const DENIED_RECIPIENTS = 20;
/** Characters of a subject or a detail a DENIED record keeps, at most. */
const DENIED_TEXT = 500;

/** Refusals of one key are one record within this window from its first. */
const WINDOW_MS = 60_000;
/** A record's count is written at most this often. */
const FLUSH_MS = 5000;

interface Open {
  /** When its first refusal came: the window counts from it, not from the clock's minute. */
  readonly openedAt: number;
  /** The record, once written. */
  seq: Promise<number>;
  count: number;
  /** The count on record. */
  written: number;
  lastAt: number;
}

export class AuditTrail {
  readonly #journal: Journal;
  readonly #clock: Clock;
  readonly #onError: (err: Error) => void;
  readonly #open = new Map<string, Open>();
  #flushing: unknown;
  /** Counts being written: a flush resolves once these are on record too. */
  #writing: Promise<unknown> = Promise.resolve();

  constructor(journal: Journal, onError: (err: Error) => void, clock: Clock = systemClock) {
    this.#journal = journal;
    this.#onError = onError;
    this.#clock = clock;
  }

  /**
   * Keeps a refusal on record: a new record, or one more on the minute's record of the same
   * kind, which is the same user id, address, reason and tranid, or what `group` says (the
   * refusals of unknown user ids from one network are one kind, whatever the ids). Resolves
   * once the record is written (its count follows a few seconds behind); it never rejects.
   */
  refuse(attempt: DeniedAttempt, group?: string): Promise<void> {
    const now = this.#clock.now();
    const key = group ?? [attempt.userid, attempt.denial.remote, attempt.denial.reason, attempt.tranid].join('\0');
    const open = this.#open.get(key);
    if (open && now - open.openedAt < WINDOW_MS) {
      open.count++;
      open.lastAt = now;
      this.#scheduleFlush();
      return open.seq.then(done, done);
    }
    // The minute is over: its count on record before the next minute's record takes its place.
    if (open) this.#writing = Promise.all([this.#writing, this.#writeCount(open)]);
    const seq = this.#journal.deny(bounded(attempt));
    this.#writing = Promise.all([this.#writing, seq.catch(this.#onError)]);
    // Bounded: past it the oldest minutes are closed (their counts written first).
    if (this.#open.size >= 10_000) void this.flush(true);
    this.#open.set(key, { openedAt: now, seq, count: 1, written: 1, lastAt: now });
    return seq.then(done, done);
  }

  #scheduleFlush(): void {
    if (this.#flushing !== undefined) return;
    this.#flushing = this.#clock.setTimeout(() => {
      this.#flushing = undefined;
      void this.flush(false);
    }, FLUSH_MS);
  }

  /** Writes the counts that moved; drops the minutes that are over (`all`: every one). */
  async flush(all: boolean): Promise<void> {
    const now = this.#clock.now();
    const writes: Promise<void>[] = [];
    for (const [key, open] of this.#open) {
      writes.push(this.#writeCount(open));
      if (all || now - open.openedAt >= WINDOW_MS) this.#open.delete(key);
    }
    this.#writing = Promise.all([this.#writing, ...writes]);
    await this.#writing;
  }

  /** The count on record, where it moved since last written. */
  #writeCount(open: Open): Promise<void> {
    if (open.count === open.written) return Promise.resolve();
    const { count, lastAt } = open;
    open.written = count;
    return open.seq
      .then((seq) => this.#journal.countDenials(seq, count, lastAt))
      .catch((err: Error) => this.#onError(err));
  }

  /** At close: every count on record. */
  async close(): Promise<void> {
    this.#clock.clearTimeout(this.#flushing);
    this.#flushing = undefined;
    await this.flush(true);
  }
}

/** The record of a refusal, of bounded size: a 300,000-recipient envelope keeps its first few. */
function bounded(attempt: DeniedAttempt): DeniedAttempt {
  const { to } = attempt.envelope;
  const cut = (text: string) => (text.length > DENIED_TEXT ? `${text.slice(0, DENIED_TEXT)}...` : text);
  const more =
    to.length > DENIED_RECIPIENTS ? ` (the record keeps ${DENIED_RECIPIENTS} of ${to.length} recipients)` : '';
  return {
    ...attempt,
    envelope: { from: cut(attempt.envelope.from), to: to.slice(0, DENIED_RECIPIENTS).map(cut) },
    subject: cut(attempt.subject),
    denial: { ...attempt.denial, detail: cut(attempt.denial.detail) + more, count: 1 },
  };
}
