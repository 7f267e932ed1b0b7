// Refusals on record, one record for the knocks of a minute: the minute counts from the
// first refusal, on a clock the test moves, so that a run of refusals across the clock's
// minute boundary is still one record.
import FakeTimers from '@sinonjs/fake-timers';
import t, { type Test } from 'tap';
import type { Clock } from '../../cics/clock.js';
import { Journal } from '../../journal/journal.js';
import type { DeniedAttempt } from '../../journal/record.js';
import { AuditTrail, DENIED_RECIPIENTS } from '../../journal/audit-trail.js';

function setUp(t: Test) {
  const journal = Journal.open(t.testdir());
  t.teardown(() => journal.close());
  // 59.9 s into a minute of the clock: the next refusal a fifth of a second on is in the next.
  const fake = FakeTimers.createClock(Date.parse('2026-12-01T10:00:59.900Z'));
  const clock: Clock = {
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
    clearTimeout: (id) => fake.clearTimeout(id as never),
  };
  const errors: Error[] = [];
  const trail = new AuditTrail(journal, (err) => errors.push(err), clock);
  const denied = () =>
    journal
      .list({ limit: 100, state: 'DENIED' })
      .map((r) => ({ userid: r.userid, reason: r.denial?.reason, count: r.denial?.count, lastAt: r.denial?.lastAt }));
  return { journal, fake, trail, errors, denied };
}

const knock = (userid = 'NOSUCH', remote = '192.0.2.1'): DeniedAttempt => ({
  tranid: 'MAIL',
  taskn: 0,
  userid,
  jobname: '',
  ccsid: 37,
  envelope: { from: '', to: [] },
  subject: '',
  denial: { reason: 'BADCREDS', detail: 'unknown user', remote },
});

t.test("refusals across the clock's minute boundary, within a minute of the first: one record", async (t) => {
  const { fake, trail, errors, denied } = setUp(t);
  void trail.refuse(knock());
  fake.tick(200);
  void trail.refuse(knock());
  fake.tick(59_000);
  void trail.refuse(knock());
  await trail.close();
  t.same(denied(), [{ userid: 'NOSUCH', reason: 'BADCREDS', count: 3, lastAt: '2026-12-01T10:01:59.100Z' }]);
  t.same(errors, []);
});

t.test('a minute after the first refusal, the next starts a record of its own', async (t) => {
  const { fake, trail, errors, denied } = setUp(t);
  void trail.refuse(knock());
  fake.tick(59_999);
  void trail.refuse(knock());
  fake.tick(1);
  void trail.refuse(knock());
  // Another user id from the same address is its own record all along.
  void trail.refuse(knock('OTHER'));
  await trail.close();
  t.same(denied(), [
    { userid: 'NOSUCH', reason: 'BADCREDS', count: 2, lastAt: '2026-12-01T10:01:59.899Z' },
    { userid: 'NOSUCH', reason: 'BADCREDS', count: 1, lastAt: undefined },
    { userid: 'OTHER', reason: 'BADCREDS', count: 1, lastAt: undefined },
  ]);
  t.same(errors, []);
});

t.test('counts reach the record a flush interval behind, and a minute over is let go', async (t) => {
  const { fake, trail, errors, denied } = setUp(t);
  void trail.refuse(knock());
  void trail.refuse(knock());
  await trail.flush(false);
  t.same(denied(), [{ userid: 'NOSUCH', reason: 'BADCREDS', count: 2, lastAt: '2026-12-01T10:00:59.900Z' }]);
  fake.tick(60_000);
  await trail.flush(false);
  void trail.refuse(knock());
  await trail.close();
  t.equal(denied().length, 2, 'the minute was over: a new record');
  t.same(errors, []);
});

t.test('a refusal of a huge envelope is a record of bounded size that says what it left out', async (t) => {
  const { journal, trail, errors } = setUp(t);
  const to = Array.from({ length: 300_000 }, (_, i) => `r${i}@x.example`);
  await trail.refuse({
    ...knock(),
    envelope: { from: `${'f'.repeat(2000)}@x.example`, to },
    subject: 's'.repeat(100_000),
    denial: { reason: 'TOOMANY', detail: 'd'.repeat(10_000), remote: '192.0.2.1' },
  });
  await trail.close();
  const [record] = journal.list({ limit: 10, state: 'DENIED' });
  t.same(record?.envelope.to, to.slice(0, DENIED_RECIPIENTS), 'the first 20 recipients');
  t.equal(record?.subject, `${'s'.repeat(500)}...`);
  t.equal(record?.envelope.from, `${'f'.repeat(500)}...`);
  t.equal(record?.denial?.detail, `${'d'.repeat(500)}... (the record keeps 20 of 300000 recipients)`);
  t.ok(JSON.stringify(record).length < 4000, `the record is ${JSON.stringify(record).length} characters`);
  t.same(errors, []);
});
