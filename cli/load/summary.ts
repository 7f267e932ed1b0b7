// The summary of a load run: one object (what --json prints) and its text for a person.
import { binFloorMs, summarize, type LatencySummary, type TimelinePoint } from './record.js';
import type { KeyFigures } from './key-retry.js';
import type { RunResult } from './run.js';
import type { VerifyReport } from './verify.js';

export interface LoadSummary {
  readonly tx: string;
  readonly url: string;
  readonly ccsid: number;
  readonly connections: number;
  /** The fixed arrival rate asked for, requests a second; null: as fast as the connections go. */
  readonly rate: number | null;
  readonly durationS: number | null;
  readonly requestsAsked: number | null;
  readonly attachmentBytes: number;
  readonly meanRequestBytes: number;
  readonly startedAt: string;
  readonly elapsedS: number;
  readonly requests: {
    readonly sent: number;
    readonly answered: number;
    readonly errors: number;
    readonly timeouts: number;
    /** Sent and neither answered nor failed when the run ended (a duration ends with requests on the way): sent = answered + errors + inFlight. */
    readonly inFlight: number;
  };
  /** Answers a second (all answers, whatever their RESP or RC). */
  readonly txPerSec: number;
  /** With --rate, from each request's due time; else from when it was written. */
  readonly latencyMs: LatencySummary;
  readonly byStatus: Record<string, number>;
  readonly byResp: Record<string, number>;
  readonly byAbend: Record<string, number>;
  readonly byRc: Record<string, number>;
  /** Answers by the region that gave them (X-CICS-Sysid): behind a load balancer, how it spread them. */
  readonly bySysid: Record<string, number>;
  /** Connections that failed, by error code (ECONNREFUSED while a region restarts); a refused request was made again. */
  readonly connectionErrors: Record<string, number>;
  /** Times the region could not be reached (connections failing, no answer), the longest, and whether the run gave up. */
  readonly outages: { readonly count: number; readonly longestS: number; readonly gaveUp: boolean };
  readonly errorSamples: readonly string[];
  /** With --keys: keys sent, sent again after a lost answer, answered, given up; null without. */
  readonly keys: KeyFigures | null;
  readonly timeline: readonly TimelinePoint[];
  /** Answers by latency, ten bins a decade (empty bins left out). */
  readonly latencyBins: readonly { readonly fromMs: number; readonly toMs: number; readonly count: number }[];
  readonly verify: VerifyReport | null;
}

export interface SummaryContext {
  readonly tx: string;
  readonly url: string;
  readonly ccsid: number;
  readonly connections: number;
  readonly rate?: number;
  readonly durationS?: number;
  readonly requests?: number;
  readonly attachmentBytes: number;
  readonly meanRequestBytes: number;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;

export function summaryOf(context: SummaryContext, run: RunResult, verify: VerifyReport | null): LoadSummary {
  const r = run.recorder;
  return {
    tx: context.tx,
    url: context.url,
    ccsid: context.ccsid,
    connections: context.connections,
    rate: context.rate ?? null,
    durationS: context.requests === undefined ? (context.durationS ?? null) : null,
    requestsAsked: context.requests ?? null,
    attachmentBytes: context.attachmentBytes,
    meanRequestBytes: context.meanRequestBytes,
    startedAt: run.startedAt.toISOString(),
    elapsedS: Math.round(run.elapsedS * 1000) / 1000,
    requests: {
      sent: run.sent,
      answered: r.answered,
      errors: r.errors,
      timeouts: r.timeouts,
      inFlight: Math.max(0, run.sent - r.answered - r.errors),
    },
    txPerSec: run.elapsedS > 0 ? Math.round((r.answered / run.elapsedS) * 10) / 10 : 0,
    latencyMs: summarize(r.histogram),
    byStatus: r.byStatus,
    byResp: r.byResp,
    byAbend: r.byAbend,
    byRc: r.byRc,
    bySysid: r.bySysid,
    connectionErrors: r.connectionErrors,
    outages: {
      count: run.outages.count,
      longestS: Math.round(run.outages.longestMs) / 1000,
      gaveUp: run.outages.gaveUp,
    },
    errorSamples: r.errorSamples,
    keys: run.keys,
    timeline: r.timeline,
    latencyBins: r.bins.flatMap((count, i) =>
      count > 0 ? [{ fromMs: round3(binFloorMs(i)), toMs: round3(binFloorMs(i + 1)), count }] : [],
    ),
    verify,
  };
}

const n0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const n1 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
const n2 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** `200 ×50, 503 ×3`: each value, then how many times (never `200: 503`, which reads as a status). */
function counts(c: Record<string, number>, sortNumeric = false): string {
  const entries = Object.entries(c);
  if (entries.length === 0) return 'none';
  entries.sort(([a], [b]) => (sortNumeric ? Number(a) - Number(b) : a.localeCompare(b)));
  return entries.map(([k, v]) => `${k} ×${v}`).join(', ');
}

export function formatSummary(s: LoadSummary): string[] {
  const how = s.requestsAsked !== null ? `${s.requestsAsked} requests` : `${s.durationS} s`;
  const pace = s.rate !== null ? `at a fixed ${n1.format(s.rate)}/s` : 'as fast as they go';
  const l = s.latencyMs;
  const lines = [
    `${s.tx} on ${s.url}: ${how} over ${s.connections} connection(s) ${pace}, CCSID ` +
      `${String(s.ccsid).padStart(3, '0')}, requests of ${n0.format(s.meanRequestBytes)} bytes on average${s.attachmentBytes > 0 ? ` (attachment ${n0.format(s.attachmentBytes)} bytes)` : ''}`,
    `  ${n1.format(s.txPerSec)} tx/s: ${s.requests.answered} answered in ${n2.format(s.elapsedS)} s; ` +
      `${s.requests.sent} sent = ${s.requests.answered} answered + ${s.requests.errors} without an answer ` +
      `(${s.requests.timeouts} timed out) + ${s.requests.inFlight} still on the way when the run ended`,
    `  latency ms: p50 ${n2.format(l.p50)}  p90 ${n2.format(l.p90)}  p99 ${n2.format(l.p99)}  p99.9 ` +
      `${n2.format(l.p999)}  max ${n2.format(l.max)}  (${s.rate !== null ? "from each request's due time" : "from each request's write"})`,
    `  HTTP   ${counts(s.byStatus, true)}`,
    `  RESP   ${counts(s.byResp)}`,
    `  ABEND  ${counts(s.byAbend)}`,
    `  RC     ${counts(s.byRc, true)}`,
  ];
  // Only behind a load balancer: one region's run is summed up as it always was.
  if (Object.keys(s.bySysid).length > 1) lines.push(`  SYSID  ${counts(s.bySysid)}`);
  // Only where a connection failed: a run without is summed up as it always was.
  if (Object.keys(s.connectionErrors).length > 0) {
    const o = s.outages;
    lines.push(
      `  CONN   ${counts(s.connectionErrors)}; the region out of reach ${o.count} time(s), at most ${n1.format(o.longestS)} s` +
        (o.gaveUp ? ', then given up' : ''),
    );
  }
  const k = s.keys;
  if (k) {
    lines.push(
      `  KEYS   ${k.used} keys: ${k.answered} answered, ${k.retried} of them sent again (${k.retries} retries), ` +
        `${k.gaveUp} given up, ${k.unfinished} unanswered when the run ended`,
    );
    for (const e of k.gaveUpSamples) lines.push(`  error: ${e}`);
  }
  for (const e of s.errorSamples) lines.push(`  error: ${e}`);
  return lines;
}

/** The live progress line. */
export function progressLine(
  elapsedS: number,
  answered: number,
  errors: number,
  last: TimelinePoint | undefined,
  target: string,
): string {
  const now = last ? `${n0.format(last.count)}/s, p99 ${n1.format(last.p99Ms)} ms` : 'starting';
  return `${n0.format(elapsedS)} s of ${target}: ${n0.format(answered)} answered, ${n0.format(errors)} errors; last second ${now}`;
}
