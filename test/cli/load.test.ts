// cicsmail load, run in this process against a region and a real SMTP relay from the
// helpers: exact counts by RC, the --json shape, --verify passing and
// failing for a reason it must catch, the HTML report, a fixed rate, the three transactions
// with attachments, and a region of its own (URL local).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { formatSummary, type LoadSummary } from '../../cli/load/summary.js';
import { run as runCommand } from '../../cli/main.js';
import type { RegionConfig } from '../../config/settings.js';
import { buildRegion } from '../../region/app.js';
import { cicsmail } from '../helpers/cli.js';
import { startRegion } from '../helpers/region.js';
import { smtpError, startRelay } from '../helpers/relay.js';
import { freshDir, type TestLike } from '../helpers/test-like.js';
import { PAY_VALUES, PAYS, PAYSLIP_FILES, shopFolder } from '../helpers/shop.js';
import { TESTER } from '../helpers/users.js';

const USER = `${TESTER.id}:${TESTER.password}`;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

// A run here waits for an answer ten times what a machine at load average 12 needs (a task
// queued behind a worker's first boot); the command's default of 30 s is for people.
const ANSWER_TIMEOUT = ['--timeout', '300'];
const isRun = (args: readonly string[]) => args.length > 0 && !args.includes('--help');

function load(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return cicsmail(['load', ...args, ...(isRun(args) ? ANSWER_TIMEOUT : [])], env);
}

/** The shape --json prints (the parts the tests read). */
interface Summary {
  tx: string;
  url: string;
  connections: number;
  rate: number | null;
  requestsAsked: number | null;
  elapsedS: number;
  requests: { sent: number; answered: number; errors: number; timeouts: number; inFlight: number };
  txPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  byStatus: Record<string, number>;
  byResp: Record<string, number>;
  byAbend: Record<string, number>;
  byRc: Record<string, number>;
  connectionErrors: Record<string, number>;
  outages: { count: number; longestS: number; gaveUp: boolean };
  timeline: { t: number; count: number; errors: number; p50Ms: number; p99Ms: number; maxMs: number }[];
  latencyBins: { fromMs: number; toMs: number; count: number }[];
  verify: null | {
    passed: boolean;
    checked: Record<string, number>;
    notDelivered: number;
    missingInJournal: number;
    stateMismatch: number;
    answeredTwice: number;
    problems: string[];
  };
}

/**
 * A relay that writes each mail it keeps into a folder (what --received reads), and can put
 * off some mails (451 after the dot) or lose some (250, and never written: a relay that
 * drops mail it said it took).
 */
async function relayWithFolder(
  t: TestLike,
  options: { deferEvery?: number; loseEvery?: number; onKept?: (kept: number) => void } = {},
) {
  const folder = join(freshDir(t), 'received');
  mkdirSync(folder);
  let n = 0;
  const counts = { deferred: 0, lost: 0, kept: 0 };
  const relay = await startRelay(t, {
    data: (message) => {
      n++;
      if (options.deferEvery && n % options.deferEvery === 0) {
        counts.deferred++;
        return smtpError(451, '4.3.0 try again later');
      }
      if (options.loseEvery && n % options.loseEvery === 0) {
        counts.lost++;
        return undefined;
      }
      counts.kept++;
      writeFileSync(join(folder, `${n}.eml`), message);
      options.onKept?.(counts.kept);
      return undefined;
    },
  });
  return { relay, folder, counts };
}

t.test('50 requests: exact counts by RC, the --json shape, --verify passes, the HTML report', async (t) => {
  const { relay, folder, counts } = await relayWithFolder(t, { deferEvery: 5 });
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_RETRY_FIRST_MS: '3600000' });
  const report = join(freshDir(t), 'load.html');
  const run = await load([
    region.url,
    '--user',
    USER,
    '--requests',
    '50',
    '--connections',
    '5',
    '--json',
    '--verify',
    '--received',
    folder,
    '--report',
    report,
  ]);
  t.equal(run.code, 0, run.stderr);
  const s = JSON.parse(run.stdout) as Summary;
  t.equal(counts.deferred, 10, 'the relay put off every fifth mail');
  t.equal(s.tx, 'MAIL');
  t.equal(s.requestsAsked, 50);
  t.equal(s.connections, 5);
  t.equal(s.rate, null);
  t.same(s.requests, { sent: 50, answered: 50, errors: 0, timeouts: 0, inFlight: 0 });
  t.same(s.byStatus, { '200': 50 });
  t.same(s.byResp, { NORMAL: 50 });
  t.same(s.byAbend, {});
  t.same(s.byRc, { '0': 40, '4': 10 });
  t.ok(s.txPerSec > 0 && s.elapsedS > 0);
  const l = s.latencyMs;
  t.ok(
    l.p50 > 0 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p999 && l.p999 <= l.max,
    `ordered percentiles ${JSON.stringify(l)}`,
  );
  t.equal(
    s.timeline.reduce((n, p) => n + p.count, 0),
    50,
    'the timeline holds every answer',
  );
  t.equal(
    s.latencyBins.reduce((n, b) => n + b.count, 0),
    50,
    'so does the histogram',
  );
  t.ok(s.verify?.passed, JSON.stringify(s.verify?.problems));
  t.same(s.verify?.checked, { '0': 40, '4': 10 });
  t.equal(relay.mails.length, 40);

  const html = readFileSync(report, 'utf8');
  t.equal(html.match(/<svg[\s>]/g)?.length, 2, 'two charts');
  t.match(html, /Latency over time/);
  t.match(html, /Latency histogram/);
  t.notMatch(html, /<script|<link|\s(?:src|href)=/i, 'self-contained: no scripts, nothing fetched');
});

t.test('the summary for a person', async (t) => {
  const { relay, folder } = await relayWithFolder(t, { deferEvery: 5 });
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_RETRY_FIRST_MS: '3600000' });
  const run = await load(
    [
      region.url,
      '--requests',
      '50',
      '--connections',
      '5',
      '--verify',
      '--received',
      folder,
      '--data',
      region.config.dataDir,
    ],
    { CICSMAIL_USER: USER },
  );
  t.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split('\n');
  t.match(
    lines[0],
    /^MAIL on http:\/\/127\.0\.0\.1:\d+: 50 requests over 5 connection\(s\) as fast as they go, CCSID 037/,
  );
  t.match(
    lines[1],
    /^ {2}[\d,.]+ tx\/s: 50 answered in [\d.]+ s; 50 sent = 50 answered \+ 0 without an answer \(0 timed out\) \+ 0 still on the way when the run ended$/,
  );
  t.match(lines[2], /^ {2}latency ms: p50 [\d.,]+ {2}p90 [\d.,]+ {2}p99 [\d.,]+ {2}p99\.9 [\d.,]+ {2}max [\d.,]+/);
  t.equal(lines[3], '  HTTP   200 ×50');
  t.equal(lines[4], '  RESP   NORMAL ×50');
  t.equal(lines[5], '  ABEND  none');
  t.equal(lines[6], '  RC     0 ×40, 4 ×10');
  t.match(lines[7], /^verify: PASSED: RC 0: 40, RC 4: 10; checked against the journal in .* and the folder /);
  t.match(run.stderr, /^MAIL: 50 requests to http:\S+ over 5 connection\(s\)$/m, 'progress on standard error');
});

t.test('--verify fails where the relay said 250 and lost the mail', async (t) => {
  const { relay, folder, counts } = await relayWithFolder(t, { loseEvery: 7 });
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const run = await load([
    region.url,
    '--user',
    USER,
    '--requests',
    '50',
    '--connections',
    '5',
    '--json',
    '--verify',
    '--received',
    folder,
  ]);
  t.equal(run.code, 1, 'exit code 1');
  const s = JSON.parse(run.stdout) as Summary;
  t.same(s.byRc, { '0': 50 }, 'the region heard 250 every time');
  t.equal(counts.lost, 7);
  t.equal(s.verify?.passed, false);
  t.equal(s.verify?.notDelivered, 7, 'each lost mail found');
  t.equal(s.verify?.missingInJournal, 0);
  t.equal(s.verify?.stateMismatch, 0);
  t.equal(s.verify?.problems.length, 7);
  t.match(s.verify?.problems[0], /^RC 0 SEQ=\d+ <[^>]+>: answered as sent, never received by the folder /);

  const text = await load([
    region.url,
    '--user',
    USER,
    '--requests',
    '10',
    '--connections',
    '2',
    '--verify',
    '--received',
    folder,
  ]);
  t.equal(text.code, 1);
  t.match(text.stdout, /^verify: FAILED: RC 0: 10;/m);
});

t.test('--rate: a fixed arrival rate, latency from the due time', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const run = await load([
    region.url,
    '--user',
    USER,
    '--requests',
    '25',
    '--connections',
    '5',
    '--rate',
    '50',
    '--json',
  ]);
  t.equal(run.code, 0, run.stderr);
  const s = JSON.parse(run.stdout) as Summary;
  t.equal(s.rate, 50);
  t.same(s.byRc, { '0': 25 });
  t.ok(s.elapsedS >= 0.45, `25 requests at 50/s take half a second at least (took ${s.elapsedS} s)`);
});

t.test('SEND and SPOL, and attachments on all three, in CCSID 273', async (t) => {
  const { relay, folder } = await relayWithFolder(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  for (const [tx, attachment] of [
    ['SEND', null],
    ['SPOL', null],
    ['MAIL', '40k'],
    ['SEND', '40k'],
    ['SPOL', '40k'],
  ] as const) {
    const before = relay.mails.length;
    const args = [
      region.url,
      '--user',
      USER,
      '--tx',
      tx,
      '--requests',
      '6',
      '--connections',
      '2',
      '--ccsid',
      '273',
      '--json',
      '--verify',
      '--data',
      region.config.dataDir,
      '--received',
      folder,
    ];
    if (attachment) args.push('--attachment', attachment);
    const run = await load(args);
    const what = `${tx}${attachment ? ` with ${attachment}` : ''}`;
    t.equal(run.code, 0, `${what}: ${run.stderr}`);
    const s = JSON.parse(run.stdout) as Summary;
    t.same(s.byRc, { '0': 6 }, what);
    t.ok(s.verify?.passed, what);
    t.equal(relay.mails.length, before + 6);
    if (attachment) {
      for (const m of relay.mails.slice(before))
        t.ok(m.message.length > 40 * 1024, `${what}: the mail carries the attachment (${m.message.length} bytes)`);
    }
  }
});

t.test("a transaction of the shop's own: COMMAREAs from --json-file, in EBCDIC through --copybook", async (t) => {
  const { relay, folder } = await relayWithFolder(t);
  const shop = shopFolder(t, { transactions: { PAYS } }, PAYSLIP_FILES);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_CONFIG: shop.config });
  const views = join(shop.dir, 'payslips.json');
  const joe = { ...PAY_VALUES, ps_employee: { ps_emp_no: 4712, ps_name: 'JOE', ps_email: 'joe@corp.example' } };
  writeFileSync(views, JSON.stringify([PAY_VALUES, joe]));
  const common = [region.url, '--user', USER, '--tx', 'pays', '--json-file', views, '--requests', '10'];
  for (const form of [['--copybook', join(shop.dir, 'copybooks', 'PAYSLIP.cpy')], []]) {
    const before = relay.mails.length;
    const run = await load([
      ...common,
      ...form,
      '--connections',
      '2',
      '--json',
      '--verify',
      '--data',
      region.config.dataDir,
      '--received',
      folder,
    ]);
    t.equal(run.code, 0, run.stderr);
    const s = JSON.parse(run.stdout) as Summary;
    t.equal(s.tx, 'PAYS');
    t.same(s.byRc, { '0': 10 }, form.length > 0 ? 'as EBCDIC bytes' : 'as JSON');
    t.ok(s.verify?.passed, JSON.stringify(s.verify?.problems));
    const to = relay.mails.slice(before).map((m) => m.to[0]);
    t.same(
      [to.filter((a) => a === 'jane@corp.example').length, to.filter((a) => a === 'joe@corp.example').length],
      [5, 5],
      'the two COMMAREAs in turn',
    );
  }
  const tasks = region.journal().tasks.scan();
  t.ok(
    [...tasks].some((task) => task.tranid === 'PAYS' && task.commarea.form === 'bytes'),
    'on record for redrive',
  );
  const misfit = join(shop.dir, 'misfit.json');
  writeFileSync(misfit, JSON.stringify({ ps_nett: 1 }));
  t.match(await load([...common.slice(0, 6), misfit, '--copybook', join(shop.dir, 'copybooks', 'PAYSLIP.cpy')]), {
    code: 2,
    stderr: /--json-file: a COMMAREA does not fit the copybook: PAYSLIP: ps_nett is not an item of PAYSLIP/,
  });
  t.match(await load([...common.slice(0, 3), '--tx', 'SEND', '--json-file', views]), {
    code: 2,
    stderr: /SEND takes text, not a COMMAREA/,
  });
  t.match(await load([region.url, '--user', USER, '--copybook', 'x.cpy']), {
    code: 2,
    stderr: /--copybook goes with --json-file/,
  });
});

t.test('URL local: a region and a sink of its own, verified', async (t) => {
  const run = await load(['local', '--requests', '20', '--connections', '4', '--tx', 'SEND', '--json', '--verify']);
  t.equal(run.code, 0, run.stderr);
  const s = JSON.parse(run.stdout) as Summary;
  t.same(s.byRc, { '0': 20 });
  t.ok(s.verify?.passed);
  t.match(run.stderr, /local region on http:\/\/127\.0\.0\.1:\d+ .*sending to the sink on smtp:\/\/127\.0\.0\.1:\d+/);
});

t.test('wrong usage and wrong credentials', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const none = await load([]);
  t.equal(none.code, 2);
  t.match(none.stderr, /give one URL/);
  const tx = await load([region.url, '--user', USER, '--tx', 'XMIT']);
  t.equal(tx.code, 2);
  t.match(tx.stderr, /--tx XMIT is not MAIL, SEND or SPOL: give --json-file FILE/);
  t.match((await load([region.url, '--user', USER, '--tx', 'TOO-LONG'])).stderr, /--tx is a tranid/);
  const wrong = await load([region.url, '--user', `${TESTER.id}:not-the-password`, '--requests', '5']);
  t.equal(wrong.code, 1);
  t.match(
    wrong.stderr,
    /^cicsmail: HTTP 401 NOTAUTH AEY7: .*; check the user id and password of --user \(or CICSMAIL_USER\)\n$/,
  );
  const help = await load(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /usage: cicsmail load URL\|local/);
});

/**
 * `cicsmail load ARGS` in this process, its standard error read as it comes: `line(re)`
 * resolves with the first line that matches (or undefined where the run ends without one).
 */
function watchedLoad(args: string[]): { done: Promise<Run>; line(re: RegExp): Promise<string | undefined> } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let errText = '';
  const waiting: { re: RegExp; resolve: (line: string | undefined) => void }[] = [];
  const settle = () => {
    for (const w of [...waiting]) {
      const hit = errText.split('\n').find((l) => w.re.test(l));
      if (hit !== undefined) {
        waiting.splice(waiting.indexOf(w), 1);
        w.resolve(hit);
      }
    }
  };
  stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  stderr.setEncoding('utf8').on('data', (d: string) => {
    errText += d;
    settle();
  });
  const done = runCommand(['load', ...args, ...ANSWER_TIMEOUT], {
    env: {},
    stdin: new PassThrough(),
    stdout,
    stderr,
  }).then((code) => {
    for (const w of waiting.splice(0)) w.resolve(errText.split('\n').find((l) => w.re.test(l)));
    return { code, stdout: out, stderr: errText };
  });
  return {
    done,
    line: (re) =>
      new Promise((resolve) => {
        waiting.push({ re, resolve });
        settle();
      }),
  };
}

/** A region on `port` (where another has just closed), on `config`'s data folder. */
async function regionOnPort(t: TestLike, config: RegionConfig, port: number): Promise<void> {
  const app = await buildRegion(config);
  t.teardown(() => app.close());
  await app.listen({ host: '127.0.0.1', port });
}

t.test('a region restarted on the same port during the run: the run reconnects and goes on', async (t) => {
  let closing: Promise<unknown> | undefined;
  let first: Awaited<ReturnType<typeof startRegion>> | undefined;
  // The region goes down at its tenth mail, in the middle of the run.
  const { relay, folder, counts } = await relayWithFolder(t, {
    onKept: (kept) => {
      if (kept === 10) closing ??= first?.app.close();
    },
  });
  const dataDir = freshDir(t);
  first = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_DATA: dataDir });
  const port = Number(new URL(first.url).port);
  const load = watchedLoad([
    first.url,
    '--user',
    USER,
    '--requests',
    '60',
    '--connections',
    '4',
    // A restart takes a few seconds at most: ten times that and more.
    '--reconnect',
    '120',
    '--json',
    '--verify',
    '--data',
    dataDir,
    '--received',
    folder,
  ]);
  // The run has met the closed port before the region comes back.
  const outage = await load.line(/cannot be reached \(ECONNREFUSED\)/);
  if (outage === undefined) {
    const ended = await load.done;
    t.fail(`the run ended before the region went down: exit code ${ended.code}, ${ended.stderr}`);
    return;
  }
  t.match(
    outage,
    /^the region at http:\/\/127\.0\.0\.1:\d+ cannot be reached \(ECONNREFUSED\): reconnecting, for up to 120 s without an answer$/,
  );
  t.ok(closing, 'the region was closed at its tenth mail');
  await closing;
  const keptBefore = counts.kept;
  await regionOnPort(t, first.config, port);
  const run = await load.done;

  t.equal(run.code, 0, run.stderr);
  t.match(run.stderr, /^the region at http:\S+ answers again, after [\d.]+ s$/m);
  const s = JSON.parse(run.stdout) as Summary;
  t.equal(s.requests.sent, 60, 'refused requests were made again: all 60 went out');
  t.equal(s.requests.answered + s.requests.errors, 60, 'each answered, or lost with a connection the region closed');
  t.equal(s.requests.timeouts, 0);
  t.ok((s.connectionErrors.ECONNREFUSED ?? 0) >= 1, `refusals counted apart: ${JSON.stringify(s.connectionErrors)}`);
  t.same(s.outages.gaveUp, false);
  t.ok(s.outages.count >= 1);
  t.same(Object.keys(s.byRc), ['0'], 'every mail answered RC 0');
  t.same(
    Object.keys(s.byStatus).filter((status) => status !== '200' && status !== '503'),
    [],
    'else only 503 from the region that was closing',
  );
  t.equal(s.byStatus['200'], s.byRc['0']);
  t.ok(counts.kept > keptBefore, `the restarted region sent mail: ${counts.kept - keptBefore} more`);
  t.ok(s.verify?.passed, JSON.stringify(s.verify?.problems));
  t.equal(relay.mails.length, counts.kept);
});

t.test('a region that does not come back: the run gives up after --reconnect, exit code 1', async (t) => {
  let first: Awaited<ReturnType<typeof startRegion>> | undefined;
  let closing: Promise<unknown> | undefined;
  const { relay } = await relayWithFolder(t, {
    onKept: (kept) => {
      if (kept === 5) closing ??= first?.app.close();
    },
  });
  first = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  // Long enough that only giving up ends it.
  const run = await load([
    first.url,
    '--user',
    USER,
    '--duration',
    '600',
    '--connections',
    '2',
    '--reconnect',
    '1',
    '--json',
  ]);
  await closing;
  t.equal(run.code, 1);
  t.match(
    run.stderr,
    /^gave up: the region at http:\/\/127\.0\.0\.1:\d+ gave no answer for 1 s while connections to it failed$/m,
  );
  const s = JSON.parse(run.stdout) as Summary;
  t.same(s.outages.gaveUp, true);
  // A connection reset while the region closed may make an outage of its own before the last answers.
  t.ok(s.outages.count >= 1);
  t.ok((s.connectionErrors.ECONNREFUSED ?? 0) >= 1, JSON.stringify(s.connectionErrors));
  t.same(Object.keys(s.byRc), ['0']);
  t.ok((s.byRc['0'] ?? 0) >= 4, 'the mails before it went down were answered');

  // The summary for a person says so too.
  const conn = formatSummary(JSON.parse(run.stdout) as LoadSummary).filter((l) => l.startsWith('  CONN'));
  t.equal(conn.length, 1);
  t.match(
    conn[0],
    /^ {2}CONN {3}ECONNREFUSED ×\d+(, \w+ ×\d+)*; the region out of reach \d+ time\(s\), at most [\d.]+ s, then given up$/,
  );
});
