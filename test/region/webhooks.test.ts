// Webhooks: each event in the outbox, POSTed to its subscribers and signed as Standard
// Webhooks says (checked with the specification's own verifier), tried again on its
// schedule with the same id until a 2xx, given up at its expiry, held while paused. The
// schedule runs on the test's clock; the receivers are real HTTP servers on port 0.
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import FakeTimers from '@sinonjs/fake-timers';
import t, { type Test } from 'tap';
import { Webhook } from 'standardwebhooks';
import { Journal } from '../../journal/journal.js';
import type { Subscriber } from '../../journal/outbox.js';
import { WebhookSender } from '../../region/plugins/webhooks.js';
import { loadConfig } from '../../config/settings.js';
import type { WebhookTarget } from '../../config/fate.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A receiver that answers each POST with the next of `statuses` (the last one for ever after). */
async function receiver(t: Test, statuses: readonly number[]) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.statusCode = statuses[Math.min(received.length, statuses.length) - 1] ?? 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}

const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const origin = {
  tranid: 'MAIL',
  taskn: 1,
  userid: 'U',
  jobname: 'J',
  ccsid: 37,
  subject: 's',
  attachments: 0,
  messageId: '<m@region.test>',
  envelope: { from: 'a@x.example', to: ['b@y.example', 'c@y.example'] },
};

async function setUp(t: Test, targets: readonly WebhookTarget[], expiryMs = 72 * 3_600_000) {
  const clock = FakeTimers.createClock(Date.parse('2026-12-01T00:00:00Z'));
  const subscribers: Subscriber[] = targets.map(({ name, events }) => ({ name, events }));
  const journal = Journal.open(t.testdir(), { sysid: 'PRD1', now: () => clock.now, fate: { subscribers } });
  const sender = new WebhookSender({
    outbox: journal.outbox,
    targets,
    expiryMs,
    pollMs: 1000,
    clock: {
      now: () => clock.now,
      setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
      clearTimeout: (id) => clock.clearTimeout(id as never),
    },
  });
  t.teardown(async () => {
    await sender.stop();
    await journal.close();
  });
  /** A mail to b and c, relayed; then a report: b bounced 5.1.1. */
  const mailAndBounce = async () => {
    const seq = await journal.accept(origin, Buffer.from('x'));
    const at = new Date(clock.now).toISOString();
    await journal.settle(seq, {
      at,
      relay: 'r',
      outcome: 'sent',
      reply: '250 ok',
      via: 'task',
      accepted: ['b@y.example', 'c@y.example'],
    });
    const report = {
      kind: 'dsn' as const,
      recipients: [
        { addresses: ['b@y.example'], action: 'failed' as const, status: '5.1.1', diagnostic: 'unknown user' },
      ],
    };
    await journal.fate.record(seq, 'PRD1', report, Buffer.from('bounce'), clock.now);
    return seq;
  };
  const advance = async (ms: number) => {
    await clock.tickAsync(ms);
    await sender.whenIdle();
  };
  return { clock, journal, sender, mailAndBounce, advance };
}

t.test('signed events, once each to whoever wants them; a failed try again after 5 s with the same id', async (t) => {
  const a = await receiver(t, [500, 200]);
  const b = await receiver(t, [200]);
  const targets: WebhookTarget[] = [
    { name: 'ops', url: a.url, secret: secret(), events: ['bounced', 'suppressed'] },
    { name: 'crm', url: b.url, secret: secret(), events: ['sent', 'delivered'] },
  ];
  const { journal, sender, mailAndBounce, advance } = await setUp(t, targets);
  await mailAndBounce();
  t.same(
    journal.outbox.list().map((e) => [e.id, e.type, Object.keys(e.deliveries)]),
    [
      ['evt_prd1_1', 'mail.sent', ['crm']],
      ['evt_prd1_2', 'mail.bounced', ['ops']],
      ['evt_prd1_3', 'mail.suppressed', ['ops']],
    ],
  );
  sender.start();
  await advance(0);
  t.equal(b.received.length, 1);
  t.equal(a.received.length, 2, 'both of ops tried; the first refused 500');
  await advance(4_999);
  t.equal(a.received.length, 2, 'not before 5 s');
  await advance(1);
  t.equal(a.received.length, 3);
  const ids = a.received.map((r) => r.headers['webhook-id']);
  t.equal(ids.filter((id) => id === ids[0]).length, 2, 'the refused event again, with the same id');
  t.same(new Set(ids), new Set(['evt_prd1_2', 'evt_prd1_3']));
  // Checked by the specification's own verifier with each subscriber's secret; a wrong secret fails.
  for (const [target, got] of [
    [targets[0], a],
    [targets[1], b],
  ] as const) {
    const verifier = new Webhook(target!.secret.slice(6));
    for (const r of got.received) t.ok(verifier.verify(r.body, r.headers as Record<string, string>));
    t.throws(() =>
      new Webhook(secret().slice(6)).verify(got.received[0]!.body, got.received[0]!.headers as Record<string, string>),
    );
  }
  t.match(JSON.parse(b.received[0]!.body), {
    type: 'mail.sent',
    timestamp: '2026-12-01T00:00:00.000Z',
    data: { sysid: 'PRD1', seq: 1, messageId: '<m@region.test>', state: 'SENT', reply: '250 ok' },
  });
  const bounced = a.received
    .map((r) => JSON.parse(r.body) as { type: string; data: unknown })
    .find((e) => e.type === 'mail.bounced');
  t.same(bounced?.data, {
    sysid: 'PRD1',
    seq: 1,
    messageId: '<m@region.test>',
    recipient: 'b@y.example',
    fate: 'BOUNCED',
    status: '5.1.1',
    diagnostic: 'unknown user',
  });
  t.equal(journal.outbox.size(), 0, 'every event taken: the outbox is empty');
  t.same(
    sender.counts().map((c) => [c.name, c.delivered, c.failedTries, c.expired]),
    [
      ['ops', 2, 1, 0],
      ['crm', 1, 0, 0],
    ],
  );
});

t.test('retried on the schedule until its expiry, then given up', async (t) => {
  const a = await receiver(t, [503]);
  const { journal, sender, mailAndBounce, advance } = await setUp(
    t,
    [{ name: 'ops', url: a.url, secret: secret(), events: ['bounced'] }],
    3_600_000,
  );
  await mailAndBounce();
  sender.start();
  await advance(0);
  const tries = () => a.received.length;
  t.equal(tries(), 1);
  await advance(5_000);
  t.equal(tries(), 2);
  await advance(300_000 - 1);
  t.equal(tries(), 2, '5 minutes after the second');
  await advance(1);
  t.equal(tries(), 3);
  // The next wait (30 min) still falls within the hour; the one after (2 h) does not: given up after the fourth.
  await advance(1_800_000);
  t.equal(tries(), 4);
  t.equal(journal.outbox.size(), 0);
  await advance(10 * 3_600_000);
  t.equal(tries(), 4, 'no more tries');
  t.same(sender.counts()[0], {
    name: 'ops',
    url: a.url,
    events: ['bounced'],
    paused: false,
    delivered: 0,
    failedTries: 4,
    expired: 1,
  });
});

t.test('paused: its events wait in the outbox; resumed: sent', async (t) => {
  const a = await receiver(t, [200]);
  const { journal, sender, mailAndBounce, advance } = await setUp(t, [
    { name: 'ops', url: a.url, secret: secret(), events: ['bounced'] },
  ]);
  t.equal(sender.pause('nobody', true), false);
  sender.pause('ops', true);
  await mailAndBounce();
  sender.start();
  await advance(60_000);
  t.equal(a.received.length, 0);
  t.equal(journal.outbox.size(), 1);
  sender.pause('ops', false);
  await advance(0);
  t.equal(a.received.length, 1);
  t.equal(journal.outbox.size(), 0);
});

t.test('nobody subscribed: nothing in the outbox', async (t) => {
  const { journal, mailAndBounce } = await setUp(t, []);
  await mailAndBounce();
  t.equal(journal.outbox.size(), 0);
});

t.test('CICSMAIL_WEBHOOKS: checked at start, each fault named', async (t) => {
  const load = (hooks: unknown) => () =>
    loadConfig({
      CICSMAIL_DATA: '/nonexistent',
      CICSMAIL_WEBHOOKS: typeof hooks === 'string' ? hooks : JSON.stringify(hooks),
    });
  const good = { url: 'https://hooks.example/in', secret: secret() };
  t.same(load([good])().fate.webhooks[0]?.events, [
    'sent',
    'deferred',
    'failed',
    'delivered',
    'delayed',
    'bounced',
    'suppressed',
  ]);
  t.equal(load([good, { ...good, name: 'two', events: ['bounced'] }])().fate.webhooks[1]?.name, 'two');
  t.throws(load('{'), { message: /CICSMAIL_WEBHOOKS: is not JSON/ });
  t.throws(load([]), { message: /not a list of 1 to 16 webhooks/ });
  t.throws(load([{ ...good, url: 'ftp://x.example/' }]), { message: /entry 1: url is not an http or https URL/ });
  t.throws(load([{ ...good, secret: 'whsec_c2hvcnQ=' }]), { message: /entry 1: secret is not whsec_/ });
  t.throws(load([{ ...good, events: ['opened'] }]), { message: /entry 1: '"opened"' is not one of sent, deferred/ });
  t.same(
    load([good, good])().fate.webhooks.map((w) => w.name),
    ['hook1', 'hook2'],
    'unnamed: hook1, hook2 …',
  );
  t.throws(
    load([
      { ...good, name: 'a' },
      { ...good, name: 'a' },
    ]),
    { message: /the name 'a' is given twice/ },
  );
  t.throws(load([{ ...good, retries: 3 }]), { message: /'retries' is no key of a webhook/ });
});
