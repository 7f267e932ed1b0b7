// The journal: one LMDB environment under CICSMAIL_DATA/journal with a record per mail and
// the exact bytes of its message (those of 1 MB and more in files beside it: message-files.ts). Every thread and process that opens the same folder
// shares it (LMDB allows several), so workers write and the command line reads.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { journalWriteError } from './commit-failure.js';
import { JournalError } from './errors.js';
import { MESSAGE_FILE_BYTES, MessageFiles } from './message-files.js';
import { ensureRoom } from './room.js';
import { TaskLog, type TaskEntry } from './task-log.js';
import { DEFAULT_RETRY, retryDelay, type RetryPolicy } from './retry.js';
import { afterAttempt, isFinal, type MailState } from './states.js';
import type { Attempt, DeniedAttempt, Denial, JournalRecord, MailOrigin } from './record.js';
import { FateBook } from './fate.js';
import { Outbox, type OutboxEntry, type Subscriber, type WebhookEvent } from './outbox.js';
import { SuppressionList, type Suppression, type SuppressionChange } from './suppression.js';

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

/** A due entry: when, and which record. Ordered so that the earliest comes first. */
type DueKey = [number, number];

export class Journal {
  readonly #root: RootDatabase;
  readonly #records: Database<JournalRecord, number>;
  readonly #messages: Database<Buffer, number>;
  /** The file of each message kept as one (seq -> file name). */
  readonly #fileOf: Database<string, number>;
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
  /** Mail fate (journal/fate.ts, outbox.ts, suppression.ts): stores of their own in this environment. */
  readonly fate: FateBook;
  readonly outbox: Outbox;
  readonly suppression: SuppressionList;

  readonly #now: () => number;
  /** What new records carry: `{ sysid }`, or nothing where the journal was opened without one. */
  readonly #owner: { readonly sysid?: string };

  private constructor(
    root: RootDatabase,
    path: string,
    retry: RetryPolicy,
    now: () => number,
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
    this.#fileOf = root.openDB<string, number>({ name: 'message-files' });
    this.#files = new MessageFiles(join(path, 'messages'));
    this.#due = root.openDB<null, DueKey>({ name: 'due' });
    this.#meta = root.openDB<number, string>({ name: 'meta' });
    this.tasks = new TaskLog(
      root.openDB<TaskEntry, number>({ name: 'tasks' }),
      (action) => this.#write(action),
      (err) => journalWriteError(err, path),
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
    this.fate = new FateBook({
      records: this.#records,
      bounces: root.openDB<Buffer, [number, number]>({ name: 'bounces', encoding: 'binary' }),
      outbox: this.outbox,
      suppression: this.suppression,
      write,
    });
  }

  /**
   * A write transaction of about `bytes` (past what the records and index pages need); a
   * failed commit becomes a JournalError (FULL or WRITE), and one the disk may have no room
   * for is refused before LMDB sees it (room.ts).
   */
  async #write<T>(action: () => T, bytes = 0): Promise<T> {
    ensureRoom(this.path, bytes, 'record');
    try {
      return await this.#root.transaction(action);
    } catch (err) {
      throw await journalWriteError(err, this.path);
    }
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
        open({ path, maxDbs: 24, readOnly: options.readOnly === true, overlappingSync: false }),
        path,
        options.retry ?? DEFAULT_RETRY,
        options.now ?? Date.now,
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
   * record commits, and a commit resolves once synced (see open).
   */
  async accept(origin: MailOrigin, message: Uint8Array): Promise<number> {
    const now = this.#now();
    const at = new Date(now).toISOString();
    // Due once its task must be long over: if the task dies, the retry spool delivers it.
    const nextAttemptAt = now + this.retry.orphanMs;
    // A large message is on disk, synced, before the record that names it commits.
    const file = message.byteLength >= MESSAGE_FILE_BYTES ? await this.#files.write(message) : null;
    let seq: number;
    try {
      seq = await this.#write(
        () => this.#putAccepted(origin, message, file, at, nextAttemptAt),
        file === null ? message.byteLength : 0,
      );
    } catch (err) {
      // A commit in doubt: on a full disk lmdb-js may report a failure for a transaction
      // whose record is readable afterwards (LMDB makes a commit visible only once it is
      // synced). Then the mail is accepted (the retry spool would deliver it anyway); say
      // so rather than refuse a mail that will be sent.
      const written = this.#lastWith(origin.messageId, at);
      if (written === undefined || !(err instanceof JournalError && err.code === 'CICSMAIL_JOURNAL_FULL')) {
        if (file !== null && written === undefined) this.#files.remove([file]);
        throw err;
      }
      return written;
    }
    // Synced already; `root.flushed` would wait for the last batch, maybe another task's that fails.
    return seq;
  }

  /** The sequence number of a recent record with this Message-ID accepted at `at`, if there is one. */
  #lastWith(messageId: string, at: string): number | undefined {
    for (const { key, value } of this.#records.getRange({ reverse: true, limit: 16 })) {
      if (value.messageId === messageId && value.acceptedAt === at && this.#storedSize(key) === value.size) return key;
    }
    return undefined;
  }

  /** The length of the bytes kept for a record, or -1 where none are. */
  #storedSize(seq: number): number {
    const file = this.#fileOf.get(seq);
    if (file !== undefined) return this.#files.size(file);
    return this.#messages.getBinary(seq)?.byteLength ?? -1;
  }

  #putAccepted(
    origin: MailOrigin,
    message: Uint8Array,
    file: string | null,
    at: string,
    nextAttemptAt: number,
  ): number {
    const next = this.#nextSeq();
    const record: JournalRecord = {
      ...origin,
      ...this.#owner,
      seq: next,
      acceptedAt: at,
      updatedAt: at,
      size: message.byteLength,
      state: 'ACCEPTED',
      pending: [...new Set(origin.envelope.to)],
      delivered: [],
      failed: [],
      nextAttemptAt,
      relayReply: null,
      attempts: [],
    };
    void this.#records.put(next, record);
    if (file !== null) void this.#fileOf.put(next, file);
    else void this.#messages.put(next, Buffer.from(message.buffer, message.byteOffset, message.byteLength));
    void this.#due.put([nextAttemptAt, next], null);
    return next;
  }

  /** Records a refused attempt as DENIED: final at once, no message bytes, never sent. */
  async deny(attempt: DeniedAttempt): Promise<number> {
    const at = new Date(this.#now()).toISOString();
    return this.#write(() => {
      const seq = this.#nextSeq();
      const record: JournalRecord = {
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
      void this.#records.put(seq, record);
      return seq;
    });
  }

  /** A DENIED record stands for `count` refusals now, the last at `lastAt` (epoch ms). */
  async countDenials(seq: number, count: number, lastAt: number): Promise<void> {
    await this.#write(() => {
      const record = this.#records.get(seq);
      if (!record?.denial) throw new JournalError('CICSMAIL_JOURNAL_NO_RECORD', `no DENIED record ${seq}`);
      const denial: Denial = { ...record.denial, count, lastAt: new Date(lastAt).toISOString() };
      void this.#records.put(seq, { ...record, denial, updatedAt: denial.lastAt ?? record.updatedAt });
    });
  }

  /** The next sequence number, taken (inside a write transaction). */
  #nextSeq(): number {
    let next = (this.#meta.get('lastSeq') ?? 0) + 1;
    for (const last of this.#records.getKeys({ reverse: true, limit: 1 })) next = Math.max(next, last + 1);
    void this.#meta.put('lastSeq', next);
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
      const now = Date.parse(attempt.at);
      const expired = now - Date.parse(record.acceptedAt) >= this.retry.limitMs;
      const moved = afterAttempt(
        record,
        { outcome: attempt.outcome, accepted: attempt.accepted, refused: attempt.refused ?? [] },
        expired,
      );
      if (!moved) {
        // Final already (the spool and a slow task both tried): keep the attempt on record.
        const kept: JournalRecord = { ...record, attempts: [...record.attempts, attempt] };
        void this.#records.put(seq, kept);
        return kept;
      }
      const attempts = [...record.attempts, attempt];
      const deferrals = attempts.filter((a) => a.outcome === 'deferred').length;
      const nextAttemptAt = isFinal(moved.state) ? null : now + retryDelay(this.retry, deferrals);
      const updated: JournalRecord = {
        ...record,
        ...moved,
        nextAttemptAt,
        relayReply: attempt.reply,
        updatedAt: attempt.at,
        attempts,
      };
      void this.#records.put(seq, updated);
      this.#tell(record, updated, now);
      if (record.nextAttemptAt !== null) void this.#due.remove([record.nextAttemptAt, seq]);
      if (nextAttemptAt !== null) void this.#due.put([nextAttemptAt, seq], null);
      return updated;
    });
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
      void this.#records.put(seq, held);
      return held;
    });
  }

  /**
   * Removes records (and their bytes) accepted before `before` (epoch ms) that are final:
   * SENT or FAILED. Mail not yet delivered is never pruned. Oldest first, `limit` at most.
   */
  async prune(before: number, limit = 10_000): Promise<number> {
    const cutoff = new Date(before).toISOString();
    const files: string[] = [];
    const n = await this.#write(() => {
      let n = 0;
      for (const { key, value } of this.#records.getRange({})) {
        if (value.acceptedAt >= cutoff || n >= limit) break;
        if (!isFinal(value.state)) continue;
        void this.#records.remove(key);
        void this.#messages.remove(key);
        this.fate.forgetInTransaction(key);
        const file = this.#fileOf.get(key);
        if (file !== undefined) {
          void this.#fileOf.remove(key);
          files.push(file);
        }
        n++;
      }
      return n;
    });
    // Once no record names them.
    this.#files.remove(files);
    return n;
  }

  /**
   * At start, before any task runs: removes message files no record names (a crash came
   * between the file and its record: the mail was never accepted). Returns how many.
   */
  sweepMessageFiles(): number {
    const named = new Set<string>();
    for (const { value } of this.#fileOf.getRange({})) named.add(value);
    return this.#files.sweep((name) => named.has(name));
  }

  /** Records a replay of a mail (redeliver): on record, linked to it; the state stays. */
  async recordReplay(seq: number, replay: Attempt): Promise<JournalRecord> {
    return this.#write(() => {
      const record = this.#records.get(seq);
      if (!record) throw new JournalError('CICSMAIL_JOURNAL_NO_RECORD', `no journal record ${seq}`);
      const updated: JournalRecord = { ...record, replays: [...(record.replays ?? []), replay] };
      void this.#records.put(seq, updated);
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
    return this.#due.getCount();
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
        void this.#records.put(seq, { ...record, nextAttemptAt: now });
        n++;
      }
      return n;
    });
  }

  get(seq: number): JournalRecord | undefined {
    return this.#records.get(seq);
  }

  /** The exact bytes of a journaled message. */
  message(seq: number): Buffer | undefined {
    const file = this.#fileOf.get(seq);
    if (file !== undefined) return this.#files.read(file);
    return this.#messages.getBinary(seq) ?? undefined;
  }

  /** Every record after `after`, in sequence order, read lazily. */
  *scan(after?: number): Generator<JournalRecord> {
    for (const { value } of this.#records.getRange(after !== undefined ? { start: after + 1 } : {})) yield value;
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

  async close(): Promise<void> {
    await this.tasks.flush();
    await this.#root.close();
  }
}
