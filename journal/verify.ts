// Checking what the journal keeps beside its records: the counts and the index keys are
// written in the same transaction as each record, so they can only go wrong through a bug or
// a journal written by another program. `check` compares three numbers (records against the
// counts, index entries against the count of them written): cheap enough for every start.
// `verify` recounts everything from one snapshot of the journal (a read transaction, read a
// slice at a time with the event loop let in between) and, asked to, repairs: the counts
// by the difference between the recount and what they said in that snapshot (writers since
// moved both alike), and each key that is missing or stray, checked again in the
// transaction that writes it.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Transaction } from 'lmdb';
import { TASK_KEPT } from './coverage.js';
import { JournalError } from './errors.js';
import { tallyDifference, tallyRecord, type Tally } from './counts.js';
import { LAST_SEQ, recordKeys, TASK_INDEX, type IndexKey } from './indexes.js';
import type { Journal } from './journal.js';

/** Records (or index entries) read between two turns of the event loop. */
const SLICE = 2000;

export interface QuickCheck {
  readonly ok: boolean;
  /** What differs, for the log; empty where ok. */
  readonly detail: string;
}

/** Records against the counts, and index entries against the count written: a few reads. */
export function check(journal: Journal): QuickCheck {
  if (journal.unindexed() || journal.unindexed(TASK_KEPT))
    return { ok: true, detail: 'records written before the indexes are being indexed' };
  // In one turn of the event loop, lmdb-js reads one snapshot.
  let counted = 0;
  for (const row of journal.counts.rows('all', '')) counted += row.records;
  const records = journal.size();
  const entries = journal.index.size();
  const written = journal.indexEntriesWritten();
  const wrong = [
    ...(counted !== records ? [`the counts say ${counted} records, the journal holds ${records}`] : []),
    ...(entries !== written ? [`the index holds ${entries} entries, ${written} were written`] : []),
  ];
  return { ok: wrong.length === 0, detail: wrong.join('; ') };
}

export interface VerifyReport {
  /** Records and task entries read. */
  readonly records: number;
  readonly tasks: number;
  /** Rows of counts that differed from the recount. */
  readonly countRows: number;
  /** Index keys a record or task entry should have and had not. */
  readonly missingKeys: number;
  /** Index keys that no record or task entry gives. */
  readonly strayKeys: number;
  /** Keys put or removed by the repair (0 without one). */
  readonly repaired: number;
  readonly ok: boolean;
}

/**
 * Recounts and checks every index key from one snapshot; with `repair`, puts right what
 * differs. Refused while records written before the indexes are being indexed.
 */
export async function verify(journal: Journal, options: { readonly repair: boolean }): Promise<VerifyReport> {
  if (journal.unindexed() || journal.unindexed(TASK_KEPT))
    throw new JournalError(
      'CICSMAIL_JOURNAL_INDEXING',
      'records written before the indexes are still being indexed (the region does it at start); verify once that is done',
    );
  const txn = journal.snapshot();
  let want: Tally = new Map();
  const missing: IndexKey[] = [];
  const stray: IndexKey[] = [];
  let have: Tally;
  let records = 0;
  let tasks = 0;
  try {
    let expected = 0;
    let after = 0;
    for (;;) {
      let n = 0;
      for (const r of journal.range(after + 1, LAST_SEQ, txn)) {
        [after, n] = [r.seq, n + 1];
        tallyRecord(want, r, 1);
        for (const key of recordKeys(r)) {
          expected++;
          if (!journal.index.has(key, txn)) missing.push(key);
        }
        if (n >= SLICE) break;
      }
      records += n;
      if (n < SLICE) break;
      await nextTurn();
    }
    after = 0;
    for (;;) {
      let n = 0;
      for (const entry of journal.tasks.committed(after + 1, LAST_SEQ, SLICE, txn)) {
        [after, n] = [entry.id, n + 1];
        for (const seq of new Set(entry.journalSeqs)) {
          const key: IndexKey = [TASK_INDEX, seq, entry.id];
          expected++;
          if (!journal.index.has(key, txn)) missing.push(key);
        }
      }
      tasks += n;
      if (n < SLICE) break;
      await nextTurn();
    }
    have = journal.counts.tally(txn);
    // Every expected key there and as many entries as expected: none is stray. Else find them.
    let entries = 0;
    for await (const slice of slices(journal, txn)) entries += slice.length;
    if (entries !== expected - missing.length)
      for await (const slice of slices(journal, txn))
        for (const key of slice) if (!keyWanted(journal, key, txn)) stray.push(key);
  } finally {
    txn.done();
  }
  const counts = tallyDifference(want, have);
  want = new Map();
  let repaired = 0;
  if (options.repair && (counts.size > 0 || missing.length > 0 || stray.length > 0)) {
    const wanted = (key: IndexKey) => keyWanted(journal, key);
    repaired = await journal.repair(
      counts,
      [...missing, ...stray].map((key) => ({ key, wanted })),
    );
  }
  return {
    records,
    tasks,
    countRows: counts.size,
    missingKeys: missing.length,
    strayKeys: stray.length,
    repaired,
    ok: counts.size === 0 && missing.length === 0 && stray.length === 0,
  };
}

/** Every index entry, a slice at a time with the event loop let in between. */
async function* slices(journal: Journal, txn: Transaction): AsyncGenerator<IndexKey[]> {
  let after: IndexKey | undefined;
  for (;;) {
    const slice = [...journal.index.entries(txn, after, SLICE)];
    if (slice.length > 0) yield slice;
    if (slice.length < SLICE) return;
    after = slice.at(-1);
    await nextTurn();
  }
}

/** Whether the record or task entry a key names gives that key (in `txn`, or now). */
function keyWanted(journal: Journal, key: IndexKey, txn?: Transaction): boolean {
  const [name, value, n] = key;
  if (name === TASK_INDEX) {
    if (!journal.keeps(TASK_INDEX, n)) return false;
    for (const entry of journal.tasks.committed(n, n + 1, 1, txn)) return entry.journalSeqs.includes(value as number);
    return false;
  }
  if (!journal.keeps(name, n)) return false;
  for (const r of journal.range(n, n + 1, txn))
    return recordKeys(r).some((k) => k[0] === name && k[1] === value && k[2] === n);
  return false;
}
