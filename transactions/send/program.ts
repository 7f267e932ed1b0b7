// Program of transaction SEND: control statements (contract: send-statements.md), one or
// more mails a request. Each mail is composed, journaled and sent in input order; the
// answer is the report, a line a mail, and X-Mail-RC the highest RC.
import type { ProgramContext, TaskResult } from '../../cics/task.js';
import type { Services } from '../services.js';
import { composeAndSend } from '../mail/deliver.js';
import { outcomeLine, readTextInput, refusalLine, reportResult, type ReportLine } from '../text/request.js';
import { parseStatements, type SendMail } from './statements.js';
import type { Symbols } from './symbols.js';

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
  const { format, ...fields } = mail;
  // SUB (x'3F') marks a character the code page could not hold: show it as U+FFFD.
  const outcome = await composeAndSend(
    ctx,
    { ...fields, bodyFormat: format, body: mail.body.replaceAll('\u001a', '\ufffd') },
    now,
  );
  return outcomeLine(outcome, line);
}

export default async function sendProgram(ctx: ProgramContext<Services>): Promise<TaskResult> {
  const input = readTextInput(ctx);
  if (!input.ok) return input.result;
  const now = new Date();
  const report: ReportLine[] = [];
  for (const item of parseStatements(input.lines, symbolsOf(ctx, now), { cp: input.cp, now })) {
    report.push(
      item.ok ? await sendOne(ctx, item.mail, item.line, now) : refusalLine(item.reason, item.line, item.message),
    );
  }
  return reportResult(input.cp, report);
}
