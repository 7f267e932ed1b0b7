// npm run scale: the journal at scale, large form (test/journal/scale.test.ts is the small).
//   1. builds a journal of SCALE_RECORDS made-up records (10,000,000) through the journal's
//      own batch writes, spread over 90 days, and reports the time and the size on disk;
//   2. starts a region on it (a process of its own, sending to Postfix smtp-sink) and times
//      each operator call (bench/journal-calls.ts): the median and the slowest of 7, and
//      the CPU time of the region's main thread in the median (what the call costs the
//      event loop, which a busy machine's waits for a core do not inflate);
//   3. MAIL at a fixed rate (SCALE_RATE, 500 a second) with p50/p99, alone, with consoles
//      polling their pages (SCALE_CONSOLES, 3), and with an export streaming, in turn
//      (SCALE_ROUNDS, 3, of each); /health's latency beside each;
//   4. a prune pass over the journal's first day;
//   5. steady state: a fresh journal written at SCALE_STEADY_RATE (3,000 mails a second)
//      on a simulated clock for SCALE_STEADY_MINUTES (60) with a retention of
//      SCALE_RETENTION_MINUTES (10), pruned every simulated second as the region does;
//      the file's size each retention period, and the prune rate.
// SCALE_DIR keeps the built journal (reused where it holds record SCALE_RECORDS: a run's
// prune pass takes the first day it holds); SCALE_STEADY=0 leaves out part 5;
// SCALE_MESSAGE_BYTES sets the made-up mails' size (2,001, the bench's). Figures are
// printed, never asserted: they drift with the machine.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { buildPayloads } from '../cli/load/payloads.js';
import { latencyHistogram, summarize } from '../cli/load/record.js';
import { startLocalRegion } from '../cli/load/local-region.js';
import { preflight } from '../cli/load/run.js';
import { Journal } from '../journal/journal.js';
import { USERS_FILE } from '../users/users-file.js';
import { OPERATOR_CALLS, type JournalShape } from './journal-calls.js';
import { sampleMessage, syntheticEntries, syntheticTask } from './journal-records.js';
import { BENCH_MAIL } from './mail.js';
import { benchUnavailable, startSmtpSink } from './processes.js';
import { auth, load } from './region-load.js';

const DAY = 86_400_000;
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const RECORDS = env('SCALE_RECORDS', 10_000_000);
const RATE = env('SCALE_RATE', 500);
const LOAD_S = env('SCALE_LOAD_S', 20);
const CONSOLES = env('SCALE_CONSOLES', 3);
const ROUNDS = env('SCALE_ROUNDS', 3);
const STEADY_RATE = env('SCALE_STEADY_RATE', 3000);
const STEADY_MINUTES = env('SCALE_STEADY_MINUTES', 60);
const RETENTION_MINUTES = env('SCALE_RETENTION_MINUTES', 10);
const MESSAGE_BYTES = env('SCALE_MESSAGE_BYTES', 2001);
const BATCH = 5000;
/** Past the retry limit (5 days) every record is final. */
const RETRY_LIMIT_MS = 5 * DAY;

const f0 = new Intl.NumberFormat('en', { maximumFractionDigits: 0 });
const f1 = new Intl.NumberFormat('en', { maximumFractionDigits: 1, minimumFractionDigits: 1 });
const f2 = new Intl.NumberFormat('en', { maximumFractionDigits: 2, minimumFractionDigits: 2 });
const out = (line: string) => process.stdout.write(`${line}\n`);
const figures: Record<string, unknown> = {};

/** The journal's files: bytes on disk (allocated) and the map's length. */
function size(dir: string): { disk: number; file: number } {
  const file = join(dir, 'journal', 'data.mdb');
  if (!existsSync(file)) return { disk: 0, file: 0 };
  const s = statSync(file);
  return { disk: s.blocks * 512, file: s.size };
}
const gb = (bytes: number) => `${f2.format(bytes / 1e9)} GB`;
const mb = (bytes: number) => `${f0.format(bytes / 1e6)} MB`;

const message = sampleMessage(MESSAGE_BYTES);

/** Builds the journal (or keeps one that holds as many); resolves with its shape. */
async function build(dir: string, records: number): Promise<JournalShape> {
  const shapeFrom = (start: number): JournalShape => ({
    records,
    start,
    stepMs: (90 * DAY) / records,
    deep: Math.floor(records / 2),
  });
  if (existsSync(join(dir, 'journal'))) {
    const journal = Journal.open(dir, { readOnly: true });
    const held = journal.size();
    const last = journal.get(records);
    await journal.close();
    // A run before pruned its first day (part 4) and sent mail after the last (part 3): the
    // made-up records are kept, and the calls ask about them.
    if (last !== undefined) {
      out(`1. the journal in ${dir} holds record ${f0.format(records)} (${f0.format(held)} records in all): kept`);
      return shapeFrom(Date.parse(last.acceptedAt) - (records - 1) * shapeFrom(0).stepMs);
    }
    rmSync(join(dir, 'journal'), { recursive: true, force: true });
  }
  const shape = shapeFrom(Date.now() - 90 * DAY);
  const journal = Journal.open(dir);
  const started = performance.now();
  let lap = started;
  for (let i = 0; i < shape.records; i += BATCH) {
    await journal.appendBatch(
      syntheticEntries(i, Math.min(BATCH, shape.records - i), {
        ...shape,
        message,
        finalBefore: shape.start + 90 * DAY - RETRY_LIMIT_MS,
      }),
    );
    if ((i + BATCH) % 1_000_000 === 0) {
      const now = performance.now();
      out(`   ${f0.format(i + BATCH)} records, ${f0.format(1_000_000 / ((now - lap) / 1000))} a second`);
      lap = now;
    }
  }
  // The tasks of the last records: the console's task view.
  for (let seq = shape.records - 4; seq <= shape.records; seq++)
    await journal.tasks.add(syntheticTask(seq, shape.start + (seq - 1) * shape.stepMs));
  await journal.close();
  const s = (performance.now() - started) / 1000;
  out(
    `1. built ${f0.format(shape.records)} records in ${f1.format(s / 60)} min (${f0.format(shape.records / s)} a second)`,
  );
  figures.buildS = s;
  return shape;
}

/**
 * CPU time the region's main thread has had, in ms (Linux: the scheduler's count for the
 * thread group leader). What a call costs the event loop, however busy the machine is: its
 * wall time also holds the waits for a core that other processes take.
 */
function mainThreadCpuMs(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return NaN;
  }
}

async function timeCall(
  url: string,
  authorization: string,
  path: string,
  firstBytes: boolean,
  pid: number,
): Promise<{ ms: number; cpuMs: number }> {
  const cpu = mainThreadCpuMs(pid);
  const started = performance.now();
  const res = await fetch(`${url}${path}`, { headers: { authorization } });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`);
  if (firstBytes) {
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const ms = performance.now() - started;
    const cpuMs = mainThreadCpuMs(pid) - cpu;
    await reader.cancel();
    return { ms, cpuMs };
  }
  await res.arrayBuffer();
  return { ms: performance.now() - started, cpuMs: mainThreadCpuMs(pid) - cpu };
}

/** The console's pages, as an operator leaves them open: what each polls, and how often. */
function consolePolls(shape: JournalShape): { path: string; everyMs: number }[] {
  return [
    { path: '/cemt/region', everyMs: 2000 },
    { path: '/cemt/tasks', everyMs: 2000 },
    { path: '/metrics', everyMs: 2000 },
    { path: '/cemt/transactions', everyMs: 5000 },
    { path: `/journal?limit=50&after=${shape.records - 20}`, everyMs: 2000 },
    { path: '/journal?state=DENIED&limit=50', everyMs: 2000 },
    { path: `/journal/${Math.floor(shape.records / 2)}`, everyMs: 3000 },
  ];
}

/** Starts `what` every so often until stopped; resolves once every call under way is over. */
function every(tasks: { run: () => Promise<unknown>; everyMs: number }[]): () => Promise<void> {
  let stopped = false;
  const running = new Set<Promise<unknown>>();
  const timers = tasks.map(({ run, everyMs }) =>
    setInterval(() => {
      if (stopped) return;
      const p = run().catch(() => undefined);
      running.add(p);
      void p.finally(() => running.delete(p));
    }, everyMs),
  );
  return async () => {
    stopped = true;
    for (const t of timers) clearInterval(t);
    await Promise.all(running);
  };
}

async function region(dir: string, shape: JournalShape): Promise<void> {
  const sink = await startSmtpSink();
  rmSync(join(dir, USERS_FILE), { force: true });
  const local = await startLocalRegion({
    relay: sink.url,
    dataDir: dir,
    env: { CICSMAIL_HOSTNAME: 'bench.test', CICSMAIL_RETENTION_DAYS: '0' },
    startTimeoutMs: 120_000,
  });
  const authorization = auth(local);
  try {
    await preflight(local.url, authorization);
    // The mail of the last days still waiting (DEFERRED, ACCEPTED) goes out first: the spool's, not an operator's.
    for (let i = 0; i < 600; i++) {
      const ready = (await (await fetch(`${local.url}/ready`)).json()) as { journalBacklog: number };
      if (ready.journalBacklog === 0) break;
      if (i % 10 === 0) out(`   the retry spool delivers ${f0.format(ready.journalBacklog)} mails first`);
      await new Promise((r) => setTimeout(r, 1000));
    }
    out(
      `2. operator calls at ${f0.format(shape.records)} records, over HTTP: ms, the median and slowest of 7, ` +
        `and the region's main thread's CPU ms in the median call:`,
    );
    const calls: Record<string, { median: number; max: number; cpu: number }> = {};
    for (const call of OPERATOR_CALLS) {
      const path = call.path(shape);
      // An export cancelled after its first bytes still ends its thread (and its journal)
      // in the background: the next export, a second later, does not share the cores with it.
      const once = async () => {
        if (call.firstBytes) await new Promise((r) => setTimeout(r, 1000));
        return timeCall(local.url, authorization, path, call.firstBytes === true, local.pid);
      };
      await once();
      const runs: { ms: number; cpuMs: number }[] = [];
      for (let i = 0; i < 7; i++) runs.push(await once());
      runs.sort((a, b) => a.ms - b.ms);
      const cpu = [...runs.map((r) => r.cpuMs)].sort((a, b) => a - b)[3] as number;
      const [median, max] = [(runs[3] as { ms: number }).ms, (runs[6] as { ms: number }).ms];
      calls[call.name] = { median, max, cpu };
      out(
        `   ${call.name.padEnd(40)} ${f2.format(median).padStart(8)} ${f2.format(max).padStart(8)} ${f2.format(cpu).padStart(8)}   ${path.slice(0, 90)}`,
      );
    }
    figures.calls = calls;

    const pool = buildPayloads({ tx: 'MAIL', ccsid: 37, from: BENCH_MAIL.from, mails: [BENCH_MAIL], jobname: 'BENCH' });
    // A region's first seconds under load are slower (the code warms up): not counted.
    await load(local.url, pool, authorization, { connections: 50, durationS: 20, rate: RATE });
    out(
      `3. MAIL at ${f0.format(RATE)} a second for ${LOAD_S} s (50 connections), /health read every 100 ms; ` +
        `${ROUNDS} rounds, the three in turn:`,
    );
    const phases: Record<string, unknown>[] = [];
    const names = ['alone', `${CONSOLES} consoles polling`, 'an export streaming'] as const;
    for (let round = 0; round < ROUNDS * names.length; round++) {
      const phase = names[round % names.length] as (typeof names)[number];
      const health = latencyHistogram();
      const side: { run: () => Promise<unknown>; everyMs: number }[] = [
        {
          everyMs: 100,
          run: async () => {
            const started = performance.now();
            await (await fetch(`${local.url}/health`)).arrayBuffer();
            health.recordValue(Math.max(1, Math.round((performance.now() - started) * 1000)));
          },
        },
      ];
      if (phase.endsWith('polling'))
        for (let c = 0; c < CONSOLES; c++)
          for (const p of consolePolls(shape))
            side.push({
              everyMs: p.everyMs,
              run: async () => (await fetch(`${local.url}${p.path}`, { headers: { authorization } })).arrayBuffer(),
            });
      // The export is read by curl, a process of its own: read here, it would take the load
      // generator's event loop and show as MAIL's latency.
      const exporter =
        phase === 'an export streaming'
          ? spawn(
              'curl',
              [
                '-sS',
                '-o',
                '/dev/null',
                '-w',
                '%{size_download}',
                '-H',
                `Authorization: ${authorization}`,
                `${local.url}/journal/export?format=jsonl`,
              ],
              { stdio: ['ignore', 'pipe', 'ignore'] },
            )
          : undefined;
      let exported = 0;
      exporter?.stdout?.on('data', (d: Buffer) => (exported = Number(d.toString())));
      const exportDone = exporter
        ? new Promise<void>((resolve) => exporter.once('exit', () => resolve()))
        : Promise.resolve();
      const stop = every(side);
      const run = await load(local.url, pool, authorization, { connections: 50, durationS: LOAD_S, rate: RATE });
      await stop();
      // SIGINT: curl reports what it read, then ends.
      exporter?.kill('SIGINT');
      await exportDone;
      const l = summarize(run.recorder.histogram);
      const h = summarize(health);
      phases.push({ phase, mail: l, health: h, exportedBytes: exported });
      out(
        `   ${phase.padEnd(24)} MAIL p50 ${f2.format(l.p50)} ms, p99 ${f2.format(l.p99)} ms, ` +
          `${f0.format(run.recorder.answered / run.elapsedS)} a second; /health p50 ${f2.format(h.p50)} ms, ` +
          `p99 ${f2.format(h.p99)} ms, max ${f2.format(h.max)} ms` +
          (exported > 0 ? `; exported ${mb(exported)} meanwhile` : ''),
      );
    }
    figures.load = phases;
  } finally {
    await local.stop({ keep: true });
    await sink.stop();
  }
}

async function prunePass(dir: string): Promise<void> {
  const journal = Journal.open(dir);
  try {
    let first = Date.now();
    for (const r of journal.range(1)) {
      first = Date.parse(r.acceptedAt);
      break;
    }
    const started = performance.now();
    const n = await journal.prune(first + DAY);
    const s = (performance.now() - started) / 1000;
    out(
      `4. a prune pass over the first day held: ${f0.format(n)} records in ${f2.format(s)} s, ${f0.format(n / s)} a second`,
    );
    figures.prune = { records: n, seconds: s };
  } finally {
    await journal.close();
  }
}

/** A fresh journal at a steady rate on a simulated clock, pruned as the region does. */
async function steady(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cicsmail-steady-'));
  const start = Date.parse('2026-12-01T00:00:00Z');
  let now = start;
  const journal = Journal.open(dir, { now: () => now });
  const retentionMs = RETENTION_MINUTES * 60_000;
  const stepMs = 1000 / STEADY_RATE;
  out(
    `5. steady state: ${f0.format(STEADY_RATE)} mails a second, kept ${RETENTION_MINUTES} min, for ${STEADY_MINUTES} simulated min:`,
  );
  const sizes: { minute: number; held: number; file: number; disk: number }[] = [];
  let written = 0;
  let pruned = 0;
  let pruneMs = 0;
  let writeMs = 0;
  try {
    for (let second = 1; second <= STEADY_MINUTES * 60; second++) {
      // A second's mails, then the retention pass the region makes each second.
      const w = performance.now();
      const due = Math.floor(second * STEADY_RATE) - written;
      for (let i = 0; i < due; i += BATCH)
        // All final: the retry limit is far shorter than the retention in a region's settings.
        await journal.appendBatch(
          syntheticEntries(written + i, Math.min(BATCH, due - i), { start, stepMs, message, finalBefore: Infinity }),
        );
      written += due;
      now = start + second * 1000;
      const p = performance.now();
      writeMs += p - w;
      for (let more = true; more;) {
        const batch = await journal.pruneBatch(now - retentionMs);
        pruned += batch.records;
        more = batch.more;
      }
      pruneMs += performance.now() - p;
      if (second % (RETENTION_MINUTES * 60) === 0) {
        const s = size(dir);
        const held = journal.size();
        sizes.push({ minute: second / 60, held, ...s });
        out(
          `   minute ${String(second / 60).padStart(3)}: ${f0.format(held)} records held, file ${mb(s.file)}, on disk ${mb(s.disk)}`,
        );
      }
    }
    const rate = pruned / (pruneMs / 1000);
    out(
      `   pruned ${f0.format(pruned)} records in ${f1.format(pruneMs / 1000)} s: ${f0.format(rate)} a second ` +
        `(written at ${f0.format(written / (writeMs / 1000))} a second by the batch writer)`,
    );
    figures.steady = { sizes, pruned, pruneS: pruneMs / 1000, pruneRate: rate };
  } finally {
    await journal.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const missing = benchUnavailable();
  if (missing) throw new Error(missing);
  out(
    `cicsmail journal scale: ${cpus().length} cores, load average ${loadavg()
      .map((l) => f1.format(l))
      .join(' ')}`,
  );
  const dir = process.env.SCALE_DIR ?? mkdtempSync(join(tmpdir(), 'cicsmail-scale-'));
  const shape = await build(dir, RECORDS);
  const s = size(dir);
  out(
    `   on disk: ${gb(s.disk)} (${mb(s.disk / (RECORDS / 1e6))} a million records; ${f0.format(MESSAGE_BYTES)}-byte mails)`,
  );
  figures.disk = s;
  await region(dir, shape);
  await prunePass(dir);
  if (process.env.SCALE_STEADY !== '0') await steady();
  if (!process.env.SCALE_DIR) rmSync(dir, { recursive: true, force: true });
  if (process.argv.includes('--json')) out(JSON.stringify(figures));
}

await main();
