// Logins on a clock of the test's own: wrong guesses space out the next attempts of their
// user id (a second apart) and of their address (a quarter second), never refuse another
// user's right credentials; only a user id guessed so hard that an attempt would wait over
// half a minute is refused, for that attempt; an unknown id costs a password hash as a wrong
// password does; the hashes run a few at a time; the users file is read again a second after
// the last look. Before, 21 wrong ids from one address refused every user of it for a minute.
import type { FastifyRequest } from 'fastify';
import FakeTimers from '@sinonjs/fake-timers';
import t, { type Test } from 'tap';
import type { Clock } from '../../../cics/clock.js';
import { Authenticator, type AuthRefusal } from '../../../region/security/auth.js';
import { HashGate } from '../../../region/security/hash-gate.js';
import { newUser, UserStore } from '../../../users/users-file.js';
import { freshDir } from '../../helpers/test-like.js';
import { basicAuth } from '../../helpers/users.js';

const users = [
  { id: 'BATCH1', password: 'batch1-password' },
  { id: 'BATCH2', password: 'batch2-password' },
];
// scrypt is slow on purpose: the hashes are made once for the file.
const records = users.map((u) => newUser(u));

function setUp(t: Test, limits = { addressFailures: 20, userFailures: 5 }) {
  const dir = freshDir(t);
  const store = new UserStore(dir);
  for (const r of records) store.put(r);
  const fake = FakeTimers.createClock(Date.parse('2026-12-01T00:00:00Z'));
  const clock: Clock = {
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
    clearTimeout: (id) => fake.clearTimeout(id as never),
  };
  const auth = new Authenticator(store, { ...limits, clock });
  const refusals: AuthRefusal[] = [];
  const attempt = (id: string, password: string, ip = '192.0.2.1') => {
    const request = {
      headers: { authorization: basicAuth(id, password) },
      raw: { socket: {} },
      ip,
    } as unknown as FastifyRequest;
    const outcome = auth
      .authenticate(request, (r) => refusals.push(r))
      .then(
        (u) => ({ ok: u.id }),
        (e: Error & { code?: string; retryAfter?: number }) => ({ refused: e.code, retryAfter: e.retryAfter }),
      );
    let settled = false;
    void outcome.then(() => (settled = true));
    return { outcome, settled: () => settled };
  };
  return { store, fake, auth, refusals, attempt };
}

/** Lets the scrypt runs (libuv's thread pool, not the clock) finish. */
const hashes = (n = 1) => new Promise((resolve) => setTimeout(resolve, 400 * n));

t.test('an unknown user id costs one password hash, as a wrong password does', async (t) => {
  const { auth, attempt, refusals } = setUp(t);
  t.same(await attempt('NOBODY', 'x').outcome, { refused: 'CICS_NOTAUTH', retryAfter: undefined });
  t.equal(auth.passwordChecks, 1, 'one hash for the unknown id');
  t.same(await attempt('BATCH1', 'wrong').outcome, { refused: 'CICS_NOTAUTH', retryAfter: undefined });
  t.equal(auth.passwordChecks, 2, 'one for the wrong password');
  t.same(await attempt('BATCH1', 'batch1-password').outcome, { ok: 'BATCH1' });
  t.equal(auth.passwordChecks, 3);
  t.same(await attempt('BATCH1', 'batch1-password').outcome, { ok: 'BATCH1' });
  t.equal(auth.passwordChecks, 3, 'proved credentials cost no hash');
  t.same(
    refusals.map((r) => [r.userid, r.reason, r.detail]),
    [
      ['NOBODY', 'BADCREDS', 'unknown user'],
      ['BATCH1', 'BADCREDS', 'wrong password'],
    ],
  );
});

t.test("a user id's wrong guesses space its next attempts a second apart; other users are not slowed", async (t) => {
  const { fake, attempt } = setUp(t);
  for (let i = 0; i < 5; i++)
    t.same(await attempt('BATCH1', `guess-${i}`, `192.0.2.${i + 10}`).outcome, {
      refused: 'CICS_NOTAUTH',
      retryAfter: undefined,
    });
  // The sixth goes at once, the first past the limit; the one after it a second later.
  const sixth = attempt('BATCH1', 'guess-5', '198.51.100.7');
  const seventh = attempt('BATCH1', 'batch1-password', '192.0.2.99');
  const other = attempt('BATCH2', 'batch2-password');
  t.same(await other.outcome, { ok: 'BATCH2' }, 'another user, at once');
  t.same(await sixth.outcome, { refused: 'CICS_NOTAUTH', retryAfter: undefined });
  await hashes();
  t.notOk(seventh.settled(), 'the seventh attempt of BATCH1 waits its turn');
  await fake.tickAsync(999);
  await hashes();
  t.notOk(seventh.settled(), 'a second of it');
  await fake.tickAsync(1);
  t.same(await seventh.outcome, { ok: 'BATCH1' }, 'then it goes, and right credentials pass');
});

t.test(
  'a user id guessed so hard that an attempt would wait over 30 s: that attempt is refused, with when to come back',
  async (t) => {
    const { fake, attempt, refusals } = setUp(t);
    t.same(await attempt('BATCH1', 'batch1-password').outcome, { ok: 'BATCH1' }, 'the owner proved it before');
    for (let i = 0; i < 5; i++) await attempt('BATCH1', `guess-${i}`).outcome;
    const queued = Array.from({ length: 31 }, (_, i) => attempt('BATCH1', `more-${i}`, `203.0.113.${i}`));
    const refused = attempt('BATCH1', 'one-too-many', '203.0.113.200');
    t.same(await refused.outcome, { refused: 'CICS_NOTAUTH_THROTTLED', retryAfter: 31 }, 'the 32nd would wait 31 s');
    t.match(refusals.at(-1), {
      userid: 'BATCH1',
      reason: 'THROTTLED',
      detail: '5 wrong passwords for BATCH1 within 60 s',
    });
    t.same(
      await attempt('BATCH1', 'batch1-password').outcome,
      { ok: 'BATCH1' },
      'proved credentials are never held up',
    );
    await fake.tickAsync(31_000);
    for (const q of queued) await q.outcome;
  },
);

t.test(
  "an address's wrong credentials space its next attempts, and never refuse another user's right ones",
  async (t) => {
    const { fake, attempt } = setUp(t, { addressFailures: 20, userFailures: 5 });
    // What a shared batch host sends when one job has a bad user id: 21 knocks.
    for (let i = 0; i < 21; i++)
      t.same(await attempt(`NOUSER${i}`, 'x').outcome, { refused: 'CICS_NOTAUTH', retryAfter: undefined });
    const right = attempt('BATCH2', 'batch2-password');
    await hashes();
    await fake.tickAsync(250);
    t.same(await right.outcome, { ok: 'BATCH2' }, 'right credentials from the same address pass, a moment later');
    const from = attempt('BATCH1', 'batch1-password', '198.51.100.1');
    t.same(await from.outcome, { ok: 'BATCH1' }, 'another address is not slowed at all');
  },
);

t.test('the users file is read again a second after the last look, not sooner', async (t) => {
  const { store, fake, attempt } = setUp(t);
  t.same(await attempt('BATCH1', 'batch1-password').outcome, { ok: 'BATCH1' });
  // Another process (cicsmail user passwd) writes the file.
  const other = new UserStore(store.file.replace(/\/users\.json$/, ''));
  other.put({ ...records[0]!, hash: newUser({ id: 'BATCH1', password: 'new-password-1' }).hash });
  await fake.tickAsync(999);
  t.same(await attempt('BATCH1', 'batch1-password').outcome, { ok: 'BATCH1' }, 'within the second: as it was');
  await fake.tickAsync(1);
  t.same(
    await attempt('BATCH1', 'batch1-password').outcome,
    { refused: 'CICS_NOTAUTH', retryAfter: undefined },
    'then the change',
  );
  t.same(await attempt('BATCH1', 'new-password-1').outcome, { ok: 'BATCH1' });
});

t.test('password hashes run as many at a time as asked; past the queue the region is busy', async (t) => {
  const gate = new HashGate(2, 3);
  let running = 0;
  let most = 0;
  const releases: Array<() => void> = [];
  const hash = () =>
    gate.run(async () => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
      return true;
    });
  const runs = Array.from({ length: 5 }, hash);
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(gate.running, 2, 'two at once');
  await t.rejects(hash(), { code: 'CICS_NOTAUTH_BUSY' }, 'a sixth: three wait already');
  while (releases.length > 0 || running > 0) {
    releases.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.same(await Promise.all(runs), [true, true, true, true, true]);
  t.equal(most, 2, 'never more than two');
  t.equal(gate.runs, 5);
});
