// The journal: one LMDB environment under CICSMAIL_DATA/journal with a record per mail and
// the exact bytes of its message. Every thread and process that opens the same folder
// shares it (LMDB allows several), so workers write and the command line reads.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { open, type Database, type RootDatabase } from 'lmdb';
import { JournalError } from './errors.js';
import { nextState, type AttemptOutcome, type MailState } from './states.js';

export interface Envelope {
  readonly from: string;
  readonly to: readonly string[];
}

/** What a program knows of a mail when it hands it to the journal. */
export interface MailOrigin {
  readonly tranid: string;
  readonly taskn: number;
  readonly userid: string;
  readonly jobname: string;
  readonly ccsid: number;
  readonly envelope: Envelope;
  readonly subject: string;
  readonly attachments: number;
  /** Characters of the body written as SUB: the code page could not hold them. */
  readonly substitutions?: number;
  readonly messageId: string;
}

export interface RecipientRefusal {
  readonly recipient: string;
  readonly reply: string;
}

/** One delivery attempt, as the SMTP client reports it. */
export interface Attempt {
  readonly at: string;
  readonly relay: string;
  readonly outcome: AttemptOutcome;
  readonly reply: string;
  /** Recipients the relay refused while it took the mail for the others. */
  readonly refused?: readonly RecipientRefusal[];
}

export interface JournalRecord extends MailOrigin {
  readonly seq: number;
  readonly acceptedAt: string;
  readonly updatedAt: string;
  /** Size of the message in bytes. */
  readonly size: number;
  readonly state: MailState;
  /** The relay's last reply, null before the first attempt. */
  readonly relayReply: string | null;
  readonly attempts: readonly Attempt[];
}

export interface ListOptions {
  /** Start after this sequence number (paging). */
  readonly after?: number;
  readonly limit?: number;
  readonly state?: MailState;
}

export interface JournalOptions {
  readonly readOnly?: boolean;
}

export class Journal {
  readonly #root: RootDatabase;
  readonly #records: Database<JournalRecord, number>;
  readonly #messages: Database<Buffer, number>;

  private constructor(root: RootDatabase) {
    this.#root = root;
    this.#records = root.openDB<JournalRecord, number>({ name: 'records' });
    this.#messages = root.openDB<Buffer, number>({ name: 'messages', encoding: 'binary' });
  }

  /** Opens (creating where needed) the journal in `dataDir/journal`. */
  static open(dataDir: string, options: JournalOptions = {}): Journal {
    const path = join(dataDir, 'journal');
    try {
      if (!options.readOnly) mkdirSync(path, { recursive: true });
      return new Journal(open({ path, maxDbs: 8, readOnly: options.readOnly === true }));
    } catch (err) {
      throw new JournalError('CICSMAIL_JOURNAL_OPEN', `cannot open the journal at ${path}: ${(err as Error).message}`);
    }
  }

  /**
   * Records a mail as ACCEPTED with its exact bytes and resolves with its sequence number
   * once both are flushed to disk, not merely committed (design invariant 1).
   */
  async accept(origin: MailOrigin, message: Uint8Array): Promise<number> {
    const now = new Date().toISOString();
    const seq = await this.#root.transaction(() => {
      let next = 1;
      for (const last of this.#records.getKeys({ reverse: true, limit: 1 })) next = last + 1;
      const record: JournalRecord = {
        ...origin,
        seq: next,
        acceptedAt: now,
        updatedAt: now,
        size: message.byteLength,
        state: 'ACCEPTED',
        relayReply: null,
        attempts: [],
      };
      void this.#records.put(next, record);
      void this.#messages.put(next, Buffer.from(message.buffer, message.byteOffset, message.byteLength));
      return next;
    });
    await this.#root.flushed;
    return seq;
  }

  /**
   * Adds an attempt to a record and moves it to the state that outcome leads to. Resolves
   * when committed; a crash before the flush leaves it ACCEPTED or DEFERRED, and the mail
   * is delivered again with the same Message-ID: at least once, never lost.
   */
  async settle(seq: number, attempt: Attempt): Promise<JournalRecord> {
    return this.#root.transaction(() => {
      const record = this.#records.get(seq);
      if (!record) throw new JournalError('CICSMAIL_JOURNAL_NO_RECORD', `no journal record ${seq}`);
      const state = nextState(record.state, attempt.outcome);
      if (!state) {
        throw new JournalError('CICSMAIL_JOURNAL_FINAL', `record ${seq} is ${record.state}; an attempt cannot change it`);
      }
      const updated: JournalRecord = {
        ...record,
        state,
        relayReply: attempt.reply,
        updatedAt: attempt.at,
        attempts: [...record.attempts, attempt],
      };
      void this.#records.put(seq, updated);
      return updated;
    });
  }

  get(seq: number): JournalRecord | undefined {
    return this.#records.get(seq);
  }

  /** The exact bytes of a journaled message. */
  message(seq: number): Buffer | undefined {
    return this.#messages.getBinary(seq) ?? undefined;
  }

  list(options: ListOptions = {}): JournalRecord[] {
    const limit = options.limit ?? 100;
    const out: JournalRecord[] = [];
    const range = this.#records.getRange(options.after !== undefined ? { start: options.after + 1 } : {});
    for (const { value } of range) {
      if (options.state && value.state !== options.state) continue;
      out.push(value);
      if (out.length >= limit) break;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.#root.close();
  }
}
