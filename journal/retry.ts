// When DEFERRED mail is tried again: first after `firstMs`, doubling to at most `maxMs`,
// given up (FAILED) once `limitMs` has passed since it was accepted (RFC 5321 4.5.4.1
// suggests at least 30 minutes between tries and 4-5 days before giving up; z/OS CSSMTP
// has its RetryLimit).

export interface RetryPolicy {
  readonly firstMs: number;
  readonly maxMs: number;
  readonly limitMs: number;
  /** A record still ACCEPTED this long after acceptance lost its task: the spool takes it. */
  readonly orphanMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  firstMs: 60_000,
  maxMs: 3_600_000,
  limitMs: 5 * 24 * 3_600_000,
  orphanMs: 10 * 60_000,
};

/** Delay before the next try, after `deferrals` deferred attempts (1, 2, …). */
export function retryDelay(policy: RetryPolicy, deferrals: number): number {
  return Math.min(policy.maxMs, policy.firstMs * 2 ** Math.max(0, deferrals - 1));
}
