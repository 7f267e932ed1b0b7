// The text transactions (SEND, SPOL) read EBCDIC lines and answer with a report, one line
// a mail (contract: send-statements.md, "Report"). Their input is the COMMAREA or, where
// it is longer than a COMMAREA may be, a container named INPUT on a channel.
import { codePage, type CodePage } from '../../cics/codepages.js';
import { INPUT_CONTAINER, type ProgramContext, type TaskResult } from '../../cics/task.js';

export { INPUT_CONTAINER };
import { textLines } from '../../cics/text-lines.js';
import { RC, REASONS, type Reason, type ReturnCode } from '../errors.js';
import { NOT_TAKEN_WHY, pastTaking, type Outcome } from '../mail/deliver.js';

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
  /** The reason, where the line is a refusal. */
  readonly reason?: Reason;
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
  return { rc, reason, text: `${rcText(rc)} LINE=${line} ${tag ? `${tag} ` : ''}${message}` };
}

/** What a text transaction did with its input's mails: a report line or more each, and where it stopped. */
export interface TakenMails {
  readonly lines: ReportLine[];
  /** The first mail not taken (1 the input's first), where the time limit stopped the task. */
  readonly fromMail?: number;
}

/**
 * Takes the input's mails (`items`, one a mail, as the parser read them) in order, from
 * mail `ctx.fromMail` (X-Mail-From-Mail), each with `take`, which sends through `ctx`'s
 * mail gate (laterMailsGate: the time limit and the user's rate limit, mail by mail).
 * Before each mail it looks at the time: where only the time kept back to answer is left,
 * it takes no more; where the gate refused a mail, it stops there. Either way the report
 * ends with a line naming the first mail not taken (or taken in part), the restart point.
 */
export async function takeMails<T extends { readonly line: number }>(
  ctx: ProgramContext<unknown>,
  items: readonly T[],
  take: (item: T) => Promise<readonly ReportLine[]>,
): Promise<TakenMails> {
  const first = ctx.fromMail ?? 1;
  if (first > items.length) {
    const holds = items.length === 1 ? '1 mail' : `${items.length} mails`;
    return { lines: [refusalLine('NOMAIL', 1, `X-Mail-From-Mail ${first}: the input holds ${holds}`)] };
  }
  const lines: ReportLine[] = [];
  const restart = (i: number, reason: 'NOTTAKEN' | 'MAILRATE', inPart: boolean): TakenMails => {
    const mail = i + 1;
    const item = items[i] as T;
    const left = items.length - i;
    const message = inPart
      ? `MAIL=${mail} this mail was taken in part (its lines above)${left === 1 ? '' : ` and the ${left - 1} after it not at all`}; ` +
        `go on from mail ${mail} (X-Mail-From-Mail: ${mail}: its parts sent go again; the same request under its key sends only the others)`
      : `MAIL=${mail} ${left === 1 ? 'this mail was' : `this mail and the ${left - 1} after it were`} not taken: ` +
        `${NOT_TAKEN_WHY[reason]}; go on from mail ${mail} (X-Mail-From-Mail: ${mail}, cicsmail send --from-mail ${mail})`;
    lines.push(refusalLine(reason, item.line, message));
    return { lines, fromMail: mail };
  };
  for (let i = first - 1; i < items.length; i++) {
    if (pastTaking(ctx)) return restart(i, 'NOTTAKEN', false);
    const made = await take(items[i] as T);
    const stopped = made.filter((l) => l.rc === RC.PARTLY);
    const reason = stopped.some((l) => l.reason === 'MAILRATE') ? 'MAILRATE' : 'NOTTAKEN';
    // The gate refused the mail: none of it went.
    if (stopped.length > 0 && stopped.length === made.length) return restart(i, reason, false);
    lines.push(...made);
    // A mail that makes mails of its own (a burst report's parts) stopped within itself.
    if (stopped.length > 0) return restart(i, reason, true);
  }
  return { lines };
}

/** NL (x'15'), the EBCDIC line end, whatever the code page maps it to. */
const NL = 0x15;

/** The report as the returned COMMAREA, in the input's code page, with the highest RC. */
export function reportResult(cp: CodePage, lines: readonly ReportLine[], fromMail?: number): TaskResult {
  const parts: Buffer[] = [];
  for (const line of lines) parts.push(cp.encode(line.text), Buffer.of(NL));
  return {
    kind: 'normal',
    commarea: Buffer.concat(parts),
    journalSeqs: lines.flatMap((l) => (l.seq === undefined ? [] : [l.seq])),
    mailRc: lines.reduce((max, l) => Math.max(max, l.rc), 0),
    smtpReplies: lines.flatMap((l) => (l.reply === undefined ? [] : [l.reply])),
    ...(fromMail !== undefined ? { fromMail } : {}),
  };
}
