// Program of transaction SEND: control statements (contract: send-statements.md), one or
// more mails a request. Each mail is composed, journaled and sent in input order; the
// answer is the report, a line a mail, and X-Mail-RC the highest RC.
import type { ProgramContext, TaskResult } from '../../region/task.js';
import type { Services } from '../services.js';
import { composeMessage } from '../mail/compose.js';
import { journalAndSend, newMessageId, refuse } from '../mail/deliver.js';
import { decideSender, recipientProblem, sizeProblem } from '../sender-check.js';
import { outcomeLine, readTextInput, refusalLine, reportResult, type ReportLine } from '../text/request.js';
import { parseStatements, type SendMail, type Symbols } from './statements.js';

const two = (n: number) => String(n).padStart(2, '0');

/** The symbols of SUBJECT and TEXT, as of the task's start (the region's local time). */
function symbolsOf(ctx: ProgramContext<Services>, now: Date): Symbols {
  return {
    date: `${now.getFullYear()}-${two(now.getMonth() + 1)}-${two(now.getDate())}`,
    time: `${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`,
    userid: ctx.eib.eibusrid,
    tranid: ctx.eib.eibtrnid,
    taskn: String(ctx.eib.eibtaskn),
    jobname: ctx.eib.eibjobnm,
    sysid: ctx.services.config.sysid,
  };
}

async function sendOne(ctx: ProgramContext<Services>, mail: SendMail, line: number, now: Date): Promise<ReportLine> {
  const to = [...mail.to, ...mail.cc, ...mail.bcc].map((a) => a.address);
  const limits = recipientProblem(ctx, to);
  if (limits) return outcomeLine(await refuse(ctx, mail.from?.address ?? '', to, mail.subject, limits), line);
  const sender = await decideSender(ctx, mail.from, to);
  if (!sender.ok) return outcomeLine(await refuse(ctx, mail.from?.address ?? '', to, mail.subject, sender), line);
  const replyTo = sender.replyTo ?? mail.replyTo;
  const messageId = newMessageId(ctx.services.config.hostname);
  const message = composeMessage({
    from: sender.from,
    ...(replyTo ? { replyTo } : {}),
    to: mail.to,
    cc: mail.cc,
    subject: mail.subject,
    importance: mail.importance,
    ...(mail.priority ? { priority: mail.priority } : {}),
    ...(mail.sensitivity ? { sensitivity: mail.sensitivity } : {}),
    ...(mail.receipt ? { receipt: mail.receipt } : {}),
    // SUB (x'3F') marks a character the code page could not hold: show it as U+FFFD.
    body: mail.body.replaceAll('\u001a', '\ufffd'),
    bodyFormat: mail.format,
    messageId,
    date: now,
    attachments: mail.attachments,
  });
  const size = sizeProblem(ctx, message.byteLength);
  if (size) return outcomeLine(await refuse(ctx, sender.from.address, to, mail.subject, size), line);
  const outcome = await journalAndSend(ctx, { from: sender.from.address, to, message, messageId, subject: mail.subject, attachments: mail.attachments.length });
  return outcomeLine(outcome, line);
}

export default async function sendProgram(ctx: ProgramContext<Services>): Promise<TaskResult> {
  const input = readTextInput(ctx);
  if (!input.ok) return input.result;
  const now = new Date();
  const report: ReportLine[] = [];
  for (const item of parseStatements(input.lines, symbolsOf(ctx, now))) {
    report.push(item.ok ? await sendOne(ctx, item.mail, item.line, now) : refusalLine(item.reason, item.line, item.message));
  }
  return reportResult(input.cp, report);
}
