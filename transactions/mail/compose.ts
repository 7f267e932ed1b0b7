// Composes an RFC 5322 / MIME message: headers in ASCII (RFC 2047 encoded words where
// the text is not), UTF-8 text, CRLF line ends, no line over 998 octets, each part in the
// transfer encoding it needs. The message is written into one Buffer of its exact size.
//   text body:             text/plain
//   HTML body:             multipart/alternative (text/plain given or made from it, text/html)
//   with attachments:      multipart/mixed (the above, then each attachment)
import type { Address } from '../../cics/addresses.js';
import { binaryBody, textBody } from './compose-body.js';
import { attachmentType, formatAddress, header, rfc5322Date, unstructured, paramHeader } from './compose-header.js';
import { htmlToText } from './compose-html-text.js';
import { ComposedMessage, type Part } from './compose-part.js';
import { safeFileName } from './file-name.js';

export { formatAddress, rfc5322Date } from './compose-header.js';

export type Importance = 'low' | 'normal' | 'high';
/** RFC 2156 Priority. */
export type Priority = 'non-urgent' | 'normal' | 'urgent';
/** RFC 2156 Sensitivity. */
export type Sensitivity = 'personal' | 'private' | 'company-confidential';

export interface MailContent {
  readonly from: Address;
  readonly replyTo?: Address;
  readonly to: readonly Address[];
  readonly cc: readonly Address[];
  readonly subject: string;
  readonly importance: Importance;
  readonly priority?: Priority;
  readonly sensitivity?: Sensitivity;
  /** Disposition-Notification-To (RFC 8098): ask for a read receipt. */
  readonly receipt?: Address;
  /** Lines joined by `\n`. */
  readonly body: string;
  /** HTML goes with a text/plain alternative: `textAlternative`, or one made from it. */
  readonly bodyFormat: 'text' | 'html';
  /**
   * The text/plain alternative of an HTML body, as the program wrote it (a template
   * program's text part); absent: made from the HTML. Lines joined by `\n`.
   */
  readonly textAlternative?: string;
  /** With its angle brackets. */
  readonly messageId: string;
  readonly date: Date;
  readonly attachments?: readonly Attachment[];
}

export interface Attachment {
  /** May be empty: the part then has no name. */
  readonly filename: string;
  /**
   * A text attachment is given as text (lines joined by `\n`) and goes out in UTF-8 with
   * CRLF line ends, every line ended; bytes go out as they are, in base64.
   */
  readonly content: { readonly text: string } | { readonly bytes: Uint8Array };
  /**
   * Its MIME type, as the container or statement gave it; for text, without charset
   * (utf-8 is added). Empty, or not a MIME type: the one the file name says.
   */
  readonly contentType: string;
}

const IMPORTANCE_HEADER: Record<Importance, string> = { low: 'Low', normal: 'Normal', high: 'High' };
const SENSITIVITY_HEADER: Record<Sensitivity, string> = {
  personal: 'Personal',
  private: 'Private',
  'company-confidential': 'Company-Confidential',
};

function messageHeaders(mail: MailContent): string {
  let head = '';
  head += header('From', formatAddress(mail.from));
  if (mail.replyTo) head += header('Reply-To', formatAddress(mail.replyTo));
  if (mail.to.length > 0) head += header('To', mail.to.map(formatAddress).join(', '));
  // Bcc only: say so rather than leave no To at all (RFC 5322 3.6.3).
  else if (mail.cc.length === 0) head += 'To: undisclosed-recipients:;\r\n';
  if (mail.cc.length > 0) head += header('Cc', mail.cc.map(formatAddress).join(', '));
  head += header('Subject', unstructured(mail.subject));
  head += header('Date', rfc5322Date(mail.date));
  head += header('Message-ID', mail.messageId);
  head += header('Importance', IMPORTANCE_HEADER[mail.importance]);
  if (mail.priority) head += header('Priority', mail.priority);
  if (mail.sensitivity) head += header('Sensitivity', SENSITIVITY_HEADER[mail.sensitivity]);
  if (mail.receipt) head += header('Disposition-Notification-To', formatAddress(mail.receipt));
  head += 'MIME-Version: 1.0\r\n';
  return head;
}

function textPart(subtype: 'plain' | 'html', text: string): Part {
  return { headers: `Content-Type: text/${subtype}; charset=utf-8\r\n`, body: textBody(text) };
}

function bodyPart(mail: MailContent): Part {
  if (mail.bodyFormat === 'text') return textPart('plain', mail.body);
  // Least preferred first (RFC 2046 5.1.4): a reader that shows HTML shows the last.
  const text = mail.textAlternative ?? htmlToText(mail.body);
  return { multipart: 'alternative', parts: [textPart('plain', text), textPart('html', mail.body)] };
}

function attachmentPart(a: Attachment): Part {
  const isText = 'text' in a.content;
  const filename = safeFileName(a.filename);
  const type = attachmentType(a.contentType, filename, isText);
  // The name in both places: Content-Disposition for today's readers, the Content-Type
  // name for old ones. libmime writes RFC 2231 parameters where the name is not plain
  // ASCII or is long (continuations), and quotes it where it holds specials.
  const named = (params: Record<string, string>, key: string) =>
    filename === '' ? params : { ...params, [key]: filename };
  const headers =
    paramHeader('Content-Type', type, named(isText ? { charset: 'utf-8' } : {}, 'name')) +
    paramHeader('Content-Disposition', 'attachment', named({}, 'filename'));
  return { headers, body: 'text' in a.content ? textBody(a.content.text) : binaryBody(a.content.bytes) };
}

export { ComposedMessage } from './compose-part.js';

/** The message laid out, its size known: written whole (toBuffer) or in chunks, the same bytes. */
export function composedMessage(mail: MailContent): ComposedMessage {
  const attachments = mail.attachments ?? [];
  const body = bodyPart(mail);
  const root: Part =
    attachments.length === 0 ? body : { multipart: 'mixed', parts: [body, ...attachments.map(attachmentPart)] };
  return new ComposedMessage(messageHeaders(mail), root);
}

/** The whole message, as it is journaled and sent. */
export function composeMessage(mail: MailContent): Buffer {
  return composedMessage(mail).toBuffer();
}
