// How cost grows: tx/s and latency of MAIL end to end as one thing changes at a time:
// connections (1, 8, 32, 128), the size of the mail (2 KB, 64 KB, 1 MB) and the workers
// (1, 2); with each, how many mails shared one flush of the journal (group commit: mails
// over the LMDB commits of the cell, task log and outcomes included, each commit a sync).
import type { LocalRegion } from '../cli/load/local-region.js';
import { buildPayloads, type PayloadPool } from '../cli/load/payloads.js';
import { summarize } from '../cli/load/record.js';
import { Journal } from '../journal/journal.js';
import { defaultWorkers } from '../config/settings.js';
import { BENCH_MAIL } from './mail.js';
import { auth, load, notOk, perSecond, regionFor, workersText } from './region-load.js';

export interface ScalingCell {
  readonly label: string;
  readonly txPerSec: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Mails answered RC 0 over the journal's commits in the cell; null where nothing committed. */
  readonly mailsPerFlush: number | null;
  /** The mail's size as the region composed it. */
  readonly mailBytes: number;
  readonly notRc0: number;
}

export interface ScalingFigures {
  readonly connections: readonly ScalingCell[];
  readonly sizes: readonly ScalingCell[];
  readonly workers: readonly ScalingCell[];
  /** The region's default worker count on this machine: the connection and size tables ran with it. */
  readonly defaultWorkers: number;
}

/** Attachment bytes that make mails of about 64 KB and 1 MB once base64 and the headers are added. */
const SIZES = { '2 KB': 0, '64 KB': 46_900, '1 MB': 774_700 } as const;
export type MailSize = keyof typeof SIZES;

/** What the tables vary, and how long each cell runs. */
export interface ScalingPlan {
  readonly warmupS: number;
  readonly cellS: number;
  readonly connections: readonly number[];
  readonly sizes: readonly MailSize[];
  /** Connections of the size and worker tables: one of `connections`. */
  readonly fixedConnections: number;
}

/** The full tables; the benchmark's short sizes run fewer cells, shorter. */
export const FULL_PLAN: Omit<ScalingPlan, 'warmupS' | 'cellS'> = {
  connections: [1, 8, 32, 128],
  sizes: ['2 KB', '64 KB', '1 MB'],
  fixedConnections: 32,
};

function poolOf(attachment: number): PayloadPool {
  return buildPayloads({
    tx: 'MAIL',
    ccsid: 37,
    from: BENCH_MAIL.from,
    mails: [BENCH_MAIL],
    jobname: 'BENCH',
    ...(attachment > 0 ? { attachment } : {}),
  });
}

/** One cell: a warm-up, then the run, with the journal's commits counted around it. */
async function cell(
  region: LocalRegion,
  label: string,
  pool: PayloadPool,
  connections: number,
  times: ScalingPlan,
): Promise<ScalingCell> {
  if (times.warmupS > 0) await load(region.url, pool, auth(region), { connections, durationS: times.warmupS });
  const journal = Journal.open(region.dataDir, { readOnly: true });
  let cellFigures: Omit<ScalingCell, 'mailBytes'>;
  try {
    const before = journal.commits();
    const run = await load(region.url, pool, auth(region), { connections, durationS: times.cellS });
    const commits = journal.commits() - before;
    const sent = run.recorder.byRc['0'] ?? 0;
    const l = summarize(run.recorder.histogram);
    cellFigures = {
      label,
      txPerSec: perSecond(run),
      p50Ms: l.p50,
      p99Ms: l.p99,
      mailsPerFlush: commits > 0 ? sent / commits : null,
      notRc0: notOk(run),
    };
  } finally {
    await journal.close();
  }
  return { ...cellFigures, mailBytes: await latestSize(region.dataDir) };
}

/**
 * The size of the region's newest mail, read through a journal opened after the one the cell
 * counted commits with is closed: LMDB shares an open environment within a process, and the
 * cell's kept reading its first snapshot (in CI a cell read the cell before's mail, the
 * first none).
 */
async function latestSize(dataDir: string): Promise<number> {
  const journal = Journal.open(dataDir, { readOnly: true });
  try {
    return journal.latest()?.size ?? 0;
  } finally {
    await journal.close();
  }
}

export async function scalingTables(relay: string, plan: ScalingPlan): Promise<ScalingFigures> {
  const small = poolOf(0);
  const connections: ScalingCell[] = [];
  const sizes: ScalingCell[] = [];
  const workers: ScalingCell[] = [];
  // The region as it starts by default; the worker table adds the other of 1 and 2.
  const defaults = defaultWorkers();
  const base = await regionFor(relay, { workers: defaults });
  try {
    for (const c of plan.connections) connections.push(await cell(base, String(c), small, c, plan));
    const atFixed = connections.find((c) => c.label === String(plan.fixedConnections));
    if (!atFixed) throw new Error(`the plan's ${plan.fixedConnections} connections are not among its connections`);
    for (const size of plan.sizes) {
      sizes.push(
        SIZES[size] === 0
          ? { ...atFixed, label: size }
          : await cell(base, size, poolOf(SIZES[size]), plan.fixedConnections, plan),
      );
    }
    workers.push({ ...atFixed, label: String(defaults) });
  } finally {
    await base.stop();
  }
  for (const n of [1, 2].filter((n) => n !== defaults)) {
    const other = await regionFor(relay, { workers: n });
    try {
      workers.push(await cell(other, String(n), small, plan.fixedConnections, plan));
    } finally {
      await other.stop();
    }
  }
  workers.sort((x, y) => Number(x.label) - Number(y.label));
  return { defaultWorkers: defaults, connections, sizes, workers };
}

/** The tables as lines: one per cell, under a heading per dimension. */
export function scalingLines(figures: ScalingFigures, plan: ScalingPlan): string[] {
  const f0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const f1 = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  const row = (c: ScalingCell) =>
    `  ${c.label.padStart(11)}  ${f0.format(c.txPerSec).padStart(7)}  ${f1.format(c.p50Ms).padStart(7)}  ` +
    `${f1.format(c.p99Ms).padStart(7)}  ${(c.mailsPerFlush === null ? '-' : f1.format(c.mailsPerFlush)).padStart(13)}  ` +
    `${f0.format(c.mailBytes).padStart(10)}${c.notRc0 > 0 ? `  (${c.notRc0} not RC 0)` : ''}`;
  const table = (title: string, cells: readonly ScalingCell[]) => [
    `  ${title.padStart(11)}  ${'tx/s'.padStart(7)}  ${'p50 ms'.padStart(7)}  ${'p99 ms'.padStart(7)}  ` +
      `${'mails/flush'.padStart(13)}  ${'mail bytes'.padStart(10)}`,
    ...cells.map(row),
  ];
  return [
    `how cost grows (MAIL end to end; each cell ${plan.cellS} s after a ${plan.warmupS} s warm-up; ${workersText(figures.defaultWorkers)} ` +
      `(the default here) and ` +
      `2 KB mails unless the table varies them, ${plan.fixedConnections} connections in the size and worker tables):`,
    ...table('connections', figures.connections),
    ...table('mail size', figures.sizes),
    ...table('workers', figures.workers),
  ];
}
