// Each recipient's fate after the relay: what a DSN or bounce said of it, recorded on the
// mail's record with the bounce's bytes beside it, in one transaction with what follows from
// it (the webhooks' events, a hard bounce's address on the suppression list). The journal
// knows no DSN format: the bounce listener's owner (region/plugins/bounce-listener.ts)
// hands over a FateReport. Which recipient a report is about is decided here, against the
// recipients the relay took the mail for: a report about anyone else changes nothing.
import type { Database } from 'lmdb';
import type { Outbox, WebhookEvent } from './outbox.js';
import type { JournalRecord, RecipientFate } from './record.js';
import { afterReport, fateAt, type Fate, type ReportAction } from './states.js';
import type { SuppressionList } from './suppression.js';

/** What one report says of one recipient. */
export interface ReportedRecipient {
  /** The addresses it may be known by, best first (ORCPT, then Final-Recipient). */
  readonly addresses: readonly string[];
  readonly action: ReportAction;
  readonly status: string;
  readonly diagnostic: string;
}

/** A bounce as the journal takes it: per-recipient reports, or a guess that names addresses (or none). */
export type FateReport =
  | { readonly kind: 'dsn'; readonly recipients: readonly ReportedRecipient[] }
  | {
      readonly kind: 'guess';
      readonly action: 'failed' | 'delayed';
      readonly status: string;
      readonly diagnostic: string;
      /** Addresses the bounce's text shows. */
      readonly addresses: readonly string[];
    };

/** What recording a report came to. */
export type FateResult =
  | {
      readonly ok: true;
      /** Recipients whose fate moved. */
      readonly moved: readonly RecipientFate[];
      /** Recipients of the report that are none of the mail's, or whose fate it does not move. */
      readonly unchanged: number;
      /** Which kept bounce it is. */
      readonly bounce: number;
    }
  | { readonly ok: false; readonly reason: FateRefusal; readonly detail: string };

/**
 * NOMAIL: no record of that sequence; NOTSENT: the record was never relayed to anyone (a
 * DENIED one, or one the relay has not taken yet); NORECIPIENT: the report names nobody the
 * mail went to.
 */
export type FateRefusal = 'NOMAIL' | 'NOTSENT' | 'NORECIPIENT';

const EVENT_OF: Record<Fate, WebhookEvent | null> = {
  RELAYED: null,
  EXPIRED: null,
  DELIVERED: 'delivered',
  DELAYED: 'delayed',
  BOUNCED: 'bounced',
};

/** A hard bounce: the status's class is 5 (RFC 3463 permanent failure). */
export function isHardBounce(fate: Fate, status: string): boolean {
  return fate === 'BOUNCED' && status.startsWith('5.');
}

/** When the relay took the mail for each recipient (epoch ms): the first attempt that did, in one pass. */
function relayTimes(record: JournalRecord): Map<string, number> {
  const at = new Map<string, number>();
  for (const attempt of record.attempts) {
    if (attempt.outcome !== 'sent') continue;
    const time = Date.parse(attempt.at);
    for (const r of attempt.accepted) if (!at.has(r)) at.set(r, time);
  }
  return at;
}

/** The last refusal of each recipient, in one pass. */
function lastRefusals(record: JournalRecord): Map<string, string> {
  const replies = new Map<string, string>();
  for (const attempt of record.attempts) for (const r of attempt.refused ?? []) replies.set(r.recipient, r.reply);
  return replies;
}

/** One recipient as an inquiry shows it: its fate now, or where it stands at the relay. */
export interface RecipientView {
  readonly recipient: string;
  /** A fate, or PENDING (the relay has not taken it yet) or REFUSED (the relay refused it for good). */
  readonly fate: Fate | 'PENDING' | 'REFUSED';
  /** When it came to this (ISO 8601), '' while pending. */
  readonly at: string;
  readonly status: string;
  readonly diagnostic: string;
}

/** Every recipient of a record with its fate at `now` (EXPIRED past `windowMs`; 0: never). */
export function recipientViews(record: JournalRecord, now: number, windowMs: number): RecipientView[] {
  const reported = new Map((record.fates ?? []).map((f) => [f.recipient, f]));
  const times = relayTimes(record);
  const delivered = new Set(record.delivered);
  const failed = new Set(record.failed);
  const refusals = failed.size > 0 ? lastRefusals(record) : new Map<string, string>();
  return [...new Set(record.envelope.to)].map((recipient): RecipientView => {
    const taken = times.get(recipient) ?? null;
    const fate = reported.get(recipient);
    if (fate) {
      const now_ = fateAt(fate.fate, taken ?? Date.parse(fate.at), now, windowMs);
      return { recipient, fate: now_, at: fate.at, status: fate.status, diagnostic: fate.diagnostic };
    }
    if (delivered.has(recipient)) {
      const at = taken ?? Date.parse(record.updatedAt);
      const refusalFree = { recipient, at: new Date(at).toISOString(), status: '', diagnostic: '' };
      return { ...refusalFree, fate: fateAt('RELAYED', at, now, windowMs) };
    }
    if (failed.has(recipient)) {
      const diagnostic = refusals.get(recipient) ?? record.relayReply ?? '';
      return { recipient, fate: 'REFUSED', at: record.updatedAt, status: '', diagnostic };
    }
    return { recipient, fate: 'PENDING', at: '', status: '', diagnostic: '' };
  });
}

/** The fates a record's recipients have at `now`, for filtering (`journal list --fate`). */
export function fatesNow(record: JournalRecord, now: number, windowMs: number): Set<string> {
  if (record.delivered.length === 0) return new Set();
  return new Set(recipientViews(record, now, windowMs).map((v) => v.fate));
}

/** The mail's relayed recipients by their lower-case form, for matching a report's addresses without regard to case. */
function byLowerCase(delivered: readonly string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const r of delivered) if (!map.has(r.toLowerCase())) map.set(r.toLowerCase(), r);
  return map;
}

/** Which of the mail's relayed recipients a report's addresses name, or undefined. */
function matchRecipient(delivered: ReadonlyMap<string, string>, addresses: readonly string[]): string | undefined {
  for (const address of addresses) {
    const found = delivered.get(address.toLowerCase());
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The report's recipients with the mail's own addresses. A guess that names nobody is about the one recipient, where there is one. */
function reportedOf(
  report: FateReport,
  delivered: readonly string[],
): { matched: { recipient: string; action: ReportAction; status: string; diagnostic: string }[]; unmatched: number } {
  const lower = byLowerCase(delivered);
  if (report.kind === 'dsn') {
    const matched = [];
    let unmatched = 0;
    for (const r of report.recipients) {
      const recipient = matchRecipient(lower, r.addresses);
      if (recipient === undefined) unmatched++;
      else matched.push({ recipient, action: r.action, status: r.status, diagnostic: r.diagnostic });
    }
    return { matched, unmatched };
  }
  const named = [...new Set(report.addresses.map((a) => lower.get(a.toLowerCase())).filter((r) => r !== undefined))];
  const who = named.length > 0 ? named : delivered.length === 1 ? delivered : [];
  const { action, status, diagnostic } = report;
  return { matched: who.map((recipient) => ({ recipient, action, status, diagnostic })), unmatched: 0 };
}

export interface FateBookParts {
  readonly records: Database<JournalRecord, number>;
  /** The bounces' bytes, by record and number. */
  readonly bounces: Database<Buffer, [number, number]>;
  readonly outbox: Outbox;
  readonly suppression: SuppressionList;
  readonly write: <T>(action: () => T, bytes?: number) => Promise<T>;
}

export class FateBook {
  readonly #parts: FateBookParts;

  constructor(parts: FateBookParts) {
    this.#parts = parts;
  }

  /**
   * Records a report about mail `seq` received at `at` (epoch ms), with the bounce's bytes,
   * in one transaction: the recipients' fates, the events the webhooks want, a hard bounce's
   * address suppressed. A report that names none of the mail's relayed recipients is
   * refused and nothing is written.
   */
  async record(seq: number, sysid: string, report: FateReport, raw: Uint8Array, at: number): Promise<FateResult> {
    const { records, bounces, outbox, suppression, write } = this.#parts;
    return write(() => {
      const record = records.get(seq);
      if (!record) return { ok: false, reason: 'NOMAIL', detail: `no mail ${sysid}.${seq} in the journal` };
      if (record.delivered.length === 0)
        return { ok: false, reason: 'NOTSENT', detail: `mail ${sysid}.${seq} was never relayed to anyone` };
      const { matched, unmatched } = reportedOf(report, record.delivered);
      if (matched.length === 0)
        return { ok: false, reason: 'NORECIPIENT', detail: `the report names no recipient of mail ${sysid}.${seq}` };
      const bounce = (record.bounces ?? 0) + 1;
      const iso = new Date(at).toISOString();
      const fates = new Map((record.fates ?? []).map((f) => [f.recipient, f]));
      const moved: RecipientFate[] = [];
      for (const m of matched) {
        const next = afterReport(fates.get(m.recipient)?.fate ?? 'RELAYED', m.action);
        if (next === undefined) continue;
        const fate: RecipientFate = {
          recipient: m.recipient,
          fate: next,
          at: iso,
          status: m.status,
          diagnostic: m.diagnostic.slice(0, 1000),
          bounce,
        };
        fates.set(m.recipient, fate);
        moved.push(fate);
      }
      void bounces.put([seq, bounce], Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength));
      void records.put(seq, { ...record, fates: [...fates.values()], bounces: bounce });
      for (const f of moved) {
        const event = EVENT_OF[f.fate];
        const data = { sysid, seq, messageId: record.messageId, recipient: f.recipient, fate: f.fate };
        if (event) outbox.enqueueInTransaction(event, { ...data, status: f.status, diagnostic: f.diagnostic }, at);
        if (isHardBounce(f.fate, f.status)) {
          const s = suppression.bouncedInTransaction(f.recipient, f.status, f.diagnostic, { sysid, seq }, at);
          outbox.enqueueInTransaction('suppressed', { ...data, status: s.status, diagnostic: s.detail }, at);
        }
      }
      return { ok: true, moved, unchanged: matched.length - moved.length + unmatched, bounce };
    }, raw.byteLength);
  }

  /** Inside a write transaction: a pruned record's kept bounces go with it. */
  forgetInTransaction(seq: number): void {
    for (const key of this.#parts.bounces.getKeys({ start: [seq, 0], end: [seq + 1, 0] })) {
      void this.#parts.bounces.remove(key);
    }
  }

  /** A kept bounce's bytes. */
  bounce(seq: number, n: number): Buffer | undefined {
    return this.#parts.bounces.getBinary([seq, n]) ?? undefined;
  }
}
