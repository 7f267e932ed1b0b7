// The one place that says how a mail's journal state moves. No other code chooses a next
// state: it reports what an attempt came to, and `afterAttempt` answers.

/** DENIED: an attempt the region refused (who, from where, what, why); no mail was sent. */
export type MailState = 'ACCEPTED' | 'SENT' | 'DEFERRED' | 'FAILED' | 'DENIED';

/** What one delivery attempt came to, as the SMTP client saw it. */
export type AttemptOutcome = 'sent' | 'deferred' | 'failed';

const FINAL: ReadonlySet<MailState> = new Set(['SENT', 'FAILED', 'DENIED']);

/** A state that no further attempt changes. */
export function isFinal(state: MailState): boolean {
  return FINAL.has(state);
}

export interface RecipientsSoFar {
  readonly state: MailState;
  /** Recipients still owed the mail. */
  readonly pending: readonly string[];
  /** Recipients the relay has taken it for, in any attempt. */
  readonly delivered: readonly string[];
  /** Recipients it will never reach: refused for good, or given up on at the retry limit. */
  readonly failed: readonly string[];
}

export interface AttemptResult {
  readonly outcome: AttemptOutcome;
  /** Recipients the relay took the mail for in this attempt. */
  readonly accepted: readonly string[];
  /** Recipients it refused, with its reply (5xx: for good; 4xx: for now). */
  readonly refused: readonly { readonly recipient: string; readonly reply: string }[];
}

export type Transition = RecipientsSoFar;

/**
 * The state after an attempt, or undefined where the record is final already.
 * - Recipients taken are delivered; refused for good (5xx) are failed; the rest still pending.
 * - A `failed` attempt (5xx for the whole mail) fails everyone still pending.
 * - Past the retry limit (`expired`) everyone still pending is failed.
 * - Nobody pending: SENT where anyone got it (the failed ones are on record), else FAILED.
 *   Somebody pending: DEFERRED.
 */
export function afterAttempt(
  before: RecipientsSoFar,
  attempt: AttemptResult,
  expired: boolean,
): Transition | undefined {
  if (isFinal(before.state)) return undefined;
  const taken = new Set(attempt.accepted);
  const refused = new Set(attempt.refused.filter((r) => r.reply.startsWith('5')).map((r) => r.recipient));
  const delivered = [...new Set([...before.delivered, ...before.pending.filter((r) => taken.has(r))])];
  let pending = before.pending.filter((r) => !taken.has(r) && !refused.has(r));
  let failed = [...before.failed, ...before.pending.filter((r) => !taken.has(r) && refused.has(r))];
  if (attempt.outcome === 'failed' || expired) {
    failed = [...failed, ...pending];
    pending = [];
  }
  if (pending.length > 0) return { state: 'DEFERRED', pending, delivered, failed };
  return { state: delivered.length > 0 ? 'SENT' : 'FAILED', pending, delivered, failed };
}
