// A delivery as the journal records it: one attempt. The relay client's report (smtp/
// Delivery) fits `DeliveryReport` as it is; the journal adds when and by whom.
import type { Attempt, RecipientRefusal } from './record.js';
import type { AttemptOutcome } from './states.js';

/** What a relay client says of one delivery, as far as the journal keeps it. */
export interface DeliveryReport {
  readonly kind: AttemptOutcome;
  /** The relay, as a label without a password. */
  readonly relay: string;
  /** The relay's last reply, or what went wrong where it gave none. */
  readonly reply: string;
  /** Recipients the relay took the mail for. */
  readonly accepted?: readonly string[];
  readonly refused: readonly RecipientRefusal[];
}

export function attemptOf(report: DeliveryReport, via: Attempt['via'], at = new Date()): Attempt {
  return {
    at: at.toISOString(),
    relay: report.relay,
    outcome: report.kind,
    reply: report.reply,
    via,
    accepted: report.accepted ?? [],
    ...(report.refused.length > 0 ? { refused: report.refused } : {}),
  };
}
