// npm run bench: one run on one machine, the same 2 KB mail everywhere:
//   (a) MAIL end to end: HTTP, EBCDIC COMMAREA, MIME, a journal flushed to disk, SMTP to
//       Postfix smtp-sink, through a region in a process of its own (cicsmail start);
//   (b) nodemailer, pooled, composing the same mail, to the same smtp-sink;
//   (c) the HTTP ceiling: a fastify route that echoes the same request body;
//   (d) the SMTP ceiling: smtp-source -d sending the mail as the region composed it;
//   (e) a template program of the shop's own (the payslip) beside MAIL in one region;
// then the ratios a/b, a/c, a/d, the p99 latency at a fixed rate of a/2 (latency from each
// request's due time), and the peak RSS growth of a region while it sends 10 MB attachments.
// Figures are printed, never asserted: they drift with the machine and what else runs on it.
//
// After (a), (a) again with mail fate off and on (bench/fate.ts), alternated; --fate runs
// only that. --rss runs only the RSS part: the idle RSS of a fresh region and its peak RSS
// growth with 10 MB attachments and with one of 20 MB.
// BENCH_SIZE=small (or --small): a short run for CI; BENCH_SIZE=smoke: a second a part, for
// the test that every part runs. BENCH_CPU_PROF=DIR: the region of (a)
// runs with --cpu-prof and leaves its profile in DIR. --json: the figures as JSON, last line.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import nodemailer from 'nodemailer';
import { Journal } from '../journal/journal.js';
import { buildPayloads, type PayloadPool } from '../cli/load/payloads.js';
import { summarize } from '../cli/load/record.js';
import type { RunResult } from '../cli/load/run.js';
import { auth, load, notOk, perSecond, regionFor, workersText } from './region-load.js';
import { BENCH_MAIL } from './mail.js';
import { FULL_PLAN, scalingLines, scalingTables, type ScalingPlan } from './scaling.js';
import { shopBeside } from './shop.js';
import { defaultWorkers } from '../config/settings.js';
import { fateOnOff, type FateVariant } from './fate.js';
import { benchUnavailable, SMTP_SOURCE, startEchoServer, startSmtpSink } from './processes.js';

interface Size {
  readonly name: 'full' | 'small' | 'smoke';
  readonly warmupS: number;
  readonly regionS: number;
  readonly connections: number;
  readonly nodemailerMails: number;
  readonly echoS: number;
  readonly smtpSourceMessages: number;
  readonly halfRateS: number;
  readonly attachments: number;
  /** How cost grows (bench/scaling.ts): each cell's warm-up and run. */
  readonly scaling: ScalingPlan;
  /** Seconds a fresh region idles before its RSS is read. */
  readonly idleS: number;
  /** (e): the shop's PAYS and MAIL in turns, each run this long, this many rounds. */
  readonly shop: { readonly warmupS: number; readonly runS: number; readonly rounds: number };
}

const FULL: Size = {
  name: 'full',
  warmupS: 10,
  regionS: 15,
  connections: 50,
  nodemailerMails: 20_000,
  echoS: 10,
  smtpSourceMessages: 20_000,
  halfRateS: 15,
  attachments: 10,
  scaling: { ...FULL_PLAN, warmupS: 3, cellS: 8 },
  idleS: 15,
  shop: { warmupS: 5, runS: 10, rounds: 3 },
};
const SMALL: Size = {
  name: 'small',
  warmupS: 2,
  regionS: 3,
  connections: 50,
  nodemailerMails: 2_000,
  echoS: 2,
  smtpSourceMessages: 2_000,
  halfRateS: 3,
  attachments: 3,
  scaling: { ...FULL_PLAN, warmupS: 1, cellS: 3 },
  idleS: 5,
  shop: { warmupS: 1, runS: 3, rounds: 2 },
};

/** The test's size (test/bench.test.ts): every part runs and prints, in seconds; no figure to keep. */
const SMOKE: Size = {
  name: 'smoke',
  warmupS: 1,
  regionS: 1,
  connections: 20,
  nodemailerMails: 200,
  echoS: 1,
  smtpSourceMessages: 200,
  halfRateS: 1,
  attachments: 1,
  // A cell long enough for a 1 MB mail on a busy machine: at 0.3 s and a load of 10 the
  // 1 MB cell answered none, and the size table read the 2 KB cell's mail.
  scaling: { warmupS: 0, cellS: 1.5, connections: [1, 8], sizes: ['2 KB', '1 MB'], fixedConnections: 8 },
  idleS: 0,
  shop: { warmupS: 0.3, runS: 1, rounds: 1 },
};

const ATTACHMENT_BYTES = 10 * 1024 * 1024;
/** The SMTP issue's figure: one 20 MB attachment. */
const BIG_ATTACHMENT_BYTES = 20 * 1024 * 1024;
const MB = 1024 * 1024;

const args = process.argv.slice(2);
const size =
  process.env.BENCH_SIZE === 'smoke'
    ? SMOKE
    : process.env.BENCH_SIZE === 'small' || args.includes('--small')
      ? SMALL
      : FULL;
const asJson = args.includes('--json');
const fateOnly = args.includes('--fate');
const rssOnly = args.includes('--rss');
const cpuProfDir = process.env.BENCH_CPU_PROF;

const f0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const f2 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const out = (line: string) => console.log(line);

/** Share of all cores busy over `ms` (from /proc/stat), or null where there is none. */
async function machineBusy(ms: number): Promise<number | null> {
  const read = () => {
    try {
      const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
      const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
      return { idle, total: cpu.reduce((a, b) => a + b, 0) };
    } catch {
      return null;
    }
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  if (!a || !b || b.total === a.total) return null;
  return 1 - (b.idle - a.idle) / (b.total - a.total);
}

/** (a) with mail fate off and on, alternated: the rounds' medians and the ratio. */
async function fatePart(relay: string, pool: PayloadPool, figures: Record<string, unknown>): Promise<void> {
  const runs = await fateOnOff(relay, pool, {
    rounds: size.name === 'full' ? 2 : 1,
    connections: size.connections,
    warmupS: size.warmupS,
    runS: size.regionS,
  });
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
  const side = (variant: FateVariant) => {
    const mine = runs.filter((r) => r.variant === variant);
    return {
      txPerSec: median(mine.map((r) => r.txPerSec)),
      p50: median(mine.map((r) => r.p50)),
      p99: median(mine.map((r) => r.p99)),
    };
  };
  const [off, dsn, webhook] = [side('off'), side('dsn'), side('webhook')];
  const ratio = (x: number) => f2.format(off.txPerSec > 0 ? x / off.txPerSec : 0);
  out(
    `(a) with mail fate off / DSN (a return path a mail, DSN asked, the bounce listener up) / DSN and a webhook ` +
      `(its receiver down; median of ${runs.length / 3} alternated runs each): ${f0.format(off.txPerSec)} / ` +
      `${f0.format(dsn.txPerSec)} / ${f0.format(webhook.txPerSec)} tx/s (DSN/off ${ratio(dsn.txPerSec)}, ` +
      `webhook/off ${ratio(webhook.txPerSec)}), p50 ${[off, dsn, webhook].map((v) => f2.format(v.p50)).join(' / ')} ms, ` +
      `p99 ${[off, dsn, webhook].map((v) => f2.format(v.p99)).join(' / ')} ms; each run: ` +
      runs.map((r) => `${r.variant} ${f0.format(r.txPerSec)}`).join(', '),
  );
  figures.fate = { off, dsn, webhook, runs };
}

async function main(): Promise<number> {
  const why = benchUnavailable();
  if (why) {
    console.error(`bench: ${why}`);
    return 2;
  }
  const busyBefore = await machineBusy(1000);
  const started = performance.now();
  out(
    `cicsmail bench (${size.name}): one run on one machine: ${cpus().length} cores, Node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${busyBefore === null ? '?' : Math.round(busyBefore * 100)} % of the cores busy before the run`,
  );

  const sink = await startSmtpSink();
  const echo = await startEchoServer();
  const pool = buildPayloads({ tx: 'MAIL', ccsid: 37, from: BENCH_MAIL.from, mails: [BENCH_MAIL], jobname: 'BENCH' });
  const work = mkdtempSync(join(tmpdir(), 'cicsmail-bench-'));
  // The regions below start on the region's default worker count.
  const workers = workersText(defaultWorkers());
  const figures: Record<string, unknown> = { size: size.name, cores: cpus().length, node: process.version, busyBefore };
  try {
    if (rssOnly) {
      const rss = await rssPart(sink.url, pool, workers, figures);
      const targets = rssTargets(rss);
      out(`targets: ${targets.map((t) => t.text).join('; ')}`);
      figures.targets = Object.fromEntries(targets.map((t) => [t.name, t.met]));
      return 0;
    }
    await fatePart(sink.url, pool, figures);
    if (fateOnly) return 0;
    // (a) The region, end to end, as fast as `connections` go; then at a fixed a/2.
    const region = await regionFor(sink.url, cpuProfDir ? { cpuProfDir } : {});
    let a: number;
    let half: RunResult;
    let message: Buffer;
    try {
      await load(region.url, pool, auth(region), { connections: size.connections, durationS: size.warmupS });
      const run = await load(region.url, pool, auth(region), {
        connections: size.connections,
        durationS: size.regionS,
      });
      a = perSecond(run);
      const l = summarize(run.recorder.histogram);
      out(
        `(a) region, MAIL end to end (HTTP, EBCDIC, MIME, durable journal, SMTP) to smtp-sink: ` +
          `${f0.format(a)} tx/s  [${size.connections} connections, ${workers}, ${size.regionS} s; p50 ${f2.format(l.p50)} ` +
          `ms, p99 ${f2.format(l.p99)} ms; ${notOk(run)} not RC 0]`,
      );
      figures.a = { txPerSec: a, latencyMs: l, notRc0: notOk(run) };

      half = await load(region.url, pool, auth(region), {
        connections: size.connections,
        durationS: size.halfRateS,
        rate: Math.max(1, a / 2),
      });
      figures.keys = await keyCost(region.url, pool, auth(region), region.pid);
      const journal = Journal.open(region.dataDir, { readOnly: true });
      try {
        message = Buffer.from(journal.message(journal.list({ limit: 1 })[0]?.seq ?? 1) ?? Buffer.alloc(0));
      } finally {
        await journal.close();
      }
    } finally {
      await region.stop();
    }
    out(`    the mail: ${f0.format(message.length)} bytes as the region composed it`);
    figures.mailBytes = message.length;

    // (b) nodemailer, pooled, composing the same mail for each send.
    const transport = nodemailer.createTransport({
      host: '127.0.0.1',
      port: sink.port,
      secure: false,
      ignoreTLS: true,
      pool: true,
      maxConnections: 10,
      maxMessages: Infinity,
    });
    const mail = {
      from: BENCH_MAIL.from,
      to: BENCH_MAIL.to.join(', '),
      subject: BENCH_MAIL.subject,
      text: BENCH_MAIL.body,
    };
    await Promise.all(Array.from({ length: 200 }, () => transport.sendMail(mail)));
    const t0 = performance.now();
    await Promise.all(Array.from({ length: size.nodemailerMails }, () => transport.sendMail(mail)));
    const b = size.nodemailerMails / ((performance.now() - t0) / 1000);
    transport.close();
    out(
      `(b) nodemailer, pooled (10 connections), composing the same mail, to smtp-sink: ${f0.format(b)} msg/s  [${f0.format(size.nodemailerMails)} mails at once]`,
    );
    figures.b = { msgPerSec: b };

    // (c) The HTTP ceiling: the same request body, echoed.
    await load(echo.url, pool, undefined, { connections: size.connections, durationS: 1 });
    const echoRun = await load(echo.url, pool, undefined, { connections: size.connections, durationS: size.echoS });
    const c = perSecond(echoRun);
    out(
      `(c) HTTP ceiling, a fastify route echoing the same ${f0.format(pool.meanBytes)}-byte body: ${f0.format(c)} req/s  [${size.connections} connections, ${size.echoS} s]`,
    );
    figures.c = { reqPerSec: c };

    // (d) The SMTP ceiling: smtp-source sends the region's message, connections kept (-d).
    const file = join(work, 'mail.eml');
    writeFileSync(file, message.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    const d = await smtpSource(sink.port, file, size.smtpSourceMessages, 20);
    out(
      `(d) SMTP ceiling, smtp-source -d (20 sessions) sending the same mail to smtp-sink: ${f0.format(d)} msg/s  [${f0.format(size.smtpSourceMessages)} messages]`,
    );
    figures.d = { msgPerSec: d };

    out(`a/b ${f2.format(a / b)}   a/c ${f2.format(a / c)}   a/d ${f2.format(a / d)}`);
    figures.ratios = { ab: a / b, ac: a / c, ad: a / d };

    const hl = summarize(half.recorder.histogram);
    out(
      `p99 at half the highest rate (${f0.format(a / 2)}/s fixed, ${size.halfRateS} s, latency from each ` +
        `request's due time): ${f2.format(hl.p99)} ms  [p50 ${f2.format(hl.p50)} ms, max ${f2.format(hl.max)} ` +
        `ms; achieved ${f0.format(perSecond(half))}/s; ${notOk(half)} not RC 0]`,
    );
    figures.halfRate = { rate: a / 2, achieved: perSecond(half), latencyMs: hl, notRc0: notOk(half) };

    const shop = await shopBeside(sink.url, pool, { connections: size.connections, ...size.shop });
    out(
      `(e) a template program of the shop's own, PAYS (the payslip: 12 lines, text, HTML and CSV parts from an ` +
        `EBCDIC PAYSLIP), beside MAIL in one region: ${f0.format(shop.pays.txPerSec)} tx/s against MAIL's ` +
        `${f0.format(shop.mail.txPerSec)} (PAYS/MAIL ${f2.format(shop.ratio)})  [${size.connections} connections, ` +
        `best of ${size.shop.rounds} turns of ${size.shop.runS} s each; p50 ${f2.format(shop.pays.p50)} ms against ` +
        `${f2.format(shop.mail.p50)}, p99 ${f2.format(shop.pays.p99)} ms against ${f2.format(shop.mail.p99)}; ` +
        `${shop.pays.notRc0 + shop.mail.notRc0} not RC 0]`,
    );
    figures.shop = shop;

    const scaling = await scalingTables(sink.url, size.scaling);
    for (const line of scalingLines(scaling, size.scaling)) out(line);
    figures.scaling = scaling;

    const rss = await rssPart(sink.url, pool, workers, figures);
    const targets = [
      target('a/b', a / b, '≥', 3, f2),
      target('a/c', a / c, '≥', 0.25, f2),
      target('p99 at a/2', hl.p99, '≤', 25, f2, ' ms'),
      ...rssTargets(rss),
    ];
    out(`targets: ${targets.map((t) => t.text).join('; ')}`);
    figures.targets = Object.fromEntries(targets.map((t) => [t.name, t.met]));
  } finally {
    await echo.stop();
    await sink.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const busyAfter = await machineBusy(1000);
  out(
    `done in ${f0.format((performance.now() - started) / 1000)} s; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(
        ' ',
      )}, ${busyAfter === null ? '?' : Math.round(busyAfter * 100)} % of the cores busy after the run${cpuProfDir ? `; the region's CPU profile is in ${cpuProfDir}` : ''}`,
  );
  figures.busyAfter = busyAfter;
  if (asJson) out(JSON.stringify(figures));
  return 0;
}

interface RssFigures {
  readonly idle: number;
  readonly growth: number;
  readonly one: number;
}

/**
 * Idle RSS, then peak RSS growth: a fresh region, warmed up with small mails, then large
 * attachments one at a time; then a fresh region again with one 20 MB attachment.
 */
async function rssPart(
  relay: string,
  pool: PayloadPool,
  workers: string,
  figures: Record<string, unknown>,
): Promise<RssFigures> {
  const rss = await rssGrowth(relay, pool, ATTACHMENT_BYTES, size.attachments, size.idleS);
  out(
    `RSS of a fresh region (${workers}, ${size.idleS} s after its start, before any mail): ${f0.format(rss.idle / MB)} MB`,
  );
  figures.idleRssBytes = rss.idle;
  out(
    `peak RSS growth of the region sending 10 MB attachments: ${f0.format(rss.growth / MB)} MB  ` +
      `[${size.attachments} mails, one at a time; RSS ${f0.format(rss.baseline / MB)} MB before, peak ` +
      `${f0.format(rss.peak / MB)} MB; ${rss.notOk} not RC 0]`,
  );
  figures.rss = {
    growthBytes: rss.growth,
    baselineBytes: rss.baseline,
    peakBytes: rss.peak,
    mails: size.attachments,
    notRc0: rss.notOk,
  };
  const one = await rssGrowth(relay, pool, BIG_ATTACHMENT_BYTES, 1, 0);
  out(
    `peak RSS growth of the region sending one 20 MB attachment: ${f0.format(one.growth / MB)} MB  [RSS ` +
      `${f0.format(one.baseline / MB)} MB before, peak ${f0.format(one.peak / MB)} MB; ${one.notOk} not RC 0]`,
  );
  figures.rssOne = {
    growthBytes: one.growth,
    baselineBytes: one.baseline,
    peakBytes: one.peak,
    mails: 1,
    notRc0: one.notOk,
  };
  return { idle: rss.idle, growth: rss.growth, one: one.growth };
}

/** The RSS figures against their targets. */
function rssTargets(rss: RssFigures): ReturnType<typeof target>[] {
  return [
    target('idle RSS', rss.idle / MB, '≤', 130, f0, ' MB'),
    target('RSS growth, 10 MB attachments', rss.growth / MB, '≤', 25, f0, ' MB'),
    target('RSS growth, one 20 MB attachment', rss.one / MB, '≤', 40, f0, ' MB'),
  ];
}

/** smtp-source -d: `messages` over `sessions` connections; messages a second, wall clock. */
async function smtpSource(port: number, file: string, messages: number, sessions: number): Promise<number> {
  const argv = [
    '-d',
    '-s',
    String(sessions),
    '-m',
    String(messages),
    '-F',
    file,
    '-f',
    BENCH_MAIL.from,
    '-t',
    BENCH_MAIL.to[0] as string,
    `127.0.0.1:${port}`,
  ];
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(SMTP_SOURCE, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`smtp-source exited with ${code}: ${stderr.trim()}`)),
    );
  });
  return messages / ((performance.now() - t0) / 1000);
}

/** Rounds of each side in the cost of keys, taken in turn so that the machine's drift falls on both. */
const KEY_ROUNDS = 3;

/**
 * The cost of a request key: (a) with a fresh key on every request against (a) without, on
 * the same region, in interleaved rounds; the medians compared.
 */
async function keyCost(
  url: string,
  pool: PayloadPool,
  authorization: string | undefined,
  pid: number,
): Promise<{
  without: number;
  withKeys: number;
  cost: number;
  cpuUsWithout: number;
  cpuUsWithKeys: number;
  notRc0: number;
}> {
  const seconds = Math.max(1, Math.round(size.regionS / 3));
  const without: number[] = [];
  const withKeys: number[] = [];
  // The region's own CPU a mail: on a machine that others load, steadier than a rate.
  const cpuWithout: number[] = [];
  const cpuWithKeys: number[] = [];
  let bad = 0;
  const measured = async (keys: string | undefined, rates: number[], cpu: number[]) => {
    const before = processCpuMs(pid);
    const run = await load(url, pool, authorization, {
      connections: size.connections,
      durationS: seconds,
      ...(keys !== undefined ? { keys } : {}),
    });
    const after = processCpuMs(pid);
    rates.push(perSecond(run));
    if (before !== null && after !== null && run.recorder.answered > 0)
      cpu.push(((after - before) * 1000) / run.recorder.answered);
    bad += notOk(run);
  };
  for (let round = 0; round < KEY_ROUNDS; round++) {
    await measured(undefined, without, cpuWithout);
    await measured(`bench-${process.pid}-${round}`, withKeys, cpuWithKeys);
  }
  const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
  const result = {
    without: median(without),
    withKeys: median(withKeys),
    cost: 0,
    cpuUsWithout: median(cpuWithout),
    cpuUsWithKeys: median(cpuWithKeys),
    notRc0: bad,
  };
  result.cost = result.without > 0 ? 1 - result.withKeys / result.without : 0;
  out(
    `(a) with a request key on every request: ${f0.format(result.withKeys)} tx/s against ${f0.format(result.without)} ` +
      `without, a cost of ${f2.format(result.cost * 100)} %; region CPU a mail ${f0.format(result.cpuUsWithKeys)} µs ` +
      `against ${f0.format(result.cpuUsWithout)} µs  [${KEY_ROUNDS} rounds of ${seconds} s each, in turn; medians; ` +
      `${withKeys.map((x) => f0.format(x)).join(', ')} with, ${without.map((x) => f0.format(x)).join(', ')} without; ${bad} not RC 0]`,
  );
  return result;
}

/** CPU time a process has spent (user and system, ms), from /proc; null where there is none. */
function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name in parentheses: state is field 3, utime 14 and stime 15 (USER_HZ ticks, 100 a second).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** A figure against its target: `a/b 0.75 (≥ 3: not met)`. */
function target(
  name: string,
  value: number,
  sense: '≥' | '≤',
  goal: number,
  format: Intl.NumberFormat,
  unit = '',
): { name: string; met: boolean; text: string } {
  const met = sense === '≥' ? value >= goal : value <= goal;
  return {
    name,
    met,
    text: `${name} ${format.format(value)}${unit} (${sense} ${goal}${unit}: ${met ? 'met' : 'not met'})`,
  };
}

async function rssGrowth(
  relay: string,
  smallPool: PayloadPool,
  attachment: number,
  mails: number,
  idleS: number,
): Promise<{ idle: number; growth: number; baseline: number; peak: number; notOk: number }> {
  const region = await regionFor(relay);
  try {
    if (idleS > 0) await new Promise((r) => setTimeout(r, idleS * 1000));
    const idle = region.memory()?.rss ?? 0;
    await load(region.url, smallPool, auth(region), { connections: 2, requests: 50 });
    await new Promise((r) => setTimeout(r, 500));
    // Reset the peak (VmHWM) to the RSS of now, where the kernel allows it (Linux 4.0+).
    try {
      writeFileSync(`/proc/${region.pid}/clear_refs`, '5');
    } catch {
      // The peak then includes the start; the samples below still see the attachments.
    }
    const baseline = region.memory()?.rss ?? 0;
    let peak = baseline;
    const sampler = setInterval(() => {
      const m = region.memory();
      if (m) peak = Math.max(peak, m.rss, m.peak);
    }, 20);
    const bigPool = buildPayloads({
      tx: 'MAIL',
      ccsid: 37,
      from: BENCH_MAIL.from,
      mails: [BENCH_MAIL],
      attachment,
      jobname: 'BENCH',
    });
    const run = await load(region.url, bigPool, auth(region), { connections: 1, requests: mails });
    clearInterval(sampler);
    const m = region.memory();
    if (m) peak = Math.max(peak, m.rss, m.peak);
    return { idle, growth: peak - baseline, baseline, peak, notOk: notOk(run) };
  } finally {
    await region.stop();
  }
}

process.exitCode = await main().catch((err: Error) => {
  console.error(`bench: ${err.stack ?? err.message}`);
  return 1;
});
