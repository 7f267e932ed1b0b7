// cicsmail load URL: many concurrent transactions against a region (autocannon drives the
// HTTP), a summary with tx/s, latency percentiles (HdrHistogram) and counts by RESP, abend
// and RC; optionally a sink of its own, a region of its own (URL `local`), a reconciliation
// with the journal and the relay (--verify) and an HTML report.
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { parseCcsid, SUPPORTED_CCSIDS } from '../cics/codepages.js';
import { basicAuthorization } from '../client/protocol.js';
import { limitsOf } from '../client/http-request.js';
import { RegionClient } from '../client/region-client.js';
import { startLocalRegion, type LocalRegion } from './load/local-region.js';
import { FieldError } from '../cics/copybook/errors.js';
import type { RecordLayout } from '../cics/copybook/layout.js';
import { TRANID } from '../cics/names.js';
import {
  buildPayloads,
  buildViewPayloads,
  copybookLayout,
  LOAD_TXS,
  parseSize,
  type LoadTx,
  type PayloadPool,
} from './load/payloads.js';
import { reportHtml } from './load/report-html.js';
import { preflight, RECONNECT_S, runLoad, type RunOptions } from './load/run.js';
import { startSink, type Sink } from './load/sink.js';
import { formatSummary, progressLine, summaryOf } from './load/summary.js';
import {
  formatVerify,
  journalFromData,
  journalFromHttp,
  receivedFromCaptured,
  receivedFromFolder,
  receivedFromSink,
  verifyRun,
  type JournalSource,
  type ReceivedSource,
} from './load/verify.js';
import { err, out, type CommandIo } from './io.js';
import { helpHint, parseCommand, requireCredentials, UsageError } from './usage.js';

const HELP = `usage: cicsmail load URL|local [--tx TRANID] [--json-file FILE [--copybook FILE]]
                      [--connections N]
                      [--duration S | --requests N] [--rate R] [--ccsid N]
                      [--attachment SIZE] [--user ID:PASSWORD] [--from ADDRESS] [--warmup S]
                      [--json] [--report FILE.html] [--sink] [--sink-port N]
                      [--verify] [--data DIR] [--received DIR] [--answers FILE] [--keys [--key-retries N]]

Sends many transactions to the region at URL at once, each a different mail (EBCDIC,
varied recipients, subjects, bodies and sizes), and prints tx/s, latency percentiles
(p50 p90 p99 p99.9 max) and the answers counted by HTTP status, RESP, abend and RC.

  --tx T            MAIL (a MAILCA COMMAREA, default), SEND (statements) or SPOL (a datastream),
                    or any tranid with a copybook (a transaction of the shop's own) with
                    --json-file
  --json-file FILE  the COMMAREAs to send, as their JSON views: one object, or a list of
                    them sent in turn (docs/transactions.md); sent as JSON unless --copybook
  --copybook FILE   lay each one out through this copybook and send its EBCDIC bytes, as
                    a mainframe program would (in --ccsid)
  --connections N   requests in flight at once, each on a keep-alive connection (default 10)
  --duration S      seconds to run (default 10), or
  --requests N      this many requests in all
  --rate R          a fixed arrival rate, R requests a second: latency is measured from
                    when each request was due, so a slow region cannot hide its backlog
                    (no coordinated omission); give connections enough for R x latency
  --ccsid N         the code page of the payloads (default 037)
  --attachment SIZE an attachment on every mail (10k, 10m): a BIT container on a channel
                    for MAIL, an ATTACH block (SEND) or MIME part (SPOL) in base64
  --user ID:PW      HTTP Basic credentials (default CICSMAIL_USER)
  --from ADDRESS    the sender of every mail (default load@example.test): one the user may use
  --seed N          the payloads' seed (default 1): the same seed, the same mails
  --timeout S       seconds to wait for an answer (default 30); an answer past it, or
                    larger than 4 MiB, is counted an error and its connection made anew
  --reconnect S     seconds to go on without an answer while connections to the region
                    fail (refused, reset: a region restarting) before the run gives up
                    (default 30); each connection reconnects after 50 ms, doubling to 1 s,
                    a request a refused connection never carried is made again, and the
                    failures are counted apart from the answers (CONN)
  --warmup S        run this long first, uncounted (a region just started is slower: workers,
                    JIT, SMTP connections); its mails are journaled and sent all the same
  --jobname NAME    X-CICS-Jobname of every request (default CICSLOAD)
  --keys            a fresh request key (Idempotency-Key) on every request: what keys cost;
                    a request whose answer was lost (a broken connection, a time-out, a
                    load balancer's 502, 503 or 504) is sent again with its key and body
                    until a region answers it (after its Retry-After, else 50 ms doubling
                    to 1 s): the region answers a repeat from its journal, never a second
                    mail. A key is given up after --key-retries retries or --timeout plus
                    --reconnect seconds; the summary counts keys answered, retried, given up
  --key-retries N   times a key is sent again at most (default 30)
  --json            the summary as one JSON object on standard output
  --report FILE     an HTML page with latency over time and a latency histogram
  --sink            start a sink of its own: an SMTP server on loopback that counts what
                    it receives; point a region at it with CICSMAIL_RELAY (see --sink-port)
  --sink-port N     the sink's port (default: any free one, printed)
  --verify          afterwards, check every answer against the journal and the relay:
                    every RC 0 journaled and received (once, or again with the same
                    Message-ID), every RC 4 journaled; exit 1 if anything is missing
  --data DIR        read the journal from this data folder (default: GET /journal, which
                    needs an administrator)
  --received DIR    what the relay received: a folder with a file a mail (a maildir,
                    smtp-sink -d, a capture relay's CICSMAIL_DATA/captured)
  --keep            with local: keep the region's data folder
  --answers FILE    every answered mail as a line of JSON: its RC, journal sequence number,
                    the SYSID of the region that answered (X-CICS-Sysid) and when (atMs);
                    behind a load balancer, SYSID:seq finds it in the merged journal

URL 'local' starts a region of its own for the run (cicsmail start in a child process, on a
fresh temp data folder, as its first administrator) sending to a sink of its own, and stops
it afterwards. Without --sink or --received, --verify asks the region's capture relay
(GET /captured).

Progress goes to standard error: a line that updates each second on a terminal, a line
every 5 seconds otherwise; a line where the region stops answering and where it answers
again. Exit code: 0; 1 where --verify found a problem, nothing was answered, the run
gave up on a region it could not reach or (--keys) gave up a key; 2 for wrong usage.`;

function positiveInt(name: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) < min)
    throw new UsageError(`--${name} is a whole number of at least ${min}, not '${value}'`);
  return Number(value);
}

function positiveNumber(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} is a number above 0, not '${value}'`);
  return n;
}

export async function loadCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(
    io,
    argv,
    {
      tx: { type: 'string', default: 'MAIL' },
      'json-file': { type: 'string' },
      copybook: { type: 'string' },
      connections: { type: 'string' },
      duration: { type: 'string' },
      requests: { type: 'string' },
      rate: { type: 'string' },
      ccsid: { type: 'string', default: '037' },
      attachment: { type: 'string' },
      user: { type: 'string' },
      from: { type: 'string', default: 'load@example.test' },
      seed: { type: 'string', default: '1' },
      timeout: { type: 'string', default: '30' },
      reconnect: { type: 'string', default: String(RECONNECT_S) },
      warmup: { type: 'string' },
      jobname: { type: 'string', default: 'CICSLOAD' },
      json: { type: 'boolean', default: false },
      report: { type: 'string' },
      sink: { type: 'boolean', default: false },
      'sink-port': { type: 'string' },
      verify: { type: 'boolean', default: false },
      data: { type: 'string' },
      received: { type: 'string' },
      keep: { type: 'boolean', default: false },
      answers: { type: 'string' },
      keys: { type: 'boolean', default: false },
      'key-retries': { type: 'string' },
    },
    HELP,
    { command: 'load' },
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`give one URL (or 'local'); ${helpHint('load')}`);
  const target = positionals[0] as string;
  const local = target === 'local';
  let base: string | undefined;
  if (!local) {
    try {
      const u = new URL(target);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http');
      base = u.origin;
    } catch {
      throw new UsageError(`'${target}' is not an http:// URL (or 'local')`);
    }
  }
  const tx = values.tx.toUpperCase();
  if (!TRANID.test(tx)) throw new UsageError(`--tx is a tranid (1 to 4 of A-Z 0-9 @ # $), not '${values.tx}'`);
  const ccsid = parseCcsid(values.ccsid);
  if (ccsid === undefined)
    throw new UsageError(`--ccsid ${values.ccsid} is not a supported code page (${SUPPORTED_CCSIDS.join(', ')})`);
  const views = viewsOf(tx, values['json-file'], values.copybook);
  if (values.duration !== undefined && values.requests !== undefined)
    throw new UsageError('give --duration or --requests, not both');
  const requests = positiveInt('requests', values.requests);
  const durationS = positiveInt('duration', values.duration) ?? (requests === undefined ? 10 : undefined);
  const rate = positiveNumber('rate', values.rate);
  let connections = positiveInt('connections', values.connections) ?? 10;
  if (requests !== undefined && connections > requests) connections = requests;
  const timeoutS = positiveNumber('timeout', values.timeout) ?? 30;
  // autocannon counts its time-out in whole seconds from 1.
  if (timeoutS < 1) throw new UsageError(`--timeout is a number of seconds of at least 1, not '${values.timeout}'`);
  const reconnectS = positiveNumber('reconnect', values.reconnect) ?? RECONNECT_S;
  const warmupS = positiveNumber('warmup', values.warmup);
  const seed = positiveInt('seed', values.seed, 0) ?? 1;
  const keyRetries = positiveInt('key-retries', values['key-retries'], 0);
  if (keyRetries !== undefined && !values.keys) throw new UsageError('--key-retries goes with --keys');
  // Keys of this run only: another run's would be replays.
  const keyPrefix = `load-${randomUUID().slice(0, 8)}`;
  let attachment = 0;
  if (values.attachment !== undefined) {
    const size = parseSize(values.attachment);
    if (size === undefined || size <= 0)
      throw new UsageError(`--attachment is a size like 10k or 10m, not '${values.attachment}'`);
    attachment = size;
  }
  const sinkPort = positiveInt('sink-port', values['sink-port'], 0);
  if (local && values.user)
    throw new UsageError("with local the run uses the new region's administrator; leave out --user");
  if (local && (values.data || values.received))
    throw new UsageError("with local the run knows its region's journal and sink; leave out --data and --received");
  if (values.sink && values.received) throw new UsageError('give --sink or --received, not both');
  const userText = local ? undefined : requireCredentials(io, values.user);

  const log = (line: string) => err(io, line);
  let sink: Sink | undefined;
  let region: LocalRegion | undefined;
  try {
    if (local || values.sink) {
      sink = await startSink(sinkPort !== undefined ? { port: sinkPort } : {});
      if (!local) log(`sink listening on ${sink.url}: a region started with CICSMAIL_RELAY=${sink.url} sends to it`);
    }
    if (local) {
      region = await startLocalRegion({ relay: (sink as Sink).url });
      log(
        `local region on ${region.url} (data ${region.dataDir}, log ${region.logFile}), sending to the sink on ${(sink as Sink).url}`,
      );
      base = region.url;
    }
    const url = base as string;
    const user = region?.user ?? userText!;
    const authorization = basicAuthorization(user);
    const limits = limitsOf(timeoutS * 1000);
    const client = new RegionClient(url, authorization, { route: limits, task: limits });

    await preflight(url, authorization, client.limits);
    let journal: JournalSource | undefined;
    let received: ReceivedSource | undefined;
    if (values.verify) {
      const dataDir = region?.dataDir ?? values.data;
      journal = dataDir ? journalFromData(dataDir) : journalFromHttp(client);
      if (!dataDir)
        await mustAnswer(
          client,
          '/journal?limit=1',
          '--verify reads the journal with GET /journal, for administrators: use an administrator or give --data DIR',
        );
      if (sink)
        received = receivedFromSink(local ? 'the sink' : `the sink on ${sink.url}`, sink.messageIds, sink.received);
      else if (values.received) received = receivedFromFolder(values.received);
      else {
        await mustAnswer(
          client,
          '/captured?limit=1',
          '--verify needs to know what the relay received: give --sink (and point the region at it) or ' +
            '--received DIR; GET /captured answers only for a region with its capture relay, to administrators',
        );
        received = receivedFromCaptured(client);
      }
    }

    const pool = views
      ? viewPool(tx, views, ccsid, attachment, values.jobname)
      : buildPayloads({ tx: tx as LoadTx, ccsid, from: values.from, seed, attachment, jobname: values.jobname });
    const onOutage: RunOptions['onOutage'] = (event) =>
      log(
        'error' in event
          ? `the region at ${url} cannot be reached (${event.error.code ?? event.error.message}): reconnecting, for up to ${reconnectS} s without an answer`
          : `the region at ${url} answers again, after ${(event.lastedMs / 1000).toFixed(1)} s`,
      );
    if (warmupS !== undefined) {
      log(`warming up for ${warmupS} s (not counted)`);
      await runLoad({
        url,
        pool,
        authorization,
        connections,
        durationS: warmupS,
        ...(rate !== undefined ? { rate } : {}),
        ...(values.keys ? { keys: `${keyPrefix}-warmup` } : {}),
        timeoutS,
        reconnectS,
        onOutage,
        keepMails: false,
      });
    }
    const targetText = requests !== undefined ? `${requests} requests` : `${durationS} s`;
    log(`${tx}: ${targetText} to ${url} over ${connections} connection(s)${rate !== undefined ? ` at ${rate}/s` : ''}`);
    const tty = io.stderr.isTTY === true;
    let lastPrinted = -Infinity;
    const run = await runLoad({
      url,
      pool,
      authorization,
      connections,
      ...(requests !== undefined ? { requests } : { durationS: durationS! }),
      ...(rate !== undefined ? { rate } : {}),
      ...(values.keys ? { keys: keyPrefix } : {}),
      ...(keyRetries !== undefined ? { keyRetries } : {}),
      timeoutS,
      reconnectS,
      onOutage,
      keepMails: values.verify || values.answers !== undefined,
      tickMs: 1000,
      onTick: (r, elapsed) => {
        const line = progressLine(elapsed, r.answered, r.errors, r.lastSecond, targetText);
        if (tty) io.stderr.write(`\r\x1b[K${line}`);
        else if (elapsed - lastPrinted >= 5) {
          lastPrinted = elapsed;
          log(line);
        }
      },
    });
    if (tty) io.stderr.write('\r\x1b[K');
    if (run.outages.gaveUp)
      log(`gave up: the region at ${url} gave no answer for ${reconnectS} s while connections to it failed`);

    const verify = values.verify && journal && received ? await verifyRun(run.recorder.mails, journal, received) : null;
    const summary = summaryOf(
      {
        tx,
        url,
        ccsid,
        connections,
        ...(rate !== undefined ? { rate } : {}),
        ...(durationS !== undefined ? { durationS } : {}),
        ...(requests !== undefined ? { requests } : {}),
        attachmentBytes: attachment,
        meanRequestBytes: pool.meanBytes,
      },
      run,
      verify,
    );
    if (values.json) out(io, JSON.stringify(summary));
    else for (const line of [...formatSummary(summary), ...(verify ? formatVerify(verify) : [])]) out(io, line);
    if (values.answers !== undefined) {
      writeFileSync(values.answers, run.recorder.mails.map((m) => `${JSON.stringify(m)}\n`).join(''));
      log(`${run.recorder.mails.length} answered mail(s) written to ${values.answers}`);
    }
    if (values.report) {
      writeFileSync(values.report, reportHtml(summary));
      log(`report written to ${values.report}`);
    }
    if (verify && !verify.passed) return 1;
    // A key given up is a request that ended without an answer: its mail's fate unknown to the run.
    if (run.keys && run.keys.gaveUp > 0) return 1;
    return run.recorder.answered === 0 || run.outages.gaveUp ? 1 : 0;
  } finally {
    if (region) {
      const code = await region.stop({ keep: values.keep });
      if (values.keep) log(`the local region's data folder is kept: ${region.dataDir}`);
      if (code !== 0) log(`the local region stopped with exit code ${code}; its log: ${region.logFile}`);
    }
    await sink?.close();
  }
}

/**
 * The COMMAREAs of --json-file (and the copybook of --copybook), checked before the run: a
 * tranid that is not MAIL, SEND or SPOL needs them, SEND and SPOL take text instead.
 */
function viewsOf(
  tx: string,
  file: string | undefined,
  copybookFileName: string | undefined,
): { views: unknown[]; copybook?: RecordLayout } | undefined {
  if (copybookFileName !== undefined && file === undefined) throw new UsageError('--copybook goes with --json-file');
  if (file === undefined) {
    if ((LOAD_TXS as readonly string[]).includes(tx)) return undefined;
    throw new UsageError(
      `--tx ${tx} is not MAIL, SEND or SPOL: give --json-file FILE, the COMMAREAs to send as JSON views`,
    );
  }
  if (tx === 'SEND' || tx === 'SPOL') throw new UsageError(`${tx} takes text, not a COMMAREA: leave out --json-file`);
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`--json-file ${file}: ${(e as Error).message}`);
  }
  const views = Array.isArray(data) ? data : [data];
  if (views.length === 0 || views.some((v) => v === null || typeof v !== 'object' || Array.isArray(v)))
    throw new UsageError(`--json-file ${file}: give a JSON object (a COMMAREA's view) or a list of them`);
  if (copybookFileName === undefined) return { views };
  try {
    return { views, copybook: copybookLayout(copybookFileName) };
  } catch (e) {
    throw new UsageError(`--copybook ${copybookFileName}: ${(e as Error).message}`);
  }
}

function viewPool(
  tx: string,
  given: { views: unknown[]; copybook?: RecordLayout },
  ccsid: number,
  attachment: number,
  jobname: string,
): PayloadPool {
  try {
    return buildViewPayloads({
      tranid: tx,
      ccsid,
      views: given.views,
      ...(given.copybook ? { copybook: given.copybook } : {}),
      attachment,
      jobname,
    });
  } catch (e) {
    if (e instanceof FieldError)
      throw new UsageError(`--json-file: a COMMAREA does not fit the copybook: ${e.message}`);
    throw e;
  }
}

async function mustAnswer(region: RegionClient, path: string, why: string): Promise<void> {
  const res = await region.request(path);
  if (res.status !== 200)
    throw new UsageError(`${why} (HTTP ${res.status} from ${region.url}${path.replace(/\?.*$/, '')})`);
}
