// A journal as the region wrote it before it had indexes and counts: its records and
// message bytes, the last sequence number, and task log entries; no `index`, `counts` or
// the meta keys that say what is indexed. For the tests of opening (and indexing) one.
import { open } from 'lmdb';
import { environmentOptions } from '../../journal/journal.js';
import type { JournalRecord } from '../../journal/record.js';
import type { TaskEntry } from '../../journal/task-log.js';

/** A task log entry of task `id` that made the records `journalSeqs`. */
export function legacyTask(id: number, at: string, journalSeqs: readonly number[]): TaskEntry {
  return {
    id,
    at,
    taskn: id,
    tranid: 'MAIL',
    userid: 'USER1',
    jobname: 'JOB1',
    ccsid: 37,
    commarea: { form: 'json', json: { subject: `task ${id}` } },
    containers: [],
    outcome: { kind: 'normal', rc: 0 },
    journalSeqs,
    durationMs: 4,
  };
}

export async function writeLegacyJournal(
  dataDir: string,
  records: readonly JournalRecord[],
  message: Uint8Array,
  tasks: readonly TaskEntry[] = [],
): Promise<void> {
  const root = open(environmentOptions(`${dataDir}/journal`));
  const db = root.openDB<JournalRecord, number>({ name: 'records' });
  const bytes = root.openDB<Buffer, number>({ name: 'messages', encoding: 'binary' });
  const log = root.openDB<object, number>({ name: 'tasks' });
  const meta = root.openDB<number, string>({ name: 'meta' });
  await root.transaction(() => {
    for (const r of records) {
      void db.put(r.seq, r);
      if (r.state !== 'DENIED') void bytes.put(r.seq, Buffer.from(message));
    }
    for (const task of tasks) void log.put(task.id, task);
    void meta.put('lastSeq', records.at(-1)?.seq ?? 0);
  });
  await root.close();
}
