// After a fault is cleared and the retry spool has drained: the answers callers got, the
// journal and what the relay received, checked against each other mail by mail and
// recipient by recipient. Every mail answered RC 0 or 4 (and every mail journaled by a task
// that died before it could answer) must have reached each recipient the relay did not
// refuse for good; copies carry the Message-ID of a journal record and its exact bytes; a
// mail refused for good is FAILED and reached nobody; and the journal says who got it.
import type { Journal } from '../../journal/journal.js';
import type { JournalRecord } from '../../journal/record.js';
import { headOf, messageIdOf } from '../../cli/load/sink.js';

/** One mail as a relay has it: the recipients it took the mail for, and the message text. */
export interface Received {
  readonly recipients: readonly string[];
  /** The message as the relay has it (latin1; CRLF or LF line ends). */
  readonly message: string;
}

/** A relay a scenario makes misbehave, then clears. */
export interface FaultRelay {
  readonly url: string;
  /** Every mail the relay took (said 2xx to, or kept though it never answered). */
  received(): Received[];
  /** The fault is over: the relay behaves from now on. */
  clear(): Promise<void>;
}

/** An answer with an RC and its journal sequence number. */
export interface Answered {
  readonly rc: number;
  readonly seq: number;
}

export interface Reconciliation {
  /** Mails in the journal (DENIED records aside). */
  readonly journaled: number;
  /** Mails that reached at least one recipient. */
  readonly delivered: number;
  /** Mails a recipient got more than once (each copy with the same Message-ID and bytes). */
  readonly duplicated: number;
  /** Mails answered RC 0 or 4, or journaled, that a recipient owed never got. */
  readonly lost: number;
  /** Copies the relay holds cut off mid-message (it died while receiving): not deliveries. */
  readonly partial: number;
  /** Everything that contradicts the promise, one line each (the first 20). */
  readonly problems: readonly string[];
  /** How many problems there were in all. */
  readonly problemCount: number;
}

/** Line ends and the trailing line ends a relay adds aside, the text of a message. */
export function normalize(text: string): string {
  return text.replace(/\r\n/g, '\n').replace(/\n+$/, '');
}

const norm = (id: string) => id.trim().toLowerCase();
const unique = (list: readonly string[]) => [...new Set(list.map((a) => a.toLowerCase()))];

export function reconcile(
  journal: Journal,
  answered: readonly Answered[],
  received: readonly Received[],
): Reconciliation {
  const problems: string[] = [];
  let problemCount = 0;
  const problem = (line: string) => {
    problemCount++;
    if (problems.length < 20) problems.push(line);
  };

  const records: JournalRecord[] = [];
  for (const r of journal.scan()) if (r.state !== 'DENIED') records.push(r);
  const byId = new Map(records.map((r) => [norm(r.messageId), r]));

  // Message-ID -> recipient -> complete copies received.
  const copies = new Map<string, Map<string, number>>();
  let partial = 0;
  for (const mail of received) {
    const text = normalize(mail.message);
    const id = messageIdOf(headOf(Buffer.from(text, 'latin1')));
    const record = id === null ? undefined : byId.get(norm(id));
    if (!record) {
      // A mail cut off before its Message-ID header is a partial copy; a whole one that no
      // record names came from nowhere (or carries a Message-ID of its own: a duplicate the
      // promise does not allow).
      if (id === null) partial++;
      else problem(`the relay received a mail with Message-ID ${id}, which no journal record has`);
      continue;
    }
    const journaled = normalize(journal.message(record.seq)?.toString('latin1') ?? '');
    if (text !== journaled) {
      if (journaled.startsWith(text)) partial++;
      else problem(`SEQ=${record.seq}: the relay received other bytes than the journal holds`);
      continue;
    }
    const byRecipient = copies.get(norm(record.messageId)) ?? new Map<string, number>();
    for (const to of unique(mail.recipients)) byRecipient.set(to, (byRecipient.get(to) ?? 0) + 1);
    copies.set(norm(record.messageId), byRecipient);
  }

  const rcOf = new Map<number, number>();
  let lost = 0;
  for (const { rc, seq } of answered) {
    if (rcOf.has(seq)) problem(`SEQ=${seq} was answered twice (RC ${rcOf.get(seq)} and RC ${rc})`);
    rcOf.set(seq, rc);
    if (journal.get(seq) === undefined) {
      if (rc === 0 || rc === 4) lost++;
      problem(`RC ${rc} SEQ=${seq}: no such journal record`);
    }
  }

  let delivered = 0;
  let duplicated = 0;
  for (const r of records) {
    const rc = rcOf.get(r.seq);
    const said = rc === undefined ? 'never answered' : `RC ${rc}`;
    const got = copies.get(norm(r.messageId)) ?? new Map<string, number>();
    const to = unique(r.envelope.to);
    if (got.size > 0) delivered++;
    if ([...got.values()].some((n) => n > 1)) duplicated++;
    for (const who of got.keys())
      if (!to.includes(who)) problem(`SEQ=${r.seq}: the relay gave it to ${who}, who is not a recipient`);
    const journalSays = unique(r.delivered).sort().join(',');
    const relaySays = [...got.keys()].sort().join(',');
    if (journalSays !== relaySays)
      problem(`SEQ=${r.seq}: the journal says [${journalSays}] got it, the relay gave it to [${relaySays}]`);
    if (r.state === 'FAILED') {
      if (rc === 0 || rc === 4) problem(`SEQ=${r.seq} ${said}: FAILED in the end`);
      if (got.size > 0) problem(`SEQ=${r.seq} ${said}: FAILED, refused for good, yet delivered to ${relaySays}`);
      continue;
    }
    if (rc === 12) problem(`SEQ=${r.seq} RC 12: the journal says ${r.state}, not FAILED`);
    const failed = unique(r.failed);
    const missing = to.filter((who) => !failed.includes(who) && !got.has(who));
    if (r.state !== 'SENT' || missing.length > 0) {
      lost++;
      problem(
        `SEQ=${r.seq} ${said}: ${r.state}${missing.length > 0 ? `, never received by ${missing.join(', ')}` : ''}`,
      );
    }
  }
  if (problemCount > problems.length) problems.push(`… and ${problemCount - problems.length} more`);
  return { journaled: records.length, delivered, duplicated, lost, partial, problems, problemCount };
}
