// npm run bench: one run on one machine, the same 2 KB mail everywhere:
//   (a) MAIL end to end: HTTP, EBCDIC COMMAREA, MIME, a journal flushed to disk, SMTP to
//       Postfix smtp-sink, through a region in a process of its own (cicsmail start);
//   (b) nodemailer, pooled, composing the same mail, to the same smtp-sink;
//   (c) the HTTP ceiling: a fastify route that echoes the same request body;
//   (d) the SMTP ceiling: smtp-source -d sending the mail as the region composed it;
//   (e) a template program of the shop's own (the payslip) beside MAIL in one region;
// then the ratios a/b, a/c, a/d, the region's CPU a mail beside the HTTP and SMTP floors
// (bench/cpu.ts), the p99 latency at a fixed rate of a/2 (latency from each request's due
// time), how cost grows (bench/scaling.ts), 64 KB and 1 MB mails against their SMTP wire and
// disk ceilings (bench/ceilings.ts), and the peak RSS growth of a region while it sends
// 10 MB attachments; last, each figure against its target. Figures are printed, never
// asserted: they drift with the machine and what else runs on it.
//
// Before (a), (a) with mail fate off and on (bench/fate.ts), alternated; --fate runs only
// that. After (a), (a) with and without a request key on every request (bench/keys.ts), in
// turns. --rss runs only the RSS part: the idle RSS of a fresh region and its peak RSS
// growth with 10 MB attachments and with one of 20 MB.
// BENCH_SIZE=small (or --small): a short run for CI; BENCH_SIZE=smoke: a second a part, for
// the test that every part runs. BENCH_CPU_PROF=DIR: the region of (a)
// runs with --cpu-prof and leaves its profile in DIR. --json: the figures as JSON, last line.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import nodemailer from 'nodemailer';
import { Journal } from '../journal/journal.js';
import { buildPayloads, type PayloadPool } from '../cli/load/payloads.js';
import { summarize } from '../cli/load/record.js';
import type { RunResult } from '../cli/load/run.js';
import type { LocalRegion } from '../cli/load/local-region.js';
import { auth, load, median, notOk, perSecond, regionFor, workersText } from './region-load.js';
import { BENCH_MAIL } from './mail.js';
import { FULL_PLAN, scalingLines, scalingTables, type ScalingPlan } from './scaling.js';
import { shopBeside } from './shop.js';
import { defaultWorkers } from '../config/settings.js';
import { fateOnOff, type FateVariant } from './fate.js';
import { benchUnavailable, smtpSource, startEchoServer, startSmtpSink } from './processes.js';
import { cpuEach, smtpFloor } from './cpu.js';
import { keyCost, type KeyFigures } from './keys.js';
import { bigMailCeilings, ceilingLines, type CeilingPlan } from './ceilings.js';

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
  /** 64 KB and 1 MB mails' ceilings: smtp-source's messages, seconds of synced writes. */
  readonly ceilings: CeilingPlan;
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
  ceilings: { wireMessages: { '64 KB': 20_000, '1 MB': 2_000 }, diskS: 5 },
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
  ceilings: { wireMessages: { '64 KB': 4_000, '1 MB': 400 }, diskS: 2 },
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
  scaling: {
    warmupS: 0,
    cellS: 1.5,
    connections: [1, 8],
    sizes: ['2 KB', '64 KB', '1 MB'],
    fixedConnections: 8,
  },
  idleS: 0,
  shop: { warmupS: 0.3, runS: 1, rounds: 1 },
  ceilings: { wireMessages: { '64 KB': 200, '1 MB': 40 }, diskS: 0.5 },
};

const ATTACHMENT_BYTES = 10 * 1024 * 1024;
/** The SMTP issue's figure: one 20 MB attachment. */
const BIG_ATTACHMENT_BYTES = 20 * 1024 * 1024;
const MB = 1024 * 1024;
/** Rounds of each side in the cost of keys, taken in turn so that the machine's drift falls on both. */
const KEY_ROUNDS = 3;

/** The SMTP floor's connections: the region's own pool to its relay (CICSMAIL_SMTP_CONNECTIONS). */
const SMTP_FLOOR_CONNECTIONS = 8;

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

interface FateSide {
  readonly txPerSec: number;
  readonly p50: number;
  readonly p99: number;
}

/** (a) with mail fate off and on, alternated: the rounds' medians and the ratio. */
async function fatePart(
  relay: string,
  pool: PayloadPool,
  figures: Record<string, unknown>,
): Promise<Record<FateVariant, FateSide>> {
  const runs = await fateOnOff(relay, pool, {
    rounds: size.name === 'full' ? 2 : 1,
    connections: size.connections,
    warmupS: size.warmupS,
    runS: size.regionS,
  });
  const side = (variant: FateVariant): FateSide => {
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
  return { off, dsn, webhook };
}

/** (a) with a fresh request key on every request and without, in turns on the same region: the medians. */
async function keysPart(region: LocalRegion, pool: PayloadPool, figures: Record<string, unknown>): Promise<KeyFigures> {
  const runS = Math.max(1, Math.round(size.regionS / 3));
  const keys = await keyCost(region, pool, auth(region), { rounds: KEY_ROUNDS, connections: size.connections, runS });
  const each = (xs: readonly number[]) => xs.map((x) => f0.format(x)).join(', ');
  out(
    `(a) with a request key on every request: ${f0.format(keys.withKeys)} tx/s against ${f0.format(keys.without)} ` +
      `without, a cost of ${f2.format(keys.cost * 100)} %; region CPU a mail ${f0.format(keys.cpuUsWithKeys)} µs ` +
      `against ${f0.format(keys.cpuUsWithout)} µs  [${KEY_ROUNDS} rounds of ${runS} s each, in turn; medians; ` +
      `${each(keys.roundsWithKeys)} with, ${each(keys.roundsWithout)} without; ${keys.notRc0} not RC 0]`,
  );
  figures.keys = keys;
  return keys;
}

/** DSN asked on every mail against plain MAIL (fate off): within 5 % of its rate. */
function dsnTarget(fate: Record<FateVariant, FateSide>): Target {
  return target('DSN/plain MAIL', fate.off.txPerSec > 0 ? fate.dsn.txPerSec / fate.off.txPerSec : 0, '≥', 0.95, f2);
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
    const fate = await fatePart(sink.url, pool, figures);
    if (fateOnly) {
      const targets = [dsnTarget(fate)];
      out(`targets: ${targets.map((t) => t.text).join('; ')}`);
      figures.targets = Object.fromEntries(targets.map((t) => [t.name, t.met]));
      return 0;
    }
    // (a) The region, end to end, as fast as `connections` go; then at a fixed a/2.
    const region = await regionFor(sink.url, cpuProfDir ? { cpuProfDir } : {});
    let a: number;
    let regionCpuUs: number | null;
    let half: RunResult;
    let keys: KeyFigures;
    let message: Buffer;
    try {
      await load(region.url, pool, auth(region), { connections: size.connections, durationS: size.warmupS });
      // The region's own CPU over the measured run: its process, every thread.
      const measured = await cpuEach(
        region.pid,
        () => load(region.url, pool, auth(region), { connections: size.connections, durationS: size.regionS }),
        (r) => r.recorder.answered,
      );
      const run = measured.result;
      regionCpuUs = measured.cpuUs;
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
      keys = await keysPart(region, pool, figures);
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
    // Its process's CPU over the run: the HTTP floor of a request.
    const echoed = await cpuEach(
      echo.child.pid,
      () => load(echo.url, pool, undefined, { connections: size.connections, durationS: size.echoS }),
      (r) => r.recorder.answered,
    );
    const c = perSecond(echoed.result);
    out(
      `(c) HTTP ceiling, a fastify route echoing the same ${f0.format(pool.meanBytes)}-byte body: ${f0.format(c)} req/s  [${size.connections} connections, ${size.echoS} s]`,
    );
    figures.c = { reqPerSec: c, cpuUsPerRequest: echoed.cpuUs };

    // (d) The SMTP ceiling: smtp-source sends the region's message, connections kept (-d).
    const file = join(work, 'mail.eml');
    writeFileSync(file, message.toString('latin1').replace(/\r\n/g, '\n'), 'latin1');
    const d = await smtpSource(sink.port, { file }, size.smtpSourceMessages, 20);
    out(
      `(d) SMTP ceiling, smtp-source -d (20 sessions) sending the same mail to smtp-sink: ${f0.format(d)} msg/s  [${f0.format(size.smtpSourceMessages)} messages]`,
    );
    figures.d = { msgPerSec: d };

    out(`a/b ${f2.format(a / b)}   a/c ${f2.format(a / c)}   a/d ${f2.format(a / d)}`);
    figures.ratios = { ab: a / b, ac: a / c, ad: a / d };

    // The SMTP floor: a minimal pipelining client of the bench's own, the same message.
    const floor = await smtpFloor(sink.port, file, {
      connections: SMTP_FLOOR_CONNECTIONS,
      warmupS: 1,
      runS: size.echoS,
    });
    const floors = (echoed.cpuUs ?? 0) + floor.cpuUsPerMail;
    const cpuRatio = regionCpuUs !== null && floors > 0 ? regionCpuUs / floors : null;
    out(
      `CPU a 2 KB mail: the region ${regionCpuUs === null ? '?' : f0.format(regionCpuUs)} µs (its process over (a)'s ` +
        `run); HTTP floor ${echoed.cpuUs === null ? '?' : f0.format(echoed.cpuUs)} µs (the echo server's process over ` +
        `(c)'s run, a request); SMTP floor ${f0.format(floor.cpuUsPerMail)} µs (a client of the bench's own pipelining ` +
        `MAIL, RCPT and DATA over ${SMTP_FLOOR_CONNECTIONS} connections to smtp-sink, the same message; its process, ` +
        `${f0.format(floor.mailsPerSec)} msg/s over ${size.echoS} s); region / (HTTP + SMTP) ` +
        `${cpuRatio === null ? '?' : f2.format(cpuRatio)}`,
    );
    figures.cpu = {
      regionUsPerMail: regionCpuUs,
      httpFloorUs: echoed.cpuUs,
      smtpFloorUs: floor.cpuUsPerMail,
      smtpFloorMsgPerSec: floor.mailsPerSec,
      ratio: cpuRatio,
    };

    const hl = summarize(half.recorder.histogram);
    const spread = hl.p50 > 0 ? hl.p99 / hl.p50 : 0;
    out(
      `p99 at half the highest rate (${f0.format(a / 2)}/s fixed, ${size.halfRateS} s, latency from each ` +
        `request's due time): ${f2.format(hl.p99)} ms  [p50 ${f2.format(hl.p50)} ms, p99/p50 ${f2.format(spread)}, ` +
        `max ${f2.format(hl.max)} ms; achieved ${f0.format(perSecond(half))}/s; ${notOk(half)} not RC 0]`,
    );
    figures.halfRate = {
      rate: a / 2,
      achieved: perSecond(half),
      latencyMs: hl,
      p99OverP50: spread,
      notRc0: notOk(half),
    };

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

    const ceilings = await bigMailCeilings(sink.port, work, scaling.sizes, size.ceilings);
    for (const line of ceilingLines(ceilings)) out(line);
    figures.ceilings = ceilings;
    const big = ceilings.find((x) => x.size === '1 MB');

    const rss = await rssPart(sink.url, pool, workers, figures);
    const targets = [
      target('a/b', a / b, '≥', 3, f2),
      target('a/c', a / c, '≥', 0.25, f2),
      target('p99 at a/2', hl.p99, '≤', 20, f2, ' ms', `p99/p50 ${f2.format(spread)}`),
      ...(big ? [target('1 MB mails / the lower ceiling', big.ofLower, '≥', 0.6, f2)] : []),
      ...(cpuRatio !== null ? [target('region CPU a mail / (HTTP + SMTP floors)', cpuRatio, '≤', 2, f2)] : []),
      target('keyed/plain MAIL', keys.without > 0 ? keys.withKeys / keys.without : 0, '≥', 0.95, f2),
      dsnTarget(fate),
      target('PAYS/MAIL', shop.ratio, '≥', 0.95, f2),
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
function rssTargets(rss: RssFigures): Target[] {
  return [
    target('idle RSS', rss.idle / MB, '≤', 130, f0, ' MB'),
    target('RSS growth, 10 MB attachments', rss.growth / MB, '≤', 25, f0, ' MB'),
    target('RSS growth, one 20 MB attachment', rss.one / MB, '≤', 40, f0, ' MB'),
  ];
}

interface Target {
  readonly name: string;
  readonly met: boolean;
  readonly text: string;
}

/** A figure against its target: `a/b 0.75 (≥ 3: not met)`, and a figure printed beside it where given. */
function target(
  name: string,
  value: number,
  sense: '≥' | '≤',
  goal: number,
  format: Intl.NumberFormat,
  unit = '',
  beside = '',
): Target {
  const met = sense === '≥' ? value >= goal : value <= goal;
  return {
    name,
    met,
    text: `${name} ${format.format(value)}${unit} (${sense} ${goal}${unit}: ${met ? 'met' : 'not met'}${beside ? `; ${beside}` : ''})`,
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
