// Redeliver: send the stored bytes of chosen records again (same Message-ID) to their
// envelope recipients, each replay recorded on its record. The state does not move: a
// replay is an operator's extra delivery, not the mail's own.
import { attemptOf } from './attempt.js';
import type { Journal } from './journal.js';
import type { Attempt } from './record.js';
import { eachRecord, matches, type RecordFilter } from './query.js';
import type { Send } from './spool.js';

export interface RedeliverOptions {
  readonly filter: RecordFilter;
  /** At most this many records. */
  readonly limit: number;
  /** List what would be sent; send nothing. */
  readonly dryRun: boolean;
  /** This record only (where it matches the filter). */
  readonly seq?: number;
}

export interface ReplayResult {
  readonly seq: number;
  readonly messageId: string;
  readonly recipients: readonly string[];
  /** Absent in a dry run. */
  readonly outcome?: Attempt['outcome'];
  readonly reply?: string;
}

export async function redeliver(journal: Journal, send: Send, options: RedeliverOptions): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  const one = options.seq === undefined ? undefined : journal.get(options.seq);
  const records =
    options.seq === undefined
      ? eachRecord(journal, options.filter, { limit: options.limit })
      : one && matches(one, options.filter)
        ? [one]
        : [];
  for await (const record of records) {
    // A refused attempt has no mail to send.
    if (record.state === 'DENIED') continue;
    const recipients = record.envelope.to;
    const message = journal.message(record.seq);
    if (options.dryRun || !message) {
      results.push({ seq: record.seq, messageId: record.messageId, recipients });
      continue;
    }
    const attempt = attemptOf(await send(record.envelope.from, recipients, message, record), 'replay');
    await journal.recordReplay(record.seq, attempt);
    results.push({
      seq: record.seq,
      messageId: record.messageId,
      recipients,
      outcome: attempt.outcome,
      reply: attempt.reply,
    });
  }
  return results;
}
