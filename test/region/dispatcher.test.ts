// Tasks that end badly: AICA past the time limit (awaiting or looping), ASRA for a program
// that throws, DISABLED for a disabled transaction; the region serves on after each.
import t from 'tap';
import { startRegion } from '../helpers.js';
import { defaultDefinitions, type TransactionDefinition } from '../../region/definitions.js';

const program = (name: string) => new URL(`../fixtures/programs/${name}.ts`, import.meta.url).href;
const define = (tranid: string, name: string, extra: Partial<TransactionDefinition> = {}): TransactionDefinition => ({
  tranid,
  program: program(name),
  enabled: true,
  timeLimitMs: 5000,
  description: name,
  ...extra,
});

const region = await startRegion(
  t,
  {},
  {
    definitions: [
      ...defaultDefinitions(),
      define('ECHO', 'echo'),
      define('SLEP', 'sleep', { timeLimitMs: 300 }),
      define('SPIN', 'spin', { timeLimitMs: 300 }),
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

t.test('a runaway loop is ended too: AICA, and its worker is replaced', async (t) => {
  const res = await region.post('SPIN', Buffer.from('x'));
  t.equal(res.status, 500);
  t.equal(res.headers.get('x-cics-abcode'), 'AICA');
  t.match(
    ((await res.json()) as { message: string }).message,
    /ran past its time limit of 300 ms and did not yield; its worker was ended$/,
  );
  t.same(await echo(), { status: 200, body: Buffer.from([3, 2, 1]) }, 'the region serves on');
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
  const answers = await Promise.all(
    Array.from({ length: 10 }, async () =>
      Number(Buffer.from(await (await region.post('OVLP', Buffer.from('x'))).arrayBuffer()).toString()),
    ),
  );
  t.ok(Math.max(...answers) >= 5, `most at once in the one worker: ${Math.max(...answers)} of 10`);
});

t.test('a task that waits for a worker past its hard limit is answered AICA and never runs', async (t) => {
  const busy = await startRegion(
    t,
    { CICSMAIL_WORKERS: '1', CICSMAIL_TASKS_PER_WORKER: '1' },
    {
      definitions: [define('SLOW', 'sleep', { timeLimitMs: 3000 }), define('TUCH', 'touch', { timeLimitMs: 100 })],
    },
  );
  const marker = `${t.testdir()}/ran`;
  const slow = busy.post('SLOW', Buffer.from('x'));
  await new Promise((r) => setTimeout(r, 100));
  const res = await busy.post('TUCH', Buffer.from(marker));
  t.equal(res.status, 500);
  t.equal(res.headers.get('x-cics-abcode'), 'AICA');
  t.match(
    ((await res.json()) as { message: string }).message,
    /^task \d+ waited past its time limit of 100 ms for a slot in the region or its class; it did not run$/,
  );
  t.equal((await slow).headers.get('x-cics-abcode'), 'AICA', 'SLOW itself ends at its own limit');
  // The worker is free now and piscina hands it the cancelled task: it must not run.
  await new Promise((r) => setTimeout(r, 500));
  const { existsSync } = await import('node:fs');
  t.notOk(existsSync(marker), 'the cancelled task did not run');
  const again = await busy.post('TUCH', Buffer.from(marker));
  t.equal(again.status, 200, 'the next one runs');
  t.ok(existsSync(marker));
});
