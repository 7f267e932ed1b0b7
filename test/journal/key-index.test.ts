// The journal's index of request keys: a record is found by the key it was sent under (as
// sent: case counts), with the other filters beside it; a journal written before the index
// gets it a batch at a time and is read right meanwhile; and a lookup by key reads about
// what it finds, however many records the journal holds. The filter's text is checked by
// the key rule of the Idempotency-Key header.
import { join } from 'node:path';
import { open } from 'lmdb';
import t from 'tap';
import { sampleMessage, syntheticEntries } from '../../bench/journal-records.js';
import type { BatchEntry } from '../../journal/journal.js';
import { environmentOptions, Journal } from '../../journal/journal.js';
import { FilterError, matches, parseFilter, queryRecords, type RecordFilter } from '../../journal/query.js';
import type { IndexKey } from '../../journal/indexes.js';
import { verify } from '../../journal/verify.js';

const START = Date.parse('2026-11-01T00:00:00Z');
const message = sampleMessage(300);
const options = { start: START, stepMs: 60_000, message, users: 7, jobs: 11, recipients: 40 };

/** Records `from` to `from + count`: every fifth sent under a key, 20 keys shared among 7 users. */
function keyedEntries(from: number, count: number): BatchEntry[] {
  return syntheticEntries(from, count, options).map((e, i) =>
    'origin' in e && (from + i) % 5 === 0
      ? { ...e, origin: { ...e.origin, requestKey: `order-${(from + i) % 20}` } }
      : e,
  );
}

/** Every page to the end with a small budget: the sequence numbers found. */
function allPages(journal: Journal, filter: RecordFilter): number[] {
  const seqs: number[] = [];
  let after: number | undefined;
  for (;;) {
    const page = queryRecords(journal, filter, { limit: 3, budget: 40, ...(after !== undefined ? { after } : {}) });
    seqs.push(...page.records.map((r) => r.seq));
    if (page.next === null) return seqs;
    after = page.next;
  }
}

const brute = (journal: Journal, filter: RecordFilter) =>
  [...journal.scan()].filter((r) => matches(r, filter)).map((r) => r.seq);

const FILTERS: RecordFilter[] = [
  { requestKey: 'order-0' },
  { requestKey: 'order-5', userid: 'USER3' },
  { requestKey: 'order-10', state: 'SENT' },
  { requestKey: 'ORDER-0' },
  { requestKey: 'order-1' },
  { requestKey: 'never-sent' },
];

t.test('found by key, with the other filters, paged; verify finds every key right', async (t) => {
  const journal = Journal.open(t.testdir());
  t.teardown(() => journal.close());
  await journal.appendBatch(keyedEntries(0, 400));
  const live = await journal.accept(
    {
      tranid: 'SEND',
      taskn: 1,
      userid: 'USER3',
      jobname: 'JOB1',
      ccsid: 37,
      envelope: { from: 'b@x.example', to: ['a@x.example'] },
      subject: 'live',
      attachments: 0,
      messageId: '<live@t>',
      requestKey: 'order-5',
    },
    message,
  );
  for (const filter of FILTERS) t.same(allPages(journal, filter), brute(journal, filter), JSON.stringify(filter));
  t.ok(brute(journal, { requestKey: 'order-0' }).length >= 10, 'a key many records share');
  t.same(brute(journal, { requestKey: 'ORDER-0' }), [], 'a key as sent: another case is another key');
  t.same(brute(journal, { requestKey: 'order-1' }), [], 'no record was sent under order-1');
  t.ok(allPages(journal, { requestKey: 'order-5', userid: 'USER3' }).includes(live), 'the live record too');
  const report = await verify(journal, { repair: false });
  t.same([report.missingKeys, report.strayKeys, report.ok], [0, 0, true]);
});

t.test('a journal written before the key index: read right at once, indexed a batch at a time', async (t) => {
  const dir = t.testdir();
  const first = Journal.open(dir);
  await first.appendBatch(keyedEntries(0, 300));
  const keyed = [...first.scan()].filter((r) => r.requestKey !== undefined).length;
  await first.close();
  // As the journal was before this index: every other index and the counts, no `key` entries
  // and no word of where they start.
  const root = open(environmentOptions(join(dir, 'journal')));
  const index = root.openDB<null, IndexKey>({ name: 'index' });
  const meta = root.openDB<number, string>({ name: 'meta' });
  let removed = 0;
  await root.transaction(() => {
    for (const key of index.getKeys({ start: ['key'], end: ['key\u0000'] })) {
      void index.remove(key);
      removed++;
    }
    void meta.put('indexEntries', (meta.get('indexEntries') ?? 0) - removed);
    void meta.remove('from:key');
    void meta.remove('to:key');
  });
  await root.close();
  t.equal(removed, keyed, `${removed} key entries removed, one a keyed record`);

  const journal = Journal.open(dir);
  t.teardown(() => journal.close());
  t.same(journal.unindexed(['key']), { from: 1, to: 300 }, 'the records before are to be indexed');
  t.same(journal.unindexed(['user']), null, 'the others are whole');
  for (const filter of FILTERS)
    t.same(allPages(journal, filter), brute(journal, filter), `before: ${JSON.stringify(filter)}`);
  await journal.indexLegacy(120);
  t.same(journal.unindexed(['key']), { from: 121, to: 300 });
  for (const filter of FILTERS)
    t.same(allPages(journal, filter), brute(journal, filter), `half: ${JSON.stringify(filter)}`);
  while (await journal.indexLegacy(120));
  t.equal(journal.unindexed(), null);
  for (const filter of FILTERS)
    t.same(allPages(journal, filter), brute(journal, filter), `after: ${JSON.stringify(filter)}`);
  const report = await verify(journal, { repair: false });
  t.same([report.missingKeys, report.strayKeys, report.ok], [0, 0, true]);
});

t.test('a lookup by key reads what it finds, not the journal: twice the records, the same reads', async (t) => {
  const reads: number[] = [];
  for (const count of [2000, 4000]) {
    const journal = Journal.open(t.testdir());
    // Keys only on the first 100 records: the journal grows, the key's records do not.
    await journal.appendBatch(
      syntheticEntries(0, count, options).map((e, i) =>
        'origin' in e && i < 100 && i % 5 === 0 ? { ...e, origin: { ...e.origin, requestKey: `k${i % 20}` } } : e,
      ),
    );
    const before = journal.reads;
    const found = queryRecords(journal, { requestKey: 'k0' }, { limit: 100 }).records.length;
    reads.push(journal.reads - before);
    t.ok(found >= 3, `${found} records under k0 of ${count}`);
    await journal.close();
  }
  t.equal(reads[1], reads[0], `reads by key: ${reads.join(' then ')}`);
});

t.test('the filter text: a key as the Idempotency-Key header has it, else a FilterError that says why', async (t) => {
  t.same(parseFilter({ key: '8f3c2b1e-0000-4000-8000-1234567890ab' }), {
    requestKey: '8f3c2b1e-0000-4000-8000-1234567890ab',
  });
  t.same(parseFilter({ key: 'x'.repeat(64) }), { requestKey: 'x'.repeat(64) }, '64 characters: the longest key');
  t.same(parseFilter({ key: '!' }), { requestKey: '!' }, 'one character');
  const refused = (key: string) => {
    try {
      parseFilter({ key });
      return 'taken';
    } catch (err) {
      if (!(err instanceof FilterError)) throw err;
      return `${err.key} ${err.message}`;
    }
  };
  const rule = 'is not a request key: 1 to 64 printable ASCII characters (x21 to x7E)';
  t.equal(refused('x'.repeat(65)), `key '${'x'.repeat(64)}' ${rule}`, 'too long: the first 64 shown');
  t.equal(refused('order 42'), `key 'order 42' ${rule}`, 'a blank');
  t.equal(refused('a\r\nX-Evil: 1'), `key 'a??X-Evil: 1' ${rule}`, 'a line end, shown as ?');
  t.equal(refused('clé'), `key 'cl?' ${rule}`, 'beyond ASCII');
  t.equal(refused('\u0000'.repeat(100_000)), `key '${'?'.repeat(64)}' ${rule}`, 'hostile: 100,000 NULs, 64 shown');
  t.same(parseFilter({ key: '' }), {}, 'an empty key is no filter (as every empty filter)');
});
