// Redrive: the journal keeps each task's request; the recorded tasks run again on a region
// (over HTTP and from the command line) and their outcomes are compared, RC by RC.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { simpleParser } from 'mailparser';
import { cicsmail as run } from '../helpers/cli.js';
import { startRegion } from '../helpers/region.js';
import { startRelay, smtpError } from '../helpers/relay.js';
import { TESTER } from '../helpers/users.js';
import { ebcdicLines } from '../helpers/ebcdic.js';
import { buildMailCommarea } from '../../client/mailca.js';
import type { RedriveReport } from '../../client/redrive.js';

let deferAll = false;
const relay = await startRelay(t, {
  rcptTo: (a) => (a.address.startsWith('gone@') ? smtpError(550, '5.1.1 no such user') : undefined),
  mailFrom: () => (deferAll ? smtpError(451, '4.3.0 busy') : undefined),
});
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_RETRY_FIRST_MS: '3600000' });

const mail = (to: string, subject: string) =>
  buildMailCommarea({ from: 'batch@corp.example', to, subject, body: 'hello' }, 37);
const attachment = randomBytes(5000);

// The recorded run: every form a task can come in, and every kind of outcome.
const channel = new FormData();
channel.append(
  'DFHCOMMAREA',
  new Blob([mail('ops@corp.example', 'with attachment')], { type: 'application/octet-stream' }),
);
channel.append('DUMP', new Blob([attachment], { type: 'application/octet-stream' }), 'dump.bin');
const recorded: [string, Response][] = [
  ['bytes RC 0', await region.post('MAIL', mail('ops@corp.example', 'one'), { 'x-cics-jobname': 'NIGHTLY' })],
  [
    'json RC 0',
    await region.fetch(`/cics/MAIL`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        mc_version: '01',
        mc_from: 'batch@corp.example',
        mc_to: 'ops@corp.example',
        mc_subject: 'json',
      }),
    }),
  ],
  ['channel RC 0', await region.fetch(`/cics/MAIL`, { method: 'POST', body: channel })],
  ['RC 12', await region.post('MAIL', mail('gone@corp.example', 'refused'))],
  [
    'SEND RC 8',
    await region.post(
      'SEND',
      ebcdicLines(['FROM batch@corp.example', 'TO ops@corp.example', 'SUBJECT send', 'SEND', 'FRMO x'], 37),
    ),
  ],
  ['LENGERR', await region.post('MAIL', Buffer.alloc(10, 0x40))],
  // Refused by the JSON schema before any task starts: not a task either.
  [
    'not a task',
    await region.fetch(`/cics/MAIL`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"mc_bogus":1}',
    }),
  ],
  ['not a task', await region.post('NOPE', Buffer.alloc(1))],
];
for (const [, res] of recorded) await res.arrayBuffer();

async function replay(body: Record<string, unknown>): Promise<RedriveReport & { mode: string }> {
  const res = await region.fetch(`/journal/replay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'redrive', ...body }),
  });
  t.equal(res.status, 200, 'replay answered 200');
  return (await res.json()) as RedriveReport & { mode: string };
}

/** The command line, run in this process. */
function cicsmail(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(args, {
    CICSMAIL_DATA: region.config.dataDir,
    CICSMAIL_URL: region.url,
    CICSMAIL_USER: `${TESTER.id}:${TESTER.password}`,
  });
}

t.test('the journal keeps every task: its request as it came and what it answered', async (t) => {
  const tasks = [...region.journal().tasks.scan()];
  t.same(
    tasks.map((x) => [x.id, x.tranid]),
    [
      [1, 'MAIL'],
      [2, 'MAIL'],
      [3, 'MAIL'],
      [4, 'MAIL'],
      [5, 'SEND'],
      [6, 'MAIL'],
    ],
    'an unknown tranid or a body the schema refuses is no task',
  );
  t.same(
    tasks.map((x) => x.outcome),
    [
      { kind: 'normal', rc: 0 },
      { kind: 'normal', rc: 0 },
      { kind: 'normal', rc: 0 },
      { kind: 'normal', rc: 12 },
      { kind: 'normal', rc: 8 },
      { kind: 'failed', resp: 'LENGERR', abcode: 'AEIV' },
    ],
  );
  const [first, json, withChannel] = tasks;
  t.equal(first?.jobname, 'NIGHTLY');
  t.equal(first?.ccsid, 37);
  t.ok(
    first?.commarea.form === 'bytes' && Buffer.from(first.commarea.bytes).equals(mail('ops@corp.example', 'one')),
    'the COMMAREA byte for byte',
  );
  t.same(json?.commarea, {
    form: 'json',
    json: { mc_version: '01', mc_from: 'batch@corp.example', mc_to: 'ops@corp.example', mc_subject: 'json' },
  });
  t.equal(withChannel?.containers[0]?.name, 'DUMP');
  t.ok(Buffer.from(withChannel?.containers[0]?.data ?? []).equals(attachment), 'the container byte for byte');
  t.same(first?.journalSeqs, [1]);
  t.equal(recorded[0]?.[1].headers.get('x-mail-rc'), '0', 'MAIL answers X-Mail-RC too');
});

t.test('redrive over HTTP: the same outcomes, RC by RC, and the mails sent again', async (t) => {
  const before = relay.mails.length;
  // One at a time, so the task log gets them in the recorded order (ids 7 to 12).
  const report = await replay({ concurrency: 1 });
  t.equal(report.mode, 'redrive');
  t.equal(report.tasks, 6);
  t.equal(report.different, 0, JSON.stringify(report.differences));
  t.same(report.transitions, {
    'RC 0 -> RC 0': 3,
    'RC 12 -> RC 12': 1,
    'RC 8 -> RC 8': 1,
    'LENGERR AEIV -> LENGERR AEIV': 1,
  });
  const again = relay.mails.slice(before);
  t.equal(again.length, 4, 'three RC 0 mails and the first mail of the SEND');
  const withAttachment = await Promise.all(again.map((m) => simpleParser(m.message)));
  const dump = withAttachment.flatMap((p) => p.attachments).find((a) => a.filename === 'dump.bin');
  t.ok(dump?.content.equals(attachment), 'the channel ran again with its container');
  t.equal(region.journal().tasks.get(7)?.jobname, 'NIGHTLY', 'the redriven tasks are recorded too, with their jobname');
});

t.test('redrive finds what changed: a relay now answering 4xx turns RC 0 into RC 4', async (t) => {
  deferAll = true;
  t.teardown(() => {
    deferAll = false;
  });
  const report = await replay({
    filter: { tranid: 'MAIL', until: new Date(Date.parse(region.journal().tasks.get(6)!.at) + 1).toISOString() },
    limit: 3,
  });
  t.equal(report.tasks, 3);
  t.same(report.transitions, { 'RC 0 -> RC 4': 3 });
  t.same(
    report.differences.map((d) => [d.id, d.was, d.now]),
    [
      [1, 'RC 0', 'RC 4'],
      [2, 'RC 0', 'RC 4'],
      [3, 'RC 0', 'RC 4'],
    ],
  );
});

t.test("filters: by the tasks' mails (state), by tranid; a dry run sends nothing", async (t) => {
  const before = relay.mails.length;
  const failed = await replay({ filter: { state: 'FAILED' }, dryRun: true });
  t.same(
    failed.differences.map((d) => [d.id, d.was]),
    [
      [4, 'RC 12'],
      [10, 'RC 12'],
    ],
    'the tasks whose mail FAILED',
  );
  const sends = await replay({ filter: { tranid: 'send' }, dryRun: true });
  t.same(
    sends.differences.map((d) => d.id),
    [5, 11],
  );
  t.equal(relay.mails.length, before);
});

t.test('--speed keeps the recorded pace', async (t) => {
  // Three tasks 400 ms apart, under a jobname of their own.
  for (let i = 0; i < 3; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 400));
    await (
      await region.post('MAIL', mail('ops@corp.example', `paced ${i}`), { 'x-cics-jobname': 'PACED' })
    ).arrayBuffer();
  }
  // The task log is written after the answer: wait for the third entry.
  for (let i = 0; i < 50 && [...region.journal().tasks.scan()].filter((x) => x.jobname === 'PACED').length < 3; i++)
    await new Promise((r) => setTimeout(r, 20));
  const paced = await replay({ filter: { jobname: 'PACED' }, speed: 1 });
  t.equal(paced.tasks, 3);
  t.ok(paced.elapsedMs >= 750, `at speed 1 the 800 ms of gaps are kept (${paced.elapsedMs} ms)`);
  t.equal(paced.different, 0);
});

t.test('from the command line, reading the journal while the region runs', async (t) => {
  const dry = await cicsmail(['journal', 'replay', '--redrive', '--dry-run', '--tranid', 'SEND']);
  t.equal(dry.code, 0, dry.stderr);
  t.match(dry.stdout, /^ {5}5 {2}SEND {2}\S+ {2}RC 8\n/);
  t.match(dry.stdout, /\n\d+ tasks would be run again on http:\/\/127\.0\.0\.1:\d+\n$/);

  const same = await cicsmail(['journal', 'replay', '--redrive', '--jobname', 'NIGHTLY', '--limit', '1']);
  t.equal(same.code, 0, same.stderr);
  t.match(
    same.stdout,
    /^redrive of 1 tasks on http:\/\/127\.0\.0\.1:\d+: 1 the same, 0 different, in [\d.]+ s\n {2}RC 0 -> RC 0 +1\n$/,
  );

  deferAll = true;
  t.teardown(() => {
    deferAll = false;
  });
  const changed = await cicsmail(['journal', 'replay', '--redrive', '--jobname', 'NIGHTLY', '--limit', '1', '--json']);
  t.equal(changed.code, 1, 'exit 1 where an outcome changed');
  const report = JSON.parse(changed.stdout) as RedriveReport;
  t.same(report.transitions, { 'RC 0 -> RC 4': 1 });

  t.same(await cicsmail(['journal', 'replay', '--redrive', '--speed', '0']), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: --speed '0' is not a number above 0 and at most 1000\n",
  });
  t.same(await cicsmail(['journal', 'replay', '--redrive', '--relay', 'smtp://x:25']), {
    code: 2,
    stdout: '',
    stderr: 'cicsmail: --relay is for redeliver; redrive runs tasks on the region at --url\n',
  });
});
