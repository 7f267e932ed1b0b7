// The end of a task, on record: the metrics, one log line (who ran what and how it ended;
// never a body or a password), the task log entry for redrive, and, where the journal had
// no room for the task's mail, a tighter watch on its space.
import type { FastifyBaseLogger } from 'fastify';
import type { Eib, TaskResult } from '../../cics/task.js';
import type { Journal } from '../../journal/journal.js';
import type { LoggedContainer } from '../../journal/task-log.js';
import type { CommareaInput } from '../../cics/task.js';
import { cicsReplyOf, errorOfResult } from '../errors.js';
import type { RoomWatch } from '../../journal/room.js';
import type { RegionMetrics } from '../metrics.js';
import type { PendingTask } from './pending-task.js';

export interface TaskRecords {
  readonly metrics: RegionMetrics;
  readonly journal: Journal;
  readonly room: RoomWatch;
}

/** The request as the task log keeps it (a large channel without its containers' bytes). */
export interface LoggedInput {
  readonly commarea: CommareaInput;
  readonly containers: readonly LoggedContainer[];
}

/** Records a task that ended; returns the error to answer with where it did not end normally. */
export function recordTask(
  records: TaskRecords,
  /** The request's logger, or the region's for a task no request waits for (a START's). */
  log: FastifyBaseLogger,
  task: Pick<PendingTask, 'definition' | 'caller' | 'ccsid' | 'jobname'>,
  logged: LoggedInput,
  ended: { readonly eib: Eib; readonly result: TaskResult; readonly startedAt: Date },
): (Error & { code: string }) | undefined {
  const { eib, result, startedAt } = ended;
  const tranid = task.definition.tranid;
  const failure = result.kind === 'normal' ? undefined : errorOfResult(result);
  const answer = failure ? cicsReplyOf(failure) : undefined;
  const durationMs = Date.now() - startedAt.getTime();
  const mailRc = result.kind === 'normal' ? (result.mailRc ?? null) : null;
  records.metrics.taskEnded({
    tranid,
    resp: answer?.resp ?? 'NORMAL',
    abcode: answer?.abcode ?? null,
    mailRc,
    replies: result.kind === 'normal' ? (result.smtpReplies ?? []) : [],
    seconds: durationMs / 1000,
  });
  log.info(
    {
      taskn: eib.eibtaskn,
      tranid,
      user: task.caller.id,
      jobname: task.jobname || undefined,
      rc: mailRc ?? undefined,
      resp: answer?.resp ?? 'NORMAL',
      abcode: answer?.abcode ?? undefined,
      ms: durationMs,
    },
    'task',
  );
  // Not awaited: the task log is a record for testing, not part of the answer.
  records.journal.tasks
    .add({
      at: startedAt.toISOString(),
      taskn: eib.eibtaskn,
      tranid,
      userid: eib.eibusrid,
      jobname: task.jobname,
      ccsid: task.ccsid,
      commarea: logged.commarea,
      containers: logged.containers,
      outcome: answer ? { kind: 'failed', resp: answer.resp, abcode: answer.abcode } : { kind: 'normal', rc: mailRc },
      journalSeqs: result.kind === 'normal' ? result.journalSeqs : [],
      durationMs,
    })
    .catch((err: Error) => log.warn({ err }, 'journal: the task log could not keep a task'));
  if (result.kind === 'condition' && result.condition === 'NOSPACE') {
    void records.room.exhausted().catch((err: Error) => log.error({ err }, 'journal: cannot read free space'));
  }
  return failure;
}
