// The task log: each task's request as it came (tranid, COMMAREA, containers, CCSID, user,
// jobname) and what it answered, so that a run of transactions can be driven again against
// a region and the outcomes compared (redrive). Kept in the journal's LMDB environment,
// pruned with it; not flushed before the answer: it is a record for testing, not a promise.
import type { Database } from 'lmdb';
import type { CommareaInput, Container } from '../region/task.js';

/** What a task answered: the RC of its mails, or the RESP/abend that ended it. */
export type TaskOutcome =
  | { readonly kind: 'normal'; readonly rc: number | null }
  | { readonly kind: 'failed'; readonly resp: string; readonly abcode: string | null };

export interface TaskEntry {
  /** Counts up over the journal's life; never reused. */
  readonly id: number;
  /** When the task started (ISO 8601). */
  readonly at: string;
  readonly taskn: number;
  readonly tranid: string;
  readonly userid: string;
  readonly jobname: string;
  readonly ccsid: number;
  readonly commarea: CommareaInput;
  readonly containers: readonly Container[];
  readonly outcome: TaskOutcome;
  readonly journalSeqs: readonly number[];
  readonly durationMs: number;
}

export type NewTaskEntry = Omit<TaskEntry, 'id'>;

/** The outcome as people compare it: `RC 0`, `NORMAL` (no RC), `INVREQ AICA`. */
export function outcomeText(outcome: TaskOutcome): string {
  if (outcome.kind === 'normal') return outcome.rc === null ? 'NORMAL' : `RC ${outcome.rc}`;
  return outcome.abcode ? `${outcome.resp} ${outcome.abcode}` : outcome.resp;
}

type Write = <T>(action: () => T) => Promise<T>;

export class TaskLog {
  readonly #db: Database<TaskEntry, number>;
  readonly #write: Write;

  constructor(db: Database<TaskEntry, number>, write: Write) {
    this.#db = db;
    this.#write = write;
  }

  /** Adds an entry; resolves with its id once committed. */
  add(entry: NewTaskEntry): Promise<number> {
    return this.#write(() => {
      let id = 1;
      for (const last of this.#db.getKeys({ reverse: true, limit: 1 })) id = last + 1;
      void this.#db.put(id, { id, ...entry });
      return id;
    });
  }

  get(id: number): TaskEntry | undefined {
    return this.#db.get(id);
  }

  /** Every entry after `after`, oldest first, read lazily. */
  *scan(after?: number): Generator<TaskEntry> {
    for (const { value } of this.#db.getRange(after !== undefined ? { start: after + 1 } : {})) yield value;
  }

  /** Removes entries of tasks started before `before` (epoch ms), `limit` at most. */
  prune(before: number, limit = 10_000): Promise<number> {
    const cutoff = new Date(before).toISOString();
    return this.#write(() => {
      let n = 0;
      for (const { key, value } of this.#db.getRange({})) {
        if (value.at >= cutoff || n >= limit) break;
        void this.#db.remove(key);
        n++;
      }
      return n;
    });
  }
}
