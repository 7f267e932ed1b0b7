// Program of transaction SPOL: an SMTP datastream as a batch job wrote it to the spool
// (contract: spool-datastream.md), one or more mails, each relayed as written with the
// envelope the stream names. Only Message-ID and Date are added, where missing.
import libmime from 'libmime';
import type { ProgramContext, TaskResult } from '../../cics/task.js';
import type { Services } from '../services.js';
import type { Address } from '../../cics/addresses.js';
import { formatAddress, rfc5322Date } from '../mail/compose.js';
import { journalAndSend, laterMailsGate, newMessageId, refuse } from '../mail/deliver.js';
import { decideSender, recipientProblem, sizeProblem } from '../sender-check.js';
import { outcomeLine, readTextInput, refusalLine, reportResult, takeMails, type ReportLine } from '../text/request.js';
import { parseDatastream, type SpoolMail } from './datastream.js';
import { asciiHeader } from './ascii-header.js';
import { ASCII } from '../../cics/characters.js';

const FIELD = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;
const MIME_FIELD = /^(?:content-type|mime-version)[ \t]*:/im;

/** The message's bytes: the stream's text with the headers the region adds. */
function messageOf(mail: SpoolMail, messageId: string, now: Date): Buffer {
  let added = '';
  if (mail.messageId === null) added += `Message-ID: ${messageId}\r\n`;
  if (!mail.hasDate) added += `Date: ${rfc5322Date(now)}\r\n`;
  const text = mail.message;
  const headerEnd = text.indexOf('\r\n\r\n');
  const header = headerEnd === -1 ? text : text.slice(0, headerEnd);
  // Text the code page gave beyond ASCII goes out in UTF-8, and says so where the stream
  // did not declare a type of its own.
  if (!ASCII.test(text) && !MIME_FIELD.test(header)) {
    added += 'MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n';
  }
  // A stream that starts with its body (no header at all) keeps it a body.
  if (added !== '' && text !== '' && !text.startsWith('\r\n') && !FIELD.test(text)) added += '\r\n';
  return Buffer.from(added + text, 'utf8');
}

function readable(subject: string): string {
  try {
    return libmime.decodeWords(subject);
  } catch {
    return subject;
  }
}

/**
 * The header section with From (and Reply-To) written anew, for a sender the policy or the
 * exit replaced: every From, Reply-To, Sender and Resent- field and its folded continuations
 * go (they named the one replaced), the new ones come first.
 */
function withSender(message: string, from: Address, replyTo: Address | undefined): string {
  const headerEnd = message.indexOf('\r\n\r\n');
  const header = headerEnd === -1 ? message : message.slice(0, headerEnd + 2);
  const rest = headerEnd === -1 ? '' : message.slice(headerEnd + 2);
  const kept: string[] = [];
  let dropping = false;
  for (const line of header.split('\r\n')) {
    if (line === '') continue;
    if (/^[ \t]/.test(line) && dropping) continue;
    dropping = /^(?:from|reply-to|sender|resent-[\x21-\x39\x3b-\x7e]+)[ \t]*:/i.test(line);
    if (!dropping) kept.push(line);
  }
  const added = [`From: ${formatAddress(from)}`, ...(replyTo ? [`Reply-To: ${formatAddress(replyTo)}`] : [])];
  return `${[...added, ...kept].join('\r\n')}\r\n${rest}`;
}

async function relayOne(ctx: ProgramContext<Services>, mail: SpoolMail, line: number, now: Date): Promise<ReportLine> {
  const subject = readable(mail.subject);
  if (mail.badAuthor !== null) {
    const { field, reason } = mail.badAuthor;
    return refusalLine(
      'BADFROM',
      line,
      `the ${field} header is not a list of valid addresses (${reason}), so it cannot be verified`,
    );
  }
  const limits = recipientProblem(ctx, mail.to);
  if (limits) return outcomeLine(await refuse(ctx, mail.from, mail.to, subject, limits), line);
  // The envelope and every address of the author and sender headers must be senders the user may use.
  const asked: Address = { name: '', address: mail.from };
  const sender = await decideSender(ctx, asked, mail.to, mail.authors);
  if (!sender.ok) return outcomeLine(await refuse(ctx, mail.from, mail.to, subject, sender), line);
  const written =
    sender.from.address === mail.from && !sender.replaced
      ? mail.message
      : withSender(mail.message, sender.from, sender.replyTo);
  const ascii = asciiHeader(written);
  if (!ascii.ok) return refusalLine(ascii.reason, line, ascii.detail);
  const text = { ...mail, message: ascii.message };
  const messageId = mail.messageId ?? newMessageId(ctx.services.config.hostname);
  const message = messageOf(text, messageId, now);
  const size = sizeProblem(ctx, message.byteLength);
  if (size) return outcomeLine(await refuse(ctx, sender.from.address, mail.to, subject, size), line);
  const outcome = await journalAndSend(ctx, {
    from: sender.from.address,
    to: mail.to,
    message,
    messageId,
    subject,
    attachments: 0,
  });
  return outcomeLine(outcome, line);
}

export default async function spoolProgram(ctx: ProgramContext<Services>): Promise<TaskResult> {
  const input = readTextInput(ctx);
  if (!input.ok) return input.result;
  const now = new Date();
  const gated = { ...ctx, mailGate: laterMailsGate(ctx) };
  const taken = await takeMails(gated, parseDatastream(input.lines), async (item) => [
    item.ok ? await relayOne(gated, item.mail, item.line, now) : refusalLine(item.reason, item.line, item.message),
  ]);
  return reportResult(input.cp, taken.lines, taken.fromMail);
}
