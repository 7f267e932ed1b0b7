// Finding records: the filters operators ask by (state, user, tranid, jobname, recipient,
// Message-ID, time range), paged by sequence number. A page walks the index of the most
// selective filter (indexes.ts) between the sequence numbers its time range spans, checks
// the other indexed filters by a key lookup each and reads only the records that pass:
// it costs about what it returns, however large the journal. Every page reads at most
// PAGE_BUDGET entries of LMDB and then answers with what it found and where to go on
// (`next`), so that a filter that matches nothing in ten million records costs one page's
// reads, not a scan of the journal on the region's main thread. Records written before the
// journal had indexes, until they are indexed (Journal.indexLegacy), are read one by one.
// Counts answer stats where they can (counts.ts); otherwise stats walk the records a page
// at a time, letting the event loop in between.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Dimension } from './counts.js';
import { COUNTS, TASK_KEPT } from './coverage.js';
import { bareMessageId, keyValue, LAST_SEQ, RECORD_INDEXES } from './indexes.js';
import type { Journal } from './journal.js';
import type { JournalRecord } from './record.js';
import { FATES, type Fate, type MailState } from './states.js';
import { fatesNow } from './fate.js';
import { printableKey, REQUEST_KEY, REQUEST_KEY_RULE } from '../cics/request-key.js';
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
  /** The request key (Idempotency-Key) the mail was sent under, as sent. */
  readonly requestKey?: string;
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
  readonly key?: string | undefined;
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
  if (text.key && !REQUEST_KEY.test(text.key))
    throw new FilterError('key', `'${printableKey(text.key)}' is not a request key: ${REQUEST_KEY_RULE}`);
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
    ...(text.key ? { requestKey: text.key } : {}),
    ...(text.since ? { since: text.since } : {}),
    ...(text.until ? { until: text.until } : {}),
    ...(fate ? { fate: fate as Fate, fateAt } : {}),
  };
}

export interface Page {
  readonly after?: number;
  readonly limit: number;
  /** LMDB entries a page reads at most (PAGE_BUDGET where not given). */
  readonly budget?: number;
}

/** LMDB entries a page reads at most before it answers with what it has. */
export const PAGE_BUDGET = 4000;

/** Index entries counted, per filter, to choose the one to walk (less where the budget is small). */
const SELECTIVITY_CAP = 64;

export interface RecordPage {
  readonly records: JournalRecord[];
  /** Where to go on (`after`), or null where no record is left to look at. */
  readonly next: number | null;
}

export function matches(r: JournalRecord, f: RecordFilter): boolean {
  if (f.state && r.state !== f.state) return false;
  if (f.userid && r.userid !== f.userid.toUpperCase()) return false;
  if (f.tranid && r.tranid !== f.tranid.toUpperCase()) return false;
  if (f.jobname && r.jobname !== f.jobname.toUpperCase()) return false;
  if (f.messageId && bareMessageId(r.messageId) !== bareMessageId(f.messageId)) return false;
  if (f.requestKey && r.requestKey !== f.requestKey) return false;
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

interface Lookup {
  readonly index: string;
  readonly value: string;
}

/** The index lookups a filter asks for, in RECORD_INDEXES' order. */
function lookupsOf(filter: RecordFilter): Lookup[] {
  const out: Lookup[] = [];
  for (const index of RECORD_INDEXES) {
    const text = filter[index.filter];
    if (text) out.push({ index: index.name, value: keyValue(index.valueOf(text)) });
  }
  return out;
}

interface Segment {
  readonly from: number;
  /** Exclusive. */
  readonly to: number;
  readonly indexed: boolean;
}

/** [from, to) cut where the records that lack some of the indexes `names` lie. */
function segments(journal: Journal, from: number, to: number, names: readonly string[]): Segment[] {
  const span = journal.unindexed(names);
  if (!span) return [{ from, to, indexed: true }];
  const parts: Segment[] = [
    { from, to: Math.min(to, span.from), indexed: true },
    { from: Math.max(from, span.from), to: Math.min(to, span.to + 1), indexed: false },
    { from: Math.max(from, span.to + 1), to, indexed: true },
  ];
  return parts.filter((p) => p.from < p.to);
}

/** The sequence numbers a filter's time range and a page's `after` leave: [from, to). */
function seqRange(journal: Journal, filter: RecordFilter, after: number | undefined): [number, number] {
  let from = after !== undefined ? after + 1 : 0;
  if (filter.since) from = Math.max(from, journal.firstSeqAt(new Date(filter.since).toISOString()));
  const to = filter.until ? journal.firstSeqAt(new Date(filter.until).toISOString()) : LAST_SEQ;
  return [from, to];
}

/**
 * Records that match, in sequence order, after `page.after`: at most `page.limit`, and no
 * more LMDB reads than the budget. `next` is the last record's sequence number where the
 * page is full, the last one looked at where the budget ran out, null where none is left.
 */
export function queryRecords(journal: Journal, filter: RecordFilter, page: Page): RecordPage {
  const budget = journal.reads + (page.budget ?? PAGE_BUDGET);
  const out: JournalRecord[] = [];
  const lookups = lookupsOf(filter);
  const [from, to] = seqRange(journal, filter, page.after);
  if (from >= to) return { records: out, next: null };
  // Looked at one more: the page is full, or the budget is spent (after one at least, so a page always moves on).
  const step = (seq: number, record: JournalRecord | undefined): RecordPage | undefined => {
    if (record && matches(record, filter)) {
      out.push(record);
      if (out.length >= page.limit) return { records: out, next: seq };
    }
    return journal.reads >= budget ? { records: out, next: seq } : undefined;
  };
  for (const part of segments(
    journal,
    from,
    to,
    lookups.map((l) => l.index),
  )) {
    if (!part.indexed || lookups.length === 0) {
      for (const record of journal.range(part.from, part.to)) {
        const done = step(record.seq, record);
        if (done) return done;
      }
      continue;
    }
    // The lookup with the fewest entries here walks; the others are checked by key.
    // Each counted up to the fewest so far; one with none here ends the search at once.
    let fewest = Math.max(
      1,
      Math.min(SELECTIVITY_CAP, Math.floor((page.budget ?? PAGE_BUDGET) / (4 * lookups.length))),
    );
    let driver = 0;
    for (let i = 0; i < lookups.length && fewest > 0; i++) {
      const l = lookups[i] as Lookup;
      const n = journal.index.countUpTo(l.index, l.value, part.from, part.to, fewest);
      if (n < fewest) [fewest, driver] = [n, i];
    }
    const walk = lookups[driver] as Lookup;
    const others = lookups.filter((_, i) => i !== driver);
    for (const seq of journal.index.seqs(walk.index, walk.value, part.from, part.to)) {
      const pass = others.every((l) => journal.index.has([l.index, l.value, seq]));
      const done = step(seq, pass ? journal.get(seq) : undefined);
      if (done) return done;
    }
  }
  return { records: out, next: null };
}

/** Records a page of eachPage asks for: few at first, so that an export's first bytes come soon, then more. */
const FIRST_SLICE = 50;
const SLICE = 500;

/**
 * Every record that matches (`limit` at most), after `after`, a page at a time with the
 * event loop let in between pages: for exports, stats and redeliver of any size.
 */
export async function* eachPage(
  journal: Journal,
  filter: RecordFilter,
  options: { readonly after?: number; readonly limit?: number } = {},
): AsyncGenerator<JournalRecord[]> {
  let after = options.after;
  let left = options.limit ?? Number.MAX_SAFE_INTEGER;
  for (let size = FIRST_SLICE; left > 0; size = SLICE) {
    const page = queryRecords(journal, filter, {
      limit: Math.min(size, left),
      ...(after !== undefined ? { after } : {}),
    });
    if (page.records.length > 0) yield page.records;
    left -= page.records.length;
    if (page.next === null) return;
    after = page.next;
    await nextTurn();
  }
}

/** eachPage, a record at a time. */
export async function* eachRecord(
  journal: Journal,
  filter: RecordFilter,
  options: { readonly after?: number; readonly limit?: number } = {},
): AsyncGenerator<JournalRecord> {
  for await (const page of eachPage(journal, filter, options)) yield* page;
}

/** Fields of a filter that only a task's mails can answer. */
const MAIL_FIELDS = ['state', 'recipient', 'messageId'] as const;

/** Task log entries read between two turns of the event loop. */
const TASK_SLICE = 500;

/** Whether a task's own fields pass the filter. */
function taskMatches(task: TaskEntry, filter: RecordFilter): boolean {
  if (filter.tranid && task.tranid !== filter.tranid.toUpperCase()) return false;
  if (filter.userid && task.userid !== filter.userid.toUpperCase()) return false;
  if (filter.jobname && task.jobname !== filter.jobname.toUpperCase()) return false;
  if (filter.since && task.at < new Date(filter.since).toISOString()) return false;
  if (filter.until && task.at >= new Date(filter.until).toISOString()) return false;
  return true;
}

/**
 * Task entries the filter picks (`limit` at most): those whose own fields pass and, where it
 * asks about mails, one of whose mails passes it whole. A filter on mails walks the records'
 * indexes and finds each record's task by the task index (the tasks in the order of their
 * first mail that passes); one on the tasks' own fields reads the log in order. Either goes
 * a slice at a time, letting the event loop in between.
 */
export async function findTasks(journal: Journal, filter: RecordFilter, limit: number): Promise<TaskEntry[]> {
  const byMail = MAIL_FIELDS.some((f) => filter[f] !== undefined);
  const out: TaskEntry[] = [];
  if (byMail && journal.unindexed(TASK_KEPT) === null) {
    const seen = new Set<number>();
    for await (const page of eachPage(journal, filter)) {
      for (const record of page) {
        const task = journal.tasks.forRecord(record.seq);
        if (typeof task !== 'object' || seen.has(task.id)) continue;
        seen.add(task.id);
        if (!taskMatches(task, filter)) continue;
        out.push(task);
        if (out.length >= limit) return out;
      }
    }
    return out;
  }
  // A slice a read: no LMDB cursor is held across a turn of the event loop.
  for (let after: number | undefined, read = TASK_SLICE; read === TASK_SLICE; await nextTurn()) {
    read = 0;
    for (const task of journal.tasks.scan(after)) {
      after = task.id;
      if (taskMatches(task, filter) && (!byMail || task.journalSeqs.some((seq) => mailMatches(journal, seq, filter)))) {
        out.push(task);
        if (out.length >= limit) return out;
      }
      if (++read === TASK_SLICE) break;
    }
  }
  return out;
}

function mailMatches(journal: Journal, seq: number, filter: RecordFilter): boolean {
  const record = journal.get(seq);
  return record !== undefined && matches(record, filter);
}

export interface JournalStats {
  readonly records: number;
  readonly byState: Record<MailState, number>;
  readonly byTranid: Record<string, number>;
  readonly bytes: number;
}

function noStats(): {
  records: number;
  byState: Record<MailState, number>;
  byTranid: Record<string, number>;
  bytes: number;
} {
  return { records: 0, byState: { ACCEPTED: 0, SENT: 0, DEFERRED: 0, FAILED: 0, DENIED: 0 }, byTranid: {}, bytes: 0 };
}

/** A time as an ISO day where it is a UTC midnight, else undefined. */
function dayOf(time: string): string | undefined {
  const iso = new Date(time).toISOString();
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : undefined;
}

/**
 * The stats from the counts, where they can say: no filter, or state and tranid with at
 * most one of user, job name and a range of whole days (UTC). Undefined otherwise, and
 * while records written before the indexes are not all counted yet.
 */
export function countedStats(journal: Journal, filter: RecordFilter = {}): JournalStats | undefined {
  if (journal.unindexed([COUNTS])) return undefined;
  if (filter.recipient || filter.messageId) return undefined;
  const since = filter.since ? dayOf(filter.since) : '';
  const until = filter.until ? dayOf(filter.until) : '\uffff';
  if (since === undefined || until === undefined) return undefined;
  const days = Boolean(filter.since || filter.until);
  const chosen: [Dimension, string | undefined][] = [
    ...(filter.userid ? [['user', filter.userid.toUpperCase()] as [Dimension, string]] : []),
    ...(filter.jobname ? [['job', filter.jobname.toUpperCase()] as [Dimension, string]] : []),
    ...(days ? [['day', undefined] as [Dimension, undefined]] : []),
  ];
  if (chosen.length > 1) return undefined;
  const [dimension, value] = chosen[0] ?? ['all', ''];
  const tranid = filter.tranid?.toUpperCase();
  const stats = noStats();
  // Days: from the first one asked for to before the last (rows sort by day).
  for (const row of journal.counts.rows(dimension, value, days ? since : undefined)) {
    if (days && row.value >= until) break;
    if (filter.state && row.state !== filter.state) continue;
    if (tranid && row.tranid !== tranid) continue;
    stats.records += row.records;
    stats.bytes += row.bytes;
    stats.byState[row.state] += row.records;
    stats.byTranid[row.tranid] = (stats.byTranid[row.tranid] ?? 0) + row.records;
  }
  return stats;
}

/** Records by state, from the counts (CEMT INQUIRE SYSTEM, /metrics): a few rows read. */
export function stateCounts(journal: Journal): Record<MailState, number> {
  const byState = noStats().byState;
  for (const row of journal.counts.rows('all', '')) byState[row.state] += row.records;
  return byState;
}

/** Counts by state and tranid, and bytes, of the records that match: from the counts where they can say, else walked. */
export async function journalStats(journal: Journal, filter: RecordFilter = {}): Promise<JournalStats> {
  const counted = countedStats(journal, filter);
  if (counted) return counted;
  const stats = noStats();
  for await (const r of eachRecord(journal, filter)) {
    stats.records++;
    stats.bytes += r.size;
    stats.byState[r.state]++;
    stats.byTranid[r.tranid] = (stats.byTranid[r.tranid] ?? 0) + 1;
  }
  return stats;
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
