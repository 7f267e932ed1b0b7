// Finding records: the filters operators ask by (state, user, tranid, jobname, recipient,
// Message-ID, time range), paged by sequence number. A scan in sequence order: fine for the
// journals a region keeps; indexes come when retention lets them grow large.
import type { Journal } from './journal.js';
import type { JournalRecord } from './record.js';
import { FATES, type Fate, type MailState } from './states.js';
import { fatesNow } from './fate.js';
import type { TaskEntry } from './task-log.js';

export const MAIL_STATES: readonly MailState[] = ['ACCEPTED', 'SENT', 'DEFERRED', 'FAILED', 'DENIED'];

export interface RecordFilter {
  readonly state?: MailState;
  readonly userid?: string;
  readonly tranid?: string;
  readonly jobname?: string;
  /** An envelope recipient, compared without regard to case. */
  readonly recipient?: string;
  readonly messageId?: string;
  /** Accepted at or after (ISO 8601). */
  readonly since?: string;
  /** Accepted before (ISO 8601). */
  readonly until?: string;
  /** A recipient has this fate now (at `fateAt.now`, EXPIRED past `fateAt.windowMs`). */
  readonly fate?: Fate;
  readonly fateAt?: { readonly now: number; readonly windowMs: number };
}

/** The filters as people give them: a query string, command-line options. */
export interface FilterText {
  readonly state?: string | undefined;
  readonly user?: string | undefined;
  readonly tranid?: string | undefined;
  readonly jobname?: string | undefined;
  readonly recipient?: string | undefined;
  readonly messageId?: string | undefined;
  readonly since?: string | undefined;
  readonly until?: string | undefined;
  readonly fate?: string | undefined;
}

/** A filter value that cannot be used: `key` is the filter's name, the message says why. */
export class FilterError extends Error {
  readonly code = 'CICSMAIL_JOURNAL_FILTER';
  constructor(
    readonly key: keyof FilterText,
    reason: string,
  ) {
    super(reason);
  }
}

/** The filter the text asks for; a state in any case; throws FilterError for a state or time that is none. */
export function parseFilter(
  text: FilterText,
  fateAt: { readonly now: number; readonly windowMs: number } = { now: Date.now(), windowMs: 0 },
): RecordFilter {
  const fate = text.fate?.toUpperCase();
  if (fate !== undefined && !(FATES as readonly string[]).includes(fate))
    throw new FilterError('fate', `'${text.fate}' is not one of ${FATES.join(', ')}`);
  const state = text.state?.toUpperCase();
  if (state !== undefined && !MAIL_STATES.includes(state as MailState))
    throw new FilterError('state', `'${text.state}' is not one of ${MAIL_STATES.join(', ')}`);
  for (const key of ['since', 'until'] as const) {
    const value = text[key];
    if (value !== undefined && !isTime(value))
      throw new FilterError(key, `'${value}' is not a time like 2026-11-28T13:00:00Z`);
  }
  return {
    ...(state ? { state: state as MailState } : {}),
    ...(text.user ? { userid: text.user } : {}),
    ...(text.tranid ? { tranid: text.tranid } : {}),
    ...(text.jobname ? { jobname: text.jobname } : {}),
    ...(text.recipient ? { recipient: text.recipient } : {}),
    ...(text.messageId ? { messageId: text.messageId } : {}),
    ...(text.since ? { since: text.since } : {}),
    ...(text.until ? { until: text.until } : {}),
    ...(fate ? { fate: fate as Fate, fateAt } : {}),
  };
}

export interface Page {
  readonly after?: number;
  readonly limit: number;
}

export function matches(r: JournalRecord, f: RecordFilter): boolean {
  if (f.state && r.state !== f.state) return false;
  if (f.userid && r.userid !== f.userid.toUpperCase()) return false;
  if (f.tranid && r.tranid !== f.tranid.toUpperCase()) return false;
  if (f.jobname && r.jobname !== f.jobname.toUpperCase()) return false;
  if (f.messageId && r.messageId !== f.messageId && r.messageId !== `<${f.messageId}>`) return false;
  if (f.recipient) {
    const want = f.recipient.toLowerCase();
    if (!r.envelope.to.some((to) => to.toLowerCase() === want)) return false;
  }
  if (f.since && r.acceptedAt < new Date(f.since).toISOString()) return false;
  if (f.until && r.acceptedAt >= new Date(f.until).toISOString()) return false;
  if (f.fate) {
    const { now, windowMs } = f.fateAt ?? { now: Date.now(), windowMs: 0 };
    if (!fatesNow(r, now, windowMs).has(f.fate)) return false;
  }
  return true;
}

/** Records that match, in sequence order, after `page.after`, at most `page.limit`. */
export function findRecords(journal: Journal, filter: RecordFilter, page: Page): JournalRecord[] {
  const out: JournalRecord[] = [];
  for (const r of journal.scan(page.after)) {
    if (!matches(r, filter)) continue;
    out.push(r);
    if (out.length >= page.limit) break;
  }
  return out;
}

/** Fields of a filter that only a task's mails can answer. */
const MAIL_FIELDS = ['state', 'recipient', 'messageId'] as const;

/** Task entries the filter picks: by their own fields, or where it asks about mails, by their mails'. */
export function findTasks(journal: Journal, filter: RecordFilter, limit: number): TaskEntry[] {
  const byMail = MAIL_FIELDS.some((f) => filter[f] !== undefined);
  const out: TaskEntry[] = [];
  for (const task of journal.tasks.scan()) {
    if (out.length >= limit) break;
    if (filter.tranid && task.tranid !== filter.tranid.toUpperCase()) continue;
    if (filter.userid && task.userid !== filter.userid.toUpperCase()) continue;
    if (filter.jobname && task.jobname !== filter.jobname.toUpperCase()) continue;
    if (filter.since && task.at < new Date(filter.since).toISOString()) continue;
    if (filter.until && task.at >= new Date(filter.until).toISOString()) continue;
    if (
      byMail &&
      !task.journalSeqs.some((seq) => {
        const record = journal.get(seq);
        return record !== undefined && matches(record, filter);
      })
    )
      continue;
    out.push(task);
  }
  return out;
}

export interface JournalStats {
  readonly records: number;
  readonly byState: Record<MailState, number>;
  readonly byTranid: Record<string, number>;
  readonly bytes: number;
}

export function journalStats(journal: Journal, filter: RecordFilter = {}): JournalStats {
  const byState: Record<MailState, number> = { ACCEPTED: 0, SENT: 0, DEFERRED: 0, FAILED: 0, DENIED: 0 };
  const byTranid: Record<string, number> = {};
  let records = 0;
  let bytes = 0;
  for (const r of journal.scan()) {
    if (!matches(r, filter)) continue;
    records++;
    bytes += r.size;
    byState[r.state]++;
    byTranid[r.tranid] = (byTranid[r.tranid] ?? 0) + 1;
  }
  return { records, byState, byTranid, bytes };
}

const TIME = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * A time given by a user: a date (UTC midnight), or a date and time with its zone
 * (`2026-11-28T13:00Z`, `…+01:00`). Nothing is guessed: no local time, no 30 February.
 */
export function isTime(value: string): boolean {
  const m = TIME.exec(value);
  if (!m) return false;
  if (m[4] !== undefined && m[7] === undefined) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return (
    date.getUTCFullYear() === y &&
    date.getUTCMonth() === mo - 1 &&
    date.getUTCDate() === d &&
    Number(m[4] ?? 0) < 24 &&
    Number(m[5] ?? 0) < 60 &&
    Number(m[6] ?? 0) < 60
  );
}
