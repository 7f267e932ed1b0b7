// The shape of a journal record: what a mail came with, each attempt to deliver it, the
// state it is in, and why a refused attempt was refused (DENIED).
import type { AttemptOutcome, Fate, MailState } from './states.js';

export interface Envelope {
  readonly from: string;
  readonly to: readonly string[];
}

/** What a program knows of a mail when it hands it to the journal. */
export interface MailOrigin {
  readonly tranid: string;
  readonly taskn: number;
  readonly userid: string;
  readonly jobname: string;
  readonly ccsid: number;
  readonly envelope: Envelope;
  readonly subject: string;
  readonly attachments: number;
  /** Characters of the body written as SUB: the code page could not hold them. */
  readonly substitutions?: number;
  readonly messageId: string;
  /** The request key (Idempotency-Key) the mail was sent under, where its request had one. */
  readonly requestKey?: string;
  /** Recipients left out because they were on the suppression list when the mail was sent. */
  readonly suppressed?: readonly string[];
}

export interface RecipientRefusal {
  readonly recipient: string;
  readonly reply: string;
}

/** One delivery attempt, as the SMTP client reports it. */
export interface Attempt {
  readonly at: string;
  readonly relay: string;
  readonly outcome: AttemptOutcome;
  readonly reply: string;
  /** Who made it: the task that accepted the mail, the retry spool, or a replay. */
  readonly via: 'task' | 'retry' | 'replay';
  /** Recipients the relay took the mail for. */
  readonly accepted: readonly string[];
  /** Recipients the relay refused (5xx for good, 4xx for now). */
  readonly refused?: readonly RecipientRefusal[];
}

export interface JournalRecord extends MailOrigin {
  readonly seq: number;
  /**
   * The SYSID of the region that wrote it. Absent in records written before regions kept
   * it: such a record belongs to the region whose journal holds it (a journal is one
   * region's, on its own volume), and the region's routes answer it with their own SYSID.
   */
  readonly sysid?: string;
  readonly acceptedAt: string;
  readonly updatedAt: string;
  /** Size of the message in bytes. */
  readonly size: number;
  readonly state: MailState;
  /** Recipients still owed the mail (all of them while ACCEPTED). */
  readonly pending: readonly string[];
  /** Recipients the relay has taken it for. */
  readonly delivered: readonly string[];
  /** Recipients it will never reach (refused for good, or given up on). */
  readonly failed: readonly string[];
  /** When the retry spool takes it up (epoch ms); null once final. */
  readonly nextAttemptAt: number | null;
  /** The relay's last reply, null before the first attempt. */
  readonly relayReply: string | null;
  readonly attempts: readonly Attempt[];
  /** Deliveries of the stored bytes again, asked for by an operator (they move no state). */
  readonly replays?: readonly Attempt[];
  /** Why a DENIED record was refused, and from where the attempt came. */
  readonly denial?: Denial;
  /** What the far end said of each recipient that a report named (journal/fate.ts); the others relayed are RELAYED. */
  readonly fates?: readonly RecipientFate[];
  /** Bounces kept beside the record (their bytes in the journal's `bounces` store). */
  readonly bounces?: number;
}

/** One recipient's fate as the last report that moved it said (journal/states.ts moves it). */
export interface RecipientFate {
  readonly recipient: string;
  readonly fate: Fate;
  /** When the report came (ISO 8601). */
  readonly at: string;
  /** RFC 3463 status, `5.1.1`. */
  readonly status: string;
  readonly diagnostic: string;
  /** Which kept bounce said it (1, 2 … of the record's `bounces`). */
  readonly bounce: number;
}

/** A refused attempt, for the audit trail (state DENIED). */
export interface Denial {
  /** A stable reason: NOCREDS, BADCREDS, THROTTLED, NOTALLOWED, RATE, or the RC 16 / RC 8 reason of the program. */
  readonly reason: string;
  readonly detail: string;
  /** The caller's address. */
  readonly remote: string;
  /** Refusals this record stands for: the same user, address and reason within a minute of the first are one record. */
  readonly count?: number;
  /** When the last of them came (ISO 8601), where there was more than one. */
  readonly lastAt?: string;
}

/** What is known of a refused attempt: the origin of a mail that was never made, and why. */
export interface DeniedAttempt extends Omit<MailOrigin, 'attachments' | 'substitutions' | 'messageId'> {
  readonly denial: Denial;
}
