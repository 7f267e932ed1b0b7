// What MAIL FROM and RCPT TO say about a mail, and what cannot go to this relay at all,
// from the relay's EHLO keywords: SIZE (RFC 1870), 8BITMIME (RFC 6152), SMTPUTF8 (RFC
// 6531), DSN (RFC 3461).
import { isAscii } from 'node:buffer';
import type { RefusedRecipient } from './delivery.js';
import { isChunked, type MessageBytes } from '../cics/message-chunks.js';
import { ASCII, CONTROL } from '../cics/characters.js';
import { dsnMailParams, dsnRcptParams, type DsnRequest } from './dsn/request.js';

export type EnvelopePlan =
  | {
      readonly kind: 'send';
      /** The MAIL FROM parameters, each after a space (` SIZE=123 BODY=8BITMIME`). */
      readonly params: string;
      /** The recipients to name in RCPT TO. */
      readonly recipients: readonly string[];
      /** Each recipient's RCPT TO parameters, each after a space (` NOTIFY=… ORCPT=…`); '' for none. */
      readonly rcptParams: readonly string[];
      /** Recipients this relay cannot take, refused for good before it is asked. */
      readonly refused: readonly RefusedRecipient[];
    }
  | {
      /** Nothing of the mail can go to this relay: a failure for good, with the reply. */
      readonly kind: 'refuse';
      readonly reply: string;
      readonly refused: readonly RefusedRecipient[];
    };

// A CR or LF in an address would end the command and start another (command injection).
const CRLF_CRLF = Buffer.from('\r\n\r\n');

export function planEnvelope(
  extensions: ReadonlyMap<string, string>,
  relay: string,
  from: string,
  recipients: readonly string[],
  message: MessageBytes,
  dsn?: DsnRequest,
): EnvelopePlan {
  const sizeLimit = Number(extensions.get('SIZE') ?? '0');
  if (sizeLimit > 0 && message.byteLength > sizeLimit) {
    return {
      kind: 'refuse',
      reply: `552 5.3.4 message of ${message.byteLength} bytes is over the relay's SIZE limit of ${sizeLimit}`,
      refused: [],
    };
  }
  let params = extensions.has('SIZE') ? ` SIZE=${message.byteLength}` : '';

  const eightBit = isChunked(message) ? !message.ascii : !isAscii(message);
  if (eightBit) {
    // RFC 6152 3: to a server without 8BITMIME the client "MUST NOT, under any
    // circumstances" send octets above 127; it may convert the message to 7-bit MIME or
    // treat it as a permanent error. Converting is the composer's work, not the client's
    // (it would change the journaled bytes), so the mail fails here; X.6.3 (RFC 3463) is
    // "conversion required but not supported".
    if (!extensions.has('8BITMIME')) {
      return {
        kind: 'refuse',
        reply: `554 5.6.3 the message has 8-bit octets and ${relay} does not offer 8BITMIME (RFC 6152)`,
        refused: [],
      };
    }
    params += ' BODY=8BITMIME';
  }

  // An address that is not ASCII cannot be written to a relay without SMTPUTF8 at all
  // (RFC 6531 3.2); X.6.7 is "non-ASCII addresses not permitted" (RFC 6531 3.7.4.1).
  const utf8 = extensions.has('SMTPUTF8');
  const notAscii = (address: string) =>
    `553 5.6.7 <${address}> is not ASCII and ${relay} does not offer SMTPUTF8 (RFC 6531)`;
  const control = (address: string, code: string) => `553 ${code} ${JSON.stringify(address)} has a control character`;
  if (CONTROL.test(from)) return { kind: 'refuse', reply: control(from, '5.1.7'), refused: [] };
  if (!utf8 && !ASCII.test(from)) return { kind: 'refuse', reply: notAscii(from), refused: [] };
  const refused: RefusedRecipient[] = [];
  const sendable: string[] = [];
  for (const r of recipients) {
    if (CONTROL.test(r)) refused.push({ recipient: r, reply: control(r, '5.1.3') });
    else if (utf8 || ASCII.test(r)) sendable.push(r);
    else refused.push({ recipient: r, reply: notAscii(r) });
  }
  // As a 5xx to RCPT would: the others still get the mail.
  if (sendable.length === 0) return { kind: 'refuse', reply: refused[0]?.reply ?? '554 5.5.1 no recipients', refused };

  if (utf8) {
    // RFC 6531 3.4: SMTPUTF8 goes with a mail that needs it, which UTF-8 in the header
    // section (RFC 6532) does as much as an address. Without the extension such a header
    // still goes as 8-bit data, as it did before: the addresses are what cannot.
    if (!ASCII.test(from) || sendable.some((r) => !ASCII.test(r)) || (eightBit && !headerAscii(message)))
      params += ' SMTPUTF8';
  }
  // RFC 3461 4: the parameters go only to a relay that offers DSN; one that does not
  // would refuse them (555), and its bounces still come to the return path.
  if (dsn === undefined || !extensions.has('DSN')) {
    return { kind: 'send', params, recipients: sendable, rcptParams: sendable.map(() => ''), refused };
  }
  params += dsnMailParams(dsn);
  const rcptParams = sendable.map((r) => dsnRcptParams(dsn, r));
  return { kind: 'send', params, recipients: sendable, rcptParams, refused };
}

/** Whether the header section (up to the first blank line) is all ASCII. */
function headerAscii(message: MessageBytes): boolean {
  if (isChunked(message)) return message.headerAscii;
  const headerEnd = Buffer.from(message.buffer, message.byteOffset, message.byteLength).indexOf(CRLF_CRLF);
  return isAscii(headerEnd === -1 ? message : message.subarray(0, headerEnd));
}
