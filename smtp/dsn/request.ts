// What a mail asks of the relay about its fate (RFC 3461 DSN): MAIL FROM's RET and ENVID,
// each RCPT's NOTIFY and ORCPT, and the per-mail return path the answers come back to.
// Written only where the relay's EHLO offers DSN (smtp/envelope.ts); without a bounce
// address the region asks nothing and the mail goes out as before.
import { isAscii } from 'node:buffer';
import { returnPathOf, type ReturnPathTemplate } from './return-path.js';
import { utf8AddrXtext, xtext } from './xtext.js';
import type { Delivery } from '../delivery.js';

/** The events a recipient's DSN is asked for, in the order RFC 3461 4.1 writes them. */
const NOTIFY_EVENTS = ['SUCCESS', 'FAILURE', 'DELAY'] as const;
export type NotifyEvent = (typeof NOTIFY_EVENTS)[number];
/** NOTIFY: one or more events, or NEVER (no DSN, not even for a failure). */
export type Notify = readonly [NotifyEvent, ...NotifyEvent[]] | 'NEVER';

/** Failure and delay: what RFC 3461 4.1 says an MTA assumes where NOTIFY is not given. */
export const DEFAULT_NOTIFY: Notify = ['FAILURE', 'DELAY'];

export interface DsnRequest {
  /** RET: a failure DSN returns the message's header only (HDRS) or all of it (FULL). */
  readonly ret: 'HDRS' | 'FULL';
  /** ENVID: the mail's envelope identifier, which every DSN of it carries back (Original-Envelope-Id). */
  readonly envid: string;
  readonly notify: Notify;
}

/** The region's settings for a mail's fate: CICSMAIL_BOUNCE_ADDRESS and CICSMAIL_DSN_NOTIFY. */
export interface FateSettings {
  readonly returnPath: ReturnPathTemplate;
  readonly notify: Notify;
}

export type NotifyResult =
  { readonly ok: true; readonly notify: Notify } | { readonly ok: false; readonly reason: string };

/**
 * CICSMAIL_DSN_NOTIFY: `never`, or events from `success`, `failure`, `delay` separated by
 * commas, each once, in any order and case.
 */
export function parseNotify(text: string): NotifyResult {
  const words = text.split(',').map((w) => w.trim().toUpperCase());
  if (words.length === 1 && words[0] === 'NEVER') return { ok: true, notify: 'NEVER' };
  const seen = new Set<NotifyEvent>();
  for (const word of words) {
    if (word === '') return { ok: false, reason: `'${text}' has an empty item; give success, failure, delay or never` };
    if (word === 'NEVER') return { ok: false, reason: `never stands alone: '${text}'` };
    if (!(NOTIFY_EVENTS as readonly string[]).includes(word))
      return { ok: false, reason: `'${word.toLowerCase()}' is not success, failure, delay or never` };
    if (seen.has(word as NotifyEvent)) return { ok: false, reason: `'${word.toLowerCase()}' is named twice` };
    seen.add(word as NotifyEvent);
  }
  return { ok: true, notify: NOTIFY_EVENTS.filter((e) => seen.has(e)) as [NotifyEvent, ...NotifyEvent[]] };
}

/** A mail's ENVID: the region's SYSID and the mail's journal sequence (`PRD1.42`). */
export function envelopeIdOf(sysid: string, seq: number): string {
  return `${sysid}.${seq}`;
}

const ENVELOPE_ID = /^([A-Z0-9@#$]{1,8})\.([1-9][0-9]{0,15})$/;

/** The SYSID and sequence of an ENVID this region wrote, or null for any other text. */
export function parseEnvelopeId(text: string): { readonly sysid: string; readonly seq: number } | null {
  const m = ENVELOPE_ID.exec(text);
  const seq = Number(m?.[2]);
  return m?.[1] !== undefined && Number.isSafeInteger(seq) ? { sysid: m[1], seq } : null;
}

/**
 * The envelope a journaled mail goes with: its own return path and the DSN it asks for,
 * where the region has a bounce address; else the program's sender and no DSN.
 */
export function fateEnvelope(
  settings: FateSettings | null | undefined,
  sysid: string,
  seq: number,
  from: string,
): { readonly from: string; readonly dsn?: DsnRequest } {
  if (!settings) return { from };
  return {
    from: returnPathOf(settings.returnPath, sysid, seq),
    dsn: { ret: 'HDRS', envid: envelopeIdOf(sysid, seq), notify: settings.notify },
  };
}

/** MAIL FROM's DSN parameters, each after a space. */
export function dsnMailParams(dsn: DsnRequest): string {
  return ` RET=${dsn.ret} ENVID=${xtext(dsn.envid)}`;
}

/** RFC 3461 4.2: an ORCPT longer than this is not sent (it is optional; a relay may refuse a longer one). */
const ORCPT_MAX = 500;

/** RCPT TO's DSN parameters for `address`, each after a space; ORCPT is left out where it would be too long. */
export function dsnRcptParams(dsn: DsnRequest, address: string): string {
  const notify = dsn.notify === 'NEVER' ? 'NEVER' : dsn.notify.join(',');
  const orcpt = isAscii(Buffer.from(address, 'utf8')) ? `rfc822;${xtext(address)}` : `utf-8;${utf8AddrXtext(address)}`;
  return ` NOTIFY=${notify}${orcpt.length <= ORCPT_MAX ? ` ORCPT=${orcpt}` : ''}`;
}

/**
 * A relay client's send for a journaled mail sent again (the retry spool, a replay): the
 * same return path and DSN as its first attempt, from the record's SYSID and sequence.
 */
export function sendWithFate(
  settings: FateSettings | null | undefined,
  ownSysid: string,
  send: (
    from: string,
    to: readonly string[],
    message: Uint8Array,
    deadline?: number,
    dsn?: DsnRequest,
  ) => Promise<Delivery>,
): (
  from: string,
  to: readonly string[],
  message: Uint8Array,
  mail: { readonly seq: number; readonly sysid?: string | undefined },
) => Promise<Delivery> {
  return (from, to, message, mail) => {
    const envelope = fateEnvelope(settings, mail.sysid ?? ownSysid, mail.seq, from);
    return send(envelope.from, to, message, Infinity, envelope.dsn);
  };
}
