// What a load run saw: every answer's latency in an HdrHistogram (microseconds), counts by
// HTTP status, RESP, abend and RC, a second-by-second timeline for the report, and, for
// --verify, the journal sequence numbers each RC came with.
import { build, type Histogram } from 'hdr-histogram-js';
import type { TaskAnswer } from '../../client/protocol.js';

export interface TimelinePoint {
  /** Seconds since the start, the end of this second. */
  readonly t: number;
  readonly count: number;
  readonly errors: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** An answered task of a mail transaction, kept for --verify. */
export interface AnsweredMail {
  readonly rc: number;
  readonly seq: number;
  /** The region that answered (X-CICS-Sysid): behind a load balancer, whose journal holds `seq`. */
  readonly sysid?: string | null;
  /** When the answer came, ms from the start of the run. */
  readonly atMs?: number;
  /** Its request key (Idempotency-Key), with --keys. */
  readonly key?: string;
}

function bump(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}

/** Latencies from 1 µs to an hour, three significant digits. */
export function latencyHistogram(): Histogram {
  return build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

export function summarize(h: Histogram): LatencySummary {
  const ms = (us: number) => Math.round(us) / 1000;
  if (h.totalCount === 0) return { p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0 };
  // A percentile is the top of its bucket (within 0.1 %), which can lie above the largest
  // value recorded: no percentile is reported above the maximum.
  const at = (p: number) => ms(Math.min(h.getValueAtPercentile(p), h.maxValue));
  return {
    p50: at(50),
    p90: at(90),
    p99: at(99),
    p999: at(99.9),
    max: ms(h.maxValue),
    mean: ms(h.mean),
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

/** Bins of the latency histogram chart: ten a decade, from 10 µs up. */
export const BINS_PER_DECADE = 10;
const BIN_FLOOR_US = 10;
const BIN_COUNT = 9 * BINS_PER_DECADE;

/** The lower edge of bin `i`, in milliseconds. */
export function binFloorMs(i: number): number {
  return (BIN_FLOOR_US * Math.pow(10, i / BINS_PER_DECADE)) / 1000;
}

function binOf(us: number): number {
  if (us <= BIN_FLOOR_US) return 0;
  return Math.min(BIN_COUNT - 1, Math.floor(Math.log10(us / BIN_FLOOR_US) * BINS_PER_DECADE));
}

export class Recorder {
  readonly histogram = latencyHistogram();
  /** Answers by latency bin (binFloorMs), for the report's histogram. */
  readonly bins = new Array<number>(BIN_COUNT).fill(0);
  readonly byStatus: Record<string, number> = {};
  readonly byResp: Record<string, number> = {};
  readonly byAbend: Record<string, number> = {};
  readonly byRc: Record<string, number> = {};
  /** Answers by the region that gave them (X-CICS-Sysid): how a load balancer spread them. */
  readonly bySysid: Record<string, number> = {};
  readonly timeline: TimelinePoint[] = [];
  /** Answers with a journal sequence number, for --verify (kept only when asked). */
  readonly mails: AnsweredMail[] = [];
  /** Connections that failed, by error code (ECONNREFUSED while a region restarts): apart from requests, as a refused one is made again. */
  readonly connectionErrors: Record<string, number> = {};
  answered = 0;
  /** Requests without an answer: timed out, or gone with a broken connection. */
  errors = 0;
  timeouts = 0;
  /** The first few errors, to say what went wrong. */
  readonly errorSamples: string[] = [];
  readonly #keepMails: boolean;
  readonly #start: number;
  #second: number[] = [];
  #secondErrors = 0;
  #secondIndex = 1;

  constructor(options: { keepMails: boolean; start: number }) {
    this.#keepMails = options.keepMails;
    this.#start = options.start;
  }

  /** `latencyUs` of an answer that completed at `now` (performance.now()). */
  answer(answer: TaskAnswer, latencyUs: number, now: number, key?: string): void {
    this.#roll(now);
    this.answered++;
    this.histogram.recordValue(Math.max(1, Math.round(latencyUs)));
    const bin = binOf(latencyUs);
    this.bins[bin] = (this.bins[bin] ?? 0) + 1;
    this.#second.push(latencyUs / 1000);
    bump(this.byStatus, String(answer.status));
    bump(this.byResp, answer.resp);
    if (answer.abcode) bump(this.byAbend, answer.abcode);
    if (answer.rc !== null) bump(this.byRc, String(answer.rc));
    if (this.#keepMails && answer.rc !== null) {
      const atMs = Math.round(now - this.#start);
      for (const seq of answer.seqs)
        this.mails.push({ rc: answer.rc, seq, sysid: answer.sysid, atMs, ...(key !== undefined ? { key } : {}) });
    }
    if (answer.sysid !== null) bump(this.bySysid, answer.sysid);
  }

  error(message: string, timeout: boolean, now: number): void {
    this.#roll(now);
    this.errors++;
    this.#secondErrors++;
    if (timeout) this.timeouts++;
    this.#sample(message);
  }

  /** A connection failed with `code`, taking `unanswered` requests with it. */
  connectionFailed(code: string, message: string, unanswered: number, now: number): void {
    bump(this.connectionErrors, code);
    this.unanswered(unanswered, message, now);
  }

  /** `n` requests went with a connection, unanswered (the region may have run them). */
  unanswered(n: number, message: string, now: number): void {
    this.#roll(now);
    this.errors += n;
    this.#secondErrors += n;
    this.#sample(message);
  }

  #sample(message: string): void {
    if (this.errorSamples.length < 5 && !this.errorSamples.includes(message)) this.errorSamples.push(message);
  }

  /** Closes the seconds that have ended by `now`. */
  #roll(now: number): void {
    while (now - this.#start >= this.#secondIndex * 1000) this.#close(this.#secondIndex++);
  }

  #close(t: number): void {
    const sorted = Float64Array.from(this.#second).sort();
    const round = (n: number) => Math.round(n * 1000) / 1000;
    this.timeline.push({
      t,
      count: sorted.length,
      errors: this.#secondErrors,
      p50Ms: round(percentile(sorted, 50)),
      p99Ms: round(percentile(sorted, 99)),
      maxMs: round(sorted.length > 0 ? (sorted[sorted.length - 1] as number) : 0),
    });
    this.#second = [];
    this.#secondErrors = 0;
  }

  /** Closes the last, partial second. */
  finish(now: number): void {
    this.#roll(now);
    if (this.#second.length > 0 || this.#secondErrors > 0)
      this.#close(Math.round(((now - this.#start) / 1000) * 1000) / 1000);
  }

  /** Answers in the current second so far (for the progress line). */
  get lastSecond(): TimelinePoint | undefined {
    return this.timeline.at(-1);
  }
}
