// The retry spool on a clock of the test's own (the journal is real, on disk): DEFERRED mail
// is taken up when its retry falls due and not a moment before, the waits double to their
// most, and a mail still not delivered at the retry limit is FAILED. Nothing waits on real
// time: the clock moves when the test moves it.
import FakeTimers from '@sinonjs/fake-timers';
import t, { type Test } from 'tap';
import type { DeliveryReport } from '../../journal/attempt.js';
import { Journal } from '../../journal/journal.js';
import { DEFAULT_RETRY, retryDelay, type RetryPolicy } from '../../journal/retry.js';
import { RetrySpool } from '../../journal/spool.js';

const MINUTE = 60_000;

t.test('the schedule: a minute, doubling to an hour', async (t) => {
  t.same(
    [1, 2, 3, 4, 5, 6, 7, 8].map((n) => retryDelay(DEFAULT_RETRY, n) / MINUTE),
    [1, 2, 4, 8, 16, 32, 60, 60],
  );
  t.equal(retryDelay(DEFAULT_RETRY, 0), MINUTE, 'no deferral yet: the first wait');
});

const origin = { tranid: 'MAIL', taskn: 1, userid: 'U', jobname: '', ccsid: 37, subject: 's', attachments: 0 };
const deferred = (reply: string): DeliveryReport => ({ kind: 'deferred', relay: 'smtp://r', reply, refused: [] });
const sent = (to: readonly string[]): DeliveryReport => ({
  kind: 'sent',
  relay: 'smtp://r',
  reply: '250 ok',
  accepted: to,
  refused: [],
});

async function spoolOnAClock(t: Test, policy: RetryPolicy, answer: () => DeliveryReport) {
  // The spool's and the journal's clock only: lmdb-js keeps its own timers.
  const clock = FakeTimers.createClock(Date.parse('2026-12-01T00:00:00Z'));
  const journal = Journal.open(t.testdir(), { retry: policy, now: () => clock.now });
  const tries: number[] = [];
  const spool = new RetrySpool({
    journal,
    concurrency: 2,
    pollMs: 1000,
    holdMs: policy.orphanMs,
    clock: {
      now: () => clock.now,
      setTimeout: (fn, ms) => clock.setTimeout(fn, ms),
      clearTimeout: (id) => clock.clearTimeout(id as never),
    },
    send: async () => {
      tries.push(clock.now);
      return answer();
    },
  });
  t.teardown(async () => {
    await spool.stop();
    await journal.close();
  });
  /** Moves the clock by `ms`, a second at a time, each step once the spool is done with it. */
  const advance = async (ms: number) => {
    for (let done = 0; done < ms; done += 1000) {
      await clock.tickAsync(Math.min(1000, ms - done));
      await spool.whenIdle();
    }
  };
  return { clock, journal, spool, tries, advance };
}

t.test('DEFERRED mail is tried when due, the waits doubling, until the limit: then FAILED', async (t) => {
  const policy: RetryPolicy = { firstMs: MINUTE, maxMs: 4 * MINUTE, limitMs: 20 * MINUTE, orphanMs: 10 * MINUTE };
  const { clock, journal, spool, tries, advance } = await spoolOnAClock(t, policy, () => deferred('451 later'));
  const start = clock.now;
  const seq = await journal.accept(
    { ...origin, envelope: { from: 'a@x', to: ['b@y'] }, messageId: '<1@x>' },
    Buffer.from('m'),
  );
  await journal.settle(seq, {
    at: new Date(start).toISOString(),
    relay: 'smtp://r',
    outcome: 'deferred',
    reply: '451 later',
    via: 'task',
    accepted: [],
  });
  spool.start();
  await advance(MINUTE - 1001);
  t.same(tries, [], 'not before the first wait is over');
  // Every poll of a second takes up what is due: the tries come on the schedule.
  await advance(25 * MINUTE);
  // Each try comes when due, give or take the poll of a second; the last one falls past the
  // limit of 20 minutes after acceptance and gives up.
  const waits = tries.map((at, i) => (at - (i === 0 ? start : (tries[i - 1] as number))) / 1000);
  const schedule = [60, 120, 240, 240, 240, 240, 240];
  t.equal(waits.length, schedule.length, `${schedule.length} tries: ${waits.join(', ')} s apart`);
  waits.forEach((wait, i) =>
    t.ok(
      wait >= (schedule[i] as number) && wait <= (schedule[i] as number) + 2,
      `try ${i + 1}: ${wait} s after the one before`,
    ),
  );
  t.ok(
    (tries.at(-1) as number) - start >= policy.limitMs && (tries.at(-2) as number) - start < policy.limitMs,
    'the last try is the first past the limit',
  );
  const record = journal.get(seq);
  t.equal(record?.state, 'FAILED', 'given up at the limit');
  t.equal(record?.nextAttemptAt, null);
  t.equal(record?.attempts.length, 1 + tries.length, 'every try on record');
  t.same(record?.failed, ['b@y']);
});

t.test('mail a task left ACCEPTED is taken up once the orphan time is over, and delivered', async (t) => {
  const policy: RetryPolicy = { ...DEFAULT_RETRY, orphanMs: 10 * MINUTE };
  const { journal, spool, tries, advance } = await spoolOnAClock(t, policy, () => sent(['b@y']));
  const seq = await journal.accept(
    { ...origin, envelope: { from: 'a@x', to: ['b@y'] }, messageId: '<2@x>' },
    Buffer.from('m'),
  );
  spool.start();
  await advance(10 * MINUTE - 2000);
  t.same(tries, [], 'its task may still be under way');
  await advance(3000);
  t.equal(tries.length, 1, 'taken up when the orphan time is over');
  t.equal(journal.get(seq)?.state, 'SENT');
  t.match(journal.get(seq)?.attempts, [{ via: 'retry', outcome: 'sent' }]);
});
