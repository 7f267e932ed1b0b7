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
    gate.run({ trusted: false, source: '192.0.2.1', clean: false }, async () => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => releases.push(resolve));
      running--;
      return true;
    });
  const runs = Array.from({ length: 5 }, hash);
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(gate.running, 2, 'two at once');
  await t.rejects(hash(), { code: 'CICS_NOTAUTH_BUSY' }, 'a sixth from the same address: three of it wait already');
  while (releases.length > 0 || running > 0) {
    releases.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
  t.same(await Promise.all(runs), [true, true, true, true, true]);
  t.equal(most, 2, 'never more than two');
  t.equal(gate.runs, 5);
});

t.test('a change to the users file keeps what was proved, for every user whose hash it did not change', async (t) => {
  const { store, fake, auth, attempt } = setUp(t);
  t.same(await attempt('BATCH1', 'batch1-password').outcome, { ok: 'BATCH1' });
  t.same(await attempt('BATCH2', 'batch2-password').outcome, { ok: 'BATCH2' });
  const checks = auth.passwordChecks;
  // Another process adds a user and changes BATCH2's password.
  const other = new UserStore(store.file.replace(/\/users\.json$/, ''));
  other.put(newUser({ id: 'NEWBIE', password: 'newbie-password' }));
  other.put({ ...records[1]!, hash: newUser({ id: 'BATCH2', password: 'batch2-new-one' }).hash });
  await fake.tickAsync(1000);
  t.same(await attempt('BATCH1', 'batch1-password').outcome, { ok: 'BATCH1' });
  t.equal(auth.passwordChecks, checks, "BATCH1's credentials cost no hash after another user's change");
  t.same(
    await attempt('BATCH2', 'batch2-password').outcome,
    { refused: 'CICS_NOTAUTH', retryAfter: undefined },
    "BATCH2's old password is no longer proved",
  );
  t.same(await attempt('BATCH2', 'batch2-new-one').outcome, { ok: 'BATCH2' });
});

t.test(
  'waiting hashes: users who signed in lately first, then clean addresses, then guessing ones in turn; a full line refuses the newest of the longest queue',
  async (t) => {
    const gate = new HashGate(1, 5);
    const order: string[] = [];
    const releases: Array<() => void> = [];
    const hash = (source: string, lane: 'trusted' | 'clean' | 'guessing') =>
      gate.run(
        lane === 'trusted' ? { trusted: true } : { trusted: false, source, clean: lane === 'clean' },
        async () => {
          order.push(source);
          await new Promise<void>((resolve) => releases.push(resolve));
          return source;
        },
      );
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    const first = hash('flood-1', 'guessing');
    await settle();
    // Four from one guessing address and one from another fill the line; a clean one still gets in.
    const flood = ['a', 'b', 'c', 'd'].map((n) =>
      hash('flood-1', 'guessing').catch((e: { code: string }) => `${n}:${e.code}`),
    );
    const flood2 = hash('flood-2', 'guessing');
    const clean = hash('192.0.2.7', 'clean');
    const known = hash('known', 'trusted');
    await settle();
    t.equal(gate.waiting, 6, "the flood's newest gave way: five in the rotations, one trusted");
    t.equal(await flood[3], 'd:CICS_NOTAUTH_BUSY', "the longest queue's newest was refused");
    while (order.length < 7 || releases.length > 0) {
      releases.shift()?.();
      await settle();
    }
    await Promise.all([first, flood2, clean, known, ...flood]);
    t.same(
      order,
      ['flood-1', 'known', '192.0.2.7', 'flood-1', 'flood-2', 'flood-1', 'flood-1'],
      'the trusted lane, the clean address, then the guessing ones in turn',
    );
  },
);

t.test(
  'a flood spread over many addresses, one waiting each, still gives way to a clean newcomer; a source that fails leaves the clean lane',
  async (t) => {
    const gate = new HashGate(1, 4);
    const order: string[] = [];
    const releases: Array<() => void> = [];
    const hash = (source: string, clean: boolean) =>
      gate
        .run({ trusted: false, source, clean }, async () => {
          order.push(source);
          await new Promise<void>((resolve) => releases.push(resolve));
          return source;
        })
        .catch((e: { code: string }) => `${source}:${e.code}`);
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    const runs = [hash('flood-0', false)];
    await settle();
    // Four guessing sources, one waiting each, fill the line.
    runs.push(...['flood-1', 'flood-2', 'flood-3', 'flood-4'].map((s) => hash(s, false)));
    await settle();
    t.equal(gate.waiting, 4);
    t.equal(await hash('flood-5', false), 'flood-5:CICS_NOTAUTH_BUSY', 'another guessing source is refused');
    // Two clean ones: each takes the place of a guessing one, though each of those has one only.
    runs.push(hash('192.0.2.7', true), hash('192.0.2.8', true));
    await settle();
    t.same(await Promise.all([runs[4], runs[3]]), ['flood-4:CICS_NOTAUTH_BUSY', 'flood-3:CICS_NOTAUTH_BUSY']);
    // 192.0.2.8 sends wrong credentials meanwhile: what it has waiting goes behind the guessing ones.
    gate.demote('192.0.2.8');
    while (order.length < 4 || releases.length > 0) {
      releases.shift()?.();
      await settle();
    }
    await Promise.all(runs);
    t.same(order, ['flood-0', '192.0.2.7', 'flood-1', 'flood-2', '192.0.2.8']);
  },
);

t.test(
  "a flood's first burst, before any of its guesses failed, waits behind a clean newcomer that came after it",
  async (t) => {
    // The flood test (flood.test.ts) found it: 100 addresses, three checks waiting each, all
    // still clean, and a user's first sign-in taking turns with each of them (85 s).
    const gate = new HashGate(1, 16);
    const order: string[] = [];
    const releases: Array<() => void> = [];
    const hash = (source: string) =>
      gate.run({ trusted: false, source, clean: true }, async () => {
        order.push(source);
        await new Promise<void>((resolve) => releases.push(resolve));
      });
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    const runs = [hash('busy')];
    await settle();
    // Three sources, three checks each, in before anyone else: the first of each came clean.
    for (let i = 0; i < 3; i++) for (const source of ['flood-1', 'flood-2', 'flood-3']) runs.push(hash(source));
    await settle();
    runs.push(hash('192.0.2.7'));
    await settle();
    while (releases.length > 0) {
      releases.shift()?.();
      await settle();
    }
    await Promise.all(runs);
    t.same(
      order.slice(0, 2),
      ['busy', '192.0.2.7'],
      'the newcomer first: each flood source had a second check waiting',
    );
    t.same(
      order.slice(2),
      ['flood-1', 'flood-2', 'flood-3', 'flood-1', 'flood-2', 'flood-3', 'flood-1', 'flood-2', 'flood-3'],
      'the flood sources take turns behind it',
    );
  },
);
