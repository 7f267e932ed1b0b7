// The journal: one LMDB environment under CICSMAIL_DATA/journal with a record per mail and
// the exact bytes of its message (those of 1 MB and more in files beside it:
// message-files.ts). Every thread and process that opens the same folder shares it (LMDB
// allows several), so workers write and the command line reads.
// Every write of a record goes through #store, in the transaction that writes it: its index
// keys (indexes.ts) and its rows of counts (counts.ts) follow it there, so a query or a
// count never sees a record without them. A journal written before the indexes (or before
// one of them) has them added once (indexLegacy, a batch at a time: coverage.ts); until
// then queries read the records that lack them one by one (query.ts).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type PutOptions, type RootDatabase, type Transaction } from 'lmdb';
import { journalWriteError } from './commit-failure.js';
import { JournalError } from './errors.js';
import { Counts, type Tally } from './counts.js';
import { COUNTS, Coverage, RECORD_KEPT, TASK_KEPT, type Span } from './coverage.js';
import { Indexes, LAST_SEQ, recordKeys, TASK_INDEX, type IndexKey, type ReadCounter } from './indexes.js';
import { MESSAGE_FILE_BYTES, MessageFiles } from './message-files.js';
import { wholeMessage, type MessageBytes } from '../cics/message-chunks.js';
import { ensureRoom } from './room.js';
import { PAGE_VALUE_BYTES, pageParts } from './page-fit.js';
import { StartLog, type StartEntry } from './starts.js';
import { TaskLog, type TaskEntry } from './task-log.js';
import { RequestKeys, type KeyRecord, type KeyTime } from './request-keys.js';
import type { RequestKeyRef } from '../cics/request-key.js';
import { DEFAULT_RETRY, retryDelay, type RetryPolicy } from './retry.js';
import { afterAttempt, isFinal, type MailState } from './states.js';
import type { Attempt, DeniedAttempt, Denial, JournalRecord, MailOrigin } from './record.js';
import { FateBook } from './fate.js';
import { Outbox, type OutboxEntry, type Subscriber, type WebhookEvent } from './outbox.js';
import { SuppressionList, type Suppression, type SuppressionChange } from './suppression.js';
import { KeyMaps, type KeyMapChange, type KeyMapEntry } from './key-maps.js';
import { entryCount } from './entry-count.js';

/** Final states, as retention removes them: each walked in its index. */
const FINAL_STATES: readonly MailState[] = ['SENT', 'FAILED', 'DENIED'];

/** Records a retention transaction removes at most: a few milliseconds of the write lock. */
export const PRUNE_BATCH = 500;

/** A record written in a batch (appendBatch): accepted at `at`, then each attempt in turn. */
export type BatchEntry =
  | {
      readonly origin: MailOrigin;
      /** Under MESSAGE_FILE_BYTES: a batch keeps every message in LMDB. */
      readonly message: Uint8Array;
      /** Epoch ms. */
      readonly at: number;
      readonly attempts?: readonly Attempt[];
    }
  | { readonly denied: DeniedAttempt; readonly at: number };

/** What one retention transaction removed. */
export interface Pruned {
  readonly records: number;
  /** Whether more are due (the batch was full). */
  readonly more: boolean;
}

export interface ListOptions {
  /** Start after this sequence number (paging). */
  readonly after?: number;
  readonly limit?: number;
  readonly state?: MailState;
}

export interface JournalOptions {
  readonly readOnly?: boolean;
  readonly retry?: RetryPolicy;
  /** When things happen (acceptance, due times, holds); the system's clock where not given. */
  readonly now?: () => number;
  /** The SYSID written into each new record and task log entry; none where not given (a reader). */
  readonly sysid?: string;
  /** Mail fate: who wants which webhook events (none: the outbox stays empty), and how long a bounce suppresses an address. */
  readonly fate?: { readonly subscribers?: readonly Subscriber[]; readonly suppressDays?: number };
}

/** The webhook event a record's move to a state is, where it is one. */
const STATE_EVENT: Partial<Record<MailState, WebhookEvent>> = { SENT: 'sent', DEFERRED: 'deferred', FAILED: 'failed' };

/** A message's part in the `message-parts` store: the record's sequence number, then 0, 1 … */
type MessagePart = [number, number];

/** A due entry: when, and which record. Ordered so that the earliest comes first. */
type DueKey = [number, number];

/** Free pages lmdb-js loads into memory, and keeps there, at most (environmentOptions). */
const FREE_PAGES_LOADED = 2000;
const FREE_PAGES_KEPT = 4000;

/** Named databases the journal's LMDB environment may hold. */
const MAX_DBS = 24;

/**
 * The LMDB environment's options. Without overlapping sync, LMDB syncs the data and writes
 * the meta page through its O_DSYNC descriptor before a commit returns (see Journal.open).
 * No read-ahead (MDB_NORDAHEAD, which lmdb-js takes but its types do not name): a journal
 * larger than the memory is read at random, an index entry here and a record there, and
 * the kernel's read-ahead of each page fault read 650 MB/s at ten million records (34 GB
 * on a machine of 24 GB), evicting the pages in use. lmdb-js's free pages kept in memory
 * are kept short (2,000 loaded, 4,000 kept; lmdb-js's are 50,000 and 75,000): each commit
 * merges the pages it frees into that list, an insertion shifting up to a quarter of it,
 * and with the long list MAIL at ten million records answered 43-199 a second of 200
 * (p50 0.13-9.5 s); with this one, 200 (p50 5.3-12.3 ms). A short list holds few runs of
 * free pages side by side, which a value of more than one page needs (else the file
 * grows: 8 KB a MAIL while the task log's entries took two pages), so what a mail writes
 * fits a page (page-fit.ts; docs/bench.md, 2026-12-07).
 * A program that opens the environment beside a journal of its own process opens it with
 * these: LMDB takes one set of flags a process, and a second set opened it anew (raw writes
 * a test made went unseen).
 */
export function environmentOptions(path: string, readOnly = false) {
  return {
    path,
    maxDbs: MAX_DBS,
    readOnly,
    overlappingSync: false,
    noReadAhead: true,
    maxFreeSpaceToLoad: FREE_PAGES_LOADED,
    maxFreeSpaceToRetain: FREE_PAGES_KEPT,
  };
}

/**
 * Puts a value under a key above every key there, appended (see Journal.#putMessage);
 * inside a write transaction.
 */
function appendOrPut<K extends import('lmdb').Key>(db: Database<Buffer, K>, key: K, bytes: Buffer): void {
  // lmdb-js's put takes options where its types say a version (write.js: versionOrOptions).
  const put = db.put.bind(db) as (k: K, v: Buffer, o: PutOptions) => Promise<boolean>;
  void put(key, bytes, { append: true });
  if (!db.doesExist(key)) void db.put(key, bytes);
}

export class Journal implements ReadCounter {
  readonly #root: RootDatabase;
  readonly #records: Database<JournalRecord, number>;
  /** Messages of one page (PAGE_VALUE_BYTES) at most, and any written before parts. */
  readonly #messages: Database<Buffer, number>;
  /** Longer messages below MESSAGE_FILE_BYTES, a page a part ([seq, part]): see page-fit.ts. */
  readonly #parts: Database<Buffer, MessagePart> | undefined;
  /** The file of each message kept as one (seq -> file name). */
  readonly #fileOf: Database<string, number> | undefined;
  readonly #files: MessageFiles;
  /** Every record not final yet, by when the retry spool should take it up. */
  readonly #due: Database<null, DueKey>;
  /** `lastSeq`: the highest sequence number ever given, so that pruning never frees one. */
  readonly #meta: Database<number, string>;
  readonly retry: RetryPolicy;
  /** The LMDB folder. */
  readonly path: string;
  /** Each task's request and answer, for redrive. */
  readonly tasks: TaskLog;
  /** The secondary indexes (query.ts walks them). */
  readonly index: Indexes;
  /** The counts by state and tranid, overall, by user, job name and day. */
  readonly counts: Counts;
  /** LMDB entries read by queries, counts and checks since open: what a call costs (tests, the scale bench). */
  reads = 0;
  /** Which records and task entries have their index keys and counts. */
  readonly #coverage: Coverage;
  /** START requests: transactions to run later. */
  readonly starts: StartLog;
  /** Request keys (request-keys.ts), each written with the first mail it journals. */
  readonly keys: RequestKeys;
  /** Mail fate (journal/fate.ts, outbox.ts, suppression.ts): stores of their own in this environment. */
  readonly fate: FateBook;
  readonly outbox: Outbox;
  readonly suppression: SuppressionList;
  /** Burst reports' key maps kept by the region (key-maps.ts). */
  readonly keyMaps: KeyMaps;

  readonly #now: () => number;
  /** What new records carry: `{ sysid }`, or nothing where the journal was opened without one. */
  readonly #owner: { readonly sysid?: string };

  private constructor(
    root: RootDatabase,
    path: string,
    retry: RetryPolicy,
    now: () => number,
    readOnly: boolean,
    sysid?: string,
    fate: JournalOptions['fate'] = {},
  ) {
    this.#root = root;
    this.#owner = sysid === undefined ? {} : { sysid };
    this.path = path;
    this.retry = retry;
    this.#now = now;
    this.#records = root.openDB<JournalRecord, number>({ name: 'records' });
    this.#messages = root.openDB<Buffer, number>({ name: 'messages', encoding: 'binary' });
    this.#files = new MessageFiles(join(path, 'messages'));
    this.#due = root.openDB<null, DueKey>({ name: 'due' });
    this.#meta = root.openDB<number, string>({ name: 'meta' });
    // A reader of a journal that no writer of this version has opened finds none of these
    // databases (lmdb-js opens a missing one as undefined).
    const has = readOnly ? new Set(root.getKeys({})) : undefined;
    const optional = <V, K extends import('lmdb').Key>(
      name: string,
      options: { encoding?: 'binary'; compression?: true } = {},
    ) => (has === undefined || has.has(name) ? root.openDB<V, K>({ name, ...options }) : undefined);
    this.#parts = optional<Buffer, MessagePart>('message-parts', { encoding: 'binary' });
    this.#fileOf = optional<string, number>('message-files');
    this.index = new Indexes(optional<null, IndexKey>('index'), this);
    this.counts = new Counts(optional<[number, number], import('./counts.js').CountKey>('counts'), this);
    this.#coverage = new Coverage(this.#meta);
    // Compressed, to fit a page (page-fit.ts); entries written before are read as they are.
    const tasks = root.openDB<TaskEntry, number>({ name: 'tasks', compression: true });
    if (!readOnly) this.#startKeeping(tasks);
    this.tasks = new TaskLog(
      tasks,
      (action) => this.#write(action),
      (err) => journalWriteError(err, path),
      {
        index: this.index,
        indexed: (id) => this.#coverage.covers(TASK_INDEX, id),
        unindexed: () => this.#coverage.union(TASK_KEPT),
      },
      sysid,
    );
    this.starts = new StartLog(
      root.openDB<StartEntry, string>({ name: 'starts' }),
      root.openDB<null, [number, string]>({ name: 'start-due' }),
      this.#meta,
      (action, bytes) => this.#write(action, bytes),
      sysid,
    );
    this.keys = new RequestKeys(
      optional<KeyRecord, string>('request-keys', { compression: true }),
      optional<null, KeyTime>('request-key-times'),
      (action) => this.#write(action),
      now,
      sysid,
    );
    const write = <T>(action: () => T, bytes = 0) => this.#write(action, bytes);
    this.outbox = new Outbox(
      root.openDB<OutboxEntry, number>({ name: 'outbox' }),
      this.#meta,
      fate.subscribers ?? [],
      write,
      sysid ?? '',
    );
    this.suppression = new SuppressionList(
      root.openDB<Suppression, string>({ name: 'suppression' }),
      root.openDB<SuppressionChange, number>({ name: 'suppression-log' }),
      write,
      now,
      fate.suppressDays ?? 30,
    );
    this.keyMaps = new KeyMaps(
      optional<Omit<KeyMapEntry, 'map' | 'key'>, [string, string]>('key-maps'),
      optional<KeyMapChange, number>('key-map-log'),
      write,
      now,
    );
    this.fate = new FateBook({
      records: this.#records,
      bounces: root.openDB<Buffer, [number, number]>({ name: 'bounces', encoding: 'binary' }),
      outbox: this.outbox,
      suppression: this.suppression,
      write,
    });
  }

  /**
   * In a writer that knows an index (or the counts) the journal has never kept: it is kept
   * for the records and task entries from the next number on, and added for those before by
   * indexLegacy. Once for each: a journal written before the indexes, a new index later.
   */
  #startKeeping(tasks: Database<TaskEntry, number>): void {
    if (this.#coverage.unstarted([...RECORD_KEPT, ...TASK_KEPT]).length === 0) return;
    this.#root.transactionSync(() => {
      let lastTask = 0;
      for (const id of tasks.getKeys({ reverse: true, limit: 1 })) lastTask = id;
      this.#coverage.start(RECORD_KEPT, this.#lastSeq() + 1);
      this.#coverage.start(TASK_KEPT, lastTask + 1);
    });
  }

  /** The highest sequence number given so far. */
  #lastSeq(): number {
    let last = this.#meta.get('lastSeq') ?? 0;
    for (const key of this.#records.getKeys({ reverse: true, limit: 1 })) last = Math.max(last, key);
    return last;
  }

  /**
   * Records that lack some of `names` (every index and the counts where not given), as one
   * span, or null where none does: a journal written before them, until indexLegacy is done.
   */
  unindexed(names: readonly string[] = RECORD_KEPT): Span | null {
    return this.#coverage.union(names);
  }

  /** Whether record (or, for the task index, task entry) `n` has what `name` keeps. */
  keeps(name: string, n: number): boolean {
    return this.#coverage.covers(name, n);
  }

  /**
   * Writes (or with `after` undefined, removes) a record, inside a write transaction; its
   * index keys and rows of counts follow where it is indexed.
   */
  #store(seq: number, before: JournalRecord | undefined, after: JournalRecord | undefined): void {
    if (after) void this.#records.put(seq, after);
    else void this.#records.remove(seq);
    this.index.follow(before, after, (name) => this.#coverage.covers(name, seq));
    if (this.#coverage.covers(COUNTS, seq)) this.counts.follow(before, after);
  }

  /**
   * A write transaction of about `bytes` (past what the records and index pages need); a
   * failed commit becomes a JournalError (FULL or WRITE), and one the disk may have no room
   * for is refused before LMDB sees it (room.ts).
   */
  async #write<T>(action: () => T, bytes = 0): Promise<T> {
    ensureRoom(this.path, bytes, 'record');
    try {
      return await this.#root.transaction(() => {
        try {
          const result = action();
          this.#settleCounts();
          return result;
        } catch (err) {
          this.counts.discard();
          this.index.takeAdded();
          throw err;
        }
      });
    } catch (err) {
      throw await journalWriteError(err, this.path);
    }
  }

  /** At the end of a write transaction: the rows of counts and the count of index entries it moved. */
  #settleCounts(): void {
    this.counts.flush();
    const added = this.index.takeAdded();
    if (added !== 0) void this.#meta.put('indexEntries', (this.#meta.get('indexEntries') ?? 0) + added);
  }

  /** Opens (creating where needed) the journal in `dataDir/journal`. */
  static open(dataDir: string, options: JournalOptions = {}): Journal {
    const path = join(dataDir, 'journal');
    try {
      if (!options.readOnly) mkdirSync(path, { recursive: true });
      return new Journal(
        // Without overlapping sync, LMDB syncs the data and writes the meta page through its
        // O_DSYNC descriptor before a commit returns, and lmdb-js resolves a write only then:
        // a resolved write is on disk. With it (lmdb-js's default), lmdb-js keeps a flush
        // promise per write batch that it never settles where the batch fails (3.5.6,
        // write.js startWriting: only status 0 calls the flush resolvers), and `flushed` and
        // close() (_endWrites) wait for the last one: after a full disk, for good.
        open(environmentOptions(path, options.readOnly === true)),
        path,
        options.retry ?? DEFAULT_RETRY,
        options.now ?? Date.now,
        options.readOnly === true,
        options.sysid,
        options.fate,
      );
    } catch (err) {
      throw new JournalError('CICSMAIL_JOURNAL_OPEN', `cannot open the journal at ${path}: ${(err as Error).message}`);
    }
  }

  /**
   * Records a mail as ACCEPTED with its exact bytes and resolves with its sequence number
   * once both are on disk (design invariant 1): the message file is synced before the
   * record commits, and a commit resolves once synced (see open). A request key, where
   * the task has one, takes the mail in the same commit.
   */
  async accept(origin: MailOrigin, given: MessageBytes, key?: RequestKeyRef): Promise<number> {
    const now = this.#now();
    // Due once its task must be long over: if the task dies, the retry spool delivers it.
    const nextAttemptAt = now + this.retry.orphanMs;
    // A large message is on disk, synced, before the record that names it commits; one in
    // chunks goes to its file chunk by chunk. A small one in chunks is joined for LMDB.
    const large = given.byteLength >= MESSAGE_FILE_BYTES;
    const file = large ? await this.#files.write(given) : null;
    const message = large ? new Uint8Array(0) : await wholeMessage(given);
    let seq: number;
    try {
      seq = await this.#write(
        () => {
          const next = this.#putAccepted(origin, message, given.byteLength, file, now, nextAttemptAt);
          if (key) this.keys.tookMail(key, origin, next, new Date(now).toISOString());
          return next;
        },
        file === null ? message.byteLength : 0,
      );
    } catch (err) {
      // A commit in doubt: on a full disk lmdb-js may report a failure for a transaction
      // whose record is readable afterwards (LMDB makes a commit visible only once it is
      // synced). Then the mail is accepted (the retry spool would deliver it anyway); say
      // so rather than refuse a mail that will be sent.
      const written = this.#lastWith(origin.messageId, new Date(now).toISOString());
      if (written === undefined || !(err instanceof JournalError && err.code === 'CICSMAIL_JOURNAL_FULL')) {
        if (file !== null && written === undefined) this.#files.remove([file]);
        throw err;
      }
      return written;
    }
    // Synced already; `root.flushed` would wait for the last batch, maybe another task's that fails.
    return seq;
  }

  /** The sequence number of a recent record with this Message-ID accepted at `at` or after, if there is one. */
  #lastWith(messageId: string, at: string): number | undefined {
    for (const { key, value } of this.#records.getRange({ reverse: true, limit: 16 })) {
      if (value.messageId === messageId && value.acceptedAt >= at && this.#storedSize(key) === value.size) return key;
    }
    return undefined;
  }

  /** The length of the bytes kept for a record, or -1 where none are. */
  #storedSize(seq: number): number {
    const file = this.#fileOf?.get(seq);
    if (file !== undefined) return this.#files.size(file);
    const whole = this.#messages.getBinary(seq);
    if (whole) return whole.byteLength;
    let size = -1;
    for (const part of this.#partsOf(seq)) size = Math.max(size, 0) + part.byteLength;
    return size;
  }

  /** The parts of a message kept in parts, in order (none where it is not). */
  *#partsOf(seq: number): Generator<Buffer> {
    if (!this.#parts) return;
    for (const { value } of this.#parts.getRange({ start: [seq, 0], end: [seq + 1, 0] })) yield value;
  }

  /**
   * When a record taken now is accepted: never before the last one (inside a write
   * transaction), so that acceptance times rise with sequence numbers and a time range is
   * a range of sequence numbers (query.ts). Tasks take the time before they queue for the
   * write lock, so that two a few milliseconds apart can commit the other way round.
   */
  #acceptedAt(now: number): string {
    const at = Math.max(now, this.#meta.get('lastAt') ?? 0);
    void this.#meta.put('lastAt', at);
    return new Date(at).toISOString();
  }

  #putAccepted(
    origin: MailOrigin,
    message: Uint8Array,
    size: number,
    file: string | null,
    now: number,
    nextAttemptAt: number,
  ): number {
    const seq = this.#nextSeq();
    const record = this.#acceptedRecord(origin, seq, this.#acceptedAt(now), size, nextAttemptAt);
    this.#putNew(record, message, file);
    return seq;
  }

  /** A new record written with its bytes (or the file that holds them) and its due entry, if not final. */
  #putNew(record: JournalRecord, message: Uint8Array, file: string | null): void {
    this.#store(record.seq, undefined, record);
    if (file !== null) void this.#writable(this.#fileOf).put(record.seq, file);
    else this.#putMessage(record.seq, message);
    if (record.nextAttemptAt !== null) void this.#due.put([record.nextAttemptAt, record.seq], null);
  }

  /** A database a writer always has (optional ones are missing only to a reader). */
  #writable<D>(db: D | undefined): D {
    if (db === undefined) throw new Error('a journal opened to read was asked to write');
    return db;
  }

  /**
   * A message's bytes, whole where they fit a page, else in parts that each do (page-fit.ts),
   * appended: sequence numbers only rise, and LMDB fills a page it appends to where an
   * ordinary put splits it in half (two 2 KB mails a 4 KB page, not one). An append below
   * a key already there writes nothing, without an error (lmdb-js 3.5.6): then the bytes
   * are put the ordinary way.
   */
  #putMessage(seq: number, message: Uint8Array): void {
    const bytes = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    if (bytes.byteLength <= PAGE_VALUE_BYTES) {
      appendOrPut(this.#messages, seq, bytes);
      return;
    }
    const parts = this.#writable(this.#parts);
    pageParts(bytes).forEach((part, n) => appendOrPut(parts, [seq, n], part as Buffer));
  }

  /** Removes a message kept in LMDB (whole, or in parts): inside a write transaction. */
  #removeMessage(seq: number, size: number): void {
    if (size <= PAGE_VALUE_BYTES || this.#messages.doesExist(seq)) void this.#messages.remove(seq);
    else for (let n = 0; n * PAGE_VALUE_BYTES < size; n++) void this.#writable(this.#parts).remove([seq, n]);
  }

  #acceptedRecord(origin: MailOrigin, seq: number, at: string, size: number, nextAttemptAt: number): JournalRecord {
    return {
      ...origin,
      ...this.#owner,
      seq,
      acceptedAt: at,
      updatedAt: at,
      size,
      state: 'ACCEPTED',
      pending: [...new Set(origin.envelope.to)],
      delivered: [],
      failed: [],
      nextAttemptAt,
      relayReply: null,
      attempts: [],
    };
  }

  #deniedRecord(attempt: DeniedAttempt, seq: number, at: string): JournalRecord {
    return {
      ...attempt,
      ...this.#owner,
      attachments: 0,
      messageId: '',
      seq,
      acceptedAt: at,
      updatedAt: at,
      size: 0,
      state: 'DENIED',
      pending: [],
      delivered: [],
      failed: [],
      nextAttemptAt: null,
      relayReply: null,
      attempts: [],
    };
  }

  /** The record of a refused attempt (inside a write transaction). */
  #putDenied(attempt: DeniedAttempt, now: number): number {
    const seq = this.#nextSeq();
    this.#store(seq, undefined, this.#deniedRecord(attempt, seq, this.#acceptedAt(now)));
    return seq;
  }

  /** Records a refused attempt as DENIED: final at once, no message bytes, never sent. */
  async deny(attempt: DeniedAttempt): Promise<number> {
    const now = this.#now();
    return this.#write(() => this.#putDenied(attempt, now));
  }

  /** A DENIED record stands for `count` refusals now, the last at `lastAt` (epoch ms). */
  async countDenials(seq: number, count: number, lastAt: number): Promise<void> {
    await this.#write(() => {
      const record = this.#records.get(seq);
      if (!record?.denial) throw new JournalError('CICSMAIL_JOURNAL_NO_RECORD', `no DENIED record ${seq}`);
      const denial: Denial = { ...record.denial, count, lastAt: new Date(lastAt).toISOString() };
      this.#store(seq, record, { ...record, denial, updatedAt: denial.lastAt ?? record.updatedAt });
    });
  }

  /**
   * Writes records in one transaction, each as accept and settle would leave it after its
   * attempts, with its index keys and counts: for building a large journal at once (the
   * scale test and bench), never for mail a caller waits on. Times must rise (they are
   * kept as given, no earlier than the last record's). Resolves with the sequence numbers.
   */
  async appendBatch(entries: readonly BatchEntry[]): Promise<number[]> {
    let bytes = 0;
    for (const e of entries) {
      if (!('denied' in e)) {
        if (e.message.byteLength >= MESSAGE_FILE_BYTES)
          throw new JournalError('CICSMAIL_JOURNAL_WRITE', 'a batch keeps messages under 1 MB only');
        bytes += e.message.byteLength;
      }
    }
    return this.#write(() => {
      // The numbers and the last time taken once for the batch.
      const first = this.#nextSeq(entries.length);
      let last = this.#meta.get('lastAt') ?? 0;
      const seqs = entries.map((e, i) => {
        const seq = first + i;
        last = Math.max(last, e.at);
        const at = new Date(last).toISOString();
        if ('denied' in e) {
          this.#store(seq, undefined, this.#deniedRecord(e.denied, seq, at));
          return seq;
        }
        let record = this.#acceptedRecord(e.origin, seq, at, e.message.byteLength, last + this.retry.orphanMs);
        for (const attempt of e.attempts ?? []) record = this.#attempted(record, attempt);
        this.#putNew(record, e.message, null);
        return seq;
      });
      void this.#meta.put('lastAt', last);
      return seqs;
    }, bytes);
  }

  /** The next sequence number (the first of `count`), taken (inside a write transaction). */
  #nextSeq(count = 1): number {
    let next = (this.#meta.get('lastSeq') ?? 0) + 1;
    for (const last of this.#records.getKeys({ reverse: true, limit: 1 })) next = Math.max(next, last + 1);
    void this.#meta.put('lastSeq', next + count - 1);
    return next;
  }

  /**
   * Adds an attempt to a record and moves it as journal/states.ts says. Resolves when
   * committed; a crash before the flush leaves it ACCEPTED or DEFERRED, and the mail is
   * delivered again with the same Message-ID: at least once, never lost.
   */
  async settle(seq: number, attempt: Attempt): Promise<JournalRecord> {
    return this.#write(() => {
      const record = this.#records.get(seq);
      if (!record) throw new JournalError('CICSMAIL_JOURNAL_NO_RECORD', `no journal record ${seq}`);
      return this.#settled(record, attempt);
    });
  }

  /** A record after an attempt, written with its due entry (inside a write transaction). */
  #settled(record: JournalRecord, attempt: Attempt): JournalRecord {
    const updated = this.#attempted(record, attempt);
    this.#store(record.seq, record, updated);
    this.#tell(record, updated, Date.parse(attempt.at));
    if (updated.nextAttemptAt !== record.nextAttemptAt) {
      if (record.nextAttemptAt !== null) void this.#due.remove([record.nextAttemptAt, record.seq]);
      if (updated.nextAttemptAt !== null) void this.#due.put([updated.nextAttemptAt, record.seq], null);
    }
    return updated;
  }

  /** A record after an attempt, as journal/states.ts moves it (not written). */
  #attempted(record: JournalRecord, attempt: Attempt): JournalRecord {
    const now = Date.parse(attempt.at);
    const expired = now - Date.parse(record.acceptedAt) >= this.retry.limitMs;
    const moved = afterAttempt(
      record,
      { outcome: attempt.outcome, accepted: attempt.accepted, refused: attempt.refused ?? [] },
      expired,
    );
    // Final already (the spool and a slow task both tried): the attempt is kept on record.
    if (!moved) return { ...record, attempts: [...record.attempts, attempt] };
    const attempts = [...record.attempts, attempt];
    const deferrals = attempts.filter((a) => a.outcome === 'deferred').length;
    return {
      ...record,
      ...moved,
      nextAttemptAt: isFinal(moved.state) ? null : now + retryDelay(this.retry, deferrals),
      relayReply: attempt.reply,
      updatedAt: attempt.at,
      attempts,
    };
  }

  /** Inside settle's transaction: a move to SENT, DEFERRED or FAILED for the webhooks that want it. */
  #tell(before: JournalRecord, after: JournalRecord, at: number): void {
    const event = STATE_EVENT[after.state];
    if (event === undefined || before.state === after.state || !this.outbox.wants(event)) return;
    const { sysid = '', seq, messageId, state, relayReply } = after;
    this.outbox.enqueueInTransaction(event, { sysid, seq, messageId, state, reply: relayReply ?? '' }, at);
  }

  /**
   * For the retry spool, in one transaction: the record, if it is still not final, with
   * its due time moved `holdMs` ahead (so no one else takes it up meanwhile, and a try
   * that fails without a word is not taken up again at once); a stale due entry of a
   * final or missing record is removed.
   */
  async claim(seq: number, holdMs: number): Promise<JournalRecord | undefined> {
    return this.#write(() => {
      const record = this.#records.get(seq);
      const at = record?.nextAttemptAt ?? null;
      if (!record || isFinal(record.state) || at === null) {
        for (const key of this.#due.getKeys({})) if (key[1] === seq) void this.#due.remove(key);
        return undefined;
      }
      const nextAttemptAt = this.#now() + holdMs;
      void this.#due.remove([at, seq]);
      void this.#due.put([nextAttemptAt, seq], null);
      const held = { ...record, nextAttemptAt };
      this.#store(seq, record, held);
      return held;
    });
  }

  /**
   * Removes final records (SENT, FAILED, DENIED) accepted before `before` (epoch ms), with
   * their bytes, index keys and counts, PRUNE_BATCH a transaction, `limit` at most. Mail not
   * yet delivered is never pruned. Oldest first in each state.
   */
  async prune(before: number, limit = Number.MAX_SAFE_INTEGER): Promise<number> {
    let n = 0;
    for (;;) {
      const batch = await this.pruneBatch(before, Math.min(PRUNE_BATCH, limit - n));
      n += batch.records;
      if (!batch.more || n >= limit) return n;
    }
  }

  /**
   * One transaction of prune: at most `max` final records accepted before `before`, found
   * in the state index below the first sequence number accepted at `before`.
   */
  async pruneBatch(before: number, max = PRUNE_BATCH): Promise<Pruned> {
    const cutoff = new Date(before).toISOString();
    // Records from `below` on were accepted at the cut-off or later, and so are all written after.
    const below = this.firstSeqAt(cutoff);
    // Nothing due, no transaction: a pass a second costs a few reads, not a commit.
    if (!FINAL_STATES.some((state) => this.index.countUpTo('state', state, 0, below, 1) > 0))
      return { records: 0, more: false };
    const files: string[] = [];
    const records = await this.#write(() => {
      let n = 0;
      for (const state of FINAL_STATES) {
        // Read first, then removed: keys are not removed under a cursor that walks them.
        const seqs = [...this.index.seqs('state', state, 0, below, max - n)];
        for (const seq of seqs) {
          const record = this.#records.get(seq);
          // A journal written before acceptance times rose with sequence numbers may hold a later one below.
          if (!record || record.acceptedAt >= cutoff) continue;
          this.#store(seq, record, undefined);
          this.fate.forgetInTransaction(seq);
          // A DENIED record has no bytes; a message of 1 MB or more is a file (or, written before files, in LMDB).
          const file = record.size >= MESSAGE_FILE_BYTES ? this.#fileOf?.get(seq) : undefined;
          if (file !== undefined) {
            void this.#writable(this.#fileOf).remove(seq);
            files.push(file);
          } else if (record.state !== 'DENIED') this.#removeMessage(seq, record.size);
          n++;
        }
        if (n >= max) break;
      }
      return n;
    });
    // Once no record names them.
    this.#files.remove(files);
    return { records, more: records >= max && max > 0 };
  }

  /**
   * The first sequence number of a record accepted at `at` (ISO 8601) or later (past the
   * last record where none is). A search by halves over the records (acceptance
   * times rise with sequence numbers: #acceptedAt), a few dozen reads however many there are.
   */
  firstSeqAt(at: string): number {
    let lo = 0;
    let hi = this.#lastSeq() + 1;
    for (const key of this.#records.getKeys({ limit: 1 })) lo = key;
    // Invariant: every record from hi on is at `at` or later; none below lo is (none exists).
    while (lo < hi) {
      const mid = Math.floor((lo + hi) / 2);
      let found: { key: number; value: JournalRecord } | undefined;
      for (const entry of this.#records.getRange({ start: mid, limit: 1 })) found = entry;
      this.reads++;
      if (!found || found.value.acceptedAt >= at) hi = mid;
      else lo = found.key + 1;
    }
    return hi;
  }

  /**
   * Adds what is kept beside them (index keys, counts) to up to `max` records and task
   * entries written before it was kept (oldest first, in one transaction): the records that
   * lack the same things are read once. Resolves with whether any remain.
   */
  async indexLegacy(max = 1000): Promise<boolean> {
    return this.#write(() => {
      const groups = new Map<string, { span: Span; names: string[] }>();
      for (const name of RECORD_KEPT) {
        const span = this.#coverage.span(name);
        if (!span) continue;
        const id = `${span.from}-${span.to}`;
        groups.set(id, { span, names: [...(groups.get(id)?.names ?? []), name] });
      }
      for (const { span, names } of groups.values()) {
        const wanted = new Set(names);
        let [done, n] = [span.from - 1, 0];
        for (const { key, value } of this.#records.getRange({ start: span.from, end: span.to + 1, limit: max })) {
          for (const k of recordKeys(value)) if (wanted.has(k[0])) this.index.put(k);
          if (wanted.has(COUNTS)) this.counts.follow(undefined, value);
          [done, n] = [key, n + 1];
        }
        // Fewer than asked: the rest of the span was pruned or never written.
        for (const name of names) this.#coverage.advance(name, n < max ? span.to : done);
      }
      const tasks = this.#coverage.span(TASK_INDEX);
      if (tasks) {
        let [done, n] = [tasks.from - 1, 0];
        for (const entry of this.tasks.committed(tasks.from, tasks.to + 1, max)) {
          for (const seq of new Set(entry.journalSeqs)) this.index.put([TASK_INDEX, seq, entry.id]);
          [done, n] = [entry.id, n + 1];
        }
        this.#coverage.advance(TASK_INDEX, n < max ? tasks.to : done);
      }
      return this.unindexed() !== null || this.unindexed(TASK_KEPT) !== null;
    });
  }

  /**
   * At start, before any task runs: removes message files no record names (a crash came
   * between the file and its record: the mail was never accepted). Returns how many.
   */
  sweepMessageFiles(): number {
    const named = new Set<string>();
    for (const { value } of this.#fileOf?.getRange({}) ?? []) named.add(value);
    return this.#files.sweep((name) => named.has(name));
  }

  /** Records a replay of a mail (redeliver): on record, linked to it; the state stays. */
  async recordReplay(seq: number, replay: Attempt): Promise<JournalRecord> {
    return this.#write(() => {
      const record = this.#records.get(seq);
      if (!record) throw new JournalError('CICSMAIL_JOURNAL_NO_RECORD', `no journal record ${seq}`);
      const updated: JournalRecord = { ...record, replays: [...(record.replays ?? []), replay] };
      this.#store(seq, record, updated);
      return updated;
    });
  }

  /** Sequence numbers of records due by `now`, earliest first. */
  due(now: number, limit: number): number[] {
    const out: number[] = [];
    for (const key of this.#due.getKeys({ end: [now, Number.MAX_SAFE_INTEGER], limit })) out.push(key[1]);
    return out;
  }

  /** Mails not delivered yet: every record the retry spool has (ACCEPTED or DEFERRED). */
  backlog(): number {
    return entryCount(this.#due);
  }

  /** When the next record falls due (epoch ms), or null where none waits. */
  nextDue(): number | null {
    for (const key of this.#due.getKeys({ limit: 1 })) return key[0];
    return null;
  }

  /**
   * At start, before any task runs: every record still ACCEPTED lost its task in a crash
   * or a cut-off drain. Make it due now. Returns how many.
   */
  async recoverOrphans(now = this.#now()): Promise<number> {
    return this.#write(() => {
      let n = 0;
      for (const [at, seq] of this.#due.getKeys({})) {
        if (at <= now) continue;
        const record = this.#records.get(seq);
        if (record?.state !== 'ACCEPTED') continue;
        void this.#due.remove([at, seq]);
        void this.#due.put([now, seq], null);
        this.#store(seq, record, { ...record, nextAttemptAt: now });
        n++;
      }
      return n;
    });
  }

  get(seq: number): JournalRecord | undefined {
    this.reads++;
    return this.#records.get(seq);
  }

  /**
   * The exact bytes of a journaled message in chunks, each valid until the next is asked
   * for: a large one is read from its file a chunk at a time (a mail sent from its file).
   */
  async *messageChunks(seq: number): AsyncGenerator<Uint8Array> {
    this.reads += 2;
    const file = this.#fileOf?.get(seq);
    if (file !== undefined) yield* this.#files.chunks(file);
    else {
      const bytes = this.#messages.getBinary(seq);
      if (bytes) yield bytes;
      else yield* this.#partsOf(seq);
    }
  }

  /** The exact bytes of a journaled message. */
  message(seq: number): Buffer | undefined {
    this.reads += 2;
    const file = this.#fileOf?.get(seq);
    if (file !== undefined) return this.#files.read(file);
    const whole = this.#messages.getBinary(seq);
    if (whole) return whole;
    const parts = [...this.#partsOf(seq)];
    return parts.length > 0 ? Buffer.concat(parts) : undefined;
  }

  /** Every record after `after`, in sequence order, read lazily. */
  *scan(after?: number): Generator<JournalRecord> {
    yield* this.range(after !== undefined ? after + 1 : 0);
  }

  /** The records from `from` to before `to`, in sequence order, read lazily (in `transaction` where given). */
  *range(from: number, to = LAST_SEQ, transaction?: Transaction): Generator<JournalRecord> {
    for (const { value } of this.#records.getRange({ start: from, end: to, ...(transaction ? { transaction } : {}) })) {
      this.reads++;
      yield value;
    }
  }

  /** A read transaction: one state of the journal however long it is read (verify); call done() on it. */
  snapshot(): Transaction {
    return this.#root.useReadTransaction();
  }

  /**
   * Repairs (verify): adds `counts` to the rows, puts the index keys that `wanted` says are
   * missing and removes those it says are stray (each checked again in the transaction), and
   * sets the count of index entries to what the index holds.
   */
  async repair(
    counts: Tally,
    keys: readonly { readonly key: IndexKey; readonly wanted: (key: IndexKey) => boolean }[],
  ): Promise<number> {
    return this.#write(() => {
      this.counts.addTally(counts);
      let n = 0;
      for (const { key, wanted } of keys) {
        const want = wanted(key);
        if (want === this.index.has(key)) continue;
        if (want) this.index.put(key);
        else this.index.remove(key);
        n++;
      }
      this.index.takeAdded();
      void this.#meta.put('indexEntries', this.index.size());
      return n;
    });
  }

  /** Records held (LMDB's own count: no walk). */
  size(): number {
    return (this.#records.getStats() as { entryCount: number }).entryCount;
  }

  /** Index entries the writers have put and not removed (meta `indexEntries`): the index's size, where nothing went wrong. */
  indexEntriesWritten(): number {
    return this.#meta.get('indexEntries') ?? 0;
  }

  list(options: ListOptions = {}): JournalRecord[] {
    const limit = options.limit ?? 100;
    const out: JournalRecord[] = [];
    for (const value of this.scan(options.after)) {
      if (options.state && value.state !== options.state) continue;
      out.push(value);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** The record with the highest sequence number, if there is one. */
  latest(): JournalRecord | undefined {
    for (const { value } of this.#records.getRange({ reverse: true, limit: 1 })) return value;
    return undefined;
  }

  /**
   * Write transactions committed in this journal's life (LMDB's last transaction id): each
   * commit is one flush to disk, so mails over commits is how many share a flush.
   */
  commits(): number {
    return (this.#root.getStats() as { lastTxnId: number }).lastTxnId;
  }

  /**
   * Reads from here on see what other threads (the workers) committed before now: lmdb-js
   * keeps a thread's read snapshot until its next turn of timers, renewed at once only
   * after the thread's own commits.
   */
  sawOtherThreads(): void {
    this.#root.resetReadTxn();
  }

  async close(): Promise<void> {
    await this.tasks.flush();
    await this.#root.close();
  }
}
