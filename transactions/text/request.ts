// The text transactions (SEND, SPOL) read EBCDIC lines and answer with a report, one line
// a mail (contract: send-statements.md, "Report"). Their input is the COMMAREA or, where
// it is longer than a COMMAREA may be, a container named INPUT on a channel.
import { codePage, type CodePage } from '../../cics/codepages.js';
import { INPUT_CONTAINER, type ProgramContext, type TaskResult } from '../../cics/task.js';

export { INPUT_CONTAINER };
import { textLines } from '../../cics/text-lines.js';
import { REASONS, type Reason, type ReturnCode } from '../errors.js';
import type { Outcome } from '../mail/deliver.js';

export type TextInput =
  | { readonly ok: true; readonly lines: string[]; readonly cp: CodePage }
  | { readonly ok: false; readonly result: TaskResult };

/** The request's lines, or the condition that says why there are none to read. */
export function readTextInput(ctx: ProgramContext<unknown>): TextInput {
  const others = ctx.containers.filter((c) => c.name !== INPUT_CONTAINER);
  if (others.length > 0) {
    return invalid(
      `${ctx.eib.eibtrnid} reads one container, ${INPUT_CONTAINER}; the channel also holds ${others.map((c) => c.name).join(', ')}`,
    );
  }
  const input = ctx.containers.find((c) => c.name === INPUT_CONTAINER);
  if (input && ctx.commarea.byteLength > 0) {
    return invalid(`give ${ctx.eib.eibtrnid}'s input as the COMMAREA or as container ${INPUT_CONTAINER}, not both`);
  }
  // A BIT container is text all the same: EBCDIC in the request's code page.
  const ccsid = input?.kind === 'char' ? input.ccsid : ctx.ccsid;
  const cp = codePage(ccsid);
  return { ok: true, lines: textLines(cp.decode(input?.data ?? ctx.commarea)), cp };
}

function invalid(message: string): TextInput {
  return { ok: false, result: { kind: 'condition', condition: 'INVREQ', message } };
}

/** One line of the report. */
export interface ReportLine {
  readonly rc: ReturnCode;
  readonly text: string;
  readonly seq?: number;
  /** The class of the relay's reply, where the mail was sent. */
  readonly reply?: string;
}

const rcText = (rc: number) => `RC=${String(rc).padStart(2, '0')}`;

/**
 * A mail that went to the journal (and maybe the relay): `RC=00 SEQ=n MSGID=<…> reply`;
 * `tag` goes before the reply (a burst report's part: `PART=2/50 KEY="0042" …`).
 */
export function outcomeLine(outcome: Outcome, line: number, tag?: string): ReportLine {
  const { rc } = REASONS[outcome.reason];
  if (outcome.seq === undefined) return refusalLine(outcome.reason, line, outcome.detail, tag);
  return {
    rc,
    seq: outcome.seq,
    ...(outcome.replyClass ? { reply: outcome.replyClass } : {}),
    text: `${rcText(rc)} SEQ=${outcome.seq} MSGID=${outcome.messageId ?? ''} ${tag ? `${tag} ` : ''}${outcome.detail}`,
  };
}

/** A mail refused before it was sent: `RC=08 LINE=n what is wrong` (`tag` before what is wrong). */
export function refusalLine(reason: Reason, line: number, message: string, tag?: string): ReportLine {
  const { rc } = REASONS[reason];
  return { rc, text: `${rcText(rc)} LINE=${line} ${tag ? `${tag} ` : ''}${message}` };
}

/** NL (x'15'), the EBCDIC line end, whatever the code page maps it to. */
const NL = 0x15;

/** The report as the returned COMMAREA, in the input's code page, with the highest RC. */
export function reportResult(cp: CodePage, lines: readonly ReportLine[]): TaskResult {
  const parts: Buffer[] = [];
  for (const line of lines) parts.push(cp.encode(line.text), Buffer.of(NL));
  return {
    kind: 'normal',
    commarea: Buffer.concat(parts),
    journalSeqs: lines.flatMap((l) => (l.seq === undefined ? [] : [l.seq])),
    mailRc: lines.reduce((max, l) => Math.max(max, l.rc), 0),
    smtpReplies: lines.flatMap((l) => (l.reply === undefined ? [] : [l.reply])),
  };
}
