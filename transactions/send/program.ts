// Program of transaction SEND: control statements (contract: send-statements.md), one or
// more mails a request. Each mail is composed, journaled and sent in input order; the
// answer is the report, a line a mail, and X-Mail-RC the highest RC.
import type { ProgramContext, TaskResult } from '../../cics/task.js';
import type { Services } from '../services.js';
import { composeAndSend, laterMailsGate } from '../mail/deliver.js';
import { outcomeLine, readTextInput, refusalLine, reportResult, takeMails, type ReportLine } from '../text/request.js';
import type { Attachment } from '../mail/compose.js';
import { renderReport } from '../report/report.js';
import { reportLineFailure, type ReportAttachment, type SendAttachment } from './attach.js';
import { sendBurst } from './burst-mail.js';
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

async function sendOne(ctx: ProgramContext<Services>, mail: SendMail, line: number, now: Date): Promise<ReportLine[]> {
  const { format, attachments: asked, keymail: _, ...fields } = mail;
  const burst = asked.find((a): a is ReportAttachment => 'report' in a && a.report.parts !== undefined);
  const attachments = await rendered(asked.filter((a) => a !== burst));
  if (!Array.isArray(attachments)) return [attachments];
  if (burst) return sendBurst(ctx, mail, burst, attachments, now);
  // SUB (x'3F') marks a character the code page could not hold: show it as U+FFFD.
  const outcome = await composeAndSend(
    ctx,
    { ...fields, attachments, bodyFormat: format, body: mail.body.replaceAll('\u001a', '\ufffd') },
    now,
  );
  return [outcomeLine(outcome, line)];
}

export default async function sendProgram(ctx: ProgramContext<Services>): Promise<TaskResult> {
  const input = readTextInput(ctx);
  if (!input.ok) return input.result;
  const now = new Date();
  const items = parseStatements(input.lines, symbolsOf(ctx, now), { cp: input.cp, now });
  const gated = { ...ctx, mailGate: laterMailsGate(ctx) };
  const taken = await takeMails(gated, items, async (item) =>
    item.ok ? sendOne(gated, item.mail, item.line, now) : [refusalLine(item.reason, item.line, item.message)],
  );
  return reportResult(input.cp, taken.lines, taken.fromMail);
}
