// Refusals on record, one record for the knocks of a minute: the minute counts from the
// first refusal, on a clock the test moves, so that a run of refusals across the clock's
// minute boundary is still one record.
import FakeTimers from '@sinonjs/fake-timers';
import t, { type Test } from 'tap';
import type { Clock } from '../../../cics/clock.js';
import { Journal } from '../../../journal/journal.js';
import type { DeniedAttempt } from '../../../journal/record.js';
import { AuditTrail } from '../../../region/security/audit-trail.js';

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
  trail.refuse(knock());
  fake.tick(200);
  trail.refuse(knock());
  fake.tick(59_000);
  trail.refuse(knock());
  await trail.close();
  t.same(denied(), [{ userid: 'NOSUCH', reason: 'BADCREDS', count: 3, lastAt: '2026-12-01T10:01:59.100Z' }]);
  t.same(errors, []);
});

t.test('a minute after the first refusal, the next starts a record of its own', async (t) => {
  const { fake, trail, errors, denied } = setUp(t);
  trail.refuse(knock());
  fake.tick(59_999);
  trail.refuse(knock());
  fake.tick(1);
  trail.refuse(knock());
  // Another user id from the same address is its own record all along.
  trail.refuse(knock('OTHER'));
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
  trail.refuse(knock());
  trail.refuse(knock());
  await trail.flush(false);
  t.same(denied(), [{ userid: 'NOSUCH', reason: 'BADCREDS', count: 2, lastAt: '2026-12-01T10:00:59.900Z' }]);
  fake.tick(60_000);
  await trail.flush(false);
  trail.refuse(knock());
  await trail.close();
  t.equal(denied().length, 2, 'the minute was over: a new record');
  t.same(errors, []);
});
