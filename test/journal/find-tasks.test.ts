// The tasks redrive picks (journal/query.ts findTasks): the same as reading every task and
// each of its mails, found by the records' indexes and the task index where the filter asks
// about mails (its reads do not grow with the log), and read a slice at a time otherwise.
import { join } from 'node:path';
import t from 'tap';
import {
  sampleMessage,
  syntheticEntries,
  syntheticMessageId,
  syntheticRecipient,
} from '../../bench/journal-records.js';
import { Journal } from '../../journal/journal.js';
import { TASK_INDEX } from '../../journal/indexes.js';
import { findTasks, matches, type RecordFilter } from '../../journal/query.js';
import type { NewTaskEntry, TaskEntry } from '../../journal/task-log.js';
import { legacyTask, writeLegacyJournal } from '../helpers/legacy-journal.js';
import { freshDir } from '../helpers/test-like.js';

const START = Date.parse('2026-11-01T00:00:00Z');
const STEP_MS = 60_000;
const message = sampleMessage(300);
const options = { start: START, stepMs: STEP_MS, message, users: 7, jobs: 11, recipients: 40, finalBefore: Infinity };

/** A journal of `n` records; a task for each, as its record says (its tranid, user, job name), every tenth with no mail. */
async function journalOf(dir: string, n: number): Promise<Journal> {
  const journal = Journal.open(dir);
  for (let i = 0; i < n; i += 1000) await journal.appendBatch(syntheticEntries(i, Math.min(1000, n - i), options));
  const adds: Promise<number>[] = [];
  for (const r of journal.range(1)) {
    const task: NewTaskEntry = {
      at: new Date(Date.parse(r.acceptedAt) - 5).toISOString(),
      taskn: r.seq,
      tranid: r.tranid,
      userid: r.userid,
      jobname: r.jobname,
      ccsid: 37,
      commarea: { form: 'json', json: {} },
      containers: [],
      outcome: r.seq % 10 === 0 ? { kind: 'failed', resp: 'ABEND', abcode: 'ASRA' } : { kind: 'normal', rc: 0 },
      journalSeqs: r.seq % 10 === 0 ? [] : [r.seq],
      durationMs: 2,
    };
    adds.push(journal.tasks.add(task));
  }
  await Promise.all(adds);
  await journal.tasks.flush();
  return journal;
}

/** What reading every task and each of its mails says. */
function bruteTasks(journal: Journal, filter: RecordFilter, limit: number): number[] {
  const byMail = filter.state !== undefined || filter.recipient !== undefined || filter.messageId !== undefined;
  const out: number[] = [];
  for (const task of journal.tasks.scan()) {
    if (out.length >= limit) break;
    if (filter.tranid && task.tranid !== filter.tranid.toUpperCase()) continue;
    if (filter.userid && task.userid !== filter.userid.toUpperCase()) continue;
    if (filter.jobname && task.jobname !== filter.jobname.toUpperCase()) continue;
    if (filter.since && task.at < filter.since) continue;
    if (filter.until && task.at >= filter.until) continue;
    const mails = task.journalSeqs.map((seq) => journal.get(seq));
    if (byMail && !mails.some((r) => r !== undefined && matches(r, filter))) continue;
    out.push(task.id);
  }
  return out;
}

const ids = (tasks: readonly TaskEntry[]) => tasks.map((task) => task.id);
const time = (i: number) => new Date(START + i * STEP_MS).toISOString();

t.test('the tasks every filter picks are those reading every task finds, within the limit', async (t) => {
  const journal = await journalOf(freshDir(t), 1500);
  t.teardown(() => journal.close());
  const filters: RecordFilter[] = [
    {},
    { state: 'FAILED' },
    { state: 'SENT', tranid: 'spol' },
    { messageId: syntheticMessageId(700) },
    { recipient: syntheticRecipient(7).toUpperCase() },
    { tranid: 'SEND' },
    { userid: 'user3', jobname: 'JOB4' },
    { state: 'DENIED', since: time(300), until: time(900) },
    { since: time(1200) },
    { state: 'FAILED', userid: 'NOBODY' },
  ];
  for (const filter of filters) {
    const all = bruteTasks(journal, filter, Infinity);
    t.same(ids(await findTasks(journal, filter, 100_000)), all, `${JSON.stringify(filter)}: ${all.length} tasks`);
    t.same(ids(await findTasks(journal, filter, 3)), all.slice(0, 3), `${JSON.stringify(filter)}, three at most`);
  }
});

t.test('a filter on mails reads as much of the journal at 2,000 tasks as at 1,000', async (t) => {
  const reads: number[] = [];
  for (const n of [1000, 2000]) {
    const journal = await journalOf(freshDir(t), n);
    const before = journal.reads;
    const found = await findTasks(journal, { messageId: syntheticMessageId(500) }, 1000);
    reads.push(journal.reads - before);
    t.same(
      found.map((task) => task.journalSeqs),
      [[501]],
    );
    await journal.close();
  }
  // Reading every task's mails would read 900 and 1,800 records.
  t.ok(reads[0]! <= 4 && reads[1] === reads[0], `${reads[0]} and ${reads[1]} reads`);
});

t.test(
  'the log is read a slice at a time: the event loop turns while a filter on tasks looks through it',
  async (t) => {
    const journal = await journalOf(freshDir(t), 2000);
    t.teardown(() => journal.close());
    let turns = 0;
    let running = true;
    const count = () => {
      turns++;
      if (running) setImmediate(count);
    };
    setImmediate(count);
    t.same(await findTasks(journal, { tranid: 'NONE' }, 1000), []);
    running = false;
    t.ok(turns >= 3, `${turns} turns over 2,000 tasks, 500 a slice`);
  },
);

t.test('a journal whose task log is not indexed yet: a filter on mails reads the tasks and their mails', async (t) => {
  const dir = freshDir(t);
  const source = Journal.open(join(dir, 'source'));
  await source.appendBatch(syntheticEntries(0, 30, options));
  const records = [...source.range(1)];
  await source.close();
  await writeLegacyJournal(join(dir, 'old'), records, message, [
    legacyTask(1, '2026-11-01T00:05:00.000Z', [5]),
    legacyTask(2, '2026-11-01T00:17:00.000Z', [17, 18]),
  ]);
  const reader = Journal.open(join(dir, 'old'), { readOnly: true });
  t.teardown(() => reader.close());
  t.not(reader.unindexed([TASK_INDEX]), null, 'the task log is not indexed');
  const failed = records.filter((r) => r.state === 'FAILED').map((r) => r.seq);
  const want = [
    ...([5].some((s) => failed.includes(s)) ? [1] : []),
    ...([17, 18].some((s) => failed.includes(s)) ? [2] : []),
  ];
  t.same(ids(await findTasks(reader, { state: 'FAILED' }, 10)), want);
  t.same(ids(await findTasks(reader, { messageId: records[17]!.messageId }, 10)), [2]);
});
