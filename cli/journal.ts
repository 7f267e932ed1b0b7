// cicsmail journal list | show: the journal under CICSMAIL_DATA, read-only, usable while a
// region runs (LMDB lets several processes share it).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Journal, type JournalRecord } from '../journal/journal.js';
import type { MailState } from '../journal/states.js';
import { parseCommand, UsageError } from './usage.js';

const HELP = `usage: cicsmail journal list [--state STATE] [--after SEQ] [--limit N] [--json]
       cicsmail journal show SEQ [--message]

  list       one line a mail: sequence number, state, time, user, tranid, recipients, subject
  show SEQ   the whole record as JSON; with --message, the exact bytes of the mail instead
Reads the journal in CICSMAIL_DATA (default ./data).`;

const STATES: readonly MailState[] = ['ACCEPTED', 'SENT', 'DEFERRED', 'FAILED'];

function openJournal(): Journal {
  const dataDir = resolve(process.env.CICSMAIL_DATA?.trim() || './data');
  if (!existsSync(join(dataDir, 'journal'))) throw new Error(`no journal in ${dataDir} (set CICSMAIL_DATA)`);
  return Journal.open(dataDir, { readOnly: true });
}

function wholeNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new UsageError(`${name} '${value}' is not a whole number`);
  return Number(value);
}

function line(r: JournalRecord): string {
  return [String(r.seq).padStart(6), r.state.padEnd(8), r.acceptedAt, r.userid.padEnd(8), r.tranid.padEnd(4), `${r.envelope.to.length} rcpt`, JSON.stringify(r.subject)].join('  ');
}

export async function journalCommand(argv: readonly string[]): Promise<number> {
  const parsed = parseCommand(argv, {
    state: { type: 'string' },
    after: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
    message: { type: 'boolean' },
  }, HELP);
  if (!parsed) return 0;
  const [action, ...args] = parsed.positionals;
  const v = parsed.values;
  if (action === 'list') {
    const state = v.state?.toUpperCase();
    if (state !== undefined && !STATES.includes(state as MailState)) throw new UsageError(`--state '${v.state}' is not one of ${STATES.join(', ')}`);
    const after = wholeNumber(v.after, '--after');
    const limit = wholeNumber(v.limit, '--limit') ?? 100;
    const journal = openJournal();
    try {
      const records = journal.list({ limit, ...(after !== undefined ? { after } : {}), ...(state ? { state: state as MailState } : {}) });
      for (const r of records) console.log(v.json ? JSON.stringify(r) : line(r));
    } finally {
      await journal.close();
    }
    return 0;
  }
  if (action === 'show') {
    const seq = wholeNumber(args[0], 'SEQ');
    if (seq === undefined) throw new UsageError('journal show needs a sequence number');
    const journal = openJournal();
    try {
      const record = journal.get(seq);
      if (!record) throw new Error(`no journal record ${seq}`);
      if (v.message) process.stdout.write(journal.message(seq) ?? Buffer.alloc(0));
      else console.log(JSON.stringify(record, null, 2));
    } finally {
      await journal.close();
    }
    return 0;
  }
  throw new UsageError(action === undefined ? 'journal needs list or show; try --help' : `unknown journal action '${action}'`);
}
