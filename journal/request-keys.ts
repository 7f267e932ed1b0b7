// The request keys: for each key a caller sent (with the user and tranid it belongs to),
// a digest of the request, the mails it journaled and, once its task ran to its end, the
// answer the caller heard, byte for byte. An LMDB database of its own in the journal's
// environment: the key is written in the same commit as the first mail it journals
// (journal.ts accept), so a mail is never on record without its key, nor a key without
// its mail. The answer follows before the caller hears it, written by the task's worker
// after its mails' settles (transactions/worker.ts).
// Each key is also in a store of its own by when it was taken ([ms, id]), so that its
// retention walks the keys due and nothing else, a few hundred a transaction, whatever the
// store holds. Keys written before that store are added to it in batches as retention runs.
import type { Database } from 'lmdb';
import type { RequestKeyRef } from '../cics/request-key.js';
import type { StoredAnswer } from '../cics/task-answer.js';
import { entryCount } from './entry-count.js';

export interface KeyRecord {
  readonly key: string;
  readonly userid: string;
  readonly tranid: string;
  readonly digest: string;
  /** The region that took it; absent where the journal was opened without a SYSID. */
  readonly sysid?: string;
  /** The task that first journaled a mail under it, or answered for it. */
  readonly taskn: number;
  readonly takenAt: string;
  /** The mails journaled under it, in the order the task made them. */
  readonly seqs: readonly number[];
  /** Null while its task runs, or where it was cut off before it answered. */
  readonly answer: StoredAnswer | null;
  readonly answeredAt: string | null;
}

/** Who sent a key: what a record names beside the key. */
export interface KeyOwner {
  readonly userid: string;
  readonly tranid: string;
  readonly taskn: number;
}

type Write = <T>(action: () => T) => Promise<T>;

/** A key by when it was taken: epoch ms, then the key's id. */
export type KeyTime = [number, string];

/** Keys a retention transaction walks at most (removed or kept for their unfinished mail). */
export const KEY_PRUNE_BATCH = 500;

/** Keys written before the store by time, added to it a transaction at a time. */
const KEY_TIME_BACKFILL = 2000;

/** One retention transaction's work: keys removed, and where the next goes on (null: none due). */
export interface KeyPruned {
  readonly keys: number;
  readonly next: KeyTime | null;
}

export class RequestKeys {
  /** Both missing only to a reader of a journal no writer of this version has opened. */
  readonly #db: Database<KeyRecord, string> | undefined;
  readonly #byTime: Database<null, KeyTime> | undefined;
  /** The last key given a time entry by the backfill (ids in order), while it runs. */
  #backfilledTo: string | undefined;
  readonly #write: Write;
  readonly #now: () => number;
  readonly #owner: { readonly sysid?: string };

  constructor(
    db: Database<KeyRecord, string> | undefined,
    byTime: Database<null, KeyTime> | undefined,
    write: Write,
    now: () => number,
    sysid?: string,
  ) {
    this.#db = db;
    this.#byTime = byTime;
    this.#write = write;
    this.#now = now;
    this.#owner = sysid === undefined ? {} : { sysid };
  }

  get(id: string): KeyRecord | undefined {
    return this.#db?.get(id);
  }

  /**
   * Inside the journal's write transaction that accepts mail `seq`: the key takes it. The
   * first mail makes the record; a later one of the same task (SEND, SPOL) adds to it.
   */
  tookMail(ref: RequestKeyRef, owner: KeyOwner, seq: number, at: string): void {
    const db = this.#writable();
    const record = db.get(ref.id);
    const seqs = record ? [...record.seqs, seq] : [seq];
    void db.put(ref.id, record ? { ...record, seqs } : this.#putFresh(ref, owner, seqs, at));
  }

  /** A new key's record, with its entry by time: inside a write transaction. */
  #putFresh(ref: RequestKeyRef, owner: KeyOwner, seqs: readonly number[], at: string): KeyRecord {
    const record = this.#fresh(ref, owner, seqs, at);
    void this.#byTime?.put([Date.parse(at), ref.id], null);
    return record;
  }

  /** Keeps the answer of the key's task; resolves once it is on disk. */
  async answered(ref: RequestKeyRef, owner: KeyOwner, answer: StoredAnswer): Promise<void> {
    const at = new Date(this.#now()).toISOString();
    await this.#write(() => {
      const db = this.#writable();
      const record = db.get(ref.id) ?? this.#putFresh(ref, owner, [], at);
      void db.put(ref.id, { ...record, answer, answeredAt: at });
    });
  }

  #fresh(ref: RequestKeyRef, owner: KeyOwner, seqs: readonly number[], at: string): KeyRecord {
    const [userid, tranid] = [owner.userid, owner.tranid];
    return {
      key: ref.key,
      userid,
      tranid,
      digest: ref.digest,
      ...this.#owner,
      taskn: owner.taskn,
      takenAt: at,
      seqs,
      answer: null,
      answeredAt: null,
    };
  }

  /**
   * One retention transaction: keys taken before `before` (epoch ms), oldest first from
   * after `after`, KEY_PRUNE_BATCH walked at most. A key whose mail is still in the retry
   * spool (`unfinished`) stays: its repeat must not send it a second time; the walk goes on
   * past it. Keys written before the store by time get their entries first, a batch at a time.
   */
  async pruneBatch(before: number, unfinished: (seq: number) => boolean, after?: KeyTime): Promise<KeyPruned> {
    const [db, byTime] = [this.#db, this.#byTime];
    if (db === undefined || byTime === undefined) return { keys: 0, next: null };
    if (entryCount(byTime) < entryCount(db)) await this.#backfill(db, byTime);
    const due = (limit: number) =>
      byTime.getKeys({ ...(after ? { start: after, exclusiveStart: true } : {}), end: [before], limit });
    // Nothing due, no transaction.
    if ([...due(1)].length === 0) return { keys: 0, next: null };
    return this.#write(() => {
      const walked = [...due(KEY_PRUNE_BATCH)];
      let keys = 0;
      for (const time of walked) {
        const record = db.get(time[1]);
        if (record?.seqs.some(unfinished)) continue;
        if (record) {
          void db.remove(time[1]);
          keys++;
        }
        void byTime.remove(time);
      }
      return { keys, next: walked.length === KEY_PRUNE_BATCH ? (walked.at(-1) ?? null) : null };
    });
  }

  /** Time entries for keys written before the store by time, KEY_TIME_BACKFILL a transaction. */
  async #backfill(db: Database<KeyRecord, string>, byTime: Database<null, KeyTime>): Promise<void> {
    const from = this.#backfilledTo;
    await this.#write(() => {
      let last: string | undefined;
      for (const { key, value } of db.getRange({
        ...(from !== undefined ? { start: from, exclusiveStart: true } : {}),
        limit: KEY_TIME_BACKFILL,
      })) {
        void byTime.put([Date.parse(value.takenAt), key], null);
        last = key;
      }
      // Past the last key: from the start again next time, should any still lack an entry.
      this.#backfilledTo = last;
    });
  }

  count(): number {
    return this.#db ? entryCount(this.#db) : 0;
  }

  /** The keys' store, which a writer always has. */
  #writable(): Database<KeyRecord, string> {
    if (this.#db === undefined) throw new Error('a journal opened to read was asked to write a request key');
    return this.#db;
  }
}
