// Tasks that end badly: AICA past the time limit (awaiting or looping), ASRA for a program
// that throws, DISABLED for a disabled transaction; the region serves on after each. No
// verdict waits on the clock: the tasks that must outlast another hold until the test lets
// them go, and a time limit that must not be reached is a minute.
import t from 'tap';
import { startRegion } from '../../helpers/region.js';
import { defaultDefinitions, type TransactionDefinition } from '../../../region/definitions.js';
import { withoutHooks } from '../../../cics/worker-entry.js';

const program = (name: string) => new URL(`../../fixtures/programs/${name}.ts`, import.meta.url).href;
const define = (tranid: string, name: string, extra: Partial<TransactionDefinition> = {}): TransactionDefinition => ({
  tranid,
  program: program(name),
  enabled: true,
  timeLimitMs: 60_000,
  description: name,
  ...extra,
});

// The worker's own clock ends SLEP at 300 ms; the region's hard stop waits half a minute
// more, so a loaded machine cannot make the one look like the other.
const region = await startRegion(
  t,
  { CICSMAIL_HARD_STOP_GRACE_MS: '30000' },
  {
    definitions: [
      ...defaultDefinitions(),
      define('ECHO', 'echo'),
      define('SLEP', 'sleep', { timeLimitMs: 300 }),
      define('CMIT', 'commit', { timeLimitMs: 300 }),
      define('THRW', 'throw'),
      define('OFF', 'echo', { enabled: false }),
      define('EIB', 'eib'),
      define('OVLP', 'overlap'),
    ],
  },
);

const echo = async () => {
  const res = await region.post('ECHO', Buffer.from([1, 2, 3]));
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
};

t.test('a task that waits past its limit ends with AICA; others run on meanwhile', async (t) => {
  const slow = region.post('SLEP', Buffer.from('x'));
  t.same(await echo(), { status: 200, body: Buffer.from([3, 2, 1]) }, 'ECHO answers while SLEP waits');
  const res = await slow;
  t.equal(res.status, 500);
  t.equal(res.headers.get('x-cics-resp'), 'INVREQ');
  t.equal(res.headers.get('x-cics-abcode'), 'AICA');
  t.equal(res.headers.get('x-cics-tranid'), 'SLEP');
  const body = (await res.json()) as { message: string };
  t.match(body, { resp: 'INVREQ', resp2: 0, abcode: 'AICA' });
  t.match(body.message, /^task \d+ ran past its time limit of 300 ms$/);
});

t.test('a task committed before its limit answers late rather than AICA', async (t) => {
  // The relay has answered (the program says so): an AICA would have the caller send the
  // mail again. 1.5 s is five times the limit and far inside the hard stop's 30 s.
  const res = await region.post('CMIT', Buffer.from('1500'));
  t.equal(res.status, 200);
  t.equal(res.headers.get('x-cics-abcode'), null);
  t.same(Buffer.from(await res.arrayBuffer()), Buffer.from('1500'));
});

t.test("a committed task is waited for past the region's hard stop while its thread yields", async (t) => {
  // The hard stop 100 ms after the limit: the task answers at 1.5 s, five times the limit.
  // Ended then, a mail the relay had taken would be on record as not sent.
  const strict = await startRegion(
    t,
    { CICSMAIL_HARD_STOP_GRACE_MS: '100' },
    { definitions: [define('CMIT', 'commit', { timeLimitMs: 300 }), define('ECHO', 'echo')] },
  );
  t.equal((await strict.post('ECHO', Buffer.from([1]))).status, 200, 'the worker is up');
  const res = await strict.post('CMIT', Buffer.from('1500'));
  t.equal(res.status, 200);
  t.same(Buffer.from(await res.arrayBuffer()), Buffer.from('1500'));
  // A committed task whose thread does not yield is ended all the same.
  const spin = await strict.post('CMIT', Buffer.from('spin'));
  t.equal(spin.status, 500);
  t.equal(spin.headers.get('x-cics-abcode'), 'AICA');
  t.match(
    ((await spin.json()) as { message: string }).message,
    /journaled a mail and then did not yield; its worker was ended \(the retry spool has the mail\)$/,
  );
  t.equal((await strict.post('ECHO', Buffer.from([1]))).status, 200, 'the region serves on');
});

t.test('a runaway loop is ended too: AICA, and its worker is replaced', async (t) => {
  // A loop never yields, whatever the machine's load: the region's hard stop ends it. The
  // worker is up first (ECHO), so that the loop has started long before the stop.
  const looping = await startRegion(
    t,
    {},
    { definitions: [define('SPIN', 'spin', { timeLimitMs: 1000 }), define('ECHO', 'echo')] },
  );
  t.equal((await looping.post('ECHO', Buffer.from([1]))).status, 200, 'the worker is up');
  const res = await looping.post('SPIN', Buffer.from('x'));
  t.equal(res.status, 500);
  t.equal(res.headers.get('x-cics-abcode'), 'AICA');
  t.match(
    ((await res.json()) as { message: string }).message,
    /ran past its time limit of 1000 ms and did not yield; its worker was ended$/,
  );
  const after = await looping.post('ECHO', Buffer.from([1, 2, 3]));
  t.same(
    { status: after.status, body: Buffer.from(await after.arrayBuffer()) },
    { status: 200, body: Buffer.from([3, 2, 1]) },
    'the region serves on',
  );
});

t.test('a program that throws is ASRA for its task only', async (t) => {
  const res = await region.post('THRW', Buffer.from('x'));
  t.equal(res.status, 500);
  t.equal(res.headers.get('x-cics-resp'), 'INVREQ');
  t.equal(res.headers.get('x-cics-abcode'), 'ASRA');
  t.same(await res.json(), {
    resp: 'INVREQ',
    resp2: 0,
    abcode: 'ASRA',
    message: 'program failed: boom: cannot read properties of undefined',
  });
  t.same(await echo(), { status: 200, body: Buffer.from([3, 2, 1]) });
});

t.test('a disabled transaction: 503 DISABLED', async (t) => {
  const res = await region.post('OFF', Buffer.from('x'));
  t.equal(res.status, 503);
  t.equal(res.headers.get('x-cics-resp'), 'DISABLED');
  t.equal(res.headers.get('x-cics-abcode'), null);
  t.same(await res.json(), { resp: 'DISABLED', resp2: 0, abcode: null, message: "transaction 'OFF' is disabled" });
});

t.test('task numbers count up by one per task, failed ones included', async (t) => {
  const a = Number((await region.post('ECHO', Buffer.from([0]))).headers.get('x-cics-taskn'));
  const b = Number((await region.post('THRW', Buffer.from([0]))).headers.get('x-cics-taskn'));
  const c = Number((await region.post('ECHO', Buffer.from([0]))).headers.get('x-cics-taskn'));
  t.same([b - a, c - b], [1, 1]);
});

t.test('the EIB a program sees', async (t) => {
  const before = new Date();
  const res = await region.post('eib', Buffer.alloc(77), { 'X-CICS-Jobname': 'nightly', 'X-CICS-CCSID': '1141' });
  const eib = (await res.json()) as Record<string, number | string>;
  const day =
    (Date.UTC(before.getFullYear(), before.getMonth(), before.getDate()) - Date.UTC(before.getFullYear(), 0, 1)) /
      86_400_000 +
    1;
  t.match(eib, { eibtrnid: 'EIB', eibcalen: 77, eibusrid: 'TESTER', eibjobnm: 'NIGHTLY', ccsid: 1141 });
  t.equal(eib.eibtaskn, Number(res.headers.get('x-cics-taskn')));
  t.equal(eib.eibdate, 100_000 + (before.getFullYear() % 100) * 1000 + day, '0CYYDDD');
  t.ok(Number(eib.eibtime) >= 0 && Number(eib.eibtime) <= 235959, '0HHMMSS');
});

t.test('one worker runs many tasks at once (they wait on I/O)', async (t) => {
  // Each task waits until ten run at once in the one worker; without that, none would end
  // before its minute is up.
  const answers = await Promise.all(
    Array.from({ length: 10 }, async () =>
      Number(Buffer.from(await (await region.post('OVLP', Buffer.from('10'))).arrayBuffer()).toString()),
    ),
  );
  t.same(
    answers,
    Array.from({ length: 10 }, () => 10),
    'all ten at once in the one worker',
  );
});

t.test('a task that waits for a worker past its hard limit is answered AICA and never runs', async (t) => {
  const busy = await startRegion(
    t,
    { CICSMAIL_WORKERS: '1', CICSMAIL_TASKS_PER_WORKER: '1' },
    {
      definitions: [define('HOLD', 'hold'), define('TUCH', 'touch', { timeLimitMs: 100 }), define('TUC2', 'touch')],
    },
  );
  const dir = t.testdir();
  const { existsSync, writeFileSync } = await import('node:fs');
  const latch = `${dir}/go`;
  // HOLD takes the one worker and keeps it until the test lets it go.
  const held = busy.post('HOLD', Buffer.from(latch));
  while (!existsSync(`${latch}.started`)) await new Promise((r) => setTimeout(r, 10));
  const res = await busy.post('TUCH', Buffer.from(`${dir}/cancelled`));
  t.equal(res.status, 500);
  t.equal(res.headers.get('x-cics-abcode'), 'AICA');
  t.match(
    ((await res.json()) as { message: string }).message,
    /^task \d+ waited past its time limit of 100 ms for a slot in the region or its class; it did not run$/,
  );
  writeFileSync(latch, 'go');
  t.equal((await held).status, 200, 'HOLD ends once let go');
  // The worker runs tasks in the order they came: had the cancelled one been handed to it,
  // it would have run before this one.
  const next = await busy.post('TUC2', Buffer.from(`${dir}/next`));
  t.equal(next.status, 200, 'the next one runs');
  t.ok(existsSync(`${dir}/next`));
  t.notOk(existsSync(`${dir}/cancelled`), 'the cancelled task did not run');
});

t.test("a worker from the sources leaves out the parent's module hooks, and keeps its other flags", async (t) => {
  t.same(
    withoutHooks([
      '--import=file:///runner/hook.mjs',
      '--enable-source-maps',
      '--import',
      'hook.mjs',
      '--require',
      'pre.cjs',
      '-r',
      'pre2.cjs',
      '--loader=loader.mjs',
      '--experimental-loader',
      'old.mjs',
      '--max-old-space-size=100',
      '--conditions=development',
    ]),
    ['--enable-source-maps', '--max-old-space-size=100', '--conditions=development'],
  );
  t.same(withoutHooks([]), []);
  t.same(withoutHooks(['--import']), [], 'a hook flag at the end without its value');
});
