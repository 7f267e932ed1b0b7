// Composes an RFC 5322 / MIME message: headers in ASCII (RFC 2047 encoded words where
// the text is not), a UTF-8 body, CRLF line ends, no line over 998 octets.
import libmime from 'libmime';
import { encode as qpEncode, wrap as qpWrap } from 'libqp';
import type { Address } from './addresses.js';

export type Importance = 'low' | 'normal' | 'high';

export interface MailContent {
  readonly from: Address;
  readonly replyTo?: Address;
  readonly to: readonly Address[];
  readonly cc: readonly Address[];
  readonly subject: string;
  readonly importance: Importance;
  /** Lines joined by `\n`. */
  readonly body: string;
  readonly bodyFormat: 'text' | 'html';
  /** With its angle brackets. */
  readonly messageId: string;
  readonly date: Date;
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
  head += 'MIME-Version: 1.0\r\n';
  const body = encodeBody(mail.body);
  head += `Content-Type: ${mail.bodyFormat === 'html' ? 'text/html' : 'text/plain'}; charset=utf-8\r\n`;
  head += `Content-Transfer-Encoding: ${body.encoding}\r\n\r\n`;
  return Buffer.from(head + body.text, 'utf8');
}
