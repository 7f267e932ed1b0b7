// What came back to a mail's return path, read: a delivery status notification (RFC 3464
// `multipart/report; report-type=delivery-status`) recipient by recipient, or else a bounce
// of another shape by the rules of heuristics.ts. Which mail it is about comes from the
// return path the bounce was sent to (return-path.ts), checked against the report's
// Original-Envelope-Id where it has one. Pure: no state, no I/O; every input, however
// large or malformed, gets a tagged answer, never a throw, and the work is bounded by the
// input's size (and the recipients read by `maxRecipients`).
import PostalMime, { type Attachment, type Email } from 'postal-mime';
import type { BounceRefusal } from './errors.js';
import { bracketedAddresses, fromMailerDaemon, guessStatus, type GuessRule } from './heuristics.js';
import { parseEnvelopeId } from './request.js';
import { decodeReturnPath, type ReturnPathTemplate } from './return-path.js';
import { Notes, readStatusBlocks, type FieldBlock } from './status-fields.js';

/** RFC 3464 2.3.3. */
const DSN_ACTIONS = ['failed', 'delayed', 'delivered', 'relayed', 'expanded'] as const;
export type DsnAction = (typeof DSN_ACTIONS)[number];

/** A field of the form `type; value` (Final-Recipient, Remote-MTA, Diagnostic-Code…). */
export interface TypedValue {
  /** In lower case (`rfc822`, `dns`, `smtp`); '' where the report gave none. */
  readonly type: string;
  readonly value: string;
}

/** One recipient's block of a DSN (RFC 3464 2.3). */
export interface RecipientReport {
  /** The address the reporting MTA tried (an rfc822 one without angle brackets). */
  readonly finalRecipient: TypedValue;
  /** The ORCPT the mail gave, as the report has it. */
  readonly originalRecipient: TypedValue | null;
  readonly action: DsnAction;
  /** RFC 3463: class.subject.detail. */
  readonly status: string;
  readonly diagnostic: TypedValue | null;
  readonly remoteMta: TypedValue | null;
  /** As the report writes it (an RFC 5322 date-time). */
  readonly lastAttemptDate: string | null;
  readonly willRetryUntil: string | null;
}

export type BounceReading =
  | {
      readonly kind: 'dsn';
      readonly sysid: string;
      readonly seq: number;
      readonly envelopeId: string | null;
      readonly reportingMta: TypedValue | null;
      readonly arrivalDate: string | null;
      readonly recipients: readonly RecipientReport[];
      /** What was skipped or odd, for the record. */
      readonly notes: readonly string[];
    }
  | {
      readonly kind: 'guess';
      readonly sysid: string;
      readonly seq: number;
      readonly rule: GuessRule;
      readonly status: string;
      readonly action: 'failed' | 'delayed';
      readonly diagnostic: string;
      /** Addresses the text shows in angle brackets, for matching against the mail's recipients. */
      readonly addresses: readonly string[];
    }
  | { readonly kind: 'refused'; readonly reason: BounceRefusal; readonly detail: string };

export interface BounceOptions {
  readonly returnPath: ReturnPathTemplate;
  /** The region's own SYSID: a return path with another is not its mail. */
  readonly sysid: string;
  /** A larger bounce is refused unread (default 10 MiB). */
  readonly maxBytes?: number;
  /** Recipient blocks read at most; the rest are counted in the notes (default 1,000). */
  readonly maxRecipients?: number;
}

const BOUNCE_MAX_BYTES = 10 * 1024 * 1024;
const BOUNCE_MAX_RECIPIENTS = 1000;

/**
 * postal-mime's limits, tighter than its defaults: a DSN is two or three parts deep, and
 * returned mail is never parsed inline (maxRfc822NestingDepth 0).
 */
const MIME_LIMITS = {
  maxNestingDepth: 16,
  maxPartCount: 200,
  maxHeadersSize: 256 * 1024,
  maxRfc822NestingDepth: 0,
  attachmentEncoding: 'arraybuffer',
} as const;

const STATUS_TYPES = ['message/delivery-status', 'message/global-delivery-status'];

/** Reads a bounce that came to `to` (the RCPT of its envelope). */
export async function readBounce(raw: Uint8Array, to: string, options: BounceOptions): Promise<BounceReading> {
  const refuse = (reason: BounceRefusal, detail: string): BounceReading => ({ kind: 'refused', reason, detail });
  const mail = decodeReturnPath(options.returnPath, to);
  if (!mail.ok) return refuse('NOTOURS', mail.reason);
  if (mail.sysid !== options.sysid)
    return refuse('OTHERREGION', `<${to}> is for SYSID ${mail.sysid}, not ${options.sysid}`);
  const maxBytes = options.maxBytes ?? BOUNCE_MAX_BYTES;
  if (raw.byteLength > maxBytes) return refuse('TOOLARGE', `${raw.byteLength} bytes, over ${maxBytes}`);
  let email: Email;
  try {
    email = await PostalMime.parse(raw, MIME_LIMITS);
  } catch (err) {
    const { code, message } = err as { code?: string; message?: string };
    return refuse('UNREADABLE', `${code ?? 'ERROR'}: ${message ?? String(err)}`);
  }
  const statusParts = email.attachments.filter((a) => STATUS_TYPES.includes(a.mimeType.toLowerCase()));
  const ref = { sysid: mail.sysid, seq: mail.seq };
  const [status, ...others] = statusParts;
  if (status) {
    const maxRecipients = options.maxRecipients ?? BOUNCE_MAX_RECIPIENTS;
    return readReport(email, status, others.length, ref, maxRecipients, refuse);
  }
  return readGuess(email, to, ref, refuse);
}

type Refuse = (reason: BounceRefusal, detail: string) => BounceReading;

function readReport(
  email: Email,
  part: Attachment,
  others: number,
  mail: { readonly sysid: string; readonly seq: number },
  maxRecipients: number,
  refuse: Refuse,
): BounceReading {
  const notes = new Notes();
  const contentType = email.headers.find((h) => h.key === 'content-type')?.value ?? '';
  if (!/^multipart\/report\s*;(?:.*;)?\s*report-type\s*=\s*"?delivery-status"?/is.test(contentType))
    notes.add(`the delivery status is in a mail of type ${JSON.stringify(contentType.slice(0, 80))}`);
  if (others > 0) notes.add(`${others} more delivery-status parts not read: the first is the report`);
  const bytes = typeof part.content === 'string' ? Buffer.from(part.content, 'utf8') : new Uint8Array(part.content);
  const blocks = readStatusBlocks(new TextDecoder('utf-8').decode(bytes), maxRecipients);
  for (const note of blocks.notes) notes.add(note);
  const perMessage = blocks.message;
  const envelopeId = perMessage?.get('original-envelope-id') ?? null;
  if (envelopeId !== null) {
    const named = parseEnvelopeId(envelopeId);
    if (named === null || named.sysid !== mail.sysid || named.seq !== mail.seq)
      return refuse(
        'ENVIDMISMATCH',
        `Original-Envelope-Id ${JSON.stringify(envelopeId.slice(0, 120))} is not ${mail.sysid}.${mail.seq}, the mail its return path names`,
      );
  } else notes.add('no Original-Envelope-Id: the return path alone names the mail');
  const recipients: RecipientReport[] = [];
  blocks.recipients.forEach((block, i) => {
    const recipient = recipientOf(block, i + 1, notes);
    if (recipient) recipients.push(recipient);
  });
  if (recipients.length === 0) return refuse('MALFORMED', `no recipient block can be read: ${notes.list.join('; ')}`);
  const reportingMta = perMessage?.get('reporting-mta');
  return {
    kind: 'dsn',
    ...mail,
    envelopeId,
    reportingMta: reportingMta === undefined ? null : typedValue(reportingMta),
    arrivalDate: perMessage?.get('arrival-date') ?? null,
    recipients,
    notes: notes.list,
  };
}

const STATUS = /^([245])\.\d{1,3}\.\d{1,3}$/;
/** The status class each action goes with (RFC 3464 2.3.3, 2.3.4). */
const CLASS_OF: Readonly<Record<DsnAction, string>> = {
  failed: '5',
  delayed: '4',
  delivered: '2',
  relayed: '2',
  expanded: '2',
};

/** A recipient's block, or null (with a note) where a required field is missing or malformed. */
function recipientOf(block: FieldBlock, n: number, notes: Notes): RecipientReport | null {
  const finalText = block.get('final-recipient');
  const actionText = block.get('action');
  const statusText = block.get('status');
  if (finalText === undefined || actionText === undefined || statusText === undefined) {
    const missing = [
      finalText === undefined ? 'Final-Recipient' : '',
      actionText === undefined ? 'Action' : '',
      statusText === undefined ? 'Status' : '',
    ].filter((f) => f !== '');
    notes.add(`recipient ${n}: no ${missing.join(', ')}; not read`);
    return null;
  }
  const action = withoutComments(actionText).toLowerCase();
  if (!(DSN_ACTIONS as readonly string[]).includes(action)) {
    notes.add(`recipient ${n}: Action ${JSON.stringify(actionText.slice(0, 40))} is none of RFC 3464's; not read`);
    return null;
  }
  const status = withoutComments(statusText);
  const m = STATUS.exec(status);
  if (!m) {
    notes.add(
      `recipient ${n}: Status ${JSON.stringify(statusText.slice(0, 40))} is not class.subject.detail; not read`,
    );
    return null;
  }
  if (m[1] !== CLASS_OF[action as DsnAction]) notes.add(`recipient ${n}: Action ${action} with Status ${status}`);
  const finalRecipient = typedValue(finalText);
  if (finalRecipient.value === '') {
    notes.add(`recipient ${n}: Final-Recipient names no address; not read`);
    return null;
  }
  const optional = (name: string) => {
    const text = block.get(name);
    return text === undefined ? null : typedValue(text);
  };
  return {
    finalRecipient,
    originalRecipient: optional('original-recipient'),
    action: action as DsnAction,
    status,
    diagnostic: optional('diagnostic-code'),
    remoteMta: optional('remote-mta'),
    lastAttemptDate: block.get('last-attempt-date') ?? null,
    willRetryUntil: block.get('will-retry-until') ?? null,
  };
}

/** `type; value`, the type in lower case; an rfc822 address without the angle brackets some MTAs add. */
function typedValue(text: string): TypedValue {
  const semi = text.indexOf(';');
  const type = semi === -1 ? '' : text.slice(0, semi).trim().toLowerCase();
  let value = (semi === -1 ? text : text.slice(semi + 1)).trim();
  if ((type === 'rfc822' || type === '') && value.startsWith('<') && value.endsWith('>')) value = value.slice(1, -1);
  return { type, value };
}

/** The text without its RFC 822 comments (one level: Action and Status carry no nested ones). */
function withoutComments(text: string): string {
  return text.replace(/\([^()]*\)/g, '').trim();
}

function readGuess(
  email: Email,
  to: string,
  mail: { readonly sysid: string; readonly seq: number },
  refuse: Refuse,
): BounceReading {
  const from = email.from && 'address' in email.from ? email.from.address : undefined;
  if (!fromMailerDaemon(from))
    return refuse('NOSTATUS', `no delivery-status part, and From ${JSON.stringify(from ?? '')} is no mailer daemon`);
  const text = email.text ?? '';
  const guess = guessStatus(text);
  if (guess === null) return refuse('NOSTATUS', 'no delivery-status part, and no status code in the text');
  return {
    kind: 'guess',
    ...mail,
    ...guess,
    action: guess.status.startsWith('5') ? 'failed' : 'delayed',
    addresses: bracketedAddresses(text, to),
  };
}
