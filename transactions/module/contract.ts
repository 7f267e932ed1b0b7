// The program contract as a module of the shop's own sees it: a frozen object with its task's
// EIB, its COMMAREA (as its copybook's view, and as bytes), its channel's containers, and two
// ways to send mail, each MAIL's own path with every guarantee MAIL has: `link('MAIL',
// fields)` runs MAIL on a MAILCA made from the fields and answers with MAIL's answer;
// `sendMail(mail)` composes, journals and sends a mail given as headers and parts. Nothing
// else of the worker is in it: no journal, no SMTP pool, no settings. The module runs in the
// worker's thread, so this is a contract, not a sandbox (docs/transactions.md says why).
import { codePage } from '../../cics/codepages.js';
import { FieldError } from '../../cics/copybook/errors.js';
import { jsonToRecord, recordToJson } from '../../cics/copybook/json.js';
import { copybook } from '../../cics/copybook/library.js';
import { viewVersionProblem } from '../../cics/mailca.js';
import type { Container, Eib, ProgramContext, TaskResult } from '../../cics/task.js';
import { REASONS, type Reason } from '../errors.js';
import mailProgram from '../mail/program.js';
import { composeAndSend, laterMailsGate, type Outcome } from '../mail/deliver.js';
import type { Services } from '../services.js';
import { draftOf } from '../template/render.js';
import { readModuleMail } from './mail.js';

/** A container of the task's channel as a module reads it. */
export interface ModuleContainer extends Container {
  /** A CHAR container's text, decoded from its code page when asked; null for a BIT one. */
  text(): string | null;
}

/** What `sendMail` answers, as MAIL's output fields say it. */
export interface MailAnswer {
  readonly rc: number;
  readonly reason: Reason;
  readonly messageId: string;
  readonly journalSeq: number;
  readonly relayReply: string;
}

/** What a module's default export is called with. */
export interface ModuleContext {
  readonly eib: Eib;
  readonly ccsid: number;
  /** When the task's time limit runs out (epoch ms). */
  readonly deadline: number;
  /** The COMMAREA's view through the transaction's copybook; null where it has none. */
  readonly commarea: Record<string, unknown> | null;
  /** The COMMAREA's bytes, the module's own copy. */
  readonly bytes: Uint8Array;
  readonly containers: readonly ModuleContainer[];
  link(program: string, fields: unknown, options?: { containers?: readonly Container[] }): Promise<unknown>;
  sendMail(mail: unknown): Promise<MailAnswer>;
}

/** A LINK that did not run MAIL to its end: the condition MAIL raised (LENGERR, INVREQ) or PGMIDERR. */
export class LinkError extends Error {
  readonly code = 'CICSMAIL_LINK';
  constructor(
    readonly resp: 'PGMIDERR' | 'LENGERR' | 'INVREQ' | 'NOSPACE',
    message: string,
    readonly field?: string,
  ) {
    super(message);
    this.name = 'LinkError';
  }
}

/** What the task's mails came to, for its answer: their journal records, highest RC, relay replies. */
export interface Sent {
  readonly journalSeqs: number[];
  mailRc: number | undefined;
  readonly smtpReplies: string[];
}

function answerOf(outcome: Outcome): MailAnswer {
  return {
    rc: REASONS[outcome.reason].rc,
    reason: outcome.reason,
    messageId: outcome.messageId ?? '',
    journalSeq: outcome.seq ?? 0,
    relayReply: outcome.detail,
  };
}

function containerOf(c: Container): ModuleContainer {
  return Object.freeze({ ...c, text: () => (c.kind === 'char' ? codePage(c.ccsid).decode(c.data) : null) });
}

/**
 * The frozen context of one task of a module, and `end()`, after which its `link` and
 * `sendMail` refuse: a module that keeps them cannot send under a task that has answered.
 */
export function moduleContext(
  ctx: ProgramContext<Services>,
  view: Record<string, unknown> | null,
  sent: Sent,
): { readonly context: ModuleContext; readonly end: () => void } {
  let ended = false;
  // The module's mails, however it sends them: past the first, each is held to the time
  // limit and the user's rate limit (RC 24), as SEND's are.
  const gated: ProgramContext<Services> = { ...ctx, mailGate: laterMailsGate(ctx) };
  const live = (what: string) => {
    if (ended) throw new Error(`${what}: task ${ctx.eib.eibtaskn} has ended`);
  };
  const record = (journalSeqs: readonly number[], rc: number, smtpReplies: readonly string[]) => {
    sent.journalSeqs.push(...journalSeqs);
    sent.mailRc = Math.max(sent.mailRc ?? 0, rc);
    sent.smtpReplies.push(...smtpReplies);
  };

  const link = async (program: string, fields: unknown, options: { containers?: readonly Container[] } = {}) => {
    live('link');
    if (program !== 'MAIL')
      throw new LinkError('PGMIDERR', `link: program ${String(program)} cannot be linked to; MAIL can`);
    const layout = copybook('MAILCA');
    const cp = codePage(ctx.ccsid);
    // The fields are MAILCA version 01's: a module's mail has its task's key, if any.
    const versionProblem = viewVersionProblem(fields);
    if (versionProblem) throw new LinkError('INVREQ', `link: MAIL: ${versionProblem}`, 'MC-VERSION');
    let encoded;
    try {
      encoded = jsonToRecord(fields, layout, cp, { substitutable: new Set(['MC-BODY']) });
    } catch (err) {
      if (err instanceof FieldError)
        throw new LinkError(err.problem === 'short' ? 'LENGERR' : 'INVREQ', `link: MAIL: ${err.message}`, err.field);
      throw err;
    }
    const containers = options.containers ?? [];
    if (!Array.isArray(containers)) throw new TypeError('link: containers must be a list');
    const result = await mailProgram({
      ...gated,
      eib: { ...ctx.eib, eibcalen: encoded.bytes.length },
      commarea: encoded.bytes,
      containers,
      substitutions: encoded.substitutions,
    });
    if (result.kind !== 'normal') throw linkError(result);
    record(result.journalSeqs, result.mailRc ?? 0, result.smtpReplies ?? []);
    return recordToJson(result.commarea, layout, cp);
  };

  const sendMail = async (spec: unknown): Promise<MailAnswer> => {
    live('sendMail');
    const read = readModuleMail(spec);
    const outcome = read.ok
      ? await composeAndSend(gated, draftOf(read.mail, read.importance), new Date())
      : read.outcome;
    const answer = answerOf(outcome);
    record(outcome.seq !== undefined ? [outcome.seq] : [], answer.rc, outcome.replyClass ? [outcome.replyClass] : []);
    return Object.freeze(answer);
  };

  const context: ModuleContext = Object.freeze({
    eib: Object.freeze({ ...ctx.eib }),
    ccsid: ctx.ccsid,
    deadline: ctx.deadline,
    commarea: view,
    bytes: Uint8Array.from(ctx.commarea),
    containers: Object.freeze(ctx.containers.map(containerOf)),
    link,
    sendMail,
  });
  return {
    context,
    end: () => {
      ended = true;
    },
  };
}

function linkError(result: Exclude<TaskResult, { kind: 'normal' }>): LinkError {
  if (result.kind === 'abend') return new LinkError('INVREQ', `link: MAIL ended ${result.abcode}: ${result.message}`);
  return new LinkError(result.condition, `link: MAIL: ${result.message}`, result.field);
}
