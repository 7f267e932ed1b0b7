// The task log's batches (journal/task-log.ts) on a real LMDB: the tasks that end together
// share one commit, the log's own reads see an entry before its commit, and closing the
// journal commits what waits.
import t from 'tap';
import { Journal } from '../../journal/journal.js';
import { BATCH_MAX, type NewTaskEntry } from '../../journal/task-log.js';

function entry(taskn: number): NewTaskEntry {
  return {
    at: new Date(Date.UTC(2026, 11, 5, 8, 0, taskn)).toISOString(),
    taskn,
    tranid: 'MAIL',
    userid: 'TESTER',
    jobname: 'NIGHTLY',
    ccsid: 37,
    commarea: { form: 'bytes', bytes: new Uint8Array([0xf0, 0xf1, taskn & 0xff]) },
    containers: [],
    outcome: { kind: 'normal', rc: 0 },
    journalSeqs: [taskn],
    durationMs: 3,
  };
}

t.test('entries added together share one commit, and are read back as added', async (t) => {
  const dir = t.testdir();
  const journal = Journal.open(dir, { sysid: 'CICA' });
  t.teardown(() => journal.close());
  const before = journal.commits();
  const ids = await Promise.all(Array.from({ length: BATCH_MAX }, (_, i) => journal.tasks.add(entry(i + 1))));
  t.same(
    ids,
    Array.from({ length: BATCH_MAX }, (_, i) => i + 1),
    'ids count up from 1',
  );
  t.equal(journal.commits() - before, 1, `${BATCH_MAX} entries: one commit`);
  const reader = Journal.open(dir, { readOnly: true });
  t.teardown(() => reader.close());
  const read = [...reader.tasks.scan()];
  t.equal(read.length, BATCH_MAX, 'another reader sees every one once committed');
  t.match(read[6], { id: 7, sysid: 'CICA', taskn: 7, tranid: 'MAIL', jobname: 'NIGHTLY', journalSeqs: [7] });
  t.same(
    [...(read[6]?.commarea.form === 'bytes' ? read[6].commarea.bytes : [])],
    [0xf0, 0xf1, 7],
    'the COMMAREA bytes',
  );
});

t.test('an entry waiting for its commit: the log itself reads it, another reader only once committed', async (t) => {
  const dir = t.testdir();
  const journal = Journal.open(dir);
  t.teardown(() => journal.close());
  await journal.tasks.add(entry(1));
  const reader = Journal.open(dir, { readOnly: true });
  t.teardown(() => reader.close());
  const added = [journal.tasks.add(entry(2)), journal.tasks.add(entry(3))];
  t.same(
    [...journal.tasks.scan()].map((e) => e.id),
    [1, 2, 3],
    'scan: the committed entry, then the two waiting',
  );
  t.same(
    [...journal.tasks.scan(1)].map((e) => e.id),
    [2, 3],
    'scan after 1',
  );
  t.equal(journal.tasks.get(3)?.taskn, 3, 'get finds a waiting entry');
  t.equal(journal.tasks.get(4), undefined, 'and not one never added');
  t.same(
    [...reader.tasks.scan()].map((e) => e.id),
    [1],
    'another reader: the committed one only',
  );
  t.same(await Promise.all(added), [2, 3]);
  t.same(
    [...reader.tasks.scan()].map((e) => e.id),
    [1, 2, 3],
    'then all three',
  );
});

t.test('closing the journal commits the entries still waiting', async (t) => {
  const dir = t.testdir();
  const journal = Journal.open(dir);
  const added = journal.tasks.add(entry(1));
  await journal.close();
  t.equal(await added, 1, 'the add resolved with its id');
  const again = Journal.open(dir, { readOnly: true });
  t.teardown(() => again.close());
  t.same(
    [...again.tasks.scan()].map((e) => e.taskn),
    [1],
  );
});
