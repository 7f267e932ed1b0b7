// The request keys: for each key a caller sent (with the user and tranid it belongs to),
// a digest of the request, the mails it journaled and, once its task ran to its end, the
// answer the caller heard, byte for byte. An LMDB database of its own in the journal's
// environment: the key is written in the same commit as the first mail it journals
// (journal.ts accept), so a mail is never on record without its key, nor a key without
// its mail. The answer follows before the caller hears it, written by the task's worker
// after its mails' settles (transactions/worker.ts).
import type { Database } from 'lmdb';
import type { RequestKeyRef } from '../cics/request-key.js';
import type { StoredAnswer } from '../cics/task-answer.js';

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

export class RequestKeys {
  readonly #db: Database<KeyRecord, string>;
  readonly #write: Write;
  readonly #now: () => number;
  readonly #owner: { readonly sysid?: string };

  constructor(db: Database<KeyRecord, string>, write: Write, now: () => number, sysid?: string) {
    this.#db = db;
    this.#write = write;
    this.#now = now;
    this.#owner = sysid === undefined ? {} : { sysid };
  }

  get(id: string): KeyRecord | undefined {
    return this.#db.get(id);
  }

  /**
   * Inside the journal's write transaction that accepts mail `seq`: the key takes it. The
   * first mail makes the record; a later one of the same task (SEND, SPOL) adds to it.
   */
  tookMail(ref: RequestKeyRef, owner: KeyOwner, seq: number, at: string): void {
    const record = this.#db.get(ref.id);
    const seqs = record ? [...record.seqs, seq] : [seq];
    void this.#db.put(ref.id, record ? { ...record, seqs } : this.#fresh(ref, owner, seqs, at));
  }

  /** Keeps the answer of the key's task; resolves once it is on disk. */
  async answered(ref: RequestKeyRef, owner: KeyOwner, answer: StoredAnswer): Promise<void> {
    const at = new Date(this.#now()).toISOString();
    await this.#write(() => {
      const record = this.#db.get(ref.id) ?? this.#fresh(ref, owner, [], at);
      void this.#db.put(ref.id, { ...record, answer, answeredAt: at });
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
   * Removes keys taken before `before` (epoch ms), `limit` at most. A key whose mail is
   * still in the retry spool stays: its repeat must not send it a second time.
   */
  async prune(before: number, unfinished: (seq: number) => boolean, limit = 10_000): Promise<number> {
    const cutoff = new Date(before).toISOString();
    return this.#write(() => {
      let n = 0;
      for (const { key, value } of this.#db.getRange({})) {
        if (n >= limit) break;
        if (value.takenAt >= cutoff || value.seqs.some(unfinished)) continue;
        void this.#db.remove(key);
        n++;
      }
      return n;
    });
  }

  count(): number {
    return this.#db.getCount();
  }
}
