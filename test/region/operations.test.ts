// Operating a region: task limits (a class past PURGETHRESH purges with AKCC, MAXTASKS
// queues), CEMT over HTTP, ASRA for a dying worker, DISABLED, Prometheus metrics that match
// the tasks run, health and readiness, the region definition file.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import parsePrometheusTextFormat, { type MetricFamily as Family } from 'parse-prometheus-text-format';
import t from 'tap';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { freshDir } from '../helpers/test-like.js';
import { basicAuth } from '../helpers/users.js';
import { defaultDefinitions, type TransactionDefinition } from '../../region/definitions.js';
import { defaultWorkers, loadConfig } from '../../config/settings.js';
import { buildMailCommarea } from '../../client/mailca.js';

const program = (name: string) => new URL(`../fixtures/programs/${name}.ts`, import.meta.url).href;
const define = (tranid: string, name: string, extra: Partial<TransactionDefinition> = {}): TransactionDefinition => ({
  tranid,
  program: program(name),
  enabled: true,
  timeLimitMs: 60_000,
  description: name,
  ...extra,
});

const relay = await startRelay(t);
const region = await startRegion(
  t,
  { CICSMAIL_RELAY: relay.url, CICSMAIL_WORKERS: '2' },
  {
    definitions: [
      ...defaultDefinitions(),
      define('WAIT', 'pause'),
      define('HOLD', 'hold'),
      define('DIE', 'die'),
      define('SLOW', 'pause', { timeLimitMs: 200 }),
    ],
    users: [{ id: 'OPER1', password: 'oper1-password', transactions: ['*'], senders: ['*'] }],
  },
);
const cemt = (path: string, init: RequestInit = {}) => region.fetch(`/cemt${path}`, init);
const put = (path: string, body: unknown) =>
  cemt(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const wait = (ms: number) => region.post('WAIT', Buffer.from(String(ms)));

/** A task that runs until the test lets it go: started once it holds its slot. */
async function held(dir: string, name: string) {
  const latch = `${dir}/${name}`;
  const answer = region.post('HOLD', Buffer.from(latch));
  return {
    answer,
    started: async () => {
      while (!existsSync(`${latch}.started`)) await new Promise((r) => setTimeout(r, 10));
    },
    release: () => writeFileSync(latch, 'go'),
  };
}

/** Waits until CEMT shows `n` HOLD tasks in the region (running or queued). */
async function holdTasks(n: number): Promise<{ state: string; user: string }[]> {
  for (;;) {
    const tasks = ((await (await cemt('/tasks')).json()) as { tranid: string; state: string; user: string }[]).filter(
      (x) => x.tranid === 'HOLD',
    );
    if (tasks.length >= n) return tasks;
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function scrape(): Promise<Family[] & { text: string }> {
  const res = await region.fetch('/metrics');
  t.match(res.headers.get('content-type'), /^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  return Object.assign(parsePrometheusTextFormat(text), { text });
}
/** A histogram's count by tranid: the parser keeps a histogram's buckets but not its labels. */
const histogramCount = (families: { text: string }, tranid: string): number =>
  Number(
    new RegExp(`^cicsmail_task_duration_seconds_count\\{sysid="CICSMAIL",tranid="${tranid}"\\} (\\d+)$`, 'm').exec(
      families.text,
    )?.[1] ?? 0,
  );
const sample = (families: Family[], name: string, labels: Record<string, string>): number => {
  const family = families.find((f) => f.name === name);
  const m = family?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return Number(m?.value ?? m?.count ?? 0);
};

t.test('a class past PURGETHRESH purges new tasks: 503 AKCC with Retry-After', async (t) => {
  t.same(await (await put('/classes/GATE', { maxActive: 1, purgeThreshold: 1 })).json(), {
    class: 'GATE',
    maxActive: 1,
    purgeThreshold: 1,
  });
  t.same(await (await put('/transactions/hold', { class: 'GATE' })).json(), {
    tranid: 'HOLD',
    enabled: true,
    class: 'GATE',
    timeLimitMs: 60_000,
  });
  const dir = freshDir(t);
  const first = await held(dir, 'first');
  await first.started();
  const second = await held(dir, 'second');
  t.match(
    await holdTasks(2),
    [
      { state: 'running', user: 'TESTER' },
      { state: 'queued', user: 'TESTER' },
    ],
    'CEMT shows one running, one queued',
  );
  const third = await region.post('HOLD', Buffer.from(`${dir}/third`));
  t.equal(third.status, 503);
  t.equal(third.headers.get('x-cics-abcode'), 'AKCC');
  t.equal(third.headers.get('retry-after'), '1');
  t.match(await third.json(), {
    resp: 'INVREQ',
    abcode: 'AKCC',
    message: /^task \d+ purged: transaction class GATE is full \(MAXACTIVE 1, PURGETHRESH 1\)$/,
  });
  t.equal(
    (await region.post('MAIL', buildMailCommarea({ from: 'a@corp.example', to: 'b@corp.example' }, 37))).status,
    200,
    'other transactions are not held',
  );
  first.release();
  t.equal((await first.answer).status, 200);
  await second.started();
  second.release();
  t.equal((await second.answer).status, 200, 'the queued one ran once the first ended');
  await put('/transactions/HOLD', { class: null });
});

t.test('CEMT refusals carry RESP like every other: a class not defined, MAXTASKS past the workers', async (t) => {
  const noClass = await put('/transactions/WAIT', { class: 'NOSUCH' });
  t.equal(noClass.status, 400);
  t.equal(noClass.headers.get('x-cics-resp'), 'INVREQ');
  t.same(await noClass.json(), {
    resp: 'INVREQ',
    resp2: 1,
    abcode: 'AEIP',
    message: 'class NOSUCH is not defined; PUT /cemt/classes/NOSUCH first',
  });
  // Two workers of 64 tasks: 129 would wait in the pool's own queue, outside every bound.
  const tooMany = await put('/region', { maxTasks: 129 });
  t.equal(tooMany.status, 400);
  t.same(await tooMany.json(), {
    resp: 'INVREQ',
    resp2: 1,
    abcode: 'AEIP',
    message: 'maxTasks 129 is more than the workers run at once (128: CICSMAIL_WORKERS × CICSMAIL_TASKS_PER_WORKER)',
  });
  t.match(await (await cemt('/region')).json(), { maxTasks: 128 }, 'unchanged');
});

t.test('MAXTASKS queues tasks past it; past the queue bound they are purged', async (t) => {
  t.same(await (await put('/region', { maxTasks: 1, maxQueued: 1 })).json(), { maxTasks: 1, maxQueued: 1 });
  const dir = freshDir(t);
  const a = await held(dir, 'a');
  await a.started();
  const b = await held(dir, 'b');
  await holdTasks(2);
  const c = await wait(10);
  t.equal(c.status, 503);
  t.match(await c.json(), { abcode: 'AKCC', message: /purged: the region is full \(MAXTASKS 1, 1 tasks waiting\)$/ });
  a.release();
  await b.started();
  b.release();
  t.same([(await a.answer).status, (await b.answer).status], [200, 200]);
  await put('/region', { maxTasks: 128, maxQueued: 10_000 });
});

t.test('a task past its limit is AICA while others run; a dying worker is ASRA for its task only', async (t) => {
  const slow = region.post('SLOW', Buffer.from('3000'));
  const fine = await wait(50);
  t.equal(fine.status, 200, 'others run meanwhile');
  const s = await slow;
  t.equal(s.status, 500);
  t.equal(s.headers.get('x-cics-abcode'), 'AICA');
  const died = await region.post('DIE', Buffer.from('x'));
  t.equal(died.status, 500);
  t.equal(died.headers.get('x-cics-abcode'), 'ASRA');
  t.match(await died.json(), { message: /^task \d+: worker failed: / });
  t.equal((await wait(1)).status, 200, 'the next task runs normally');
  t.equal(
    (await region.post('MAIL', buildMailCommarea({ from: 'a@corp.example', to: 'b@corp.example' }, 37))).status,
    200,
  );
});

t.test('CEMT disables and enables a transaction', async (t) => {
  t.match(await (await put('/transactions/MAIL', { enabled: false })).json(), { tranid: 'MAIL', enabled: false });
  const off = await region.post('MAIL', buildMailCommarea({ from: 'a@corp.example', to: 'b@corp.example' }, 37));
  t.equal(off.status, 503);
  t.equal(off.headers.get('x-cics-resp'), 'DISABLED');
  const list = (await (await cemt('/transactions')).json()) as { tranid: string; enabled: boolean }[];
  t.match(
    list.find((d) => d.tranid === 'MAIL'),
    { enabled: false },
  );
  await put('/transactions/MAIL', { enabled: true });
  t.equal(
    (await region.post('MAIL', buildMailCommarea({ from: 'a@corp.example', to: 'b@corp.example' }, 37))).status,
    200,
  );
  t.equal((await put('/transactions/NOPE', { enabled: true })).status, 404);
  t.equal((await put('/transactions/MAIL', { class: 'NOSUCH' })).status, 400);
  t.equal((await put('/transactions/MAIL', { colour: 'red' })).status, 400);
  t.equal((await put('/region', {})).status, 400);
});

t.test('CEMT is for administrators', async (t) => {
  const res = await region.fetch('/cemt/region', { headers: { authorization: basicAuth('OPER1', 'oper1-password') } });
  t.equal(res.status, 403);
  t.equal((await fetch(`${region.url}/cemt/tasks`)).status, 401);
});

t.test('/metrics, read by a Prometheus text-format parser, counts the tasks that ran', async (t) => {
  const before = await scrape();
  const mails = 3;
  for (let i = 0; i < mails; i++)
    await (
      await region.post(
        'MAIL',
        buildMailCommarea({ from: 'a@corp.example', to: 'b@corp.example', subject: `m${i}` }, 37),
      )
    ).arrayBuffer();
  await (await region.post('MAIL', Buffer.alloc(10, 0x40))).arrayBuffer();
  const after = await scrape();
  const delta = (name: string, labels: Record<string, string>) =>
    sample(after, name, labels) - sample(before, name, labels);
  t.equal(delta('cicsmail_tasks_total', { tranid: 'MAIL', resp: 'NORMAL' }), mails);
  t.equal(delta('cicsmail_tasks_total', { tranid: 'MAIL', resp: 'LENGERR' }), 1);
  t.equal(delta('cicsmail_abends_total', { tranid: 'MAIL', abcode: 'AEIV' }), 1);
  t.equal(delta('cicsmail_mail_rc_total', { tranid: 'MAIL', rc: '0' }), mails);
  t.equal(delta('cicsmail_smtp_replies_total', { class: '2xx' }), mails);
  t.equal(histogramCount(after, 'MAIL') - histogramCount(before, 'MAIL'), mails + 1, 'the histogram counts every task');
  t.ok(after.find((f) => f.name === 'cicsmail_task_duration_seconds')?.type === 'HISTOGRAM', 'a histogram');
  t.ok(
    after.some((f) => f.name === 'cicsmail_abends_total' && f.metrics.some((m) => m.labels?.abcode === 'AKCC')),
    'the purges of the class test are counted',
  );
  t.equal(sample(after, 'cicsmail_journal_backlog', {}), 0);
  t.equal(sample(after, 'cicsmail_pool_capacity', {}), 128);
  t.ok(
    after.some((f) => f.name === 'cicsmail_process_resident_memory_bytes'),
    'process metrics too',
  );
  const region_ = (await (await cemt('/region')).json()) as {
    tasks: { run: number; byTranid: Record<string, number> };
    abends: Record<string, number>;
    mails: Record<string, number>;
    pool: { capacity: number };
  };
  t.ok(region_.tasks.run >= mails + 1);
  t.ok((region_.tasks.byTranid.MAIL ?? 0) >= mails + 1);
  t.ok((region_.abends.AKCC ?? 0) >= 2, 'abends by code');
  t.ok((region_.mails.SENT ?? 0) >= mails, 'mails by state');
  t.equal(region_.pool.capacity, 128);
});

t.test('/health and /ready', async (t) => {
  t.same(await (await fetch(`${region.url}/health`)).json(), { status: 'alive' });
  const ready = await fetch(`${region.url}/ready`);
  t.equal(ready.status, 200);
  t.same(await ready.json(), { status: 'ready', journalBacklog: 0 });
  const full = await startRegion(t, { CICSMAIL_JOURNAL_RESERVE_MB: '1048576' });
  const notReady = await fetch(`${full.url}/ready`);
  t.equal(notReady.status, 503);
  t.match(await notReady.json(), { status: 'not ready', reason: /^the journal's file system has/ });
});

t.test('the region definition file: classes and transactions; a bad file names its key', async (t) => {
  const dir = freshDir(t);
  const file = join(dir, 'region.json');
  writeFileSync(
    file,
    JSON.stringify({
      $comment: 'test region',
      settings: { CICSMAIL_SYSID: 'FILEREG', CICSMAIL_MAX_RECIPIENTS: 7 },
      classes: { BATCH: { maxActive: 2, purgeThreshold: 5 } },
      transactions: { MAIL: { class: 'BATCH', timeLimitMs: 60_000 } },
    }),
  );
  const config = loadConfig({ CICSMAIL_CONFIG: file, CICSMAIL_MAX_RECIPIENTS: '9', CICSMAIL_DATA: dir });
  t.equal(config.sysid, 'FILEREG', 'a setting from the file');
  t.equal(config.security.maxRecipients, 9, 'the environment wins');
  t.same(config.classes, { BATCH: { maxActive: 2, purgeThreshold: 5 } });
  const fromFile = await startRegion(t, { CICSMAIL_CONFIG: file, CICSMAIL_RELAY: relay.url });
  const list = (await (await fromFile.fetch('/cemt/transactions')).json()) as {
    tranid: string;
    class: string | null;
    timeLimitMs: number;
  }[];
  t.match(
    list.find((d) => d.tranid === 'MAIL'),
    { class: 'BATCH', timeLimitMs: 60_000 },
  );
  t.match(await (await fromFile.fetch('/cemt/region')).json(), {
    sysid: 'FILEREG',
    classes: { BATCH: { maxActive: 2, purgeThreshold: 5, active: 0, queued: 0 } },
  });

  const bad = (content: unknown) => {
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    try {
      loadConfig({ CICSMAIL_CONFIG: file });
      return 'no error';
    } catch (err) {
      return (err as Error).message;
    }
  };
  t.equal(bad({ classes: { BATCH: { maxActive: 0 } } }), `${file}: classes.BATCH.maxActive: must be >= 1`);
  t.equal(
    bad({ transactions: { MAIL: { colour: 'red' } } }),
    `${file}: transactions.MAIL.colour: is not a key of a region definition file (see docs/config.md)`,
  );
  t.equal(
    bad({ transactions: { MAIL: { class: 'NONE' } } }),
    `${file}: transactions.MAIL.class: class NONE is not defined under classes`,
  );
  t.equal(
    bad({ settings: { PORT: 1 } }),
    `${file}: settings.PORT: is not a valid name here (settings: CICSMAIL_…; classes: 1 to 8 of A-Z 0-9 @ # $; transactions: a tranid)`,
  );
  t.equal(bad({ settings: { CICSMAIL_PORT: 'eighty' } }), "CICSMAIL_PORT: 'eighty' is not a whole number");
  t.match(bad('{ nope'), new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: not JSON: `));
  t.equal(bad({ bogus: 1 }), `${file}: bogus: is not a key of a region definition file (see docs/config.md)`);
  t.match(loadConfigError(join(dir, 'missing.json')), /^CICSMAIL_CONFIG: cannot read .*missing\.json: ENOENT/);
});

function loadConfigError(file: string): string {
  try {
    loadConfig({ CICSMAIL_CONFIG: file });
    return 'no error';
  } catch (err) {
    return (err as Error).message;
  }
}

t.test(
  "workers: one a core less the main thread's, at least one, at most 64; CICSMAIL_WORKERS says otherwise",
  async (t) => {
    t.same(
      [1, 2, 3, 4, 16, 65, 128].map((cores) => defaultWorkers(cores)),
      [1, 1, 2, 3, 15, 64, 64],
    );
    const dir = t.testdir();
    t.equal(loadConfig({ CICSMAIL_DATA: dir }).workers, defaultWorkers(), "the default: this machine's cores less one");
    t.equal(loadConfig({ CICSMAIL_DATA: dir, CICSMAIL_WORKERS: '3' }).workers, 3);
    t.throws(() => loadConfig({ CICSMAIL_DATA: dir, CICSMAIL_WORKERS: '0' }), {
      message: 'CICSMAIL_WORKERS: 0 is not between 1 and 64',
    });
    t.throws(() => loadConfig({ CICSMAIL_DATA: dir, CICSMAIL_WORKERS: '65' }), {
      message: 'CICSMAIL_WORKERS: 65 is not between 1 and 64',
    });
    t.throws(() => loadConfig({ CICSMAIL_DATA: dir, CICSMAIL_WORKERS: 'two' }), {
      message: "CICSMAIL_WORKERS: 'two' is not a whole number",
    });
  },
);
