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
  eachRecord,
  FilterError,
  findTasks,
  journalStats,
  parseFilter,
  type FilterText,
  type RecordFilter,
} from '../journal/query.js';
import { redeliver } from '../journal/replay.js';
import { verify } from '../journal/verify.js';
import { redrive } from '../client/redrive.js';
import { RegionUnreachable } from '../client/errors.js';
import { RegionClient } from '../client/region-client.js';
import { loadConfig } from '../config/settings.js';
import { SmtpPool } from '../smtp/pool.js';
import { sendWithFate } from '../smtp/dsn/request.js';
import { parseRelayUrls } from '../smtp/relay-url.js';
import { err, out, write, writeAll, type CommandIo } from './io.js';
import { explain } from './region-errors.js';
import {
  credentialsOf,
  helpHint,
  orList,
  parseCommand,
  regionOf,
  timeoutOf,
  unknownWord,
  UsageError,
  wholeNumber,
} from './usage.js';

const ACTIONS = ['list', 'show', 'stats', 'export', 'replay', 'verify'] as const;

type Action = (typeof ACTIONS)[number];
const isAction = (word: string): word is Action => (ACTIONS as readonly string[]).includes(word);

const HELP = `usage: cicsmail journal list [FILTERS] [--after SEQ] [--limit N] [--json]
       cicsmail journal show SEQ [--message]
       cicsmail journal stats [FILTERS]
       cicsmail journal export [FILTERS] [--format csv|jsonl] [--out FILE]
       cicsmail journal replay [FILTERS] [--relay URL] [--dry-run] [--limit N]
       cicsmail journal replay --redrive [FILTERS] [--url URL] [--speed N] [--concurrency N]
                               [--user ID:PASSWORD] [--dry-run] [--limit N] [--json]
       cicsmail journal verify [--repair] [--json]

  list       one line a mail: sequence number, state, time, user, tranid, recipients, subject
             (DENIED: the reason, its detail, the address, and the count of a repeated
             refusal); the first --limit (100) after --after SEQ, and where more match,
             a last line on standard error with the --after to go on from
  show SEQ   the whole record as JSON; with --message, the exact bytes of the mail instead
  stats      counts by state and tranid, and bytes
  export     the accounting fields (time, user, jobname, tranid, sender, recipients,
             attachments, subject, size, state, relay reply) as CSV (default) or JSON Lines
  replay     redeliver: send the stored bytes of the records the filters pick again (same
             Message-ID) to --relay or CICSMAIL_RELAY; each replay is kept on its record.
             A region with the capture relay (no CICSMAIL_RELAY) has it replay them to its
             relay: replay --url URL (its address). --dry-run lists them and sends nothing.
             --redrive: run the recorded tasks again (tranid, COMMAREA or channel, CCSID,
             jobname) on the region at --url (CICSMAIL_URL, else http://127.0.0.1:CICSMAIL_PORT), at
             --speed N times their recorded pace or, without it, as fast as --concurrency
             (8) allows, as an administrator (--user ID:PASSWORD or CICSMAIL_USER); prints
             how the outcomes compare, RC by RC (exit 1 where any differ, or where the
             region stops answering before the last task). Filters on state, recipient or
             Message-ID pick the tasks whose mails match.
  verify     recount the counts by state, tranid, user, job name and day and check every index
             key against the records and the task log (from one snapshot; a region may run);
             with --repair, put right what differs; exit 1 where something was wrong and not
             repaired

Several regions (a fleet), over HTTP: with --url URL[,URL…] (or CICSMAIL_URL naming several),
  list, show, stats, export and replay read each region's journal and merge them by time;
  a record is SYSID:SEQ (a sequence number is one region's): show MVSA:12, replay MVSA:12
  goes to the region MVSA; replay with filters asks each region to replay its own. A region
  that does not answer (within --timeout S, 60 by default), answers more than 64 MiB or
  answers what is not a journal is named in a warning on standard error and left out: the
  others' records are shown, and the exit code is 3. --user ID:PASSWORD (or CICSMAIL_USER)
  must be an operator on every region.

FILTERS: --state STATE --fate FATE --userid ID --tranid ID --jobname NAME --recipient ADDR
         --message-id ID --key KEY --since TIME --until TIME   (TIME: ISO 8601, e.g. 2026-11-28T13:00Z)
         --key: the request key (Idempotency-Key) the mail was sent under, as sent
         --fate: a recipient's fate now, RELAYED DELIVERED DELAYED BOUNCED EXPIRED (EXPIRED after
         CICSMAIL_FATE_WINDOW hours, 120 where unset)
Without --url, reads the journal in CICSMAIL_DATA (default ./data).
--user is the credentials (ID:PASSWORD) here as in every command; the user id filter is
--userid (--user ID without a password still filters, with a warning; --auth still gives
the credentials, with a warning).`;

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
  key?: string | undefined;
  since?: string | undefined;
  until?: string | undefined;
}

/** The filters as given, checked (a usage error names a wrong one): what a region is sent. */
function filterText(v: FilterValues): FilterText {
  filterOf(v);
  const { state, fate, user, tranid, jobname, recipient, key, since, until } = v;
  return { state, fate, user, tranid, jobname, recipient, messageId: v['message-id'], key, since, until };
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
  limit?: string;
  json?: boolean;
  timeout?: string;
}

async function redriveCommand(
  io: CommandIo,
  v: FilterValues & ReplayValues,
  credentials: string | undefined,
): Promise<number> {
  const filter = filterOf(v);
  if (v.relay) throw new UsageError('--relay is for redeliver; redrive runs tasks on the region at --url');
  const speed = v.speed === undefined ? null : Number(v.speed);
  if (speed !== null && !(speed > 0 && speed <= 1000))
    throw new UsageError(`--speed '${v.speed}' is not a number above 0 and at most 1000`);
  const concurrency = wholeNumber(v.concurrency, '--concurrency') ?? (speed === null ? 8 : 64);
  if (concurrency < 1 || concurrency > 256) throw new UsageError('--concurrency is 1 to 256');
  const dryRun = v['dry-run'] === true;
  // A dry run reads only the journal: it needs no credentials.
  const region = dryRun
    ? RegionClient.from({ url: v.url }, io.env)
    : regionOf(io, { url: v.url, user: credentials, timeoutMs: timeoutOf(v.timeout) });
  const limit = wholeNumber(v.limit, '--limit') ?? 1000;
  const tasks = await withJournal(io, (journal) => findTasks(journal, filter, limit));
  const report = await redrive(tasks, { region, speed, concurrency, dryRun });
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
  if (report.stopped !== null) {
    err(io, `cicsmail: redrive stopped: ${explain(new RegionUnreachable(report.stopped))}`);
    return 1;
  }
  return report.different > 0 ? 1 : 0;
}

export async function journalCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(
    io,
    argv,
    {
      state: { type: 'string' },
      userid: { type: 'string' },
      fate: { type: 'string' },
      user: { type: 'string' },
      tranid: { type: 'string' },
      jobname: { type: 'string' },
      recipient: { type: 'string' },
      'message-id': { type: 'string' },
      key: { type: 'string' },
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
      repair: { type: 'boolean' },
      timeout: { type: 'string' },
    },
    HELP,
    { command: 'journal', words: [...ACTIONS] },
  );
  if (!parsed) return 0;
  const [action, ...args] = parsed.positionals;
  const given = parsed.values as Omit<FilterValues, 'user'> &
    ReplayValues & {
      userid?: string;
      user?: string;
      auth?: string;
      after?: string;
      repair?: boolean;
      json?: boolean;
      message?: boolean;
      format?: string;
      out?: string;
    };
  const { credentials, userid } = credentialsAndUserid(io, given);
  // The filters as the region names them (its query's `user`).
  const v: FilterValues & typeof given = { ...given, user: userid };
  if (action === undefined)
    throw new UsageError(`journal needs an action: ${orList([...ACTIONS])}; ${helpHint('journal')}`);
  if (!isAction(action)) throw unknownWord('journal action', action, ACTIONS, 'journal');
  // Over HTTP, from one region or several merged (--url A,B,C; CICSMAIL_URL naming several).
  // verify reads the journal's own files: never over HTTP.
  const urls = (action === 'replay' && v.redrive) || action === 'verify' ? undefined : fleetUrls(io, v.url);
  if (urls !== undefined) {
    for (const key of ['speed', 'concurrency'] as const)
      if (v[key] !== undefined) throw new UsageError(`--${key} is for replay --redrive`);
    return fleetJournalCommand(io, urls, action, args, {
      filter: filterText(v),
      after: v.after,
      limit: v.limit,
      json: v.json,
      message: v.message,
      format: v.format,
      out: v.out,
      relay: v.relay,
      dryRun: v['dry-run'],
      user: credentials,
      timeoutMs: timeoutOf(v.timeout),
    });
  }
  switch (action) {
    case 'list': {
      const filter = filterOf(v);
      const after = wholeNumber(v.after, '--after');
      const limit = wholeNumber(v.limit, '--limit') ?? 100;
      if (limit < 1) throw new UsageError('--limit is 1 or more');
      await withJournal(io, async (journal) => {
        // One more than is shown: whether the limit cut the list.
        let shown = 0;
        let last: number | undefined;
        for await (const r of eachRecord(journal, filter, {
          limit: limit + 1,
          ...(after !== undefined ? { after } : {}),
        })) {
          if (shown === limit) {
            // On standard error, so that the output stays one record a line (JSON Lines with --json).
            err(io, `… more records: use --after ${last}`);
            break;
          }
          out(io, v.json ? JSON.stringify(r) : recordLine(r, String(r.seq)));
          [shown, last] = [shown + 1, r.seq];
        }
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
      await withJournal(io, async (journal) => out(io, JSON.stringify(await journalStats(journal, filter), null, 2)));
      return 0;
    }
    case 'export': {
      const filter = filterOf(v);
      const format = v.format ?? 'csv';
      if (format !== 'csv' && format !== 'jsonl') throw new UsageError(`--format '${format}' is not csv or jsonl`);
      await withJournal(io, async (journal) => {
        // A record at a time, as fast as the reader takes them; a reader that stops
        // (`| head`) ends the export, quietly.
        async function* lines(): AsyncGenerator<string> {
          if (format === 'csv') yield csvHeader();
          for await (const r of eachRecord(journal, filter)) yield format === 'csv' ? csvLine(r) : jsonLine(r);
        }
        const target = v.out ? createWriteStream(v.out) : io.stdout;
        await writeAll(Readable.from(lines()), target, target !== io.stdout);
      });
      return 0;
    }
    case 'replay': {
      if (v.redrive) return redriveCommand(io, v, credentials);
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
      const dryRun = v['dry-run'] === true;
      // A dry run sends nothing: it needs no relay.
      if (relays.length === 0 && !dryRun)
        throw new UsageError(
          'journal replay needs a relay to send to: --relay smtp://host:port, or CICSMAIL_RELAY; ' +
            "a region with the capture relay (no CICSMAIL_RELAY) replays to it with --url URL (the region's address)",
        );
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
            dryRun,
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
    case 'verify': {
      // Read-write only to repair: a plain verify reads, also while a region runs.
      const dataDir = resolve(io.env.CICSMAIL_DATA?.trim() || './data');
      if (!existsSync(join(dataDir, 'journal'))) throw new Error(`no journal in ${dataDir} (set CICSMAIL_DATA)`);
      const journal = Journal.open(dataDir, { readOnly: v.repair !== true });
      try {
        const report = await verify(journal, { repair: v.repair === true });
        if (v.json) out(io, JSON.stringify(report));
        else {
          out(io, `${report.records} records and ${report.tasks} task log entries read`);
          out(io, `counts: ${report.countRows === 0 ? 'right' : `${report.countRows} rows wrong`}`);
          out(io, `index: ${report.missingKeys} keys missing, ${report.strayKeys} stray`);
          if (v.repair) out(io, `repaired: ${report.countRows} rows of counts, ${report.repaired} index keys`);
        }
        return report.ok || v.repair ? 0 : 1;
      } finally {
        await journal.close();
      }
    }
  }
}

/**
 * The credentials (--user ID:PASSWORD, else CICSMAIL_USER) and the user id filter (--userid).
 * The older spellings still work, with a warning: --user ID without a password (a filter
 * before --user meant the credentials here as everywhere), and --auth ID:PASSWORD.
 */
function credentialsAndUserid(
  io: CommandIo,
  v: { user?: string; userid?: string; auth?: string },
): { credentials: string | undefined; userid: string | undefined } {
  let user = v.user;
  let userid = v.userid;
  if (user !== undefined && !user.includes(':')) {
    if (userid !== undefined) throw new UsageError('give the user id filter once, as --userid ID');
    err(
      io,
      `cicsmail: warning: --user ${user} as a filter is deprecated: write --userid ${user} (--user is the credentials, ID:PASSWORD, in every command)`,
    );
    userid = user;
    user = undefined;
  }
  if (v.auth !== undefined) {
    if (user !== undefined) throw new UsageError('--auth and --user both give credentials: give --user ID:PASSWORD');
    err(io, 'cicsmail: warning: --auth is deprecated: write --user ID:PASSWORD, as every command does');
    user = v.auth;
  }
  return { credentials: credentialsOf(io, user), userid };
}
