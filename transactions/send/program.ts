// Program of transaction SEND: control statements (contract: send-statements.md), one or
// more mails a request. Each mail is composed, journaled and sent in input order; the
// answer is the report, a line a mail, and X-Mail-RC the highest RC.
import type { ProgramContext, TaskResult } from '../../cics/task.js';
import type { Services } from '../services.js';
import { composeAndSend } from '../mail/deliver.js';
import { outcomeLine, readTextInput, refusalLine, reportResult, type ReportLine } from '../text/request.js';
import type { Attachment } from '../mail/compose.js';
import { renderReport } from '../report/report.js';
import { reportLineFailure, type SendAttachment } from './attach.js';
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

/** The mail's attachments with its reports rendered, or the refusal of the first that cannot be. */
async function rendered(attachments: readonly SendAttachment[]): Promise<Attachment[] | ReportLine> {
  const out: Attachment[] = [];
  for (const a of attachments) {
    if (!('report' in a)) {
      out.push(a);
      continue;
    }
    const made = await renderReport(a.report);
    if ('code' in made) {
      const failure = reportLineFailure(a.report.name, a.line, made);
      return refusalLine(failure.reason, failure.line, failure.message);
    }
    out.push(made);
  }
  return out;
}

async function sendOne(ctx: ProgramContext<Services>, mail: SendMail, line: number, now: Date): Promise<ReportLine> {
  const { format, attachments: asked, ...fields } = mail;
  const attachments = await rendered(asked);
  if (!Array.isArray(attachments)) return attachments;
  // SUB (x'3F') marks a character the code page could not hold: show it as U+FFFD.
  const outcome = await composeAndSend(
    ctx,
    { ...fields, attachments, bodyFormat: format, body: mail.body.replaceAll('\u001a', '\ufffd') },
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
