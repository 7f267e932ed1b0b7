// Counts kept, not computed: how many records (and their bytes) the journal holds by state
// and tranid, over all of it and per user, per job name and per day of acceptance, each a
// row [dimension, value, state, tranid] -> [records, bytes] in an LMDB database, moved in
// the same write transaction as the record (journal.ts: a record written, moved or pruned
// takes its rows with it). CEMT INQUIRE SYSTEM, /journal/stats, /metrics and the console
// read a few rows, whatever the journal's size. `cicsmail journal verify` recounts them.
// A transaction adds up its changes first (a batch of a thousand records moves a row once).
import type { Database, Transaction } from 'lmdb';
import type { ReadCounter } from './indexes.js';
import type { JournalRecord } from './record.js';
import type { MailState } from './states.js';

/** What a row counts over: the whole journal, one user, one job name, one day (UTC, YYYY-MM-DD). */
export type Dimension = 'all' | 'user' | 'job' | 'day';

/** [dimension, value ('' for all), state, tranid]. */
export type CountKey = [Dimension, string, MailState, string];

export interface CountRow {
  readonly state: MailState;
  readonly tranid: string;
  readonly records: number;
  readonly bytes: number;
}

/** The value of each dimension for a record. */
const DIMENSIONS: Readonly<Record<Dimension, (r: JournalRecord) => string>> = {
  all: () => '',
  user: (r) => r.userid,
  job: (r) => r.jobname,
  day: (r) => r.acceptedAt.slice(0, 10),
};

export function countKeysOf(r: JournalRecord): CountKey[] {
  return (Object.keys(DIMENSIONS) as Dimension[]).map((d) => [d, DIMENSIONS[d](r), r.state, r.tranid]);
}

interface Change {
  readonly key: CountKey;
  records: number;
  bytes: number;
}

/** Recounts (verify) as rows, keyed like the pending changes. */
export type Tally = Map<string, Change>;

const text = (key: CountKey) => key.join('\0');

/** Adds a record (sign 1) or takes it away (sign -1) in a tally. */
export function tallyRecord(tally: Tally, r: JournalRecord, sign: 1 | -1): void {
  for (const key of countKeysOf(r)) {
    const id = text(key);
    const change = tally.get(id) ?? { key, records: 0, bytes: 0 };
    change.records += sign;
    change.bytes += sign * r.size;
    tally.set(id, change);
  }
}

export class Counts {
  readonly #db: Database<[number, number], CountKey>;
  readonly #counter: ReadCounter;
  #pending: Tally = new Map();

  /** `db` absent: a journal opened to read that no indexing writer has opened yet (no rows). */
  constructor(db: Database<[number, number], CountKey> | undefined, counter: ReadCounter) {
    this.#db = db ?? ({ getRange: () => [] } as unknown as Database<[number, number], CountKey>);
    this.#counter = counter;
  }

  /** A record moved from `before` to `after` (either absent: written or removed). */
  follow(before: JournalRecord | undefined, after: JournalRecord | undefined): void {
    if (before) tallyRecord(this.#pending, before, -1);
    if (after) tallyRecord(this.#pending, after, 1);
  }

  /** Adds a tally (verify's repair: the recount less what was counted). */
  addTally(tally: Tally): void {
    for (const [id, change] of tally) {
      const had = this.#pending.get(id) ?? { key: change.key, records: 0, bytes: 0 };
      had.records += change.records;
      had.bytes += change.bytes;
      this.#pending.set(id, had);
    }
  }

  /** Writes the changes of the transaction under way (inside it, at its end). */
  flush(): void {
    for (const { key, records, bytes } of this.#pending.values()) {
      if (records === 0 && bytes === 0) continue;
      const [n, b] = this.#db.get(key) ?? [0, 0];
      if (n + records === 0) void this.#db.remove(key);
      else void this.#db.put(key, [n + records, b + bytes]);
    }
    this.#pending = new Map();
  }

  /** Forgets the changes of a transaction that failed. */
  discard(): void {
    this.#pending = new Map();
  }

  /**
   * The rows of a dimension: all of them (from the value `from` on, in the values' order,
   * where given), or one value's; read in `transaction` where given.
   */
  *rows(
    dimension: Dimension,
    value?: string,
    from?: string,
    transaction?: Transaction,
  ): Generator<CountRow & { value: string }> {
    const start = value !== undefined ? [dimension, value] : from !== undefined ? [dimension, from] : [dimension];
    for (const { key, value: v } of this.#db.getRange({ start, ...(transaction ? { transaction } : {}) })) {
      this.#counter.reads++;
      // Past the last row of the dimension (or value): keys sort by their parts in turn.
      if (key[0] !== dimension || (value !== undefined && key[1] !== value)) return;
      yield { value: key[1], state: key[2], tranid: key[3], records: v[0], bytes: v[1] };
    }
  }

  /** Every row as a tally (verify compares it with a recount). */
  tally(transaction?: Transaction): Tally {
    const tally: Tally = new Map();
    for (const d of Object.keys(DIMENSIONS) as Dimension[])
      for (const row of this.rows(d, undefined, undefined, transaction)) {
        const key: CountKey = [d, row.value, row.state, row.tranid];
        tally.set(text(key), { key, records: row.records, bytes: row.bytes });
      }
    return tally;
  }
}

/** `want` less `have`, row by row: what turns one into the other. */
export function tallyDifference(want: Tally, have: Tally): Tally {
  const out: Tally = new Map();
  for (const [id, w] of want) {
    const h = have.get(id);
    const records = w.records - (h?.records ?? 0);
    const bytes = w.bytes - (h?.bytes ?? 0);
    if (records !== 0 || bytes !== 0) out.set(id, { key: w.key, records, bytes });
  }
  for (const [id, h] of have)
    if (!want.has(id) && (h.records !== 0 || h.bytes !== 0))
      out.set(id, { key: h.key, records: -h.records, bytes: -h.bytes });
  return out;
}
