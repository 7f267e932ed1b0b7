// cicsmail journal … --url A,B,C: three real regions (SYSIDs MVSA, MVSB, MVSC), one relay;
// their journals read over HTTP and merged by time, each record SYSID:seq; show and replay
// go to the region that owns the record; a region that does not answer is named in a
// warning, the others' records shown, exit 3.
import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import t from 'tap';
import { parseRecordRef, regionUrls } from '../../client/fleet.js';
import { cicsmail, cicsmailBytes } from '../helpers/cli.js';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { freshDir } from '../helpers/test-like.js';
import { TESTER } from '../helpers/users.js';

const relay = await startRelay(t);
const [a, b, c] = await Promise.all(
  ['MVSA', 'MVSB', 'MVSC'].map((sysid) => startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_SYSID: sysid })),
);
if (!a || !b || !c) throw new Error('three regions');
const user = `${TESTER.id}:${TESTER.password}`;
const urls = [a.url, b.url, c.url].join(',');

/** A port nothing listens on (a region that is down). */
const deadUrl = await new Promise<string>((resolve) => {
  const server = createServer();
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    server.close(() => resolve(`http://127.0.0.1:${port}`));
  });
});

// Seven mails, in turn to A, B, C, A, B, C, A: subjects say which.
const order = [a, b, c, a, b, c, a];
for (const [i, region] of order.entries()) {
  const res = await region.fetch('/cics/MAIL', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-cics-jobname': 'FLEET' },
    body: JSON.stringify({
      mc_version: '01',
      mc_from: 'batch@corp.example',
      mc_to: 'ops@corp.example',
      mc_subject: `mail ${i + 1} to ${region.config.sysid}`,
    }),
  });
  if (res.status !== 200) throw new Error(`mail ${i}: ${res.status} ${await res.text()}`);
}
const refs = ['MVSA:1', 'MVSB:1', 'MVSC:1', 'MVSA:2', 'MVSB:2', 'MVSC:2', 'MVSA:3'];

const journal = (args: string[], env: Record<string, string> = {}) =>
  cicsmail(['journal', ...args], { CICSMAIL_USER: user, ...env });

t.test('the parsers: URL lists and SYSID:seq', async (t) => {
  t.same(regionUrls(' http://a:1 ,, http://b:2,'), ['http://a:1', 'http://b:2']);
  t.throws(() => regionUrls(' , '), { message: "' , ' names no region" });
  t.throws(() => regionUrls('http://a,http://a'), { message: "'http://a' is named twice" });
  t.same(parseRecordRef('mvsa:12'), { sysid: 'MVSA', seq: 12 });
  for (const bad of [
    'MVSA:',
    ':12',
    'MVSA12',
    'TOOLONGID:1',
    'MV A:1',
    'MVSA:1:2',
    'MVSA:-1',
    `MVSA:${'9'.repeat(16)}`,
  ])
    t.equal(parseRecordRef(bad), undefined, bad);
});

t.test('list: the three journals as one, by time, each record SYSID:seq', async (t) => {
  const run = await journal(['list', '--url', urls]);
  t.equal(run.code, 0);
  t.equal(run.stderr, '');
  const lines = run.stdout.trimEnd().split('\n');
  t.same(
    lines.map((l) => l.trim().split(/\s+/)[0]),
    refs,
  );
  for (const [i, l] of lines.entries()) t.match(l, new RegExp(`SENT .* "mail ${i + 1} to ${refs[i]?.slice(0, 4)}"$`));
  // JSON Lines name the region in each record.
  const json = (await journal(['list', '--url', urls, '--json', '--jobname', 'fleet'])).stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { sysid: string; seq: number; acceptedAt: string });
  t.same(
    json.map((r) => `${r.sysid}:${r.seq}`),
    refs,
  );
  const times = json.map((r) => r.acceptedAt);
  t.same(times, [...times].sort(), 'in time order');
  // The same from CICSMAIL_URL naming the three.
  const fromEnv = await journal(['list'], { CICSMAIL_URL: urls });
  t.equal(fromEnv.stdout, run.stdout);
});

t.test('list --limit says where to go on, and --since goes on', async (t) => {
  const first = await journal(['list', '--url', urls, '--limit', '3', '--json']);
  t.equal(first.code, 0);
  const shown = first.stdout.trimEnd().split('\n');
  t.equal(shown.length, 3);
  const since = /^… more records: go on with --since (\S+)\n$/.exec(first.stderr)?.[1];
  t.ok(since, first.stderr);
  const rest = await journal(['list', '--url', urls, '--since', since as string]);
  t.same(
    rest.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0]),
    refs.slice(3),
  );
  t.same(await journal(['list', '--url', urls, '--after', '3']), {
    code: 2,
    stdout: '',
    stderr: 'cicsmail: --after is a sequence number of one region; in a merged view go on with --since TIME\n',
  });
});

t.test('stats: summed, and each region its own', async (t) => {
  const run = await journal(['stats', '--url', urls, '--jobname', 'FLEET']);
  t.equal(run.code, 0);
  const stats = JSON.parse(run.stdout) as {
    records: number;
    byState: Record<string, number>;
    byRegion: Record<string, { records: number }>;
    bytes: number;
  };
  t.equal(stats.records, 7);
  t.equal(stats.byState.SENT, 7);
  t.same(Object.fromEntries(Object.entries(stats.byRegion).map(([k, v]) => [k, v.records])), {
    MVSA: 3,
    MVSB: 2,
    MVSC: 2,
  });
});

t.test('export: one CSV in time order, with each record its region', async (t) => {
  const run = await journal(['export', '--url', urls]);
  t.equal(run.code, 0);
  const rows = run.stdout.split('\r\n');
  t.match(rows[0], /^\ufeffseq,acceptedAt,.*,messageId,sysid,requestKey,fates,suppressed$/);
  t.same(
    rows.slice(1, -1).map((r) => `${r.split(',').at(-4)}:${r.split(',')[0]}`),
    refs,
  );
  const jsonl = (await journal(['export', '--url', urls, '--format', 'jsonl'])).stdout.trimEnd().split('\n');
  t.match(JSON.parse(jsonl[1] as string), { seq: 1, sysid: 'MVSB', subject: 'mail 2 to MVSB' });
});

t.test('show SYSID:seq asks the region of that SYSID', async (t) => {
  const run = await journal(['show', 'mvsb:2', '--url', urls]);
  t.equal(run.code, 0);
  t.match(JSON.parse(run.stdout), { sysid: 'MVSB', seq: 2, subject: 'mail 5 to MVSB' });
  const message = await cicsmailBytes(['journal', 'show', 'MVSC:1', '--message', '--url', urls], {
    CICSMAIL_USER: user,
  });
  t.equal(message.code, 0);
  t.match(message.stdout, /^Subject: mail 3 to MVSC\r$/m);
  t.same(await journal(['show', '2', '--url', urls]), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: a sequence number is one region's: give SYSID:SEQ (e.g. MVSA:2)\n",
  });
  t.match(JSON.parse((await journal(['show', '2', '--url', b.url])).stdout), { sysid: 'MVSB', seq: 2 }, 'one region');
  t.same(await journal(['show', 'MVSX:1', '--url', urls]), {
    code: 1,
    stdout: '',
    stderr: 'cicsmail: no region answered as MVSX\n',
  });
  t.same(await journal(['show', 'MVSA:99', '--url', urls]), {
    code: 1,
    stdout: '',
    stderr: 'cicsmail: no journal record MVSA:99\n',
  });
  t.same(await journal(['show', 'MVSA', '--url', urls]), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: 'MVSA' is not SYSID:SEQ\n",
  });
});

t.test('replay SYSID:seq goes to the region that owns the record', async (t) => {
  const before = relay.mails.length;
  const record = JSON.parse((await journal(['show', 'MVSB:2', '--url', urls])).stdout) as { messageId: string };
  const run = await journal(['replay', 'MVSB:2', '--url', urls]);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, new RegExp(`^MVSB:2  ${record.messageId.replace(/[.+]/g, '\\$&')}  sent  250 `));
  t.equal(relay.mails.length, before + 1);
  t.match(relay.mails.at(-1)?.message.toString(), `Message-ID: ${record.messageId}`, 'the same Message-ID');
  t.equal(b.journal().get(2)?.replays?.length, 1, 'kept on the record of MVSB');
  t.equal(a.journal().get(2)?.replays, undefined, 'not on MVSA:2');
  // With filters and a dry run: each region lists its own.
  const dry = await journal(['replay', '--url', urls, '--jobname', 'FLEET', '--dry-run']);
  t.equal(dry.code, 0);
  t.same(
    dry.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0])
      .sort(),
    [...refs].sort(),
  );
  t.equal(relay.mails.length, before + 1, 'a dry run sends nothing');
});

t.test('a region that does not answer: the others shown, a warning naming it, exit 3', async (t) => {
  const withDead = `${a.url},${deadUrl},${c.url}`;
  const run = await journal(['list', '--url', withDead]);
  t.equal(run.code, 3);
  t.same(
    run.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0]),
    refs.filter((r) => !r.startsWith('MVSB')),
  );
  t.match(
    run.stderr,
    new RegExp(
      `^cicsmail: WARNING: the region at ${deadUrl} is left out of this view: cannot reach the region at ${deadUrl}: .+; is the region running, and is it the one --url \\(or CICSMAIL_URL\\) names\\?\\n$`,
    ),
  );
  const stats = await journal(['stats', '--url', withDead]);
  t.equal(stats.code, 3);
  t.equal((JSON.parse(stats.stdout) as { records: number }).records, 5);
  t.match(stats.stderr, `the region at ${deadUrl} is left out of this view`);
  const exported = await journal(['export', '--url', withDead]);
  t.equal(exported.code, 3);
  t.equal(exported.stdout.split('\r\n').length, 7, 'header, five rows, the last CRLF');
  // The record asked for is on a region that answers: shown, with the warning all the same.
  const shown = await journal(['show', 'MVSC:1', '--url', withDead]);
  t.equal(shown.code, 3);
  t.match(JSON.parse(shown.stdout), { sysid: 'MVSC' });
  const nobody = await journal(['list', '--url', deadUrl]);
  t.equal(nobody.code, 1);
  t.match(
    nobody.stderr,
    /WARNING: the region at .+ is left out of this view: .*\ncicsmail: no region answered \(http:/,
  );
  // Credentials one region does not know: named as such.
  const wrong = await journal(['list', '--url', urls], { CICSMAIL_USER: 'TESTER:wrong' });
  t.equal(wrong.code, 1);
  t.match(
    wrong.stderr,
    /the region at .+ is left out of this view: HTTP 401 NOTAUTH AEY7: user id or password not valid; check the user id and password of --user \(or CICSMAIL_USER\)/,
  );
});

t.test('two URLs of one region: the second is left out, named', async (t) => {
  const twice = `${a.url},${a.url.replace('127.0.0.1', 'localhost')}`;
  const run = await journal(['list', '--url', twice, '--jobname', 'FLEET']);
  t.equal(run.code, 3);
  t.equal(run.stdout.trimEnd().split('\n').length, 3);
  t.match(
    run.stderr,
    /WARNING: region MVSA at http:\/\/localhost:\d+ is left out of this view: it is SYSID MVSA, as http:\/\/127/,
  );
});

t.test('a command that talks to one region refuses a list of them', async (t) => {
  t.same(await cicsmail(['cemt', 'inquire', 'system'], { CICSMAIL_URL: urls, CICSMAIL_USER: user }), {
    code: 2,
    stdout: '',
    stderr: `cicsmail: CICSMAIL_URL '${urls}' names several regions; this command talks to one (give --url URL)\n`,
  });
  t.same(await journal(['list', '--url', 'ftp://x']), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: --url 'ftp://x' is not an http:// or https:// URL\n",
  });
});

t.test('load --answers: each answered mail with the region that answered it', async (t) => {
  const file = `${freshDir(t)}/answers.jsonl`;
  const run = await cicsmail(
    ['load', b.url, '--requests', '6', '--connections', '2', '--answers', file, '--json', '--jobname', 'LOADED'],
    { CICSMAIL_USER: user },
  );
  t.equal(run.code, 0, run.stderr);
  t.match(run.stderr, /6 answered mail\(s\) written to /);
  const answers = readFileSync(file, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { rc: number; seq: number; sysid: string; atMs: number });
  t.equal(answers.length, 6);
  t.same([...new Set(answers.map((a) => `${a.rc} ${a.sysid}`))], ['0 MVSB']);
  t.same((JSON.parse(run.stdout) as { bySysid: Record<string, number> }).bySysid, { MVSB: 6 });
  // Each SYSID:seq is a record of the merged view.
  const listed = (await journal(['list', '--url', urls, '--jobname', 'LOADED', '--json'])).stdout
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { sysid: string; seq: number });
  t.same(listed.map((r) => `${r.sysid}:${r.seq}`).sort(), answers.map((a) => `${a.sysid}:${a.seq}`).sort());
});
