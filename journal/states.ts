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

// ---- A recipient's fate after the relay (what the far end said, or that nothing came) ----

/**
 * RELAYED: the smart host took it; DELIVERED: a success DSN; DELAYED: a delay DSN (still
 * open); BOUNCED: a failure DSN or bounce; EXPIRED: relayed or delayed, and nothing final
 * came within the fate window.
 */
export const FATES = ['RELAYED', 'DELIVERED', 'DELAYED', 'BOUNCED', 'EXPIRED'] as const;
export type Fate = (typeof FATES)[number];

/** What a report says of one recipient (RFC 3464 2.3.3's actions). */
export type ReportAction = 'delivered' | 'delayed' | 'failed' | 'relayed' | 'expanded';

/**
 * The fate a report moves a recipient to, or undefined where it changes nothing.
 * DELIVERED and BOUNCED are final: a later report (a late delay, a duplicate) is kept on
 * record but moves nothing. `relayed` and `expanded` (passed on to a system without DSN, or
 * to a list) say nothing final: the fate stays. A delay after a delay is news (its status
 * and time), so it moves DELAYED to DELAYED.
 */
export function afterReport(current: Fate, action: ReportAction): Fate | undefined {
  if (current === 'DELIVERED' || current === 'BOUNCED') return undefined;
  switch (action) {
    case 'delivered':
      return 'DELIVERED';
    case 'failed':
      return 'BOUNCED';
    case 'delayed':
      return 'DELAYED';
    case 'relayed':
    case 'expanded':
      return undefined;
  }
}

/**
 * A fate as it stands at `now`: RELAYED or DELAYED past the window from when the relay took
 * the mail is EXPIRED (a report that comes later still moves it: the record keeps the open
 * fate, and this reads it). A window of 0 never expires.
 */
export function fateAt(fate: Fate, relayedAt: number, now: number, windowMs: number): Fate {
  if (windowMs > 0 && (fate === 'RELAYED' || fate === 'DELAYED') && now - relayedAt >= windowMs) return 'EXPIRED';
  return fate;
}
