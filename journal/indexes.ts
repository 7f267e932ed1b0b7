// The journal's secondary indexes: one LMDB database of keys [index, value, seq] (no value),
// written in the same transaction as the record they point to, so that a query walks the
// records of one user, one state or one recipient in sequence order without reading the
// others. An index is a name and what a record is found by under it (`values`), and the
// filter it answers with how a filter's text becomes a value (`valueOf`): adding one is an
// entry in RECORD_INDEXES (and a filter in query.ts); the journal keeps every index in step
// with its records. The task log keeps its own entries here too ([TASK_INDEX, seq, task id]).
// A value is cut at INDEX_VALUE_CHARS: LMDB keys are at most 1978 bytes. A cut value finds a
// few records too many, never too few; query.ts checks each record against the filter itself.
import type { Database, Transaction } from 'lmdb';
import type { JournalRecord } from './record.js';

/** [index name, value, sequence number (a record's, or for TASK_INDEX a task id)]. */
export type IndexKey = [string, string | number, number];

/** The filters an index may answer (query.ts's RecordFilter fields). */
export type IndexedFilter = 'state' | 'userid' | 'tranid' | 'jobname' | 'recipient' | 'messageId' | 'requestKey';

export interface RecordIndex {
  /** Its name in the keys: stored, so never renamed. */
  readonly name: string;
  /** The filter field it answers. */
  readonly filter: IndexedFilter;
  /** What a record is found by (none: it is not in this index). */
  readonly values: (r: JournalRecord) => readonly string[];
  /** The value a filter's text looks up, as `values` gives it for a record that matches. */
  readonly valueOf: (text: string) => string;
}

/** Characters of a value kept in a key. */
export const INDEX_VALUE_CHARS = 256;

/** The task log's entries: [TASK_INDEX, journal seq, task id], the task that made a record. */
export const TASK_INDEX = 'task';

/** A Message-ID without its angle brackets: `<a@b>` and `a@b` are found alike. */
export function bareMessageId(id: string): string {
  return id.startsWith('<') && id.endsWith('>') ? id.slice(1, -1) : id;
}

const upper = (text: string) => text.toUpperCase();
const lower = (text: string) => text.toLowerCase();

/** Every index of the records, in the order a tie between equally selective ones is broken. */
export const RECORD_INDEXES: readonly RecordIndex[] = [
  {
    name: 'msgid',
    filter: 'messageId',
    values: (r) => (r.messageId === '' ? [] : [bareMessageId(r.messageId)]),
    valueOf: bareMessageId,
  },
  {
    name: 'rcpt',
    filter: 'recipient',
    values: (r) => [...new Set(r.envelope.to.map(lower))],
    valueOf: lower,
  },
  // A request key as sent (keys are opaque: case counts); the same key of two users or two
  // tranids finds both, and query.ts's other filters tell them apart.
  { name: 'key', filter: 'requestKey', values: (r) => (r.requestKey ? [r.requestKey] : []), valueOf: (text) => text },
  { name: 'job', filter: 'jobname', values: (r) => [r.jobname], valueOf: upper },
  { name: 'user', filter: 'userid', values: (r) => [r.userid], valueOf: upper },
  { name: 'tranid', filter: 'tranid', values: (r) => [r.tranid], valueOf: upper },
  { name: 'state', filter: 'state', values: (r) => [r.state], valueOf: (text) => text },
];

/** A value as a key holds it. */
export function keyValue(value: string): string {
  return value.length > INDEX_VALUE_CHARS ? value.slice(0, INDEX_VALUE_CHARS) : value;
}

/** The index keys of a record. */
export function recordKeys(r: JournalRecord): IndexKey[] {
  const keys: IndexKey[] = [];
  for (const index of RECORD_INDEXES) {
    const seen = new Set<string>();
    for (const value of index.values(r)) {
      const v = keyValue(value);
      if (seen.has(v)) continue;
      seen.add(v);
      keys.push([index.name, v, r.seq]);
    }
  }
  return keys;
}

const text = (key: IndexKey) => `${key[0]}\0${key[1]}`;

/** Reads counted: what a query costs, in LMDB entries read (tests and the scale bench read it). */
export interface ReadCounter {
  reads: number;
}

export const LAST_SEQ = Number.MAX_SAFE_INTEGER;

/** No index at all: a journal opened to read that no indexing writer has opened yet. */
const NONE = { getKeys: () => [], doesExist: () => false, get: () => undefined, getStats: () => ({ entryCount: 0 }) };

/**
 * The index database. Writes only inside a journal write transaction; the journal then adds
 * what they changed to the count of entries (`takeAdded`: meta `indexEntries`, for the cheap check).
 */
export class Indexes {
  readonly #db: Database<null, IndexKey>;
  readonly #counter: ReadCounter;
  /** Entries put less entries removed in the transaction under way. */
  #added = 0;

  constructor(db: Database<null, IndexKey> | undefined, counter: ReadCounter) {
    this.#db = db ?? (NONE as unknown as Database<null, IndexKey>);
    this.#counter = counter;
  }

  put(key: IndexKey): void {
    void this.#db.put(key, null);
    this.#added++;
  }

  remove(key: IndexKey): void {
    void this.#db.remove(key);
    this.#added--;
  }

  /**
   * A record moved from `before` to `after` (either absent: written or removed): its keys
   * follow, those of the indexes `kept` says it has (all where not given).
   */
  follow(
    before: JournalRecord | undefined,
    after: JournalRecord | undefined,
    kept: (name: string) => boolean = () => true,
  ): void {
    const old = before ? recordKeys(before).filter((k) => kept(k[0])) : [];
    const next = after ? recordKeys(after).filter((k) => kept(k[0])) : [];
    if (old.length === 0 && next.length === 0) return;
    const stays = new Set(next.map(text));
    const had = new Set(old.map(text));
    for (const key of old) if (!stays.has(text(key))) this.remove(key);
    for (const key of next) if (!had.has(text(key))) this.put(key);
  }

  /** The change in entries since the last call (at the end of a write transaction). */
  takeAdded(): number {
    const n = this.#added;
    this.#added = 0;
    return n;
  }

  has(key: IndexKey, transaction?: Transaction): boolean {
    this.#counter.reads++;
    if (transaction) return this.#db.get(key, { transaction }) !== undefined;
    return this.#db.doesExist(key);
  }

  /** Sequence numbers under [name, value] from `from` to before `to`, in order. */
  *seqs(name: string, value: string | number, from: number, to = LAST_SEQ, limit?: number): Generator<number> {
    const v = typeof value === 'string' ? keyValue(value) : value;
    for (const key of this.#db.getKeys({
      start: [name, v, from],
      end: [name, v, to],
      ...(limit !== undefined ? { limit } : {}),
    })) {
      this.#counter.reads++;
      yield key[2];
    }
  }

  /** How many sequence numbers [name, value] has in [from, to), counted up to `cap`. */
  countUpTo(name: string, value: string | number, from: number, to: number, cap: number): number {
    let n = 0;
    for (const _ of this.seqs(name, value, from, to, cap)) n++;
    return n;
  }

  /** Entries (verify) in key order after `after` (from the first where not given), `limit` at most, read in `transaction`. */
  *entries(transaction: Transaction, after: IndexKey | undefined, limit: number): Generator<IndexKey> {
    for (const key of this.#db.getKeys({
      transaction,
      limit,
      ...(after ? { start: after, exclusiveStart: true } : {}),
    })) {
      this.#counter.reads++;
      yield key;
    }
  }

  /** Entries in the database (LMDB's own count: no walk). */
  size(): number {
    return (this.#db.getStats() as { entryCount: number }).entryCount;
  }
}
