// Request keys' retention (journal/request-keys.ts pruneBatch, journal/upkeep.ts): walked by
// when each key was taken, a few hundred a transaction, past the keys whose mails the
// retry spool still has; keys written before the store by time are given their entries
// first; a pass with nothing due makes no transaction.
import { join } from 'node:path';
import { open } from 'lmdb';
import t from 'tap';
import { requestKeyId, type RequestKeyRef } from '../../cics/request-key.js';
import { environmentOptions, Journal } from '../../journal/journal.js';
import { KEY_PRUNE_BATCH, type KeyRecord } from '../../journal/request-keys.js';
import { Retention } from '../../journal/upkeep.js';
import { mailOrigin, sentAttempt } from '../helpers/mail-origin.js';

const HOUR = 3_600_000;
const owner = { userid: 'CICSUSER', tranid: 'MAIL', taskn: 1 };
const answer = { status: 200, headers: { 'x-cics-resp': 'NORMAL' }, body: Buffer.from('done') };
const refOf = (key: string): RequestKeyRef => ({ id: requestKeyId('CICSUSER', 'MAIL', key), key, digest: 'd' });

/** A journal on a clock the test moves, and a retention that keeps records for good and keys an hour. */
function setUp(dir: string) {
  const clock = { at: Date.parse('2026-12-07T08:00:00Z') };
  const journal = Journal.open(dir, { now: () => clock.at });
  const retention = new Retention(journal, {
    retentionMs: 0,
    keyRetentionMs: HOUR,
    clock: { now: () => clock.at, setTimeout: () => 0, clearTimeout: () => undefined },
  });
  return { clock, journal, retention };
}

t.test('keys go by age, past those whose mail the spool still has', async (t) => {
  const { clock, journal, retention } = setUp(t.testdir());
  t.teardown(() => journal.close());
  // More keys than a transaction walks whose mails are not delivered yet, taken first.
  const waiting = KEY_PRUNE_BATCH + 20;
  for (let n = 1; n <= waiting; n++) await journal.accept(mailOrigin(n), Buffer.from(`m${n}`), refOf(`wait-${n}`));
  clock.at += 1000;
  for (let n = 1; n <= 30; n++) await journal.keys.answered(refOf(`done-${n}`), owner, answer);
  clock.at += 30 * 60_000;
  for (let n = 1; n <= 5; n++) await journal.keys.answered(refOf(`young-${n}`), owner, answer);
  t.equal(journal.keys.count(), waiting + 35);

  clock.at += 40 * 60_000;
  const pass = await retention.pass();
  t.equal(pass.keys, 30, 'the 30 past their hour whose mails are done (none): gone in one pass');
  t.equal(journal.keys.get(refOf('done-1').id), undefined);
  t.ok(journal.keys.get(refOf('wait-1').id), 'a key whose mail is not delivered stays');
  t.ok(journal.keys.get(refOf('young-5').id), 'a key younger than its retention stays');
  t.equal(journal.keys.count(), waiting + 5);

  // Delivered: the next pass takes them.
  for (let seq = 1; seq <= waiting; seq++) await journal.settle(seq, sentAttempt(new Date(clock.at)));
  t.equal((await retention.pass()).keys, waiting);
  t.equal(journal.keys.count(), 5, 'the young ones only');
});

t.test('nothing due: no transaction', async (t) => {
  const { journal, retention } = setUp(t.testdir());
  t.teardown(() => journal.close());
  for (let n = 1; n <= 50; n++) await journal.keys.answered(refOf(`k-${n}`), owner, answer);
  const commits = journal.commits();
  t.equal((await retention.pass()).keys, 0);
  t.equal(journal.commits(), commits, 'no commit');
});

t.test('keys written before the store by time get their entries, then go by age', async (t) => {
  const dir = t.testdir();
  const { clock, journal, retention } = setUp(dir);
  t.teardown(() => journal.close());
  // As an earlier cicsmail wrote them: the key's record only.
  const raw = open(environmentOptions(join(dir, 'journal')));
  t.teardown(() => raw.close());
  const keys = raw.openDB<KeyRecord, string>({ name: 'request-keys', compression: true });
  const record = (key: string, takenAt: number): KeyRecord => ({
    key,
    userid: 'CICSUSER',
    tranid: 'MAIL',
    digest: 'd',
    taskn: 1,
    takenAt: new Date(takenAt).toISOString(),
    seqs: [],
    answer: null,
    answeredAt: null,
  });
  // More than a backfill transaction takes (2,000), old and young mixed.
  await raw.transaction(() => {
    for (let n = 0; n < 2500; n++)
      void keys.put(refOf(`old-${n}`).id, record(`old-${n}`, clock.at - (n % 5 === 0 ? 0 : 2 * HOUR)));
  });
  t.equal((await retention.pass()).keys, 2000, 'the 2,000 past their hour');
  t.equal(journal.keys.count(), 500);
  t.ok(journal.keys.get(refOf('old-0').id), 'a young one stays');
  clock.at += 2 * HOUR;
  t.equal((await retention.pass()).keys, 500, 'and goes in its time');
});
