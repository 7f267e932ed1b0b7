// What became of a mail on a relay, and why it did not go where it did not: a failure is a
// kind with its words, never a text to be read back (the programs tell DEFERRED from
// NORELAY by the kind).
import type { SmtpReply } from './reply.js';

export interface RefusedRecipient {
  readonly recipient: string;
  readonly reply: string;
}

/** Why a mail, or some of its recipients, did not go. */
export type SmtpFailure =
  /** No session: the TCP connection, the greeting or EHLO/HELO failed. */
  | { readonly kind: 'connect'; readonly message: string }
  /** The TLS handshake or certificate failed, or STARTTLS was required and not had. */
  | { readonly kind: 'tls'; readonly message: string }
  /** The relay wants credentials that cannot go (no mechanism, no TLS), or refused them. */
  | { readonly kind: 'auth'; readonly message: string }
  /** A reply did not come in time, the relay took none of the message for too long, or the task's time ran out. */
  | { readonly kind: 'timeout'; readonly message: string }
  /** The connection broke, or the relay closed it, in the middle of a session. */
  | { readonly kind: 'broken'; readonly message: string }
  /** The relay's words were not SMTP, or came unasked. */
  | { readonly kind: 'protocol'; readonly message: string }
  /** The relay answered this mail with 4xx (for now) or 5xx (for good). */
  | { readonly kind: 'reply'; readonly reply: SmtpReply; readonly message: string }
  /** The mail cannot go to this relay at all (SIZE, 8BITMIME, SMTPUTF8, a control character in an address). */
  | { readonly kind: 'unsendable'; readonly message: string }
  /** The client was closed (the region is stopping). */
  | { readonly kind: 'closed'; readonly message: string };

export type FailureKind = SmtpFailure['kind'];

interface DeliveryBase {
  /** The relay, as a label without a password. */
  readonly relay: string;
  /** The relay's last reply as one line, or the failure's words where it gave none. */
  readonly reply: string;
  /** Recipients the relay took the mail for (it answered 2xx after the dot). */
  readonly accepted: readonly string[];
  /** Recipients refused: 5xx for good, 4xx for now. */
  readonly refused: readonly RefusedRecipient[];
}

export type Delivery =
  /** Every recipient has the mail, but those refused for good. */
  | (DeliveryBase & { readonly kind: 'sent' })
  /** Somebody must wait: a 4xx, or no answer at all. */
  | (DeliveryBase & { readonly kind: 'deferred'; readonly failure: SmtpFailure })
  /** Refused for good. */
  | (DeliveryBase & { readonly kind: 'failed'; readonly failure: SmtpFailure });

export type ReplyClass = '2xx' | '4xx' | '5xx' | 'none';

/**
 * The class of the relay's last answer to a delivery, for the metrics: 2xx where it took
 * the mail for anyone, else that of its refusal; none where it gave no answer.
 */
export function replyClassOf(delivery: Delivery): ReplyClass {
  if (delivery.kind === 'sent' || delivery.accepted.length > 0) return '2xx';
  const { failure } = delivery;
  if (failure.kind !== 'reply') return 'none';
  const { code } = failure.reply;
  return code >= 500 ? '5xx' : code >= 400 ? '4xx' : '2xx';
}
