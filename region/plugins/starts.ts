// START requests: the timer that runs them when they fall due, from the region's start
// (where what a crash left running is ended and what fell due while the region was down
// runs) to its close (which waits for those running). A START runs with its user's
// authority as it is then: a user removed, or no longer allowed the transaction, ends it
// without a task, on record as a refused attempt.
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { systemClock, type Clock } from '../../cics/clock.js';
import type { StartEnd } from '../../journal/starts.js';
import { loggedRequest, type LoggedOutcome } from '../../journal/task-log.js';
import { mayRun, type UserRecord } from '../../users/users-file.js';
import type { TransactionDefinition } from '../definitions.js';
import {
  cicsReplyOf,
  errorOfResult,
  SurrogateUnknown,
  TransactionDisabled,
  TransactionNotAllowed,
  TransactionUnknown,
} from '../errors.js';
import { StartScheduler, type WaitingStart } from '../tasks/start-scheduler.js';
import { recordTask } from '../tasks/task-record.js';

declare module 'fastify' {
  interface FastifyInstance {
    readonly starts: StartScheduler;
  }
}

/** How often the timer looks even where nothing is due sooner. */
const POLL_MS = 60_000;

const refused = (err: { code?: string }): LoggedOutcome => {
  const reply = cicsReplyOf(err);
  return { kind: 'failed', resp: reply.resp, abcode: reply.abcode };
};

export default fp<{ clock?: Clock | undefined }>(
  async (app, { clock }) => {
    const { journal, dispatcher } = app;
    const scheduler = new StartScheduler({
      starts: journal.starts,
      clock: clock ?? systemClock,
      run: (entry) => runStart(app, entry),
      concurrency: dispatcher.usage().capacity,
      pollMs: POLL_MS,
      onError: (reqid, err) => app.log.error({ err, reqid }, 'start: failed'),
    });
    app.decorate('starts', scheduler);
    app.addHook('onReady', async () => {
      const lost = await scheduler.start();
      if (lost.length > 0)
        app.log.warn(
          { reqids: lost },
          'start: STARTs that were running when the region stopped are INTERRUPTED, not run again',
        );
    });
    app.addHook('onClose', () => scheduler.stop());
  },
  { name: 'starts', dependencies: ['journal', 'dispatcher', 'definitions', 'security', 'metrics', 'room'] },
);

/** A START fallen due: its task run now, or ended without one where it may no longer run. */
async function runStart(app: FastifyInstance, entry: WaitingStart): Promise<StartEnd> {
  const { journal, dispatcher, security, metrics, room, config } = app;
  const { request } = entry;
  const allowed = mayStart(app, entry);
  if (!('user' in allowed)) {
    app.log.warn(
      { reqid: entry.reqid, tranid: request.tranid, user: request.userid, err: allowed.message },
      'start: not run',
    );
    return { taskn: 0, outcome: refused(allowed), journalSeqs: [] };
  }
  const { definition, user } = allowed;
  const { commarea, containers, ccsid, jobname, userid } = request;
  const startedAt = new Date();
  const ended = await dispatcher.run({
    definition,
    commarea,
    containers,
    ccsid,
    userid,
    jobname,
    security: security.taskSecurity(user, request.remote),
    // Its request was counted when it was asked for; a SEND's other mails count as it runs.
    rateLimit: security.rateLimitOf(user),
  });
  recordTask(
    { metrics, journal, room },
    app.log.child({ reqid: entry.reqid }),
    { definition, caller: user, ccsid, jobname },
    loggedRequest(commarea, containers, config.taskLogKeepBytes),
    { ...ended, startedAt },
  );
  const { eib, result } = ended;
  if (result.kind === 'normal')
    return {
      taskn: eib.eibtaskn,
      outcome: { kind: 'normal', rc: result.mailRc ?? null },
      journalSeqs: result.journalSeqs,
    };
  return { taskn: eib.eibtaskn, outcome: refused(errorOfResult(result)), journalSeqs: [] };
}

/**
 * A START's transaction and user, where it may run now: the transaction defined and
 * enabled, the user known and allowed it; else why not.
 */
function mayStart(
  app: FastifyInstance,
  entry: WaitingStart,
): { definition: TransactionDefinition; user: UserRecord } | (Error & { code?: string }) {
  const { definitions, security } = app;
  const { request } = entry;
  const { tranid, userid } = request;
  const definition = definitions.get(tranid);
  if (!definition) return new TransactionUnknown(tranid);
  if (!definition.enabled) return new TransactionDisabled(tranid);
  // The user as the users file has it now, not as when the START was asked for.
  security.users.reload();
  const user = security.users.get(userid);
  if (!user) return new SurrogateUnknown(userid);
  if (!mayRun(user, tranid)) {
    const detail = `START ${entry.reqid}: transaction ${tranid} is not in the user's list`;
    void security.trail.refuse({
      tranid,
      taskn: 0,
      userid,
      jobname: request.jobname,
      ccsid: request.ccsid,
      envelope: { from: '', to: [] },
      subject: '',
      denial: { reason: 'NOTALLOWED', detail, remote: request.remote },
    });
    return new TransactionNotAllowed(userid, tranid);
  }
  return { definition, user };
}
