// cicsmail journal list | show | stats | export: the journal under CICSMAIL_DATA,
// read-only, usable while a region runs (LMDB lets several processes share it).
import { createWriteStream, existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { join, resolve } from 'node:path';
import { csvHeader, csvLine, jsonLine } from '../journal/export.js';
import { Journal } from '../journal/journal.js';
import { fleetJournalCommand, fleetUrls } from './journal-fleet.js';
import { recordLine } from './journal-line.js';
import {
  FilterError,
  findRecords,
  findTasks,
  journalStats,
  matches,
  parseFilter,
  type FilterText,
  type RecordFilter,
} from '../journal/query.js';
import { redeliver } from '../journal/replay.js';
import { redrive } from '../client/redrive.js';
import { loadConfig } from '../config/settings.js';
import { SmtpPool } from '../smtp/pool.js';
import { sendWithFate } from '../smtp/dsn/request.js';
import { parseRelayUrls } from '../smtp/relay-url.js';
import { err, out, write, writeAll, type CommandIo } from './io.js';
import { parseCommand, regionOf, UsageError, wholeNumber } from './usage.js';

const HELP = `usage: cicsmail journal list [FILTERS] [--after SEQ] [--limit N] [--json]
       cicsmail journal show SEQ [--message]
       cicsmail journal stats [FILTERS]
       cicsmail journal export [FILTERS] [--format csv|jsonl] [--out FILE]
       cicsmail journal replay [FILTERS] [--relay URL] [--dry-run] [--limit N]
       cicsmail journal replay --redrive [FILTERS] [--url URL] [--speed N] [--concurrency N]
                               [--auth U:P] [--dry-run] [--limit N] [--json]

  list       one line a mail: sequence number, state, time, user, tranid, recipients, subject
             (DENIED: the reason, its detail, the address, and the count of a repeated
             refusal); the first --limit (100) after --after SEQ, and where more match,
             a last line on standard error with the --after to go on from
  show SEQ   the whole record as JSON; with --message, the exact bytes of the mail instead
  stats      counts by state and tranid, and bytes
  export     the accounting fields (time, user, jobname, tranid, sender, recipients,
             attachments, subject, size, state, relay reply) as CSV (default) or JSON Lines
  replay     redeliver: send the stored bytes of the records the filters pick again (same
             Message-ID) to --relay or CICSMAIL_RELAY; each replay is kept on its record
             --redrive: run the recorded tasks again (tranid, COMMAREA or channel, CCSID,
             jobname) on the region at --url (CICSMAIL_URL, else http://127.0.0.1:CICSMAIL_PORT), at
             --speed N times their recorded pace or, without it, as fast as --concurrency
             (8) allows; prints how the outcomes compare, RC by RC (exit 1 where any differ).
             Filters on state, recipient or Message-ID pick the tasks whose mails match.

Several regions (a fleet), over HTTP: with --url URL[,URL…] (or CICSMAIL_URL naming several),
  list, show, stats, export and replay read each region's journal and merge them by time;
  a record is SYSID:SEQ (a sequence number is one region's): show MVSA:12, replay MVSA:12
  goes to the region MVSA; replay with filters asks each region to replay its own. A region
  that does not answer is named in a warning on standard error and left out: the others'
  records are shown, and the exit code is 3. --auth USER:PASSWORD (or CICSMAIL_USER) must be
  an operator on every region.

FILTERS: --state STATE --fate FATE --user ID --tranid ID --jobname NAME --recipient ADDR
         --message-id ID --since TIME --until TIME   (TIME: ISO 8601, e.g. 2026-11-28T13:00Z)
         --fate: a recipient's fate now, RELAYED DELIVERED DELAYED BOUNCED EXPIRED (EXPIRED after
         CICSMAIL_FATE_WINDOW hours, 120 where unset)
Without --url, reads the journal in CICSMAIL_DATA (default ./data).`;

function openJournal(io: CommandIo): Journal {
  const dataDir = resolve(io.env.CICSMAIL_DATA?.trim() || './data');
  if (!existsSync(join(dataDir, 'journal'))) throw new Error(`no journal in ${dataDir} (set CICSMAIL_DATA)`);
  return Journal.open(dataDir, { readOnly: true });
}

interface FilterValues {
  state?: string | undefined;
  fate?: string | undefined;
  user?: string | undefined;
  tranid?: string | undefined;
  jobname?: string | undefined;
  recipient?: string | undefined;
  'message-id'?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

/** The filters as given, checked (a usage error names a wrong one): what a region is sent. */
function filterText(v: FilterValues): FilterText {
  filterOf(v);
  const { state, fate, user, tranid, jobname, recipient, since, until } = v;
  return { state, fate, user, tranid, jobname, recipient, messageId: v['message-id'], since, until };
}

/** The filter the options ask for (the region's parser: one meaning for the same words). */
function filterOf(v: FilterValues): RecordFilter {
  try {
    // EXPIRED as the region reads it: its window, now.
    const hours = Number(process.env.CICSMAIL_FATE_WINDOW?.trim() || '120');
    const windowMs = Number.isFinite(hours) && hours >= 0 ? hours * 3_600_000 : 0;
    return parseFilter({ ...v, messageId: v['message-id'] }, { now: Date.now(), windowMs });
  } catch (err) {
    if (err instanceof FilterError)
      throw new UsageError(`--${err.key === 'messageId' ? 'message-id' : err.key} ${err.message}`);
    throw err;
  }
}

async function withJournal<T>(io: CommandIo, fn: (journal: Journal) => T | Promise<T>): Promise<T> {
  const journal = openJournal(io);
  try {
    return await fn(journal);
  } finally {
    await journal.close();
  }
}

interface ReplayValues {
  relay?: string;
  'dry-run'?: boolean;
  redrive?: boolean;
  url?: string;
  speed?: string;
  concurrency?: string;
  auth?: string;
  limit?: string;
  json?: boolean;
}

async function redriveCommand(io: CommandIo, v: FilterValues & ReplayValues): Promise<number> {
  const filter = filterOf(v);
  if (v.relay) throw new UsageError('--relay is for redeliver; redrive runs tasks on the region at --url');
  const speed = v.speed === undefined ? null : Number(v.speed);
  if (speed !== null && !(speed > 0 && speed <= 1000))
    throw new UsageError(`--speed '${v.speed}' is not a number above 0 and at most 1000`);
  const concurrency = wholeNumber(v.concurrency, '--concurrency') ?? (speed === null ? 8 : 64);
  if (concurrency < 1 || concurrency > 256) throw new UsageError('--concurrency is 1 to 256');
  const region = regionOf(io, { url: v.url, user: v.auth });
  const limit = wholeNumber(v.limit, '--limit') ?? 1000;
  const tasks = await withJournal(io, (journal) => findTasks(journal, filter, limit));
  const report = await redrive(tasks, { region, speed, concurrency, dryRun: v['dry-run'] === true });
  if (v.json) {
    out(io, JSON.stringify(report));
  } else if (report.dryRun) {
    for (const t of report.differences) out(io, [String(t.id).padStart(6), t.tranid.padEnd(4), t.at, t.was].join('  '));
    out(io, `${report.tasks} tasks would be run again on ${report.url}`);
  } else {
    out(
      io,
      `redrive of ${report.tasks} tasks on ${report.url}: ${report.same} the same, ${report.different} different, in ${(report.elapsedMs / 1000).toFixed(1)} s`,
    );
    for (const [transition, n] of Object.entries(report.transitions)) out(io, `  ${transition.padEnd(40)} ${n}`);
    for (const t of report.differences)
      out(io, `  task ${t.id} ${t.tranid} of ${t.at}: was ${t.was}, now ${t.now ?? '?'}`);
  }
  return report.different > 0 ? 1 : 0;
}

export async function journalCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(
    io,
    argv,
    {
      state: { type: 'string' },
      fate: { type: 'string' },
      user: { type: 'string' },
      tranid: { type: 'string' },
      jobname: { type: 'string' },
      recipient: { type: 'string' },
      'message-id': { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      after: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      message: { type: 'boolean' },
      format: { type: 'string' },
      out: { type: 'string' },
      relay: { type: 'string' },
      'dry-run': { type: 'boolean' },
      redrive: { type: 'boolean' },
      url: { type: 'string' },
      speed: { type: 'string' },
      concurrency: { type: 'string' },
      auth: { type: 'string' },
    },
    HELP,
  );
  if (!parsed) return 0;
  const [action, ...args] = parsed.positionals;
  const v = parsed.values as FilterValues &
    ReplayValues & { after?: string; limit?: string; json?: boolean; message?: boolean; format?: string; out?: string };
  // Over HTTP, from one region or several merged (--url A,B,C; CICSMAIL_URL naming several).
  const urls = action === undefined || (action === 'replay' && v.redrive) ? undefined : fleetUrls(io, v.url);
  if (urls !== undefined && ['list', 'show', 'stats', 'export', 'replay'].includes(action as string)) {
    for (const key of ['speed', 'concurrency'] as const)
      if (v[key] !== undefined) throw new UsageError(`--${key} is for replay --redrive`);
    return fleetJournalCommand(io, urls, action as string, args, {
      filter: filterText(v),
      after: v.after,
      limit: v.limit,
      json: v.json,
      message: v.message,
      format: v.format,
      out: v.out,
      relay: v.relay,
      dryRun: v['dry-run'],
      auth: v.auth,
    });
  }
  switch (action) {
    case 'list': {
      const filter = filterOf(v);
      const after = wholeNumber(v.after, '--after');
      const limit = wholeNumber(v.limit, '--limit') ?? 100;
      if (limit < 1) throw new UsageError('--limit is 1 or more');
      await withJournal(io, (journal) => {
        // One more than is shown: whether the limit cut the list.
        const found = findRecords(journal, filter, { limit: limit + 1, ...(after !== undefined ? { after } : {}) });
        const shown = found.slice(0, limit);
        for (const r of shown) out(io, v.json ? JSON.stringify(r) : recordLine(r, String(r.seq)));
        // On standard error, so that the output stays one record a line (JSON Lines with --json).
        const last = shown.at(-1);
        if (found.length > limit && last) err(io, `… more records: use --after ${last.seq}`);
      });
      return 0;
    }
    case 'show': {
      const seq = wholeNumber(args[0], 'SEQ');
      if (seq === undefined) throw new UsageError('journal show needs a sequence number');
      await withJournal(io, (journal) => {
        const record = journal.get(seq);
        if (!record) throw new Error(`no journal record ${seq}`);
        if (v.message) write(io, journal.message(seq) ?? Buffer.alloc(0));
        else out(io, JSON.stringify(record, null, 2));
      });
      return 0;
    }
    case 'stats': {
      const filter = filterOf(v);
      await withJournal(io, (journal) => out(io, JSON.stringify(journalStats(journal, filter), null, 2)));
      return 0;
    }
    case 'export': {
      const filter = filterOf(v);
      const format = v.format ?? 'csv';
      if (format !== 'csv' && format !== 'jsonl') throw new UsageError(`--format '${format}' is not csv or jsonl`);
      await withJournal(io, async (journal) => {
        // A record at a time, as fast as the reader takes them; a reader that stops
        // (`| head`) ends the export, quietly.
        function* lines(): Generator<string> {
          if (format === 'csv') yield csvHeader();
          for (const r of journal.scan()) if (matches(r, filter)) yield format === 'csv' ? csvLine(r) : jsonLine(r);
        }
        const target = v.out ? createWriteStream(v.out) : io.stdout;
        await writeAll(Readable.from(lines()), target, target !== io.stdout);
      });
      return 0;
    }
    case 'replay': {
      if (v.redrive) return redriveCommand(io, v);
      const filter = filterOf(v);
      const limit = wholeNumber(v.limit, '--limit') ?? 1000;
      // The region's own settings (environment and CICSMAIL_CONFIG): its relays, STARTTLS, CA and timeouts.
      const config = loadConfig(io.env);
      let relays = config.relays;
      if (v.relay !== undefined) {
        try {
          relays = parseRelayUrls(v.relay);
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
      }
      if (relays.length === 0)
        throw new UsageError('journal replay needs --relay smtp://host:port (or CICSMAIL_RELAY)');
      if (!existsSync(join(config.dataDir, 'journal')))
        throw new Error(`no journal in ${config.dataDir} (set CICSMAIL_DATA)`);
      // Read-write: each replay is kept on its record (LMDB lets a running region share it).
      const journal = Journal.open(config.dataDir);
      const pool = new SmtpPool({
        ...config.smtp,
        relays,
        clientName: config.hostname,
        maxConnections: Math.min(4, config.smtp.maxConnections),
        idleTimeout: 1000,
      });
      try {
        const results = await redeliver(
          journal,
          sendWithFate(config.smtp.fate, config.sysid, (...args) => pool.send(...args)),
          {
            filter,
            limit,
            dryRun: v['dry-run'] === true,
          },
        );
        for (const r of results)
          out(
            io,
            [
              String(r.seq).padStart(6),
              r.messageId,
              r.outcome ?? 'dry-run',
              r.reply ?? `${r.recipients.length} rcpt`,
            ].join('  '),
          );
        return results.some((r) => r.outcome !== undefined && r.outcome !== 'sent') ? 1 : 0;
      } finally {
        pool.close();
        await journal.close();
      }
    }
    default:
      throw new UsageError(
        action === undefined
          ? 'journal needs list, show, stats, export or replay; try --help'
          : `unknown journal action '${action}'`,
      );
  }
}
