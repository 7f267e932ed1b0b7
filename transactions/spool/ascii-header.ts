// SPOL relays a mail as written, but its header section goes out in ASCII: text the code
// page gave beyond ASCII (a Subject with umlauts, a display name) is written in RFC 2047
// encoded words, since the journaled bytes are fixed before any relay is chosen and a relay
// without SMTPUTF8 (RFC 6531) may not take 8-bit headers. What encoded words cannot carry
// (an address, a Message-ID, a MIME parameter beyond ASCII) is refused with its reason. The
// body keeps its bytes (8BITMIME carries them), except NUL, which RFC 5322 allows nowhere.
import { ASCII } from '../../cics/characters.js';
import { parseAddressList } from '../../cics/addresses.js';
import { formatAddress, header, unstructured } from '../mail/compose-header.js';

/** Fields of addresses, whose display names may be encoded (RFC 5322 3.6.2, 3.6.3, 3.6.6). */
const ADDRESS_FIELDS = new Set([
  'from',
  'sender',
  'reply-to',
  'to',
  'cc',
  'bcc',
  'resent-from',
  'resent-sender',
  'resent-to',
  'resent-cc',
  'resent-bcc',
  'disposition-notification-to',
]);
/** Structured fields with no phrase to encode: beyond ASCII they cannot go to every relay. */
const STRUCTURED =
  /^(?:message-id|in-reply-to|references|resent-message-id|date|resent-date|received|return-path|mime-version|content-[\x21-\x39\x3b-\x7e]+)$/;
const FIELD_NAME = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

export type AsciiHeader =
  | { readonly ok: true; readonly message: string }
  | { readonly ok: false; readonly reason: 'NULCHAR' | 'HDR8BIT'; readonly detail: string };

/** The message with its header section in ASCII, or why it cannot be. `message` ends its lines in CRLF. */
export function asciiHeader(message: string): AsciiHeader {
  const nul = message.indexOf('\0');
  if (nul >= 0) {
    const line = message.slice(0, nul).split('\r\n').length;
    return {
      ok: false,
      reason: 'NULCHAR',
      detail: `line ${line} of the message holds a NUL (x'00'), which RFC 5322 does not allow`,
    };
  }
  // A stream that starts with its body (no field first) has no header section to change.
  if (!FIELD_NAME.test(message)) return { ok: true, message };
  const end = message.indexOf('\r\n\r\n');
  const head = end === -1 ? message : message.slice(0, end + 2);
  if (ASCII.test(head)) return { ok: true, message };
  const out: string[] = [];
  // Fields with their continuation lines, unfolded only where they are rewritten.
  const lines = head.split('\r\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length;) {
    let j = i + 1;
    while (j < lines.length && /^[ \t]/.test(lines[j] as string)) j++;
    const field = lines.slice(i, j);
    i = j;
    const text = field.join('\r\n');
    if (ASCII.test(text)) {
      out.push(`${text}\r\n`);
      continue;
    }
    const named = FIELD_NAME.exec(field[0] as string);
    if (!named)
      return { ok: false, reason: 'HDR8BIT', detail: `a header line that is no field holds text beyond ASCII` };
    const name = named[1] as string;
    const lower = name.toLowerCase();
    const value = field.join('').slice(named[0].length).trim();
    if (ADDRESS_FIELDS.has(lower)) {
      const parsed = parseAddressList(value);
      if (!parsed.ok) return { ok: false, reason: 'HDR8BIT', detail: `${name}: ${parsed.reason}` };
      const beyond = parsed.addresses.find((a) => !ASCII.test(a.address));
      if (beyond)
        return {
          ok: false,
          reason: 'HDR8BIT',
          detail: `${name}: the address ${beyond.address} is beyond ASCII, which not every relay takes (SMTPUTF8)`,
        };
      out.push(header(name, parsed.addresses.map(formatAddress).join(', ')));
    } else if (STRUCTURED.test(lower)) {
      return {
        ok: false,
        reason: 'HDR8BIT',
        detail: `${name} holds text beyond ASCII, which no encoded word can carry there`,
      };
    } else {
      out.push(header(name, unstructured(value)));
    }
  }
  return { ok: true, message: out.join('') + (end === -1 ? '' : message.slice(end + 2)) };
}
