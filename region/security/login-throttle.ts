// Wrong credentials slow the next guesses, never someone else's right ones. Failures are
// counted per user id and per address over a window; past a key's limit, attempts whose
// credentials are not proved yet are spaced out: for a user id one a second (a guesser gets
// 60 tries a minute, not thousands), for an address one every quarter second. Only a user
// id that is guessed so hard that an attempt would wait more than half a minute is refused
// (429) for that attempt; an address is never refused for it, since batch jobs of many users
// share one. What the spacing costs is time, not CPU: the password hashes themselves are
// capped by the region (hash-gate.ts).
import type { Clock } from '../../cics/clock.js';

export interface ThrottleLimits {
  /** Failures a key may have in a window before its attempts are spaced out. */
  readonly limit: number;
  /** The spacing once past the limit. */
  readonly stepMs: number;
  /** An attempt that would wait longer is refused; Infinity: it waits as long as it takes. */
  readonly maxWaitMs: number;
}

/** Failures are counted over this window. */
export const WINDOW_MS = 60_000;

interface Entry {
  since: number;
  failures: number;
  /** When the next attempt past the limit may go. */
  nextAt: number;
}

/** What an attempt must do: go now, wait, or be refused for now. */
export type Admission = { readonly waitMs: number } | { readonly refusedForMs: number };

export class KeyThrottle {
  readonly #limits: ThrottleLimits;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();

  constructor(limits: ThrottleLimits, clock: Clock) {
    this.#limits = limits;
    this.#clock = clock;
  }

  #entry(key: string): Entry | undefined {
    const entry = this.#entries.get(key);
    if (entry && this.#clock.now() - entry.since >= WINDOW_MS) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry;
  }

  /** Failures of `key` in the current window. */
  failures(key: string): number {
    return this.#entry(key)?.failures ?? 0;
  }

  /** Takes a turn for an attempt of `key`: how long it must wait first, or that it is refused. */
  admit(key: string): Admission {
    const { limit, stepMs, maxWaitMs } = this.#limits;
    const entry = this.#entry(key);
    if (limit <= 0 || !entry || entry.failures < limit) return { waitMs: 0 };
    const now = this.#clock.now();
    const at = Math.max(now, entry.nextAt);
    if (at - now > maxWaitMs) return { refusedForMs: at - now };
    entry.nextAt = at + stepMs;
    return { waitMs: at - now };
  }

  fail(key: string): void {
    if (this.#limits.limit <= 0) return;
    const entry = this.#entry(key);
    if (entry) {
      entry.failures++;
      return;
    }
    // Bounded: many keys at once start the count again rather than grow without end.
    if (this.#entries.size >= 10_000) this.#entries.clear();
    this.#entries.set(key, { since: this.#clock.now(), failures: 1, nextAt: 0 });
  }
}
