// cicsmail journal list|show|stats|export|replay --url A,B,C: the journals of several regions
// read over HTTP as one (client/fleet.ts), merged by time, each record named SYSID:seq.
// A region that does not answer is left out with a warning on standard error naming it and
// why, and the command ends with exit code 3 (PARTIAL): what the others hold is still shown
// (an operator looking for a mail during an outage needs it most then), and a script can
// tell a partial view from a whole one.
import { Readable } from 'node:stream';
import { createWriteStream } from 'node:fs';
import { REPLAY_SCHEMA, shapeOf } from '../client/answer-shape.js';
import { RegionUrlInvalid } from '../client/errors.js';
import { Fleet, parseRecordRef, regionUrls, type FleetRecord } from '../client/fleet.js';
import { limitsOf } from '../client/http-request.js';
import { basicAuthorization } from '../client/protocol.js';
import { DEFAULT_LIMITS } from '../client/region-client.js';
import { csvHeader, csvLine, jsonLine } from '../journal/export.js';
import type { FilterText } from '../journal/query.js';
import type { ReplayResult } from '../journal/replay.js';
import { err, out, write, writeAll, type CommandIo } from './io.js';
import { recordLine } from './journal-line.js';
import { explain } from './region-errors.js';
import { requireCredentials, UsageError, wholeNumber } from './usage.js';

/** The exit code of a view some region was missing from. */
export const PARTIAL = 3;

export interface FleetValues {
  readonly filter: FilterText;
  readonly after?: string | undefined;
  readonly limit?: string | undefined;
  readonly json?: boolean | undefined;
  readonly message?: boolean | undefined;
  readonly format?: string | undefined;
  readonly out?: string | undefined;
  readonly relay?: string | undefined;
  readonly dryRun?: boolean | undefined;
  /** `ID:PASSWORD`, from --user or CICSMAIL_USER. */
  readonly user?: string | undefined;
  /** --timeout: the limit of each call to a region. */
  readonly timeoutMs?: number | undefined;
}

type Replayed = { sysid: string; results: ReplayResult[] };
const REPLAYED = shapeOf<Replayed>('POST /journal/replay', REPLAY_SCHEMA);

/**
 * The regions of a merged view, where the command asks for one: --url (one or several), or
 * CICSMAIL_URL naming several. Undefined: the local journal in CICSMAIL_DATA, as before.
 */
export function fleetUrls(io: CommandIo, url: string | undefined): string[] | undefined {
  const text = url ?? (io.env.CICSMAIL_URL?.includes(',') ? io.env.CICSMAIL_URL : undefined);
  if (text === undefined) return undefined;
  try {
    return regionUrls(text);
  } catch (error) {
    throw new UsageError(`${url !== undefined ? '--url' : 'CICSMAIL_URL'} ${(error as Error).message}`);
  }
}

/** `SYSID:seq`, or a bare sequence number where one region is asked. */
function refOf(fleet: Fleet, text: string | undefined, action: string): { sysid: string | null; seq: number } {
  if (text === undefined) throw new UsageError(`journal ${action} needs SYSID:SEQ`);
  const ref = parseRecordRef(text);
  if (ref) return ref;
  if (/^\d{1,15}$/.test(text)) {
    if (fleet.regions.length === 1) return { sysid: null, seq: Number(text) };
    throw new UsageError(`a sequence number is one region's: give SYSID:SEQ (e.g. MVSA:${text})`);
  }
  throw new UsageError(`'${text}' is not SYSID:SEQ`);
}

/** Warns of each region left out; PARTIAL where there was one, else `code`. */
function verdict(io: CommandIo, fleet: Fleet, code = 0): number {
  for (const m of fleet.missing) {
    const name = m.sysid ? `region ${m.sysid} at ${m.url}` : `the region at ${m.url}`;
    err(io, `cicsmail: WARNING: ${name} is left out of this view: ${m.reason}`);
  }
  return fleet.missing.length > 0 && code === 0 ? PARTIAL : code;
}

const ref = (r: FleetRecord) => `${r.sysid}:${r.record.seq}`;

export async function fleetJournalCommand(
  io: CommandIo,
  urls: readonly string[],
  action: string,
  args: readonly string[],
  v: FleetValues,
): Promise<number> {
  const user = requireCredentials(io, v.user);
  const limits =
    v.timeoutMs === undefined ? DEFAULT_LIMITS : { route: limitsOf(v.timeoutMs), task: limitsOf(v.timeoutMs) };
  let fleet: Fleet;
  try {
    fleet = new Fleet(urls, basicAuthorization(user), limits, explain);
  } catch (error) {
    if (error instanceof RegionUrlInvalid) throw new UsageError(`--url ${error.message}`);
    throw error;
  }
  const nobody = () => {
    if (fleet.missing.length === fleet.regions.length) {
      verdict(io, fleet);
      throw new Error(`no region answered (${fleet.regions.map((r) => r.url).join(', ')})`);
    }
  };
  switch (action) {
    case 'list': {
      if (v.after !== undefined)
        throw new UsageError('--after is a sequence number of one region; in a merged view go on with --since TIME');
      const limit = wholeNumber(v.limit, '--limit') ?? 100;
      if (limit < 1) throw new UsageError('--limit is 1 or more');
      let shown = 0;
      // One more than is shown: whether the limit cut the list, and where to go on.
      for await (const r of fleet.records(v.filter, limit + 1)) {
        if (shown === limit) {
          err(io, `… more records: go on with --since ${r.record.acceptedAt}`);
          break;
        }
        out(io, v.json ? JSON.stringify({ ...r.record, sysid: r.sysid }) : recordLine(r.record, ref(r)));
        shown++;
      }
      nobody();
      return verdict(io, fleet);
    }
    case 'show': {
      const { sysid, seq } = refOf(fleet, args[0], 'show');
      const path = v.message ? `/journal/${seq}/message` : `/journal/${seq}`;
      const found =
        sysid === null
          ? await (async () => {
              const region = fleet.regions[0];
              return region ? { region, response: await region.request(path) } : undefined;
            })()
          : await fleet.owner(sysid, path);
      const name = sysid === null ? String(seq) : `${sysid}:${seq}`;
      if (!found) {
        verdict(io, fleet);
        throw new Error(`no region answered as ${sysid}`);
      }
      const { status, body } = found.response;
      if (status === 404) throw new Error(`no journal record ${name}`);
      if (status !== 200) throw found.region.refused(status, body.toString('utf8'));
      if (v.message) write(io, body);
      else {
        let record: unknown;
        try {
          record = JSON.parse(body.toString('utf8'));
        } catch {
          throw new Error(`${found.region.url} did not answer ${path} with JSON: is it a cicsmail region?`);
        }
        out(io, JSON.stringify(record, null, 2));
      }
      return verdict(io, fleet);
    }
    case 'stats': {
      const stats = await fleet.stats(v.filter);
      nobody();
      out(io, JSON.stringify(stats, null, 2));
      return verdict(io, fleet);
    }
    case 'export': {
      const format = v.format ?? 'csv';
      if (format !== 'csv' && format !== 'jsonl') throw new UsageError(`--format '${format}' is not csv or jsonl`);
      async function* lines(): AsyncGenerator<string> {
        if (format === 'csv') yield csvHeader();
        for await (const r of fleet.records(v.filter))
          yield format === 'csv' ? csvLine(r.record, r.sysid) : jsonLine(r.record, r.sysid);
      }
      const target = v.out ? createWriteStream(v.out) : io.stdout;
      await writeAll(Readable.from(lines()), target, target !== io.stdout);
      nobody();
      return verdict(io, fleet);
    }
    case 'replay': {
      const limit = wholeNumber(v.limit, '--limit') ?? 1000;
      const body = {
        mode: 'redeliver',
        filter: v.filter,
        limit,
        ...(v.relay !== undefined ? { relay: v.relay } : {}),
        ...(v.dryRun ? { dryRun: true } : {}),
      };
      const answers: (Replayed | undefined)[] = [];
      if (args[0] !== undefined) {
        // One record: to the region that owns it, found by its SYSID.
        const { sysid, seq } = refOf(fleet, args[0], 'replay');
        const found = sysid === null ? { region: fleet.regions[0] } : await fleet.owner(sysid, `/journal/${seq}`);
        if (!found?.region) {
          verdict(io, fleet);
          throw new Error(`no region answered as ${sysid}`);
        }
        answers.push(await found.region.json('POST', '/journal/replay', { ...body, seq }, REPLAYED));
      } else {
        // Records the filters pick: each region replays its own.
        answers.push(
          ...(await Promise.all(
            fleet.regions.map(async (region) => {
              try {
                return await region.json('POST', '/journal/replay', body, REPLAYED);
              } catch (error) {
                fleet.miss(region, null, error);
                return undefined;
              }
            }),
          )),
        );
        nobody();
      }
      let failed = false;
      for (const a of answers) {
        for (const r of a?.results ?? []) {
          failed ||= r.outcome !== undefined && r.outcome !== 'sent';
          out(
            io,
            [
              `${a?.sysid}:${r.seq}`.padStart(6),
              r.messageId,
              r.outcome ?? 'dry-run',
              r.reply ?? `${r.recipients.length} rcpt`,
            ].join('  '),
          );
        }
      }
      return verdict(io, fleet, failed ? 1 : 0);
    }
    default:
      throw new UsageError(`unknown journal action '${action}'`);
  }
}
