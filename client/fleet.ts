// Several regions' journals as one: each region is asked over HTTP (GET /journal, paged),
// and their records are merged by the time they were accepted, each named by its region's
// SYSID. A sequence number is one region's, so in a merged view a record is SYSID:seq.
// A region that does not answer leaves its records out: the caller says so (fleetWarning)
// and ends with a code of its own, since a partial view that looked whole would mislead.
import type { JournalRecord } from '../journal/record.js';
import type { FilterText, JournalStats } from '../journal/query.js';
import type { MailState } from '../journal/states.js';
import { JOURNAL_PAGE_SCHEMA, shapeOf, STATS_SCHEMA } from './answer-shape.js';
import { RegionAnswerInvalid, RegionUrlInvalid } from './errors.js';
import type { HttpAnswer } from './http-request.js';
import { DEFAULT_LIMITS, RegionClient, type ClientLimits } from './region-client.js';
import { NAME8_ANY_CASE } from '../cics/names.js';

/** A record and the region whose journal holds it. */
export interface FleetRecord {
  readonly sysid: string;
  readonly url: string;
  readonly record: JournalRecord;
}

/** A region left out of a merged view, and why. */
export interface MissingRegion {
  readonly url: string;
  /** Its SYSID, where it answered before it failed. */
  readonly sysid: string | null;
  readonly reason: string;
}

/** `SYSID:seq`: a record in a merged view. */
export interface RecordRef {
  readonly sysid: string;
  readonly seq: number;
}

/** The pages a region is asked for: the most GET /journal gives at once. */
const PAGE = 1000;

/** The URLs of a comma-separated list (`--url A,B,C`, CICSMAIL_URL), blanks dropped. */
export function regionUrls(text: string): string[] {
  const urls = text
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  if (urls.length === 0) throw new RegionUrlInvalid(`'${text}' names no region`);
  const twice = urls.find((u, i) => urls.indexOf(u) !== i);
  if (twice !== undefined) throw new RegionUrlInvalid(`'${twice}' is named twice`);
  return urls;
}

/** `SYSID:seq` read; undefined where the text is not one. */
export function parseRecordRef(text: string): RecordRef | undefined {
  const m = /^([^:]+):(\d{1,15})$/.exec(text);
  return m && NAME8_ANY_CASE.test(m[1] as string)
    ? { sysid: (m[1] as string).toUpperCase(), seq: Number(m[2]) }
    : undefined;
}

/** Why a region is missing, in a line: its own words where it refused, the network's where it could not be reached. */
function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The query string of a filter (the region's parameter names). */
function query(filter: FilterText, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...filter, ...extra })) if (v !== undefined && v !== '') params.set(k, v);
  const text = params.toString();
  return text ? `?${text}` : '';
}

interface JournalPage {
  readonly sysid: string;
  readonly records: readonly JournalRecord[];
  readonly next: number | null;
}

const PAGE_SHAPE = shapeOf<JournalPage>('GET /journal', JOURNAL_PAGE_SCHEMA);
const STATS_SHAPE = shapeOf<JournalStats>('GET /journal/stats', STATS_SCHEMA);

/** Earlier first; at the same millisecond, by SYSID, then by sequence number: one order for every reader. */
function before(a: FleetRecord, b: FleetRecord): boolean {
  if (a.record.acceptedAt !== b.record.acceptedAt) return a.record.acceptedAt < b.record.acceptedAt;
  if (a.sysid !== b.sysid) return a.sysid < b.sysid;
  return a.record.seq < b.record.seq;
}

export class Fleet {
  readonly regions: readonly RegionClient[];
  /** Regions that did not answer, or stopped answering, in what has been read so far. */
  readonly missing: MissingRegion[] = [];
  /** Whether to tell a failure's cause (a command adds its flags): the message as it is where not given. */
  readonly #explain: (err: unknown) => string;
  /** The URL of each SYSID met so far: two regions of one name would make SYSID:seq ambiguous. */
  readonly #urlOf = new Map<string, string>();

  constructor(
    urls: readonly string[],
    authorization?: string,
    limits: ClientLimits = DEFAULT_LIMITS,
    explain: (err: unknown) => string = reasonOf,
  ) {
    this.regions = urls.map((url) => new RegionClient(url, authorization, limits));
    this.#explain = explain;
  }

  /** Leaves `region` out of the view, with why. */
  miss(region: RegionClient, sysid: string | null, err: unknown): void {
    this.missing.push({ url: region.url, sysid, reason: this.#explain(err) });
  }

  /**
   * One region's records that match, oldest first, a page at a time as they are read. A page
   * must go on from where the last one ended: a `next` that does not move forward, or
   * records out of order, end that region's part with a reason (a loop, else).
   */
  async *#recordsOf(region: RegionClient, filter: FilterText, pageSize: number): AsyncGenerator<FleetRecord> {
    let after: number | null = null;
    let sysid: string | null = null;
    for (;;) {
      let page: JournalPage;
      try {
        page = await region.json(
          'GET',
          `/journal${query(filter, { limit: String(pageSize), ...(after !== null ? { after: String(after) } : {}) })}`,
          undefined,
          PAGE_SHAPE,
        );
        const behind = page.records.find((r, i) => r.seq <= (i === 0 ? (after ?? 0) : (page.records[i - 1]?.seq ?? 0)));
        if (behind)
          throw new RegionAnswerInvalid(
            `GET /journal of the region at ${region.url} gave record ${behind.seq} after ${after ?? 0}: its pages do not move forward`,
          );
        if (page.next !== null && page.next <= (after ?? 0))
          throw new RegionAnswerInvalid(
            `GET /journal of the region at ${region.url} gave next ${page.next} after ${after ?? 0}: its pages do not move forward`,
          );
      } catch (err) {
        this.miss(region, sysid, err);
        return;
      }
      if (sysid === null) {
        const other = this.#urlOf.get(page.sysid);
        if (other !== undefined && other !== region.url) {
          this.miss(
            region,
            page.sysid,
            new Error(`it is SYSID ${page.sysid}, as ${other} is: each region needs its own`),
          );
          return;
        }
        this.#urlOf.set(page.sysid, region.url);
      }
      sysid = page.sysid;
      for (const record of page.records) yield { sysid: record.sysid ?? page.sysid, url: region.url, record };
      // A page may hold fewer records than asked, even none, with more to come: only next says.
      if (page.next === null || (after !== null && page.next <= after)) return;
      after = page.next;
    }
  }

  /**
   * Every region's records that match, merged by time (acceptedAt; then SYSID, seq). Each
   * region is read lazily, `pageSize` records at a time: a `limit` reads no more than it shows.
   */
  async *records(filter: FilterText, pageSize = PAGE): AsyncGenerator<FleetRecord> {
    const sources = this.regions.map((r) => this.#recordsOf(r, filter, Math.min(PAGE, Math.max(1, pageSize))));
    const heads = await Promise.all(sources.map((s) => s.next()));
    for (;;) {
      let pick = -1;
      for (let i = 0; i < heads.length; i++) {
        const head = heads[i];
        if (!head || head.done) continue;
        const best = heads[pick];
        if (pick === -1 || (best && !best.done && before(head.value, best.value))) pick = i;
      }
      if (pick === -1) return;
      const chosen = heads[pick] as IteratorYieldResult<FleetRecord>;
      yield chosen.value;
      heads[pick] = await (sources[pick] as AsyncGenerator<FleetRecord>).next();
    }
  }

  /** The stats of every region that answers, summed, and each region's own. */
  async stats(filter: FilterText): Promise<JournalStats & { readonly byRegion: Record<string, JournalStats> }> {
    const answers = await Promise.all(
      this.regions.map(async (region) => {
        try {
          const { value, sysid } = await region.jsonFrom(
            'GET',
            `/journal/stats${query(filter)}`,
            undefined,
            STATS_SHAPE,
          );
          return { sysid: sysid ?? region.url, stats: value };
        } catch (err) {
          this.miss(region, null, err);
          return undefined;
        }
      }),
    );
    const byState: Record<MailState, number> = { ACCEPTED: 0, SENT: 0, DEFERRED: 0, FAILED: 0, DENIED: 0 };
    const byTranid: Record<string, number> = {};
    const byRegion: Record<string, JournalStats> = {};
    let records = 0;
    let bytes = 0;
    for (const answer of answers) {
      if (!answer) continue;
      const { sysid, stats } = answer;
      byRegion[sysid] = stats;
      records += stats.records;
      bytes += stats.bytes;
      for (const [state, n] of Object.entries(stats.byState)) byState[state as MailState] += n;
      for (const [tranid, n] of Object.entries(stats.byTranid)) byTranid[tranid] = (byTranid[tranid] ?? 0) + n;
    }
    return { records, byState, byTranid, bytes, byRegion };
  }

  /**
   * The region whose SYSID this is: each region is asked for `path` (GET) and the one whose
   * answer names that SYSID (X-CICS-Sysid) is it. Resolves with the answer of that region,
   * or undefined where no region that answered has that SYSID (see `missing`).
   */
  async owner(sysid: string, path: string): Promise<{ region: RegionClient; response: HttpAnswer } | undefined> {
    const answers = await Promise.all(
      this.regions.map(async (region) => {
        try {
          return { region, response: await region.request(path) };
        } catch (err) {
          this.miss(region, null, err);
          return undefined;
        }
      }),
    );
    return answers.find((a) => a?.response.headers.get('x-cics-sysid') === sysid);
  }
}
