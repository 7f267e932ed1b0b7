// The one place that says how a mail's journal state moves. No other code chooses a next
// state: it reports what an attempt came to, and `afterAttempt` answers.

export type MailState = 'ACCEPTED' | 'SENT' | 'DEFERRED' | 'FAILED';

/** What one delivery attempt came to, as the SMTP client saw it. */
export type AttemptOutcome = 'sent' | 'deferred' | 'failed';

const FINAL: ReadonlySet<MailState> = new Set(['SENT', 'FAILED']);

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
}

export interface AttemptResult {
  readonly outcome: AttemptOutcome;
  /** Recipients the relay took the mail for in this attempt. */
  readonly accepted: readonly string[];
  /** Recipients it refused, with its reply (5xx: for good; 4xx: for now). */
  readonly refused: readonly { readonly recipient: string; readonly reply: string }[];
}

export interface Transition extends RecipientsSoFar {}

/**
 * The state after an attempt, or undefined where the record is final already.
 * - Recipients taken, or refused for good, are no longer pending.
 * - A `failed` attempt (5xx for the whole mail) ends it for everyone still pending.
 * - Nobody pending: SENT where anyone got it, else FAILED.
 * - Somebody pending: DEFERRED, or FAILED once `expired` (the retry limit has passed).
 */
export function afterAttempt(before: RecipientsSoFar, attempt: AttemptResult, expired: boolean): Transition | undefined {
  if (isFinal(before.state)) return undefined;
  const delivered = [...new Set([...before.delivered, ...attempt.accepted])];
  const done = new Set([...attempt.accepted, ...attempt.refused.filter((r) => r.reply.startsWith('5')).map((r) => r.recipient)]);
  const pending = attempt.outcome === 'failed' ? [] : before.pending.filter((r) => !done.has(r));
  if (pending.length === 0) return { state: delivered.length > 0 ? 'SENT' : 'FAILED', pending, delivered };
  return { state: expired ? 'FAILED' : 'DEFERRED', pending, delivered };
}
