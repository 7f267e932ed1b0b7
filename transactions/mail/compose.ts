// Composes an RFC 5322 / MIME message: headers in ASCII (RFC 2047 encoded words where
// the text is not), a UTF-8 body, CRLF line ends, no line over 998 octets.
import { randomUUID } from 'node:crypto';
import libmime from 'libmime';
import { encode as qpEncode, wrap as qpWrap } from 'libqp';
import type { Address } from './addresses.js';

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
  readonly bodyFormat: 'text' | 'html';
  /** With its angle brackets. */
  readonly messageId: string;
  readonly date: Date;
  readonly attachments?: readonly Attachment[];
}

export interface Attachment {
  readonly filename: string;
  /** A text attachment is given as text and goes out in UTF-8. */
  readonly content: { readonly text: string } | { readonly bytes: Uint8Array };
  /** Its MIME type; for text, without charset (utf-8 is added). */
  readonly contentType: string;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** RFC 5322 3.3 date-time, in UTC. */
export function rfc5322Date(date: Date): string {
  return `${DAYS[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

// RFC 5322 atext plus blanks: a phrase that needs no quotes.
const PLAIN_PHRASE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

function phrase(name: string): string {
  if (PLAIN_PHRASE.test(name)) return name;
  if (PRINTABLE_ASCII.test(name)) return `"${name.replace(/(["\\])/g, '\\$1')}"`;
  // The whole phrase, specials too: encoding only the non-ASCII words would leave a
  // name like `Jörg <boss@corp.example>` to be read as an address (RFC 2047 5.3).
  return libmime.encodeWord(name, 'Q', 52);
}

export function formatAddress(a: Address): string {
  return a.name === '' ? a.address : `${phrase(a.name)} <${a.address}>`;
}

function header(name: string, value: string): string {
  return `${libmime.foldLines(`${name}: ${value}`, 76)}\r\n`;
}

function unstructured(value: string): string {
  return PRINTABLE_ASCII.test(value) ? value : libmime.encodeWords(value, 'Q', 52);
}

const IMPORTANCE_HEADER: Record<Importance, string> = { low: 'Low', normal: 'Normal', high: 'High' };
const SENSITIVITY_HEADER: Record<Sensitivity, string> = { personal: 'Personal', private: 'Private', 'company-confidential': 'Company-Confidential' };

/** Body bytes and the transfer encoding they need: 7bit where they can, else QP. */
function encodeBody(body: string): { encoding: string; text: string } {
  const crlf = body.replace(/\r?\n/g, '\r\n');
  const longest = crlf.split('\r\n').reduce((max, line) => Math.max(max, line.length), 0);
  if (PRINTABLE_ASCII.test(body.replace(/[\n\t]/g, ' ')) && longest <= 998) {
    return { encoding: '7bit', text: crlf.endsWith('\r\n') ? crlf : `${crlf}\r\n` };
  }
  const qp = qpWrap(qpEncode(Buffer.from(crlf, 'utf8')), 76).replace(/\r?\n/g, '\r\n');
  return { encoding: 'quoted-printable', text: qp.endsWith('\r\n') ? qp : `${qp}\r\n` };
}

/** Base64 in lines of 76 (RFC 2045 6.8). */
function base64Lines(bytes: Uint8Array): string {
  const b64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let out = '';
  for (let i = 0; i < b64.length; i += 76) out += `${b64.slice(i, i + 76)}\r\n`;
  return out;
}

function attachmentPart(a: Attachment): string {
  const isText = 'text' in a.content;
  const type = isText ? `${a.contentType}; charset=utf-8` : a.contentType;
  // RFC 2231 parameters where the name is not plain ASCII (libmime folds and encodes them).
  let head = header('Content-Type', libmime.buildHeaderValue({ value: type, params: { name: a.filename } }));
  head += header('Content-Disposition', libmime.buildHeaderValue({ value: 'attachment', params: { filename: a.filename } }));
  if ('text' in a.content) {
    const body = encodeBody(a.content.text);
    return `${head}Content-Transfer-Encoding: ${body.encoding}\r\n\r\n${body.text}`;
  }
  return `${head}Content-Transfer-Encoding: base64\r\n\r\n${base64Lines(a.content.bytes)}`;
}

/** The whole message, as it is journaled and sent. */
export function composeMessage(mail: MailContent): Buffer {
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
  const body = encodeBody(mail.body);
  const bodyPart = `Content-Type: ${mail.bodyFormat === 'html' ? 'text/html' : 'text/plain'}; charset=utf-8\r\nContent-Transfer-Encoding: ${body.encoding}\r\n\r\n${body.text}`;
  const attachments = mail.attachments ?? [];
  if (attachments.length === 0) return Buffer.from(head + bodyPart, 'utf8');
  // "=_" cannot occur in quoted-printable or base64 text, and the UUID in nothing else.
  const boundary = `----=_cicsmail_${randomUUID()}`;
  // The CRLF before each delimiter belongs to the delimiter (RFC 2046 5.1.1), so every
  // part keeps its own last line end.
  let out = `${head}Content-Type: multipart/mixed; boundary="${boundary}"\r\n\r\n`;
  out += `--${boundary}\r\n${bodyPart}`;
  for (const a of attachments) out += `\r\n--${boundary}\r\n${attachmentPart(a)}`;
  out += `\r\n--${boundary}--\r\n`;
  return Buffer.from(out, 'utf8');
}
