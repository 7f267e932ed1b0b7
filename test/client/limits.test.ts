// Clients that never hang and never trust a server: every call a command makes to a region
// has a time limit (the connection, the first byte, the whole answer) and a size limit, and
// an answer is checked before it is read. Against a fake region for each way of failing
// (silent, trickling, without end, malformed, a page whose `next` does not move), every
// command that talks to a region ends, says which region and why, and in a merged journal
// view shows the others' records with exit code 3. The limits in these tests are short
// (--timeout 0.3); `within` gives each command ten times what it needs to end and more.
import t from 'tap';
import { limitsOf } from '../../client/http-request.js';
import { RegionClient } from '../../client/region-client.js';
import { JOURNAL_PAGE_SCHEMA, shapeOf } from '../../client/answer-shape.js';
import { cicsmail } from '../helpers/cli.js';
import { answering, endless, silent, startFakeRegion, trickling, type FakeRegion } from '../helpers/fake-region.js';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { TESTER } from '../helpers/users.js';
import { within } from '../helpers/within.js';

const USER = `${TESTER.id}:${TESTER.password}`;
/** The limit the tests give: short, and far above what a region on loopback needs. */
const TIMEOUT_S = '0.3';
/** The limit where an endless answer must meet the size limit first: 64 MiB on loopback takes a second or two. */
const LONG_TIMEOUT_S = '60';
/** What a command that must end gets: its limit and all its work, ten times over. */
const ENDS_WITHIN_MS = 20_000;

const relay = await startRelay(t);
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_SYSID: 'REAL' });
for (const subject of ['one', 'two']) {
  const res = await region.fetch('/cics/MAIL', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mc_version: '01', mc_from: 'a@corp.example', mc_to: 'b@corp.example', mc_subject: subject }),
  });
  if (res.status !== 200) throw new Error(`mail: ${res.status}`);
}

const record = (seq: number) => ({
  seq,
  sysid: 'FAKE',
  acceptedAt: '2026-12-01T00:00:00.000Z',
  state: 'SENT',
  userid: 'TESTER',
  jobname: '',
  tranid: 'MAIL',
  subject: 'fake',
  messageId: '<x@fake>',
  envelope: { from: 'a@corp.example', to: ['b@corp.example'] },
  attachments: 0,
  size: 10,
  relayReply: '250 ok',
});

/** `cicsmail ARGS` as TESTER, and how it came out within the bound (the verdict is its ending). */
async function run(args: string[], input = '') {
  const done = cicsmail(args, { CICSMAIL_USER: USER, CICSMAIL_DATA: region.config.dataDir }, input);
  const ended = await within(done, ENDS_WITHIN_MS);
  if (ended !== 'settled') throw new Error(`cicsmail ${args.join(' ')}: ${ended}`);
  return done;
}

const shownRefs = (stdout: string) =>
  stdout
    .trimEnd()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => l.trim().split(/\s+/)[0]);

t.test('the client: each limit fails the call with what it was', async (t) => {
  const client = (fake: FakeRegion, maxBytes = 1024 * 1024) => {
    const limits = limitsOf(300, maxBytes);
    return new RegionClient(fake.url, undefined, { route: limits, task: limits });
  };
  const quiet = await startFakeRegion(t, silent);
  await t.rejects(client(quiet).json('GET', '/journal'), {
    code: 'CICSMAIL_REGION_TIMEOUT',
    phase: 'first byte',
    message: `the region at ${quiet.url} took the request but gave no answer within 300 ms`,
  });
  const slow = await startFakeRegion(t, trickling);
  await t.rejects(client(slow).json('GET', '/journal'), {
    code: 'CICSMAIL_REGION_TIMEOUT',
    phase: 'answer',
    message: new RegExp(
      `^the region at ${slow.url} did not finish its answer within 300 ms \\(\\d+ bytes had come\\)$`,
    ),
  });
  const flood = await startFakeRegion(t, endless);
  await t.rejects(client(flood).bytes('/journal/1/message'), {
    code: 'CICSMAIL_REGION_TOO_LARGE',
    message: `the region at ${flood.url} sent an answer of more, more than the 1,048,576 bytes taken; the rest was not read`,
  });
  // What the endless answer cost: the limit, and what the sockets' buffers held beside it.
  t.ok(flood.written < 1024 * 1024 + 16 * 1024 * 1024, `${flood.written} bytes written by the server`);
  const declared = await startFakeRegion(t, (req, res) => {
    res.writeHead(200, { 'content-length': String(10 * 1024 * 1024) });
    res.write('x');
  });
  await t.rejects(client(declared).bytes('/x'), {
    code: 'CICSMAIL_REGION_TOO_LARGE',
    message: /an answer of 10,485,760 bytes, more than the 1,048,576 bytes taken/,
  });
  const notJson = await startFakeRegion(t, answering('<html>a proxy page</html>'));
  await t.rejects(client(notJson).json('GET', '/journal'), {
    code: 'CICSMAIL_REGION_ANSWER',
    message: `GET /journal did not answer JSON: is ${notJson.url} a cicsmail region?`,
  });
  const wrong = await startFakeRegion(t, answering({ sysid: 'FAKE', records: [record(1), null], next: null }));
  await t.rejects(client(wrong).json('GET', '/journal', undefined, shapeOf('GET /journal', JOURNAL_PAGE_SCHEMA)), {
    code: 'CICSMAIL_REGION_ANSWER',
    message: `GET /journal of the region at ${wrong.url} is not what a cicsmail region answers: records/1 must be object`,
  });
});

t.test('journal over several regions: a failing one is named and left out, the others shown, exit 3', async (t) => {
  const fakes: [string, FakeRegion, RegExp][] = [
    [
      'silent',
      await startFakeRegion(t, silent),
      /took the request but gave no answer within 300 ms; --timeout S waits longer/,
    ],
    [
      'trickling',
      await startFakeRegion(t, trickling),
      /did not finish its answer within 300 ms \(\d+ bytes had come\); --timeout S waits longer/,
    ],
    [
      'without end',
      await startFakeRegion(t, endless),
      /sent an answer of more, more than the 67,108,864 bytes taken; the rest was not read/,
    ],
    [
      'a record that is null',
      await startFakeRegion(t, answering({ sysid: 'FAKE', records: [record(1), null], next: null })),
      /is not what a cicsmail region answers: records\/1 must be object; is --url \(or CICSMAIL_URL\) a cicsmail region\?/,
    ],
    [
      'a record without its state',
      await startFakeRegion(t, answering({ sysid: 'FAKE', records: [{ ...record(1), state: undefined }], next: null })),
      /records\/0 must have required property 'state'/,
    ],
    [
      'the same page again and again',
      await startFakeRegion(t, (req, res, fake) => {
        res.writeHead(200, { 'content-type': 'application/json', 'x-cics-sysid': 'FAKE' });
        // `limit` records and a next of 1, whatever `after` was asked: a loop for a reader that trusts it.
        const limit = Number(new URL(req.url ?? '/', fake.url).searchParams.get('limit') ?? 1);
        res.end(JSON.stringify({ sysid: 'FAKE', records: [record(1)].slice(0, limit), next: 1 }));
      }),
      /GET \/journal of the region at \S+ gave (record 1 after 1|next 1 after 1): its pages do not move forward/,
    ],
  ];
  for (const [name, fake, why] of fakes) {
    await t.test(name, async (t) => {
      const urls = `${region.url},${fake.url}`;
      for (const action of ['list', 'export']) {
        const before = fake.requests.length;
        const timeout = name === 'without end' ? LONG_TIMEOUT_S : TIMEOUT_S;
        const out = await run(['journal', action, '--url', urls, '--timeout', timeout]);
        if (name === 'the same page again and again')
          t.ok(fake.requests.length - before <= 2, `${action}: a page or two, not a loop`);
        t.equal(out.code, 3, `${action}: exit 3`);
        t.match(
          out.stderr,
          new RegExp(`cicsmail: WARNING: (the region|region FAKE) at ${fake.url} is left out of this view: `),
        );
        t.match(out.stderr, why);
        // The records of the region that answered; of the fake one, at most what it gave before it failed, once.
        if (action === 'list') {
          const refs = shownRefs(out.stdout);
          t.same(
            refs.filter((r) => r?.startsWith('REAL:')),
            ['REAL:1', 'REAL:2'],
            'the records of the region that answered',
          );
          t.ok(refs.filter((r) => r?.startsWith('FAKE:')).length <= 1, 'no record of the failing one twice');
        } else t.equal(out.stdout.match(/,REAL,,,\r\n/g)?.length, 2, 'the two rows of the region that answered');
      }
    });
  }
  await t.test('stats: a malformed answer is left out too', async (t) => {
    const fake = await startFakeRegion(t, answering({ records: 'many', byState: {}, byTranid: {}, bytes: 0 }));
    const out = await run(['journal', 'stats', '--url', `${region.url},${fake.url}`, '--timeout', TIMEOUT_S]);
    t.equal(out.code, 3);
    t.match(JSON.parse(out.stdout), { records: 2 });
    t.match(
      out.stderr,
      /GET \/journal\/stats of the region at \S+ is not what a cicsmail region answers: records must be integer/,
    );
  });
  await t.test('show and replay: a silent region among them', async (t) => {
    const fake = await startFakeRegion(t, silent);
    const urls = `${region.url},${fake.url}`;
    const shown = await run(['journal', 'show', 'REAL:1', '--url', urls, '--timeout', TIMEOUT_S]);
    t.equal(shown.code, 3);
    t.match(JSON.parse(shown.stdout), { seq: 1, sysid: 'REAL' });
    const replayed = await run(['journal', 'replay', '--dry-run', '--url', urls, '--timeout', TIMEOUT_S]);
    t.equal(replayed.code, 3);
    t.same(shownRefs(replayed.stdout), ['REAL:1', 'REAL:2']);
    t.match(replayed.stderr, /gave no answer within 300 ms/);
  });
  await t.test('no region answers: exit 1', async (t) => {
    const fake = await startFakeRegion(t, silent);
    const out = await run(['journal', 'list', '--url', fake.url, '--timeout', TIMEOUT_S]);
    t.equal(out.code, 1);
    t.match(out.stderr, /\ncicsmail: no region answered/);
  });
});

t.test('send, cemt and redrive against a region that fails them: one clear error, and they end', async (t) => {
  const quiet = await startFakeRegion(t, silent);
  const slow = await startFakeRegion(t, trickling);
  const flood = await startFakeRegion(t, endless);
  const tasksNull = await startFakeRegion(t, answering([null]));
  const statements = 'FROM a@corp.example\nTO b@corp.example\nSUBJECT x\nSEND\n';
  const send = (url: string) =>
    run(['send', '--url', url, '--timeout', url === flood.url ? LONG_TIMEOUT_S : TIMEOUT_S], statements);
  for (const [fake, why] of [
    [quiet, /took the request but gave no answer within 300 ms; --timeout S waits longer/],
    [slow, /did not finish its answer within 300 ms/],
    [flood, /more than the 67,108,864 bytes taken/],
  ] as const) {
    const out = await send(fake.url);
    t.equal(out.code, 20, 'send: 20, the transaction did not run (as far as the caller knows)');
    t.match(out.stderr, new RegExp(`^cicsmail send: the region at ${fake.url} `));
    t.match(out.stderr, why);
  }
  for (const [fake, why] of [
    [quiet, /gave no answer within 300 ms; --timeout S waits longer\n$/],
    [slow, /did not finish its answer within 300 ms/],
    [flood, /more than the 67,108,864 bytes taken/],
    [tasksNull, /GET \/cemt\/tasks of the region at \S+ is not what a cicsmail region answers: 0 must be object/],
  ] as const) {
    const timeout = fake === flood ? LONG_TIMEOUT_S : TIMEOUT_S;
    const out = await run(['cemt', 'inquire', 'task', '--url', fake.url, '--timeout', timeout]);
    t.equal(out.code, 1, 'cemt: 1');
    t.match(out.stderr, why);
  }
  // Redrive asks the region once before any task: a silent one is one error, not a changed outcome a task.
  const redrive = await run(['journal', 'replay', '--redrive', '--url', quiet.url, '--timeout', TIMEOUT_S]);
  t.equal(redrive.code, 1);
  t.equal(redrive.stdout, '');
  t.match(
    redrive.stderr,
    /^cicsmail: the region at \S+ took the request but gave no answer within 300 ms; --timeout S waits longer\n$/,
  );
});

t.test('load: against a silent region it ends; against an answer without end its memory stays bounded', async (t) => {
  const quiet = await startFakeRegion(t, silent);
  const load = (args: string[]) => run(['load', ...args]);
  // Its --timeout is whole seconds from 1 (autocannon's); a second is ten times what loopback needs.
  const stuck = await load([quiet.url, '--timeout', '1', '--requests', '2']);
  t.equal(stuck.code, 1);
  t.match(stuck.stderr, /took the request but gave no answer within 1 s; --timeout S waits longer/);
  t.same(await run(['load', quiet.url, '--timeout', '0.3']), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: --timeout is a number of seconds of at least 1, not '0.3'\n",
  });

  // The first request (the load's check of the credentials) is answered; every mail's answer has no end.
  const flood = await startFakeRegion(t, (req, res, fake) => {
    if (req.url?.startsWith('/cics/LOAD-PREFLIGHT')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"resp":"TRANSIDERR","message":"no"}');
    } else endless(req, res, fake);
  });
  const cut = await load([flood.url, '--timeout', '10', '--requests', '2', '--connections', '1', '--json']);
  t.equal(cut.code, 1, 'nothing answered');
  const summary = JSON.parse(cut.stdout) as { requests: { sent: number; answered: number; errors: number } };
  t.match(summary.requests, { answered: 0, errors: 2 });
  // Each answer cut at 4 MiB: what the server wrote is that and the sockets' buffers, not gigabytes.
  t.ok(flood.written < 2 * (4 + 16) * 1024 * 1024, `${flood.written} bytes written by the server`);

  const slow = await startFakeRegion(t, (req, res, fake) => {
    if (req.url?.startsWith('/cics/LOAD-PREFLIGHT')) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{}');
    } else trickling(req, res, fake);
  });
  const trickled = await load([slow.url, '--timeout', '1', '--requests', '2', '--connections', '1', '--json']);
  t.equal(trickled.code, 1);
  t.match((JSON.parse(trickled.stdout) as { requests: unknown }).requests, { answered: 0, timeouts: 2 });
});

t.test('load: a run that ends with requests on the way adds up', async (t) => {
  // Each answer a quarter second late: a one-second run ends with requests on the way.
  const late = await startFakeRegion(t, (req, res) => {
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'x-cics-resp': 'NORMAL', 'x-mail-rc': '0' });
      res.end('ok');
    }, 250);
  });
  const out = await run(['load', late.url, '--duration', '1', '--connections', '4']);
  t.equal(out.code, 0, out.stderr);
  const line = out.stdout.split('\n')[1] ?? '';
  const m =
    /; (\d+) sent = (\d+) answered \+ (\d+) without an answer \(\d+ timed out\) \+ (\d+) still on the way when the run ended$/.exec(
      line,
    );
  t.ok(m, line);
  const [sent, answered, errors, onTheWay] = (m ?? []).slice(1).map(Number) as [number, number, number, number];
  t.equal(sent, answered + errors + onTheWay, 'it adds up');
  t.match(out.stdout, /^ {2}HTTP {3}200 ×\d+$/m, 'a status, then how many times');
});
