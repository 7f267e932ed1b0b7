// The journal's counts and indexes on a real LMDB: every writer keeps them in step with
// the records (verify finds nothing wrong, and stats and every filter, paged with a small
// budget, give what reading every record gives), time ranges and sequence numbers, a
// journal written before the indexes, and verify's repair of counts and keys gone wrong.
import { join } from 'node:path';
import { open } from 'lmdb';
import t, { type Test } from 'tap';
import { sampleMessage, syntheticEntries, syntheticRecipient } from '../../bench/journal-records.js';
import { environmentOptions, Journal } from '../../journal/journal.js';
import {
  countedStats,
  eachRecord,
  journalStats,
  matches,
  queryRecords,
  stateCounts,
  type JournalStats,
  type RecordFilter,
} from '../../journal/query.js';
import type { JournalRecord, MailOrigin } from '../../journal/record.js';
import { check, verify } from '../../journal/verify.js';
import { legacyTask, writeLegacyJournal } from '../helpers/legacy-journal.js';

const START = Date.parse('2026-11-01T00:00:00Z');
const message = sampleMessage(300);
const options = { start: START, stepMs: 60_000, message, users: 7, jobs: 11, recipients: 40 };

/** What reading every record says. */
function bruteStats(journal: Journal, filter: RecordFilter): JournalStats {
  const stats: JournalStats = {
    records: 0,
    bytes: 0,
    byState: { ACCEPTED: 0, SENT: 0, DEFERRED: 0, FAILED: 0, DENIED: 0 },
    byTranid: {},
  };
  const s = stats as { records: number; bytes: number; byTranid: Record<string, number> };
  for (const r of journal.scan()) {
    if (!matches(r, filter)) continue;
    s.records++;
    s.bytes += r.size;
    stats.byState[r.state]++;
    s.byTranid[r.tranid] = (s.byTranid[r.tranid] ?? 0) + 1;
  }
  return stats;
}

/** Every page to the end, each reading at most `budget` entries: the sequence numbers found and the pages. */
function allPages(journal: Journal, filter: RecordFilter, limit: number, budget: number) {
  const seqs: number[] = [];
  let after: number | undefined;
  let pages = 0;
  for (;;) {
    const before = journal.reads;
    const page = queryRecords(journal, filter, { limit, budget, ...(after !== undefined ? { after } : {}) });
    pages++;
    // A page may go one record's reads past the budget (the record it was reading).
    if (journal.reads - before > budget + 8) throw new Error(`a page read ${journal.reads - before} entries`);
    seqs.push(...page.records.map((r) => r.seq));
    if (page.next === null) return { seqs, pages };
    if (after !== undefined && page.next <= after) throw new Error('a page did not move on');
    after = page.next;
  }
}

/** A fixed set of filters over what the made-up records hold, and some that match nothing. */
function filters(journal: Journal): RecordFilter[] {
  const any = [...journal.scan()].find((r) => r.messageId !== '') as JournalRecord;
  const mid = new Date(START + 500 * 60_000).toISOString();
  const late = new Date(START + 900 * 60_000).toISOString();
  return [
    {},
    { state: 'SENT' },
    { state: 'DENIED' },
    { state: 'DEFERRED', userid: 'user3' },
    { userid: 'USER2' },
    { jobname: 'job4', tranid: 'send' },
    { tranid: 'SPOL', state: 'FAILED' },
    { recipient: syntheticRecipient(7).toUpperCase() },
    { recipient: syntheticRecipient(7), state: 'SENT', userid: 'USER1' },
    { messageId: any.messageId },
    { messageId: any.messageId.slice(1, -1) },
    { since: mid },
    { until: mid, state: 'FAILED' },
    { since: mid, until: late, userid: 'USER5' },
    { since: '2026-11-01', until: '2026-11-02' },
    { userid: 'NOBODY' },
    { state: 'ACCEPTED', tranid: 'NONE' },
    { since: '2030-01-01' },
  ];
}

async function agrees(t: Test, journal: Journal, label: string) {
  const report = await verify(journal, { repair: false });
  t.same(
    { ...report, records: 0, tasks: 0 },
    { records: 0, tasks: 0, countRows: 0, missingKeys: 0, strayKeys: 0, repaired: 0, ok: true },
    `${label}: verify finds the counts and every index key right`,
  );
  t.ok(check(journal).ok, `${label}: the quick check agrees`);
  for (const filter of filters(journal)) {
    const want = [...journal.scan()].filter((r) => matches(r, filter)).map((r) => r.seq);
    t.same(allPages(journal, filter, 7, 60).seqs, want, `${label}: ${JSON.stringify(filter)}, paged`);
    const brute = bruteStats(journal, filter);
    t.same(await journalStats(journal, filter), brute, `${label}: stats of ${JSON.stringify(filter)}`);
    const counted = countedStats(journal, filter);
    if (counted) t.same(counted, brute, `${label}: counted stats of ${JSON.stringify(filter)}`);
  }
  t.same(stateCounts(journal), bruteStats(journal, {}).byState, `${label}: records by state`);
}

const origin = (n: number, to = ['a@x.example']): MailOrigin => ({
  tranid: 'MAIL',
  taskn: n,
  userid: 'USER1',
  jobname: 'JOB1',
  ccsid: 37,
  envelope: { from: 'b@x.example', to },
  subject: `mail ${n}`,
  attachments: 0,
  messageId: `<live${n}@t>`,
});

t.test('every writer keeps the counts and indexes in step with the records', async (t) => {
  let now = START;
  const journal = Journal.open(t.testdir(), { now: () => now });
  t.teardown(() => journal.close());
  await journal.appendBatch(syntheticEntries(0, 1000, options));
  await agrees(t, journal, 'a batch');

  now = START + 1000 * 60_000;
  const live = await Promise.all(
    [1, 2, 3, 4].map((n) => journal.accept(origin(n, ['A@x.example', 'c@x.example']), message)),
  );
  const at = () => new Date(now).toISOString();
  await journal.settle(live[0]!, {
    at: at(),
    relay: 'r',
    outcome: 'sent',
    reply: '250',
    via: 'task',
    accepted: ['A@x.example', 'c@x.example'],
  });
  await journal.settle(live[1]!, {
    at: at(),
    relay: 'r',
    outcome: 'deferred',
    reply: '451',
    via: 'task',
    accepted: ['c@x.example'],
  });
  await journal.settle(live[2]!, { at: at(), relay: 'r', outcome: 'failed', reply: '554', via: 'task', accepted: [] });
  await journal.claim(live[1]!, 1000);
  await journal.recordReplay(live[0]!, {
    at: at(),
    relay: 'r',
    outcome: 'sent',
    reply: '250',
    via: 'replay',
    accepted: ['c@x.example'],
  });
  const denied = await journal.deny({
    tranid: 'MAIL',
    taskn: 9,
    userid: 'INTRUDER',
    jobname: '',
    ccsid: 37,
    envelope: { from: '', to: [] },
    subject: '',
    denial: { reason: 'BADCREDS', detail: 'wrong password', remote: '10.9.9.9', count: 1 },
  });
  await journal.countDenials(denied, 12, now);
  await journal.recoverOrphans(now + 1);
  await agrees(t, journal, 'after accept, settle, claim, replay, deny, countDenials, recoverOrphans');
  t.same(allPages(journal, { userid: 'intruder' }, 10, 100).seqs, [denied], 'a DENIED record is found by its user');

  const pruned = await journal.prune(START + 500 * 60_000);
  t.ok(pruned > 400, `prune removed ${pruned} final records`);
  t.notOk(
    [...journal.scan()].some(
      (r) =>
        r.acceptedAt < new Date(START + 500 * 60_000).toISOString() && ['SENT', 'FAILED', 'DENIED'].includes(r.state),
    ),
    'no final record before the cut-off is left',
  );
  await agrees(t, journal, 'after prune');
});

t.test('acceptance times rise with sequence numbers, and a time range is a range of numbers', async (t) => {
  let now = Date.parse('2026-12-01T10:00:00Z');
  const journal = Journal.open(t.testdir(), { now: () => now });
  t.teardown(() => journal.close());
  const a = await journal.accept(origin(1), message);
  now -= 5000; // a task that read the clock earlier commits later (or the clock stepped back)
  const b = await journal.accept(origin(2), message);
  now += 20_000;
  const c = await journal.accept(origin(3), message);
  const times = [a, b, c].map((seq) => journal.get(seq)?.acceptedAt);
  t.same(times, ['2026-12-01T10:00:00.000Z', '2026-12-01T10:00:00.000Z', '2026-12-01T10:00:15.000Z']);
  t.equal(journal.firstSeqAt('2026-12-01T09:00:00Z'), a);
  t.equal(journal.firstSeqAt('2026-12-01T10:00:00.000Z'), a);
  t.equal(journal.firstSeqAt('2026-12-01T10:00:00.001Z'), c);
  t.equal(journal.firstSeqAt('2026-12-01T11:00:00Z'), c + 1, 'past the last record');
  t.same(allPages(journal, { since: '2026-12-01T10:00:01Z' }, 10, 100).seqs, [c]);
});

t.test('a page that finds nothing reads at most its budget and says where to go on', async (t) => {
  const journal = Journal.open(t.testdir());
  t.teardown(() => journal.close());
  // USER1's records are all SENT, USER2's all FAILED: asking for USER1's FAILED ones finds none.
  const entries = syntheticEntries(0, 4000, { ...options, users: 2 });
  await journal.appendBatch(entries);
  const before = journal.reads;
  const page = queryRecords(
    journal,
    { userid: 'USER1', state: 'DEFERRED', jobname: 'JOB3' },
    { limit: 50, budget: 300 },
  );
  t.ok(journal.reads - before <= 308, `one page: ${journal.reads - before} reads`);
  const all = allPages(journal, { userid: 'USER1', state: 'DEFERRED', jobname: 'JOB3' }, 50, 300);
  const want = [...journal.scan()].filter(
    (r) => r.userid === 'USER1' && r.state === 'DEFERRED' && r.jobname === 'JOB3',
  );
  t.same(
    all.seqs,
    want.map((r) => r.seq),
  );
  t.ok(page.next !== null || all.pages === 1);
  // A filter no index holds a value for costs a few reads, not a walk.
  const none = journal.reads;
  t.same(queryRecords(journal, { userid: 'NOBODY' }, { limit: 50 }), { records: [], next: null });
  t.ok(journal.reads - none <= 2, 'a user with no records: no record read');
  // eachRecord goes through every page.
  let n = 0;
  for await (const r of eachRecord(journal, { state: 'SENT' })) if (r.state === 'SENT') n++;
  t.equal(n, want.length === 0 ? n : n, 'eachRecord reads every page');
  t.equal(n, [...journal.scan()].filter((r) => r.state === 'SENT').length);
});

t.test('a journal written before the indexes: read right at once, indexed a batch at a time', async (t) => {
  const dir = join(t.testdir(), 'old');
  // Written as the journal was before it had indexes: records, bytes, the last number, the task log.
  const source = Journal.open(join(t.testdir(), 'source'));
  await source.appendBatch(syntheticEntries(0, 600, options));
  const records = [...source.scan()];
  await source.close();
  await writeLegacyJournal(dir, records, message, [
    legacyTask(1, '2026-11-01T00:05:00.000Z', [5]),
    legacyTask(2, '2026-11-01T00:17:00.000Z', [17]),
  ]);

  // A reader that comes first finds no index at all, and reads every record.
  const reader = Journal.open(dir, { readOnly: true });
  t.same(reader.unindexed(), { from: 1, to: Number.MAX_SAFE_INTEGER });
  t.same(
    allPages(reader, { state: 'FAILED' }, 5, 100).seqs,
    records.filter((r) => r.state === 'FAILED').map((r) => r.seq),
  );
  t.same(await journalStats(reader), bruteStats(reader, {}));
  // Nor the stores of later versions (a message's parts, keys by time): read all the same.
  t.ok(reader.message(records[0]!.seq)?.equals(message), 'a message read');
  t.equal(reader.message(999_999), undefined, 'none where none is kept, without a store of parts');
  t.equal(reader.keys.get('any'), undefined);
  await reader.close();

  const journal = Journal.open(dir, { now: () => START + 700 * 60_000 });
  t.teardown(() => journal.close());
  t.same(journal.unindexed(), { from: 1, to: 600 }, 'the records written before are to be indexed');
  t.equal(journal.tasks.forRecord(17), 'indexing', 'a task not indexed yet is not said to be missing');
  const fresh = await journal.accept(origin(1), message);
  t.equal(fresh, 601);
  t.equal(countedStats(journal), undefined, 'no stats from counts that do not hold every record yet');
  // Part of the way: queries are right over the indexed, the not yet indexed and the new records.
  t.equal(await journal.indexLegacy(250), true, 'more left');
  t.same(journal.unindexed(), { from: 251, to: 600 });
  for (const filter of filters(journal)) {
    const want = [...journal.scan()].filter((r) => matches(r, filter)).map((r) => r.seq);
    t.same(allPages(journal, filter, 9, 80).seqs, want, `half indexed: ${JSON.stringify(filter)}`);
  }
  t.same(await journalStats(journal, { userid: 'USER1' }), bruteStats(journal, { userid: 'USER1' }));
  while (await journal.indexLegacy(250));
  t.equal(journal.unindexed(), null);
  t.equal(journal.tasks.forRecord(17)?.valueOf() && (journal.tasks.forRecord(17) as { id: number }).id, 2);
  t.equal(journal.tasks.forRecord(18), undefined);
  await agrees(t, journal, 'indexed');
});

t.test('verify finds counts and keys gone wrong, and repairs them', async (t) => {
  const dir = t.testdir();
  const writer = Journal.open(dir);
  await writer.appendBatch(syntheticEntries(0, 300, options));
  await writer.tasks.add({
    at: new Date(START).toISOString(),
    taskn: 1,
    tranid: 'MAIL',
    userid: 'USER1',
    jobname: 'JOB1',
    ccsid: 37,
    commarea: { form: 'json', json: {} },
    containers: [],
    outcome: { kind: 'normal', rc: 0 },
    journalSeqs: [4],
    durationMs: 1,
  });
  const first = writer.get(1) as JournalRecord;
  await writer.close();
  // Another program writes to the journal's databases behind its back. Closed first: an
  // environment opened twice in one process missed what the other wrote in 2 runs of 5.
  const raw = open(environmentOptions(`${dir}/journal`));
  const counts = raw.openDB<[number, number], (string | number)[]>({ name: 'counts' });
  const index = raw.openDB<null, (string | number)[]>({ name: 'index' });
  await raw.transaction(() => {
    void counts.put(['all', '', 'SENT', 'MAIL'], [1, 1]);
    void counts.put(['user', 'GHOST', 'SENT', 'MAIL'], [5, 10]);
    void index.remove(['user', first.userid, 1]);
    void index.remove(['task', 4, 1]);
    void index.put(['rcpt', 'nobody@x.example', 2], null);
    void index.put(['state', 'SENT', 99_999], null);
  });
  await raw.close();
  const journal = Journal.open(dir);
  t.teardown(() => journal.close());
  const quick = check(journal);
  t.equal(quick.ok, false);
  t.match(quick.detail, /the counts say \d+ records, the journal holds 300/);
  t.equal(journal.tasks.forRecord(4), undefined, 'the task is not found without its key');
  const report = await verify(journal, { repair: false });
  t.match(report, { records: 300, tasks: 1, countRows: 2, missingKeys: 2, strayKeys: 2, repaired: 0, ok: false });
  const fixed = await verify(journal, { repair: true });
  t.match(fixed, { countRows: 2, missingKeys: 2, strayKeys: 2, repaired: 4 });
  t.equal((journal.tasks.forRecord(4) as { id: number } | undefined)?.id, 1, 'found again');
  await agrees(t, journal, 'repaired');
});

t.test(
  'an index the journal did not keep yet (a new one in a later version) is added for the records before it',
  async (t) => {
    const dir = t.testdir();
    const journal = Journal.open(dir);
    await journal.appendBatch(syntheticEntries(0, 700, options));
    await journal.close();
    // As a journal written by a version without the Message-ID index: no keys, never started.
    const raw = open(environmentOptions(`${dir}/journal`));
    const index = raw.openDB<null, (string | number)[]>({ name: 'index' });
    const meta = raw.openDB<number, string>({ name: 'meta' });
    await raw.transaction(() => {
      let n = 0;
      for (const key of index.getKeys({ start: ['msgid'] })) {
        if (key[0] !== 'msgid') break;
        void index.remove(key);
        n++;
      }
      void meta.put('indexEntries', (meta.get('indexEntries') ?? 0) - n);
      void meta.remove('from:msgid');
      void meta.remove('to:msgid');
    });
    await raw.close();
    const again = Journal.open(dir);
    t.teardown(() => again.close());
    t.same(again.unindexed(['msgid']), { from: 1, to: 700 }, 'the Message-ID index lacks the records before');
    t.equal(again.unindexed(['user', 'counts']), null, 'the others are whole');
    t.ok(countedStats(again), 'the counts answer all the same');
    const seq = await again.accept(origin(1), message);
    const wanted = again.get(300) as JournalRecord;
    t.same(allPages(again, { messageId: wanted.messageId }, 10, 100).seqs, [300], 'found, read one by one');
    t.same(allPages(again, { messageId: '<live1@t>' }, 10, 100).seqs, [seq], 'a new record is in the index at once');
    while (await again.indexLegacy(300));
    t.equal(again.unindexed(), null);
    const before = again.reads;
    t.same(
      queryRecords(again, { messageId: wanted.messageId }, { limit: 10 }).records.map((r) => r.seq),
      [300],
    );
    t.ok(again.reads - before <= 4, 'now from the index');
    await agrees(t, again, 'the new index added');
  },
);
