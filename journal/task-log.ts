// The task log: each task's request as it came (tranid, COMMAREA, containers, CCSID, user,
// jobname) and what it answered, so that a run of transactions can be driven again against
// a region and the outcomes compared (redrive). Kept in the journal's LMDB environment,
// pruned with it; not flushed before the answer: it is a record for testing, not a promise.
// Entries are written in batches, one commit for all the tasks that ended within BATCH_MS:
// a commit is a flush to disk, and one a task cost the region 7 % of its mails a second
// and held LMDB's write lock against the workers' own commits. Until then the log's own
// reads (get, scan) see them from memory.
// A channel larger than the region keeps (CICSMAIL_TASKLOG_KEEP_KB) is logged without its
// containers' bytes: a log of 20 MB attachments would double the journal and the memory.
// Each entry is found by the journal records its task made: [TASK_INDEX, seq, id] in the
// journal's index, written with the entry and removed with it.
import type { Database, Transaction } from 'lmdb';
import type { CommareaInput, Container } from '../cics/task.js';
import { LAST_SEQ, TASK_INDEX, type Indexes } from './indexes.js';

/** What a task answered: the RC of its mails, or the RESP/abend that ended it. */
export type LoggedOutcome =
  | { readonly kind: 'normal'; readonly rc: number | null }
  | { readonly kind: 'failed'; readonly resp: string; readonly abcode: string | null };

/** A container as the task log keeps it: with its bytes, or without them (`data: null`) and with their length. */
export type LoggedContainer = Container | (Omit<Container, 'data'> & { readonly data: null; readonly length: number });

export interface TaskEntry {
  /** Counts up over the journal's life; never reused. */
  readonly id: number;
  /** The SYSID of the region that ran the task; absent in entries written before regions kept it. */
  readonly sysid?: string;
  /** When the task started (ISO 8601). */
  readonly at: string;
  readonly taskn: number;
  readonly tranid: string;
  readonly userid: string;
  readonly jobname: string;
  readonly ccsid: number;
  readonly commarea: CommareaInput;
  readonly containers: readonly LoggedContainer[];
  readonly outcome: LoggedOutcome;
  readonly journalSeqs: readonly number[];
  readonly durationMs: number;
}

export type NewTaskEntry = Omit<TaskEntry, 'id' | 'sysid'>;

/** The outcome as people compare it: `RC 0`, `NORMAL` (no RC), `INVREQ AICA`. */
export function outcomeText(outcome: LoggedOutcome): string {
  if (outcome.kind === 'normal') return outcome.rc === null ? 'NORMAL' : `RC ${outcome.rc}`;
  return outcome.abcode ? `${outcome.resp} ${outcome.abcode}` : outcome.resp;
}

/**
 * What the log keeps of a request: all of it where the containers come to `keepBytes` at
 * most (`kept`), else the COMMAREA (copied: the body is about to move to a worker) and
 * each container without its bytes.
 */
export function loggedRequest(
  commarea: CommareaInput,
  containers: readonly Container[],
  keepBytes: number,
): { commarea: CommareaInput; containers: readonly LoggedContainer[]; kept: boolean } {
  let bytes = 0;
  for (const c of containers) bytes += c.data.byteLength;
  if (bytes <= keepBytes) return { commarea, containers, kept: true };
  return {
    // A copy: Buffer's slice() would be a view, detached with the body.
    commarea: commarea.form === 'bytes' ? { form: 'bytes', bytes: new Uint8Array(commarea.bytes) } : commarea,
    containers: containers.map(({ data, ...rest }) => ({ ...rest, data: null, length: data.byteLength })),
    kept: false,
  };
}

/** Containers the log holds without their bytes, where there are any. */
export function containersNotKept(entry: TaskEntry): number {
  return entry.containers.filter((c) => c.data === null).length;
}

type Write = <T>(action: () => T) => Promise<T>;

/** How the log keeps its entries' index keys (the journal's index, and which ids it holds). */
export interface TaskIndexing {
  readonly index: Indexes;
  /** Whether an entry's keys are in the index (those written before it had them are added later). */
  readonly indexed: (id: number) => boolean;
  /** Ids of entries not indexed yet, or null where there are none. */
  readonly unindexed: () => { readonly from: number; readonly to: number } | null;
}

/** Entries a retention transaction removes at most. */
export const TASK_PRUNE_BATCH = 250;

/** How long an entry waits for others to share its commit. */
export const BATCH_MS = 20;
/** Entries that make a commit at once. */
export const BATCH_MAX = 256;

interface Waiting {
  readonly entry: TaskEntry;
  readonly resolve: (id: number) => void;
  readonly reject: (err: unknown) => void;
}

export class TaskLog {
  readonly #db: Database<TaskEntry, number>;
  readonly #indexing: TaskIndexing;
  readonly #write: Write;
  readonly #writeError: (err: unknown) => Promise<unknown>;
  /** The next id: read once from the log, then counted here (only the region's main thread adds). */
  #next: number | undefined;
  readonly #owner: { readonly sysid?: string };
  /** Entries added since the last commit began, oldest first. */
  #waiting: Waiting[] = [];
  /** Entries of the commit under way. */
  #committing: readonly Waiting[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** The commit under way, if one is. */
  #commit: Promise<void> = Promise.resolve();

  constructor(
    db: Database<TaskEntry, number>,
    write: Write,
    writeError: (err: unknown) => Promise<unknown>,
    indexing: TaskIndexing,
    sysid?: string,
  ) {
    this.#db = db;
    this.#indexing = indexing;
    this.#owner = sysid === undefined ? {} : { sysid };
    this.#write = write;
    this.#writeError = writeError;
  }

  /** Adds an entry; resolves with its id once committed, with the others of its batch. */
  add(entry: NewTaskEntry): Promise<number> {
    if (this.#next === undefined) {
      this.#next = 1;
      for (const last of this.#db.getKeys({ reverse: true, limit: 1 })) this.#next = last + 1;
    }
    const id = this.#next++;
    return new Promise<number>((resolve, reject) => {
      this.#waiting.push({ entry: { id, ...this.#owner, ...entry }, resolve, reject });
      if (this.#waiting.length >= BATCH_MAX) void this.flush();
      else this.#timer ??= setTimeout(() => void this.flush(), BATCH_MS);
    });
  }

  /** Commits the entries added so far (after the commit under way); resolves once they are. */
  flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#waiting.length === 0) return this.#commit;
    const batch = this.#waiting;
    this.#waiting = [];
    this.#commit = this.#commit.then(async () => {
      this.#committing = batch;
      try {
        await this.#write(() => {
          for (const { entry } of batch) {
            void this.#db.put(entry.id, entry);
            if (this.#indexing.indexed(entry.id))
              for (const seq of new Set(entry.journalSeqs)) this.#indexing.index.put([TASK_INDEX, seq, entry.id]);
          }
        });
        for (const w of batch) w.resolve(w.entry.id);
      } catch (err) {
        const error = await this.#writeError(err);
        for (const w of batch) w.reject(error);
      } finally {
        this.#committing = [];
      }
    });
    return this.#commit;
  }

  get(id: number): TaskEntry | undefined {
    return this.#db.get(id) ?? this.#uncommitted().find((w) => w.entry.id === id)?.entry;
  }

  /** Every entry after `after`, oldest first, read lazily: those committed, then those waiting for their commit. */
  *scan(after?: number): Generator<TaskEntry> {
    let last = after ?? 0;
    for (const { value } of this.#db.getRange(after !== undefined ? { start: after + 1 } : {})) {
      last = value.id;
      yield value;
    }
    // Ids count up, and batches commit in order: what is not committed comes after all that is.
    for (const { entry } of this.#uncommitted()) if (entry.id > last) yield entry;
  }

  #uncommitted(): readonly Waiting[] {
    return this.#committing.length === 0 ? this.#waiting : [...this.#committing, ...this.#waiting];
  }

  /** Committed entries from id `from` to before `to`, `limit` at most, oldest first (in `transaction` where given). */
  *committed(from: number, to: number, limit?: number, transaction?: Transaction): Generator<TaskEntry> {
    for (const { value } of this.#db.getRange({
      start: from,
      end: to,
      ...(limit !== undefined ? { limit } : {}),
      ...(transaction ? { transaction } : {}),
    }))
      yield value;
  }

  /**
   * The entry of the task that made journal record `seq`: from the index, or among those
   * waiting for their commit; 'indexing' where it may be among entries not indexed yet.
   */
  forRecord(seq: number): TaskEntry | undefined | 'indexing' {
    for (const id of this.#indexing.index.seqs(TASK_INDEX, seq, 0, LAST_SEQ, 1)) {
      const entry = this.#db.get(id);
      if (entry) return entry;
    }
    const waiting = this.#uncommitted().find((w) => w.entry.journalSeqs.includes(seq));
    if (waiting) return waiting.entry;
    return this.#indexing.unindexed() ? 'indexing' : undefined;
  }

  /** Removes entries of tasks started before `before` (epoch ms), TASK_PRUNE_BATCH a transaction, `limit` at most. */
  async prune(before: number, limit = Number.MAX_SAFE_INTEGER): Promise<number> {
    let n = 0;
    for (;;) {
      const batch = await this.pruneBatch(before, Math.min(TASK_PRUNE_BATCH, limit - n));
      n += batch.entries;
      if (!batch.more || n >= limit) return n;
    }
  }

  /** One transaction of prune: the oldest entries started before `before`, `max` at most. */
  pruneBatch(before: number, max = TASK_PRUNE_BATCH): Promise<{ entries: number; more: boolean }> {
    const cutoff = new Date(before).toISOString();
    // Nothing due, no transaction.
    let first: TaskEntry | undefined;
    for (const { value } of this.#db.getRange({ limit: 1 })) first = value;
    if (!first || first.at >= cutoff) return Promise.resolve({ entries: 0, more: false });
    return this.#write(() => {
      const gone: TaskEntry[] = [];
      for (const { value } of this.#db.getRange({ limit: max })) {
        if (value.at >= cutoff) break;
        gone.push(value);
      }
      for (const entry of gone) {
        void this.#db.remove(entry.id);
        if (this.#indexing.indexed(entry.id))
          for (const seq of new Set(entry.journalSeqs)) this.#indexing.index.remove([TASK_INDEX, seq, entry.id]);
      }
      return { entries: gone.length, more: gone.length >= max && max > 0 };
    });
  }
}
