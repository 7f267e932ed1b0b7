// The journal behind a region's tasks: retention on the region's clock, continuous, with the
// task log and every index key and count; a journal written before the indexes answered at
// once and indexed behind the tasks; counts gone wrong repaired at start; and the counts
// read by CEMT INQUIRE SYSTEM, /journal/stats and /metrics.
import FakeTimers from '@sinonjs/fake-timers';
import { open } from 'lmdb';
import t from 'tap';
import { sampleMessage, syntheticEntries } from '../../bench/journal-records.js';
import type { Clock } from '../../cics/clock.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import { environmentOptions, Journal } from '../../journal/journal.js';
import { matches } from '../../journal/query.js';
import { check, verify } from '../../journal/verify.js';
import { startRegion } from '../helpers/region.js';
import { smtpError, startRelay } from '../helpers/relay.js';
import { freshDir } from '../helpers/test-like.js';
import { legacyTask, writeLegacyJournal } from '../helpers/legacy-journal.js';

const DAY = 86_400_000;

t.test('retention: on the region clock, every second, final records and task log entries go', async (t) => {
  const relay = await startRelay(t, {
    rcptTo: (a) => (a.address.startsWith('later') ? smtpError(451, 'try later') : undefined),
  });
  // The region's clock only (retention, the spool, logins): lmdb-js and the workers keep their own.
  const fake = FakeTimers.createClock(Date.now());
  const clock: Clock = {
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
    clearTimeout: (id) => fake.clearTimeout(id as never),
  };
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_RETENTION_DAYS: '1' }, { clock });
  const seqs: number[] = [];
  for (const to of ['ops@corp.example', 'later@corp.example', 'dev@corp.example']) {
    const res = await region.post('MAIL', buildMailCommarea({ from: 'batch@corp.example', to, subject: to }, 37));
    seqs.push(readMailResponse(Buffer.from(await res.arrayBuffer()), 37).journalSeq);
  }
  const journal = region.journal();
  await journal.tasks.flush();
  t.equal([...journal.tasks.scan()].length, 3);
  t.same(
    seqs.map((s) => journal.get(s)?.state),
    ['SENT', 'DEFERRED', 'SENT'],
  );

  // A day and a half on: the next pass (a second later) removes what is final.
  fake.setSystemTime(fake.now + 1.5 * DAY);
  await fake.tickAsync(1000);
  await region.app.retention.whenIdle();
  t.same(
    [...journal.scan()].map((r) => [r.seq, r.state]),
    [[seqs[1], 'DEFERRED']],
    'mail not delivered yet stays',
  );
  t.same([...journal.tasks.scan()], [], 'the task log goes with it');
  t.equal(region.app.retention.records, 2);
  t.equal(region.app.retention.tasks, 3);
  t.same(await verify(journal, { repair: false }), {
    records: 1,
    tasks: 0,
    countRows: 0,
    missingKeys: 0,
    strayKeys: 0,
    repaired: 0,
    ok: true,
  });
  const stats = (await (await region.fetch('/journal/stats')).json()) as { records: number };
  t.equal(stats.records, 1);
  const cemt = (await (await region.fetch('/cemt/region')).json()) as { mails: Record<string, number> };
  t.same(cemt.mails, { ACCEPTED: 0, SENT: 0, DEFERRED: 1, FAILED: 0, DENIED: 0 });
  const metrics = await (await region.fetch('/metrics')).text();
  t.match(metrics, /^cicsmail_journal_records\{state="DEFERRED",sysid="CICSMAIL"\} 1$/m);
  t.match(metrics, /^cicsmail_journal_records\{state="SENT",sysid="CICSMAIL"\} 0$/m);
});

t.test('request keys go by their own age on the region clock, with the retention passes', async (t) => {
  const relay = await startRelay(t);
  const fake = FakeTimers.createClock(Date.now());
  const clock: Clock = {
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
    clearTimeout: (id) => fake.clearTimeout(id as never),
  };
  // Keys an hour, mails given up after a minute: a key is kept an hour.
  const region = await startRegion(
    t,
    {
      CICSMAIL_RELAY: relay.url,
      CICSMAIL_KEY_RETENTION: '1',
      CICSMAIL_RETRY_FIRST_MS: '1000',
      CICSMAIL_RETRY_LIMIT_MS: '60000',
    },
    { clock },
  );
  const mail = buildMailCommarea({ from: 'batch@corp.example', to: 'ops@corp.example', subject: 'keyed' }, 37);
  for (const key of ['order-1', 'order-2'])
    t.equal((await region.post('MAIL', mail, { 'Idempotency-Key': key })).status, 200);
  const journal = region.journal();
  t.equal(journal.keys.count(), 2);

  fake.setSystemTime(fake.now + 30 * 60_000);
  await fake.tickAsync(1000);
  await region.app.retention.whenIdle();
  t.equal(journal.keys.count(), 2, 'half an hour on: kept');

  fake.setSystemTime(fake.now + 31 * 60_000);
  await fake.tickAsync(1000);
  await region.app.retention.whenIdle();
  t.equal(journal.keys.count(), 0, 'past the hour: gone');
  t.equal(region.app.retention.keys, 2);
  t.equal([...journal.scan()].length, 2, 'their records stay for their own retention');
});

t.test('a journal written before the indexes: answered at once, indexed behind the tasks', async (t) => {
  const dir = freshDir(t);
  const message = sampleMessage(200);
  const made = Journal.open(freshDir(t));
  await made.appendBatch(
    syntheticEntries(0, 3000, { start: Date.parse('2026-11-01T00:00:00Z'), stepMs: 1000, message, users: 9 }),
  );
  const records = [...made.scan()];
  await made.close();
  await writeLegacyJournal(dir, records, message, [legacyTask(1, '2026-11-01T00:00:04.000Z', [5])]);
  const region = await startRegion(t, { CICSMAIL_DATA: dir, CICSMAIL_RETENTION_DAYS: '0' });
  const want = records.filter((r) => matches(r, { state: 'FAILED', userid: 'USER4' })).map((r) => r.seq);
  const found: number[] = [];
  for (let after = 0, page; ; after = page.next) {
    page = (await (await region.fetch(`/journal?state=FAILED&user=user4&limit=5&after=${after}`)).json()) as {
      records: { seq: number }[];
      next: number | null;
    };
    found.push(...page.records.map((r) => r.seq));
    if (page.next === null) break;
  }
  t.same(found, want, 'every page right, indexed or not yet');
  await region.app.upkeep;
  t.equal(region.journal().unindexed(), null, 'indexed');
  t.ok(check(region.journal()).ok);
  const stats = (await (await region.fetch('/journal/stats')).json()) as { records: number };
  t.equal(stats.records, 3000);
  const task = await region.fetch('/console/api/journal/5/task');
  t.equal(task.status, 200);
  t.match(await task.json(), { id: 1, journalSeqs: [5] });
});

t.test('counts gone wrong are repaired at start', async (t) => {
  const dir = freshDir(t);
  const made = Journal.open(dir);
  await made.appendBatch(
    syntheticEntries(0, 500, { start: Date.parse('2026-11-01T00:00:00Z'), stepMs: 1000, message: sampleMessage(200) }),
  );
  await made.close();
  const raw = open(environmentOptions(`${dir}/journal`));
  await raw.openDB<[number, number], (string | number)[]>({ name: 'counts' }).put(['all', '', 'SENT', 'MAIL'], [7, 7]);
  await raw.close();
  const region = await startRegion(t, { CICSMAIL_DATA: dir, CICSMAIL_RETENTION_DAYS: '0' });
  await region.app.upkeep;
  t.ok(check(region.journal()).ok, 'right again');
  const stats = (await (await region.fetch('/journal/stats')).json()) as { records: number };
  t.equal(stats.records, 500);
});
