// cicsmail load --keys: every request carries a key of its own, and a request whose answer
// was lost (a broken connection, a time-out, the balancer's 502/503/504 while the key's
// region is down) is sent again with the same key and the same body until it is answered:
// the region answers a repeat of a key from its journal and never sends its mail twice.
// Each key is retried at most `maxRetries` times and for at most `maxAgeMs` from its first
// send; then it is given up, counted, and the connection goes on with a fresh key.
import { reconnectDelayMs } from './reconnect.js';

/** One keyed request: its key, its payload, and what its sends have cost so far. */
export interface KeyedRequest {
  readonly key: string;
  /** The payload's index in the pool (sent again as it was). */
  readonly index: number;
  /** performance.now() of its first send. */
  readonly firstAt: number;
  /** The connection's count of requests made before its first send (a retry is not counted as another). */
  readonly madeBefore: number;
  retries: number;
  /** Times it was written to a connection. */
  sends: number;
  /** No retry before this moment (a Retry-After, or a wait that doubles). */
  notBefore: number;
}

/** The answers that are not the region's: the balancer's, where the key's region could not answer. */
export function isLostAnswer(status: number): boolean {
  return status === 502 || status === 503 || status === 504;
}

/** The longest wait before a retry, whatever Retry-After says. */
export const LONGEST_RETRY_WAIT_MS = 10_000;

/** The wait before a key's `retries`-th retry after a lost answer: its Retry-After (seconds) where it has one, else doubling from 50 ms to 1 s. */
export function retryWaitMs(
  retryAfter: string | undefined,
  retries: number,
  random: () => number = Math.random,
): number {
  const seconds = retryAfter !== undefined && /^\d{1,6}$/.test(retryAfter.trim()) ? Number(retryAfter) : null;
  return seconds !== null ? Math.min(LONGEST_RETRY_WAIT_MS, seconds * 1000) : reconnectDelayMs(retries, random);
}

export type RetryDecision =
  | { readonly kind: 'retry' }
  | { readonly kind: 'wait'; readonly ms: number }
  | { readonly kind: 'give-up'; readonly why: string };

export interface KeyFigures {
  /** Keys sent (one a request of the run). */
  readonly used: number;
  /** Sends again of a key whose answer was lost. */
  readonly retries: number;
  /** Keys sent more than once. */
  readonly retried: number;
  /** Keys answered by a region (the first time, or a replay of it). */
  readonly answered: number;
  /** Keys given up: too many retries, or too long without an answer. */
  readonly gaveUp: number;
  /** Keys sent and neither answered nor given up when a --duration run ended. */
  readonly unfinished: number;
  readonly gaveUpSamples: readonly string[];
}

export class KeyRetries {
  #count = 0;
  #retries = 0;
  #retried = 0;
  #answered = 0;
  #gaveUp = 0;
  readonly #open = new Set<KeyedRequest>();

  constructor(
    readonly prefix: string,
    readonly limits: { readonly maxRetries: number; readonly maxAgeMs: number },
  ) {}

  /** A new request: the next key. */
  fresh(index: number, now: number, madeBefore: number): KeyedRequest {
    const r: KeyedRequest = {
      key: `${this.prefix}-${++this.#count}`,
      index,
      firstAt: now,
      madeBefore,
      retries: 0,
      sends: 0,
      notBefore: 0,
    };
    this.#open.add(r);
    return r;
  }

  /** `r` went unanswered (its answer lost, its connection gone): what now, at `now`. */
  decide(r: KeyedRequest, now: number): RetryDecision {
    if (r.retries >= this.limits.maxRetries) return { kind: 'give-up', why: `no answer after ${r.retries} retries` };
    if (now - r.firstAt > this.limits.maxAgeMs)
      return { kind: 'give-up', why: `no answer within ${Math.round(this.limits.maxAgeMs / 1000)} s` };
    if (now < r.notBefore) return { kind: 'wait', ms: Math.ceil(r.notBefore - now) };
    return { kind: 'retry' };
  }

  /** `r` is sent again. */
  retry(r: KeyedRequest): void {
    if (r.retries === 0) this.#retried++;
    r.retries++;
    this.#retries++;
  }

  answered(r: KeyedRequest): void {
    if (this.#open.delete(r)) this.#answered++;
  }

  /** The first few keys given up, and why. */
  readonly gaveUpSamples: string[] = [];

  gaveUp(r: KeyedRequest, why: string): void {
    if (!this.#open.delete(r)) return;
    this.#gaveUp++;
    if (this.gaveUpSamples.length < 5) this.gaveUpSamples.push(`key ${r.key} given up: ${why}`);
  }

  get figures(): KeyFigures {
    return {
      used: this.#count,
      retries: this.#retries,
      retried: this.#retried,
      answered: this.#answered,
      gaveUp: this.#gaveUp,
      unfinished: this.#open.size,
      gaveUpSamples: [...this.gaveUpSamples],
    };
  }
}
