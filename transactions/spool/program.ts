// Program of transaction SPOL: an SMTP datastream as a batch job wrote it to the spool
// (contract: spool-datastream.md), one or more mails, each relayed as written with the
// envelope the stream names. Only Message-ID and Date are added, where missing.
import libmime from 'libmime';
import type { ProgramContext, TaskResult } from '../../region/task.js';
import type { Services } from '../services.js';
import { rfc5322Date } from '../mail/compose.js';
import { journalAndSend, newMessageId } from '../mail/deliver.js';
import { outcomeLine, readTextInput, refusalLine, reportResult, type ReportLine } from '../text/request.js';
import { parseDatastream, type SpoolMail } from './datastream.js';

const FIELD = /^[\x21-\x39\x3b-\x7e]+[ \t]*:/;
const MIME_FIELD = /^(?:content-type|mime-version)[ \t]*:/im;
const ASCII = /^[\x00-\x7f]*$/;

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

async function relayOne(ctx: ProgramContext<Services>, mail: SpoolMail, line: number, now: Date): Promise<ReportLine> {
  const messageId = mail.messageId ?? newMessageId(ctx.services.config.hostname);
  const message = messageOf(mail, messageId, now);
  const outcome = await journalAndSend(ctx, { from: mail.from, to: mail.to, message, messageId, subject: readable(mail.subject), attachments: 0 });
  return outcomeLine(outcome, line);
}

export default async function spoolProgram(ctx: ProgramContext<Services>): Promise<TaskResult> {
  const input = readTextInput(ctx);
  if (!input.ok) return input.result;
  const now = new Date();
  const report: ReportLine[] = [];
  for (const item of parseDatastream(input.lines)) {
    report.push(item.ok ? await relayOne(ctx, item.mail, item.line, now) : refusalLine(item.reason, item.line, item.message));
  }
  return reportResult(input.cp, report);
}
