// Refusals on record without a record per knock: a user who is no administrator asking for
// /captured again and again leaves one DENIED record a minute with a count, and past the
// requests a minute a user may make (CICSMAIL_REQUEST_RATE_LIMIT) gets 429 on every
// operators' route, as on /cics. Before, 9,829 knocks in 10 s made 9,829 records (3.8 MB).
import FakeTimers from '@sinonjs/fake-timers';
import t from 'tap';
import type { Clock } from '../../../cics/clock.js';
import { startRegion } from '../../helpers/region.js';
import { startRelay } from '../../helpers/relay.js';
import { basicAuth } from '../../helpers/users.js';

const fake = FakeTimers.createClock(Date.parse('2026-12-01T10:00:30Z'));
const clock: Clock = {
  now: () => fake.now,
  setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
  clearTimeout: (id) => fake.clearTimeout(id as never),
};
const relay = await startRelay(t);
const region = await startRegion(
  t,
  { CICSMAIL_RELAY: relay.url, CICSMAIL_REQUEST_RATE_LIMIT: '20' },
  { clock, users: [{ id: 'OPER1', password: 'oper1-password', transactions: ['MAIL'], senders: ['*'] }] },
);
const oper = { authorization: basicAuth('OPER1', 'oper1-password') };
const denied = () =>
  region
    .journal()
    .list({ limit: 10_000 })
    .filter((r) => r.state === 'DENIED');

t.test('knocks of one user, address and reason within a minute are one record with a count', async (t) => {
  const statuses: number[] = [];
  for (let i = 0; i < 50; i++) statuses.push((await region.fetch('/captured', { headers: oper })).status);
  t.same(
    statuses,
    [...Array<number>(20).fill(403), ...Array<number>(30).fill(429)],
    '403 NOTADMIN until the limit, then 429',
  );
  await fake.tickAsync(5000);
  await region.app.security.trail.flush(false);
  t.same(
    denied().map((r) => [r.userid, r.denial?.reason, r.denial?.count ?? 1, r.denial?.remote]),
    [
      ['OPER1', 'NOTADMIN', 20, '127.0.0.1'],
      ['OPER1', 'RATE', 30, '127.0.0.1'],
    ],
    'two records, not fifty',
  );
  t.match(denied()[1]?.denial, { detail: 'more than 20 requests a minute', lastAt: /^2026-12-01T10:00:3\d\./ });
});

t.test('the next minute starts a record of its own', async (t) => {
  await fake.tickAsync(60_000);
  await region.fetch('/cics/SEND', {
    method: 'POST',
    headers: { ...oper, 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(1),
  });
  await region.fetch('/cics/SEND', {
    method: 'POST',
    headers: { ...oper, 'content-type': 'application/octet-stream' },
    body: Buffer.alloc(1),
  });
  // Still past its requests a minute on the operators' routes (that minute is the rate limiter's own).
  t.equal((await region.fetch('/captured', { headers: oper })).status, 429);
  await region.app.security.trail.flush(false);
  t.match(
    denied().slice(2),
    [
      { tranid: 'SEND', denial: { reason: 'NOTALLOWED', count: 2 } },
      { tranid: '', denial: { reason: 'RATE', count: 1 } },
    ],
    'a RATE record of its own in the new minute',
  );
});

t.test('the counts still open are written when the region closes', async (t) => {
  const other = await startRegion(
    t,
    { CICSMAIL_RELAY: relay.url },
    { clock, users: [{ id: 'OPER2', password: 'oper2-password' }] },
  );
  for (let i = 0; i < 3; i++)
    await other.fetch('/journal', { headers: { authorization: basicAuth('OPER2', 'oper2-password') } });
  const journal = other.journal();
  await other.app.close();
  const { Journal } = await import('../../../journal/journal.js');
  const reopened = Journal.open(other.config.dataDir, { readOnly: true });
  t.teardown(() => reopened.close());
  t.match(
    reopened.list({ limit: 100 }).filter((r) => r.state === 'DENIED'),
    [{ userid: 'OPER2', denial: { reason: 'NOTADMIN', count: 3 } }],
  );
  t.ok(journal);
});
