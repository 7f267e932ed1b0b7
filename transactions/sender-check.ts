// The sender verification exit and the region's mail limits, as every mail program applies
// them before it journals a mail: who it may be from (the user's senders, the policy,
// the site's exit module), how many recipients, which domains, how large. A refusal
// for the sender is RC 16 and is journaled as DENIED: who tried is on record too.
import type { ProgramContext } from '../cics/task.js';
import { wildcardMatch } from '../cics/patterns.js';
import type { Reason } from './errors.js';
import { parseAddressList, type Address } from '../cics/addresses.js';
import type { Services } from './services.js';

/** What the exit module's default export is given. */
export interface SenderExitRequest {
  readonly userid: string;
  readonly jobname: string;
  readonly tranid: string;
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  /** The From header's addresses (MAIL and SEND: the sender; SPOL: as written). */
  readonly headerFrom: readonly string[];
}

/** What it answers (or resolves with). */
export type SenderExitAnswer =
  | { readonly action: 'allow' }
  | { readonly action: 'replace'; readonly from: string }
  | { readonly action: 'deny'; readonly reason?: string };

export type SenderExit = (request: SenderExitRequest) => SenderExitAnswer | Promise<SenderExitAnswer>;

export type SenderDecision =
  | {
      readonly ok: true;
      /** The sender the mail goes out as (replaced where the policy or the exit said so). */
      readonly from: Address;
      /** Set where the sender was replaced: the one asked for, so that replies reach it. */
      readonly replyTo?: Address;
      readonly replaced: boolean;
    }
  | { readonly ok: false; readonly reason: Reason; readonly detail: string };

const exits = new Map<string, Promise<SenderExit>>();

function loadExit(url: string): Promise<SenderExit> {
  let exit = exits.get(url);
  if (!exit) {
    exit = import(url).then((mod: { default?: unknown }) => {
      if (typeof mod.default !== 'function') throw new Error(`the sender exit ${url} has no default export function`);
      return mod.default as SenderExit;
    });
    exits.set(url, exit);
  }
  return exit;
}

function one(text: string): Address | undefined {
  const parsed = parseAddressList(text);
  return parsed.ok && parsed.addresses.length === 1 ? parsed.addresses[0] : undefined;
}

function denied(reason: Reason, detail: string): SenderDecision {
  return { ok: false, reason, detail };
}

/**
 * Decides the sender of a mail. `asked` is the sender the request names (null: it left
 * FROM blank); `headerFrom` the From header's addresses where they may differ (SPOL).
 */
export async function decideSender(
  ctx: ProgramContext<Services>,
  asked: Address | null,
  to: readonly string[],
  headerFrom: readonly Address[] = asked ? [asked] : [],
): Promise<SenderDecision> {
  const { security, eib } = ctx;
  const fallback = security.defaultSender === null ? undefined : one(security.defaultSender);
  if (asked === null) {
    if (!fallback) return denied('NOFROM', `the sender is blank and user ${eib.eibusrid} has no default sender`);
    asked = fallback;
    headerFrom = [fallback];
  }
  let from = asked;
  let replyTo: Address | undefined;
  const refused = [asked, ...headerFrom].find((a) => !security.senders.some((p) => wildcardMatch(p, a.address)));
  if (refused) {
    if (security.policy === 'verify' || !fallback) {
      return denied('SENDER', `user ${eib.eibusrid} may not send as ${refused.address}`);
    }
    // replace: the user's own sender goes out, the one asked for becomes Reply-To.
    from = fallback;
    // The From header's own words where it has them (a name), else the envelope's.
    replyTo =
      headerFrom.find((a) => a.address.toLowerCase() === refused.address.toLowerCase() && a.name !== '') ??
      headerFrom.find((a) => a.name !== '') ??
      refused;
  }
  const exitUrl = ctx.services.config.senderExit;
  if (exitUrl !== null) {
    let answer: SenderExitAnswer;
    try {
      const exit = await loadExit(exitUrl);
      answer = await exit({
        userid: eib.eibusrid,
        jobname: eib.eibjobnm,
        tranid: eib.eibtrnid,
        envelope: { from: from.address, to: [...to] },
        headerFrom: headerFrom.map((a) => a.address),
      });
    } catch (err) {
      // Fail safe: an exit that cannot answer sends nothing.
      return denied('EXITFAIL', `the sender exit failed: ${String((err as Error)?.message ?? err).slice(0, 200)}`);
    }
    if (answer?.action === 'deny')
      return denied(
        'EXITDENY',
        `the sender exit refused ${from.address}${answer.reason ? `: ${String(answer.reason).slice(0, 200)}` : ''}`,
      );
    if (answer?.action === 'replace') {
      const replacement = typeof answer.from === 'string' ? one(answer.from) : undefined;
      if (!replacement)
        return denied(
          'EXITFAIL',
          `the sender exit replaced the sender with '${String(answer.from).slice(0, 100)}', which is not one address`,
        );
      replyTo ??= from;
      from = replacement;
    } else if (answer?.action !== 'allow') {
      return denied('EXITFAIL', 'the sender exit answered neither allow, replace nor deny');
    }
  }
  return { ok: true, from, ...(replyTo ? { replyTo } : {}), replaced: replyTo !== undefined };
}

/** The region's recipient limits: how many, and to which domains. */
export function recipientProblem(
  ctx: ProgramContext<Services>,
  to: readonly string[],
): { reason: Reason; detail: string } | undefined {
  const { maxRecipients, recipientDomains } = ctx.security;
  if (to.length > maxRecipients)
    return { reason: 'TOOMANY', detail: `${to.length} recipients; this region allows ${maxRecipients} a mail` };
  if (recipientDomains.length > 0) {
    const outside = to.find((a) => !recipientDomains.some((d) => wildcardMatch(d, a.slice(a.lastIndexOf('@') + 1))));
    if (outside) return { reason: 'RCPTDOM', detail: `${outside} is outside the domains this region sends to` };
  }
  return undefined;
}

/** The region's size limit on a composed mail. */
export function sizeProblem(
  ctx: ProgramContext<Services>,
  bytes: number,
): { reason: Reason; detail: string } | undefined {
  const max = ctx.security.maxMessageBytes;
  return bytes > max
    ? { reason: 'TOOBIG', detail: `the mail is ${bytes} bytes; this region sends at most ${max}` }
    : undefined;
}

/**
 * Keeps a refused mail on record as DENIED (who, from where, what, why), through the
 * worker's audit trail: the refusals of one user, address, reason and tranid within a minute
 * are one record with a count, so that a stream of thousands of refused mails is one.
 * Resolves once the record is there (the count follows a few seconds behind).
 */
export function auditRefusal(
  ctx: ProgramContext<Services>,
  envelope: { from: string; to: readonly string[] },
  subject: string,
  reason: Reason,
  detail: string,
): Promise<void> {
  const { eib } = ctx;
  return ctx.services.trail.refuse({
    tranid: eib.eibtrnid,
    taskn: eib.eibtaskn,
    userid: eib.eibusrid,
    jobname: eib.eibjobnm,
    ccsid: ctx.ccsid,
    envelope: { from: envelope.from, to: [...envelope.to] },
    subject,
    denial: { reason, detail, remote: ctx.security.remote },
  });
}
