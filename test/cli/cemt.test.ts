// cicsmail cemt: CEMT from a shell, the command run in this process against a region:
// INQUIRE in columns and as JSON, SET that the region then acts on (a disabled MAIL answers
// 503 DISABLED), abbreviations, usage errors and refusals.
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { defaultDefinitions } from '../../region/definitions.js';
import { buildMailCommarea } from '../../client/mailca.js';
import { cicsmail } from '../helpers/cli.js';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { shopFolder } from '../helpers/shop.js';
import { TESTER } from '../helpers/users.js';

const PAUSE = new URL('../fixtures/programs/pause.ts', import.meta.url).href;
const HOLD = new URL('../fixtures/programs/hold.ts', import.meta.url).href;

const relay = await startRelay(t);
const region = await startRegion(
  t,
  { CICSMAIL_RELAY: relay.url },
  {
    definitions: [
      ...defaultDefinitions(),
      { tranid: 'WAIT', program: PAUSE, enabled: true, timeLimitMs: 30_000, description: 'pause' },
      { tranid: 'HOLD', program: HOLD, enabled: true, timeLimitMs: 60_000, description: 'hold' },
    ],
    users: [{ id: 'OPER1', password: 'oper1-password', transactions: ['*'], senders: ['*'] }],
  },
);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cemt(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return cicsmail(['cemt', ...args], {
    CICSMAIL_URL: region.url,
    CICSMAIL_USER: `${TESTER.id}:${TESTER.password}`,
    ...env,
  });
}

/** Runs `args`, expecting exit 0 and nothing on standard error. */
async function ok(t: Test, args: string[]): Promise<string> {
  const run = await cemt(args);
  t.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
  t.equal(run.stderr, '', args.join(' '));
  return run.stdout;
}
const json = async <T>(t: Test, args: string[]): Promise<T> => JSON.parse(await ok(t, [...args, '--json'])) as T;
const mail = () =>
  region.post('MAIL', buildMailCommarea({ from: 'batch@corp.example', to: 'ops@corp.example', subject: 'cemt' }, 37));

t.test('inquire system: counts in aligned lines, or the region JSON', async (t) => {
  t.equal((await mail()).status, 200);
  const [text, answer] = await Promise.all([
    ok(t, ['inquire', 'system']),
    json<Record<string, unknown>>(t, ['inquire', 'system']),
  ]);
  t.match(text, /^Sysid {6}\S+$/m);
  t.match(text, /^Maxtasks {3}\d+$/m);
  t.match(text, /^Tasks run {2}[1-9]\d* {2}\(.*MAIL \d+.*\)$/m);
  t.match(text, /^Abends {5}/m);
  t.match(text, /^Mails {6}ACCEPTED \d+, SENT [1-9]\d*, DEFERRED \d+, FAILED \d+, DENIED \d+$/m);
  t.match(text, /^Pool {7}1 workers, capacity \d+, \d+ running$/m);
  t.match(text, /^Queue {6}\d+ waiting$/m);
  t.match(text, /^Backlog {4}0 mails due for retry$/m);
  t.match(text, /^Starts {5}0 waiting$/m);
  t.match(text, /^Classes {4}none$/m);
  const fromRegion = (await (await region.fetch('/cemt/region')).json()) as { startedAt: string };
  t.same(answer, fromRegion, 'the JSON as the region answered');
  t.match(answer, {
    tasks: { run: Number, byTranid: { MAIL: Number } },
    mails: { SENT: Number },
    pool: { workers: 1 },
  });
});

t.test('inquire transaction: all, one, and as JSON', async (t) => {
  const [all, one, oneJson, allJson, none] = await Promise.all([
    ok(t, ['inquire', 'transaction']),
    ok(t, ['inquire', 'transaction', 'wait']),
    json(t, ['inquire', 'transaction', 'WAIT']),
    json(t, ['inquire', 'transaction']),
    cemt(['inquire', 'transaction', 'NOPE']),
  ]);
  const lines = all.trimEnd().split('\n');
  t.match(lines[0], /^TRAN {2}STATUS {3}CLASS {2}TIMELIMIT\(MS\) {2}PROGRAM {2}COPYBOOK {2}DESCRIPTION$/);
  t.ok(
    lines.some((l) => /^MAIL {2}enabled {2}- {6} +\d+ {2}MAIL {5}MAILCA {4}\S/.test(l)),
    'MAIL enabled, in no class',
  );
  t.ok(
    lines.some((l) => /^WAIT {2}enabled {2}- {6} +30000 {2}- {8}- {9}pause$/.test(l)),
    'WAIT with its time limit',
  );
  t.equal(
    one,
    'TRAN  STATUS   CLASS  TIMELIMIT(MS)  PROGRAM  COPYBOOK  DESCRIPTION\n' +
      'WAIT  enabled  -              30000  -        -         pause\n',
  );
  t.same(oneJson, [
    {
      tranid: 'WAIT',
      enabled: true,
      class: null,
      timeLimitMs: 30_000,
      program: null,
      copybook: null,
      description: 'pause',
    },
  ]);
  t.same(allJson, await (await region.fetch('/cemt/transactions')).json(), 'the JSON as the region answered');
  t.same(none, { code: 1, stdout: '', stderr: "cicsmail: transaction 'NOPE' is not defined in this region\n" });
});

t.test('inquire task: the tasks in the region now, with their age', async (t) => {
  t.equal(await ok(t, ['inquire', 'task']), 'no tasks\n');
  // A task that runs until the test lets it go.
  const latch = `${t.testdir()}/go`;
  const running = region.post('HOLD', Buffer.from(latch), { 'x-cics-jobname': 'PAYROLL' });
  while (!existsSync(`${latch}.started`)) await new Promise((r) => setTimeout(r, 10));
  const [text, tasks] = await Promise.all([ok(t, ['i', 'tas']), json<unknown[]>(t, ['inquire', 'task'])]);
  const lines = text.trimEnd().split('\n');
  t.equal(lines.length, 2);
  t.match(lines[0], /^ *TASK {2}TRAN {2}USER {4}JOBNAME {2}AGE\(S\) {2}STATE$/);
  t.match(lines[1], /^ *\d+ {2}HOLD {2}TESTER {2}PAYROLL {2} *\d+\.\d {2}running$/);
  t.equal(lines[0]?.indexOf('STATE'), lines[1]?.indexOf('running'), 'aligned columns');
  t.match(tasks, [
    { taskn: Number, tranid: 'HOLD', user: 'TESTER', jobname: 'PAYROLL', ageMs: Number, state: 'running' },
  ]);
  writeFileSync(latch, 'go');
  t.equal((await running).status, 200);
});

t.test('set transaction MAIL disabled: the region answers 503 DISABLED until it is enabled', async (t) => {
  t.match(
    await ok(t, ['set', 'transaction', 'MAIL', 'disabled']),
    /^TRAN {2}STATUS {4}CLASS {2}TIMELIMIT\(MS\)\nMAIL {2}disabled {2}- {6} *\d+\n$/,
  );
  const refused = await mail();
  t.equal(refused.status, 503);
  t.equal(refused.headers.get('x-cics-resp'), 'DISABLED');
  t.match(await ok(t, ['inquire', 'transaction', 'MAIL']), /^MAIL {2}disabled /m);
  t.match(
    await json(t, ['s', 'trans', 'mail', 'EN']),
    { tranid: 'MAIL', enabled: true, class: null },
    'keywords cut short, in any case',
  );
  t.equal((await mail()).status, 200);
});

t.test('set tranclass, then put a transaction in it; inquire tranclass', async (t) => {
  t.equal(await ok(t, ['inquire', 'tranclass']), 'no transaction classes\n');
  t.equal(
    await ok(t, ['set', 'tranclass', 'batch', '--max-active', '4', '--purge-threshold', '20']),
    'CLASS  MAXACTIVE  PURGETHRESH\nBATCH          4           20\n',
  );
  t.same(
    await json(t, ['set', 'tranclass', 'BATCH', '--max-active', '3']),
    { class: 'BATCH', maxActive: 3, purgeThreshold: 20 },
    'a value left out stays',
  );
  t.same(await json(t, ['s', 'tranc', 'BATCH', '--purge-threshold', 'none']), {
    class: 'BATCH',
    maxActive: 3,
    purgeThreshold: null,
  });
  const [text, all, one] = await Promise.all([
    ok(t, ['inq', 'tranc']),
    json(t, ['inquire', 'tranclass']),
    json(t, ['inquire', 'tranclass', 'batch']),
  ]);
  t.equal(text, 'CLASS  MAXACTIVE  PURGETHRESH  ACTIVE  QUEUED\nBATCH          3         none       0       0\n');
  t.same(all, { BATCH: { maxActive: 3, purgeThreshold: null, active: 0, queued: 0 } });
  t.same(one, all);

  t.equal(
    await ok(t, ['set', 'transaction', 'WAIT', '--class', 'batch', '--time-limit', '60000']),
    'TRAN  STATUS   CLASS  TIMELIMIT(MS)\nWAIT  enabled  BATCH          60000\n',
  );
  const [wait, system] = await Promise.all([json(t, ['inquire', 'transaction', 'WAIT']), ok(t, ['i', 'sys'])]);
  t.same(wait, [
    {
      tranid: 'WAIT',
      enabled: true,
      class: 'BATCH',
      timeLimitMs: 60_000,
      program: null,
      copybook: null,
      description: 'pause',
    },
  ]);
  t.match(system, /^Classes {4}BATCH$/m);
  t.same(await json(t, ['set', 'transaction', 'WAIT', '--no-class', '--time-limit', '30000']), {
    tranid: 'WAIT',
    enabled: true,
    class: null,
    timeLimitMs: 30_000,
  });

  const [undefinedClass, newWithoutMax] = await Promise.all([
    cemt(['set', 'transaction', 'WAIT', '--class', 'NOSUCH']),
    cemt(['set', 'tranclass', 'OTHER', '--purge-threshold', '5']),
  ]);
  t.same(undefinedClass, {
    code: 1,
    stdout: '',
    stderr: 'cicsmail: HTTP 400 INVREQ AEIP: class NOSUCH is not defined; PUT /cemt/classes/NOSUCH first\n',
  });
  t.same(newWithoutMax, {
    code: 1,
    stdout: '',
    stderr: 'cicsmail: class OTHER is not defined in this region; give --max-active to make it\n',
  });
});

t.test('set system: MAXTASKS and the queue bound', async (t) => {
  t.equal(
    await ok(t, ['set', 'system', '--max-tasks', '64', '--max-queued', '1000']),
    'Maxtasks   64\nMaxqueued  1000\n',
  );
  t.same(await json(t, ['s', 'sy', '--max-tasks', '32']), { maxTasks: 32, maxQueued: 1000 });
  const [after, tooMany] = await Promise.all([
    json(t, ['inquire', 'system']),
    cemt(['set', 'system', '--max-tasks', '0']),
  ]);
  t.match(after, { maxTasks: 32, maxQueued: 1000 });
  t.equal(tooMany.code, 1);
  t.match(tooMany.stderr, /^cicsmail: HTTP 400 INVREQ AEIP: .*maxTasks.*\n$/);
});

const HELP_HINT = "; 'cicsmail cemt --help' says more";

t.test('usage errors exit 2 and name the choices', async (t) => {
  const cases: [string[], string][] = [
    [
      ['inquire', 'bogus'],
      "cemt inquire: unknown keyword 'bogus': choose task, transaction, program, tranclass, system or start" +
        HELP_HINT,
    ],
    [['i', 'tra'], "cemt inquire: 'tra' could be transaction or tranclass; give more of it"],
    [['perform', 'shutdown'], "cemt: unknown keyword 'perform': choose inquire, set or cancel" + HELP_HINT],
    [['set', 'task'], "cemt set: unknown keyword 'task': choose transaction, program, tranclass or system" + HELP_HINT],
    [
      ['set', 'transaction', 'MAIL', 'off'],
      "set transaction: unknown keyword 'off': choose enabled or disabled" + HELP_HINT,
    ],
    [
      ['set', 'transaction', 'MAIL', 'disbled'],
      "set transaction: unknown keyword 'disbled' (did you mean disabled?): choose enabled or disabled" + HELP_HINT,
    ],
    [
      ['set', 'transaction', 'MAIL', '--disabled'],
      '--disabled is not an option of cicsmail cemt: write disabled without dashes',
    ],
    [['set', 'transaction', 'MAIL'], 'set transaction needs enabled, disabled, --class, --no-class or --time-limit'],
    [
      ['set', 'transaction', 'MAIL', '--max-tasks', '3'],
      "--max-tasks is not an option of 'cemt set transaction'; it takes --class, --no-class, --time-limit" + HELP_HINT,
    ],
    [
      ['inquire', 'task', '--url'],
      "--url needs a value (--url VALUE, or --url=VALUE for one that starts with '-')" + HELP_HINT,
    ],
    [['set', 'tranclass', 'BATCH', '--max-active', 'four'], "--max-active 'four' is not a whole number"],
  ];
  const runs = await Promise.all([...cases.map(([args]) => cemt(args)), cemt(['--help'])]);
  for (const [i, [args, message]] of cases.entries())
    t.same(runs[i], { code: 2, stdout: '', stderr: `cicsmail: ${message}\n` }, args.join(' '));
  t.match(runs.at(-1), { code: 0, stdout: /^usage: cicsmail cemt inquire /, stderr: '' });
});

t.test('refusals exit 1 with the region reason', async (t) => {
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const { port } = closed.address() as AddressInfo;
  await new Promise((r) => closed.close(r));
  const [wrong, none, oper, flag, unknown, away] = await Promise.all([
    cemt(['inquire', 'system'], { CICSMAIL_USER: `${TESTER.id}:not-the-password` }),
    cemt(['inquire', 'task'], { CICSMAIL_USER: '' }),
    cemt(['set', 'transaction', 'MAIL', 'disabled'], { CICSMAIL_USER: 'OPER1:oper1-password' }),
    cemt(['inquire', 'system', '--user', 'OPER1:oper1-password']),
    cemt(['set', 'transaction', 'NOPE', 'enabled']),
    cemt(['inquire', 'task'], { CICSMAIL_URL: `http://127.0.0.1:${port}` }),
  ]);
  t.same(wrong, {
    code: 1,
    stdout: '',
    stderr:
      'cicsmail: HTTP 401 NOTAUTH AEY7: user id or password not valid; check the user id and password of --user (or CICSMAIL_USER)\n',
  });
  t.same(none, {
    code: 2,
    stdout: '',
    stderr:
      'cicsmail: no user to log in to the region with: give --user ID:PASSWORD or set CICSMAIL_USER (it takes no request without one)\n',
  });
  t.same(oper, {
    code: 1,
    stdout: '',
    stderr:
      'cicsmail: HTTP 403 NOTAUTH AEY7: user OPER1 is not an administrator of this region; --user (or CICSMAIL_USER) must name an administrator\n',
  });
  t.equal((await mail()).status, 200, 'MAIL is still enabled');
  t.match(flag, { code: 1, stderr: /not an administrator/ }, '--user over CICSMAIL_USER');
  t.same(unknown, {
    code: 1,
    stdout: '',
    stderr: "cicsmail: HTTP 404 TRANSIDERR AEI1: transaction 'NOPE' is not defined in this region\n",
  });
  t.match(away, {
    code: 1,
    stdout: '',
    stderr: new RegExp(
      `^cicsmail: cannot reach the region at http://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*; is the region running, and is it the one --url \\(or CICSMAIL_URL\\) names\\?\\n$`,
    ),
  });
});

t.test('inquire program and set program --newcopy: a module loaded again', async (t) => {
  const shop = shopFolder(
    t,
    { transactions: { NOTE: { program: 'programs/notify.mjs' } } },
    { 'programs/notify.mjs': 'export default async () => new Uint8Array([1]);\n' },
  );
  const other = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_CONFIG: shop.config });
  const run = (args: string[]) => cemt(args, { CICSMAIL_URL: other.url });
  const listed = await run(['inquire', 'program']);
  t.equal(listed.stderr, '');
  t.equal(
    listed.stdout,
    'PROGRAM  KIND     VERSION  TRANSACTIONS  FILE\n' +
      'MAIL     builtin        -  MAIL\n' +
      'MINQ     builtin        -  MINQ\n' +
      'SEND     builtin        -  SEND\n' +
      'SPOL     builtin        -  SPOL\n' +
      'NOTIFY   module         1  NOTE          programs/notify.mjs\n',
  );
  shop.write('programs/notify.mjs', 'export default async () => new Uint8Array([2]);\n');
  const loaded = await run(['s', 'prog', 'notify', '--newcopy']);
  t.same(loaded, {
    code: 0,
    stdout:
      'PROGRAM  KIND    VERSION  TRANSACTIONS  FILE\nNOTIFY   module        2  NOTE          programs/notify.mjs\n',
    stderr: '',
  });
  t.same(Buffer.from(await (await other.post('NOTE', Buffer.alloc(0))).arrayBuffer()), Buffer.from([2]));
  t.same(JSON.parse((await run(['inquire', 'program', 'NOTIFY', '--json'])).stdout), [
    { program: 'NOTIFY', kind: 'module', version: 2, file: 'programs/notify.mjs', transactions: ['NOTE'] },
  ]);
  t.same(await run(['set', 'program', 'MAIL', '--newcopy']), {
    code: 1,
    stdout: '',
    stderr:
      'cicsmail: HTTP 409 INVREQ: NEWCOPY of program MAIL refused, its copy kept: MAIL is built in: it changes with the region, not by NEWCOPY\n',
  });
  t.match(await run(['set', 'program', 'NOTIFY']), { code: 2, stderr: /set program needs --newcopy/ });
  t.match(await run(['inquire', 'program', 'NOPE']), {
    code: 1,
    stderr: "cicsmail: program 'NOPE' is not defined in this region\n",
  });
});

t.test('inquire start and cancel start: a START waiting, cancelled, then on record', async (t) => {
  const start = await region.post(
    'MAIL',
    buildMailCommarea({ from: 'batch@corp.example', to: 'ops@corp.example', subject: 'tomorrow' }, 37),
    { 'x-cics-start-interval': '240000', 'x-cics-reqid': 'nightly', 'x-cics-jobname': 'BATCH1' },
  );
  t.equal(start.status, 202);
  const text = await ok(t, ['i', 'st']);
  const [head, row, ...rest] = text.trimEnd().split('\n');
  t.match(head, /^REQID\s+TRAN\s+USER\s+JOBNAME\s+DUE\s+STATE\s+TASK\s+OUTCOME\s+JOURNAL$/);
  t.match(row, /^NIGHTLY\s+MAIL\s+TESTER\s+BATCH1\s+\S+Z\s+WAITING\s+-\s+-\s+-$/);
  t.same(rest, []);
  const [one] = await json<{ reqid: string; state: string; dueAt: string }[]>(t, ['inquire', 'start', 'nightly']);
  t.match(one, { reqid: 'NIGHTLY', state: 'WAITING' });
  t.match(await ok(t, ['cancel', 'start', 'NIGHTLY']), /^NIGHTLY\s+MAIL\s+TESTER\s+BATCH1\s+\S+\s+CANCELLED/m);
  t.equal((await ok(t, ['inquire', 'start'])).trim(), 'no STARTs');
  const all = await json<{ reqid: string; state: string }[]>(t, ['inquire', 'start', '--all']);
  t.same(
    all.filter((s) => s.reqid === 'NIGHTLY').map((s) => s.state),
    ['CANCELLED'],
  );
  const again = await cemt(['cancel', 'start', 'NIGHTLY']);
  t.equal(again.code, 1);
  t.match(again.stderr, /START NIGHTLY does not wait: it is CANCELLED/);
  t.match(await cemt(['cancel', 'start']), { code: 2, stderr: /cancel start needs a REQID/ });
  t.match(await cemt(['inquire', 'start', 'X', '--all']), { code: 2, stderr: /a REQID or --all, not both/ });
  t.match(await cemt(['inquire', 'system', '--all']), {
    code: 2,
    stderr: /--all is not an option of 'cemt inquire system'/,
  });
  t.match(await cemt(['i', 's']), { code: 2, stderr: /'s' could be system or start/ });
});
