// The one way a program hands a composed mail on: journal it as ACCEPTED with its exact
// bytes (durable before anything is sent), send it to the relay, record the attempt, and
// say what came of it as a reason (transactions/errors.ts). MAIL, SEND and SPOL share it.
import { randomUUID } from 'node:crypto';
import { JournalError } from '../../journal/errors.js';
import type { ProgramContext } from '../../cics/task.js';
import type { Reason } from '../errors.js';
import type { Services } from '../services.js';
import { attemptOf } from '../../journal/attempt.js';
import type { JournalRecord } from '../../journal/record.js';
import { replyClassOf, type Delivery, type ReplyClass } from '../../smtp/delivery.js';
import { fateEnvelope } from '../../smtp/dsn/request.js';
import { auditRefusal, decideSender, recipientProblem, sizeProblem } from '../sender-check.js';
import type { Address } from '../../cics/addresses.js';
import { composedMessage, type MailContent } from './compose.js';
import { MESSAGE_FILE_BYTES } from '../../journal/message-files.js';
import { isChunked, type MessageBytes, type MessageChunks } from '../../cics/message-chunks.js';

export interface Outcome {
  readonly reason: Reason;
  /** The relay's reply, or for RC 8 what was wrong. */
  readonly detail: string;
  readonly messageId?: string;
  readonly seq?: number;
  /** The class of the relay's answer, where the mail went to it. */
  readonly replyClass?: ReplyClass;
}

export interface OutgoingMail {
  readonly from: string;
  readonly to: readonly string[];
  /** Whole, or in chunks (a large mail: journaled to its file chunk by chunk, then sent from the file). */
  readonly message: MessageBytes;
  /** With its angle brackets, as in the message's Message-ID header. */
  readonly messageId: string;
  /** For the journal: the subject as a person reads it. */
  readonly subject: string;
  readonly attachments: number;
  /** Characters written as SUB because the code page could not hold them. */
  readonly substitutions?: number;
}

/** Time kept back from the deadline to journal the outcome and answer. */
const ANSWER_MARGIN_MS = 1000;
/** Time kept back from the deadline to answer where the journal is slow to take the outcome. */
const ANSWER_RESERVE_MS = 250;

/**
 * Whether a program of many mails (SEND, SPOL) should take no more: the time kept back to
 * answer is all that is left of its time limit. A mail taken before then has its SMTP
 * session up to the same point (the session is not cut after its final dot).
 */
export function pastTaking(ctx: Pick<ProgramContext<unknown>, 'now' | 'deadline'>): boolean {
  return ctx.now() >= ctx.deadline - ANSWER_MARGIN_MS;
}

/** Why a mail was not taken, as a report line says it. */
export const NOT_TAKEN_WHY = {
  NOTTAKEN: 'the time limit ran out',
  MAILRATE: "the user's tasks and mails a minute are used up",
} as const;

/**
 * The gate of a program that sends mail after mail (SEND, SPOL, a shop's module:
 * ProgramContext.mailGate): the task's request counted the first mail it journals; each
 * later one is not taken where the time limit is all but over or the user's minute is used
 * up, nor any after it. A mail an earlier run under the request's key journaled is answered
 * from its record before the gate is asked, and counts nothing.
 */
export function laterMailsGate(ctx: ProgramContext<unknown>): NonNullable<ProgramContext<unknown>['mailGate']> {
  let mails = 0;
  let stopped: 'NOTTAKEN' | 'MAILRATE' | undefined;
  return () => {
    if (mails++ === 0) return undefined;
    if (stopped === undefined && pastTaking(ctx)) stopped = 'NOTTAKEN';
    if (stopped === undefined && !ctx.takeMail()) stopped = 'MAILRATE';
    return stopped && { reason: stopped, detail: `not taken: ${NOT_TAKEN_WHY[stopped]}` };
  };
}

export function newMessageId(hostname: string): string {
  return `<${randomUUID()}@${hostname}>`;
}

function reasonOf(delivery: Delivery, recipients: number): Reason {
  switch (delivery.kind) {
    case 'sent':
      return delivery.refused.length > 0 ? 'PARTIAL' : 'SENT';
    case 'deferred':
      // The relay answered 4xx; any other failure is about reaching it.
      return delivery.failure.kind === 'reply' ? 'DEFERRED' : 'NORELAY';
    case 'failed':
      return delivery.refused.length === recipients ? 'RCPTREJ' : 'REJECTED';
  }
}

/** A mail a program has read from its request, to be composed once its sender is decided. */
export interface MailDraft extends Omit<MailContent, 'from' | 'replyTo' | 'messageId' | 'date'> {
  /** The sender asked for; null: left blank (the user's default sender). */
  readonly from: Address | null;
  readonly replyTo?: Address;
  readonly bcc: readonly Address[];
  /** Characters written as SUB because the code page could not hold them. */
  readonly substitutions?: number;
}

/**
 * The path every composed mail takes (MAIL, SEND): the region's recipient limits, the
 * sender decision, composition, the size limit, then the journal and the relay.
 */
export async function composeAndSend(ctx: ProgramContext<Services>, draft: MailDraft, date: Date): Promise<Outcome> {
  const to = [...draft.to, ...draft.cc, ...draft.bcc].map((a) => a.address);
  const asked = draft.from?.address ?? '';
  const limits = recipientProblem(ctx, to);
  if (limits) return refuse(ctx, asked, to, draft.subject, limits);
  const sender = await decideSender(ctx, draft.from, to);
  if (!sender.ok) return refuse(ctx, asked, to, draft.subject, sender);
  const { bcc: _bcc, substitutions, ...content } = draft;
  const replyTo = sender.replyTo ?? draft.replyTo;
  const messageId = newMessageId(ctx.services.config.hostname);
  const composed = composedMessage({ ...content, from: sender.from, ...(replyTo ? { replyTo } : {}), messageId, date });
  // A mail that goes to a file of its own is never whole in memory: written to the file
  // in chunks, then sent from it. A smaller one is written once into a buffer of its size.
  const message = composed.byteLength >= MESSAGE_FILE_BYTES ? composed : composed.toBuffer();
  const size = sizeProblem(ctx, message.byteLength);
  if (size) return refuse(ctx, sender.from.address, to, draft.subject, size);
  const attachments = draft.attachments?.length ?? 0;
  return journalAndSend(ctx, {
    from: sender.from.address,
    to,
    message,
    messageId,
    subject: draft.subject,
    attachments,
    ...(substitutions !== undefined ? { substitutions } : {}),
  });
}

/**
 * A mail the region's policy refuses (RC 16 for the sender, RC 8 for a limit): kept on
 * record as DENIED, except a blank FROM with no default, which is only a wrong request.
 */
export async function refuse(
  ctx: ProgramContext<Services>,
  from: string,
  to: readonly string[],
  subject: string,
  problem: { reason: Reason; detail: string },
): Promise<Outcome> {
  if (problem.reason !== 'NOFROM') await auditRefusal(ctx, { from, to }, subject, problem.reason, problem.detail);
  return { reason: problem.reason, detail: problem.detail };
}

/** What sending a composed mail needs of a worker's services. */
export interface DeliveryServices {
  readonly journal: Pick<Services['journal'], 'accept' | 'settle' | 'get' | 'messageChunks'> &
    Partial<Pick<Services['journal'], 'suppression'>>;
  readonly smtp: Pick<Services['smtp'], 'send'>;
  readonly config: { readonly sysid: string; readonly smtp: Pick<Services['config']['smtp'], 'fate'> };
}

export async function journalAndSend(ctx: ProgramContext<DeliveryServices>, mail: OutgoingMail): Promise<Outcome> {
  const { eib, services } = ctx;
  // An earlier run of this keyed request journaled this mail and was cut off before it
  // answered: answer from its record; the mail is the retry spool's to send, never again.
  const earlier = ctx.requestKey?.earlier();
  if (earlier !== undefined) return outcomeOnRecord(services.journal.get(earlier), earlier);
  // Recipients on the suppression list (a hard bounce, an operator) are left out; where
  // that is everyone, nothing is sent and nothing is journaled as a mail.
  const suppressed = services.journal.suppression?.suppressed(mail.to) ?? [];
  if (suppressed.length > 0 && suppressed.length === mail.to.length)
    return { reason: 'SUPPRESS', detail: `every recipient is on the suppression list: ${suppressed.join(', ')}` };
  const left = new Set(suppressed);
  const to = suppressed.length === 0 ? mail.to : mail.to.filter((r) => !left.has(r));
  const gated = ctx.mailGate?.();
  if (gated) return gated;
  // From the journal's commit on, the mail is the retry spool's whatever becomes of the
  // task: the task must answer what became of it, never AICA. Where the time limit ended
  // the task first, it has been answered AICA already, and nothing may be journaled.
  if (!ctx.committed())
    return { reason: 'NOTTAKEN', detail: `the task's time limit ran out before the mail was journaled` };
  const seq = await services.journal.accept(
    {
      tranid: eib.eibtrnid,
      taskn: eib.eibtaskn,
      userid: eib.eibusrid,
      jobname: eib.eibjobnm,
      ccsid: ctx.ccsid,
      envelope: { from: mail.from, to },
      subject: mail.subject,
      attachments: mail.attachments,
      substitutions: mail.substitutions ?? 0,
      messageId: mail.messageId,
      ...(ctx.requestKey ? { requestKey: ctx.requestKey.recordKey } : {}),
      ...(suppressed.length > 0 ? { suppressed } : {}),
    },
    mail.message,
    ctx.requestKey?.ref,
  );
  // With a bounce address the mail goes from its own return path and asks for DSNs, both
  // naming the record: the far end's answers find it (the From header stays the program's).
  const envelope = fateEnvelope(services.config.smtp.fate, services.config.sysid, seq, mail.from);
  const delivery = await services.smtp.send(
    envelope.from,
    to,
    isChunked(mail.message) ? fromJournal(mail.message, () => services.journal.messageChunks(seq)) : mail.message,
    ctx.deadline - ANSWER_MARGIN_MS,
    envelope.dsn,
  );
  // The relay has answered; only the record of it may fail (a full disk) or be slow (a disk
  // busy syncing). The record is ACCEPTED already: unsettled, the retry spool sends it again,
  // same Message-ID, once it is an orphan: at least once, never lost. So the caller hears
  // what the relay said in time, not an AICA or a 503 that would make it send the mail a
  // second time under a new Message-ID; the settle goes on after the answer.
  const settle = () =>
    services.journal.settle(seq, attemptOf(delivery, 'task')).then(
      () => undefined,
      (err: unknown) => {
        if (!(err instanceof JournalError)) throw err;
      },
    );
  // A task with a request key hands the settle over, to be written with the key's answer
  // at its end (or with its next mail's): one commit to wait for (TaskKey.settling).
  if (ctx.requestKey) ctx.requestKey.settling(settle);
  else await settledBy(settle(), ctx.deadline - ANSWER_RESERVE_MS);
  const relayReason = reasonOf(delivery, to.length);
  const reason = relayReason === 'SENT' && suppressed.length > 0 ? 'PARTIAL' : relayReason;
  const relayDetail =
    delivery.refused.length > 0 && !delivery.refused.every((r) => r.reply === delivery.reply)
      ? `${delivery.reply}; refused: ${delivery.refused.map((r) => `${r.recipient} ${r.reply}`).join('; ')}`
      : delivery.reply;
  const detail = suppressed.length > 0 ? `${relayDetail}; suppressed: ${suppressed.join(', ')}` : relayDetail;
  return { reason, detail, messageId: mail.messageId, seq, replyClass: replyClassOf(delivery) };
}

/** A message in chunks sent as the journal holds it: its bytes read back a chunk at a time. */
function fromJournal(message: MessageChunks, chunks: () => AsyncIterable<Uint8Array>): MessageChunks {
  return { byteLength: message.byteLength, ascii: message.ascii, headerAscii: message.headerAscii, chunks };
}

/** What a mail's record says of it now, as the outcome its task would have answered. */
export function outcomeOnRecord(record: JournalRecord | undefined, seq: number): Outcome {
  if (!record)
    return { reason: 'DEFERRED', detail: `journal record ${seq} is no longer kept (past its retention)`, seq };
  const detail = record.relayReply ?? 'journaled; the retry spool sends it';
  const known = { detail, messageId: record.messageId, seq };
  switch (record.state) {
    case 'SENT':
      return { reason: record.failed.length > 0 ? 'PARTIAL' : 'SENT', ...known };
    case 'FAILED':
      return { reason: record.failed.length === record.envelope.to.length ? 'RCPTREJ' : 'REJECTED', ...known };
    default:
      // ACCEPTED or DEFERRED: the spool has it. A 4xx on record is the relay's; else none was reached yet.
      return { reason: record.relayReply?.startsWith('4') ? 'DEFERRED' : 'NORELAY', ...known };
  }
}

/** The settles a task with a request key left to its end, waited for as each mail's own would be. */
export function settlesBy(settles: readonly Promise<void>[], deadline: number): Promise<void> {
  return settledBy(
    Promise.all(settles).then(() => undefined),
    deadline - ANSWER_RESERVE_MS,
  );
}

/** Waits for `work` until `by` (epoch ms) at the latest. */
async function settledBy(work: Promise<void>, by: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, by - Date.now()));
  });
  try {
    await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
