// A SEND mail whose ATTACH bursts its report (BURST=): a mail a part, to the recipients
// KEYMAIL gives the part's key, else the region's key map that KEYMAP names, else the
// mail's TO, CC and BCC; with COMBINE=YES, one mail for all the parts that go to the same
// recipients. Every part is in the answer, one line each (its key, pages and recipients):
// sent, or why not. A part that has nowhere to go is answered RC 8 NOROUTE, one whose
// recipients are all suppressed RC 12 SUPPRESS: never dropped.
import type { Address } from '../../cics/addresses.js';
import type { ProgramContext } from '../../cics/task.js';
import type { Attachment } from '../mail/compose.js';
import { composeAndSend, type Outcome } from '../mail/deliver.js';
import { renderReport, type BurstPart } from '../report/report.js';
import type { Services } from '../services.js';
import { outcomeLine, refusalLine, type ReportLine } from '../text/request.js';
import { reportLineFailure, type ReportAttachment } from './attach.js';
import { burstKey } from '../../cics/burst-key.js';
import type { SendMail } from './statements.js';

interface Recipients {
  readonly to: readonly Address[];
  readonly cc: readonly Address[];
  readonly bcc: readonly Address[];
}

/** The part as the answer names it: `PART=2/50 KEY="0042" PAGES=41-80 TO=a@x.example,b@x.example`. */
function partTag(part: BurstPart, parts: number, to: Recipients | undefined): string {
  const pages = part.firstPage === part.lastPage ? `${part.firstPage}` : `${part.firstPage}-${part.lastPage}`;
  const who = to ? [...to.to, ...to.cc, ...to.bcc].map((a) => a.address).join(',') : '';
  return `PART=${part.index}/${parts} KEY="${part.key.replaceAll('"', "'")}" PAGES=${pages}${who ? ` TO=${who}` : ''}`;
}

/**
 * Sends the parts; `others` (the mail's other attachments, rendered) go with each. Each
 * mail is one of its own in the journal, with its own Message-ID, and the suppression list
 * applies to each (journalAndSend). Where the request has a request key, each mail sent
 * here is journaled under its part's key, `KEY/n` (cics/request-key.ts partKey; a combined
 * mail the first part's n), so that a request sent again finds which parts went.
 */
export async function sendBurst(
  ctx: ProgramContext<Services>,
  mail: SendMail,
  burst: ReportAttachment,
  others: readonly Attachment[],
  now: Date,
): Promise<ReportLine[]> {
  const parts = burst.report.parts ?? [];
  const { format, attachments: _, keymail, keymap, to, cc, bcc, ...fields } = mail;
  const maps = ctx.services.journal.keyMaps;
  // Looked for once, before any part goes: a map that is not there is the whole mail's error.
  if (keymap && !maps.has(keymap.name))
    return [
      refusalLine(
        'NOMAP',
        keymap.line,
        `KEYMAP ${keymap.name}: the region keeps no key map of that name (cicsmail keymap list)`,
      ),
    ];
  const fromMap = (key: string): readonly Address[] | undefined =>
    keymap ? maps.recipients(keymap.name, key)?.map((address) => ({ name: '', address })) : undefined;
  const fallback: Recipients | undefined = to.length + cc.length + bcc.length > 0 ? { to, cc, bcc } : undefined;
  // By part: the answer lists them in the report's order, however they were sent.
  const lines = new Map<number, ReportLine>();
  // A combined mail goes in the place of its first part.
  const groups = new Map<string, { recipients: Recipients; parts: BurstPart[] }>();
  const order: { recipients: Recipients; parts: BurstPart[] }[] = [];
  for (const part of parts) {
    const mapped = keymail?.get(burstKey(part.key)) ?? fromMap(part.key);
    const recipients = mapped ? { to: mapped, cc: [], bcc: [] } : fallback;
    if (recipients === undefined) {
      lines.set(
        part.index,
        refusalLine(
          'NOROUTE',
          burst.line,
          `the key is in no KEYMAIL${keymap ? ` nor key map ${keymap.name}` : ''}, and the mail has no TO, CC or BCC to take it`,
          partTag(part, parts.length, undefined),
        ),
      );
      continue;
    }
    const id = [recipients.to, recipients.cc, recipients.bcc].map((l) => l.map((a) => a.address).join(',')).join('|');
    const group = burst.report.options.burst?.combine ? groups.get(id) : undefined;
    if (group) group.parts.push(part);
    else {
      const fresh = { recipients, parts: [part] };
      order.push(fresh);
      if (burst.report.options.burst?.combine) groups.set(id, fresh);
    }
  }
  // Each mail past the task's first is held to the time and rate limits (the task's mail
  // gate); once one is refused the parts left are answered the same, unrendered.
  let stop: Outcome | undefined;
  for (const { recipients, parts: these } of order) {
    if (stop) {
      for (const p of these) lines.set(p.index, outcomeLine(stop, burst.line, partTag(p, parts.length, recipients)));
      continue;
    }
    const attachments: Attachment[] = [...others];
    let failed = false;
    for (const part of these) {
      const made = await renderReport(burst.report, part);
      if ('code' in made) {
        const failure = reportLineFailure(burst.report.name, burst.line, made);
        for (const p of these)
          lines.set(
            p.index,
            refusalLine(failure.reason, failure.line, failure.message, partTag(p, parts.length, recipients)),
          );
        failed = true;
        break;
      }
      attachments.push(made);
    }
    if (failed) continue;
    // Its own request key where the request has one: a rerun finds which parts went by them.
    const first = these[0] as BurstPart;
    const partCtx = ctx.requestKey ? { ...ctx, requestKey: ctx.requestKey.part(first.index) } : ctx;
    const outcome = await composeAndSend(
      partCtx,
      {
        ...fields,
        ...recipients,
        attachments,
        bodyFormat: format,
        body: mail.body.replaceAll('\u001a', '\ufffd'),
      },
      now,
    );
    if (outcome.reason === 'NOTTAKEN' || outcome.reason === 'MAILRATE') stop = outcome;
    these.forEach((part, i) => {
      const line = outcomeLine(outcome, burst.line, partTag(part, parts.length, recipients));
      // One mail, however many parts it holds: its record and the relay's reply count once
      // (X-Journal-Seq, the metrics); each part's line still names it.
      const { seq: _seq, reply: _reply, ...text } = line;
      lines.set(part.index, i === 0 ? line : text);
    });
  }
  return [...lines.entries()].sort(([a], [b]) => a - b).map(([, line]) => line);
}
