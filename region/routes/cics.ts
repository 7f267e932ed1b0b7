// POST /cics/{TRANID}: a COMMAREA in (bytes, JSON view, or a channel of containers), a
// task run, the COMMAREA out in the form it came (or a RESP); or, for a START, the task kept
// in the journal to run later and 202 with its REQID. In steps, as fastify hooks:
// onRequest authenticates the caller (before the body is read), preHandler applies the
// caller's rate limit and then reads and checks the task (pending-task.ts); the handler
// dispatches it, records its end (task-record.ts) and answers.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { copybook, copybookName, type CopybookRef } from '../../cics/copybook/library.js';
import { jsonSchemaOf } from '../../cics/copybook/schema.js';
import { loggedRequest } from '../../journal/task-log.js';
import { redactRequest } from '../../transactions/report/secrets.js';
import { ownMemory, readBody } from '../http/body.js';
import { jsonBodyParser } from '../http/json-body.js';
import { pendingTaskOf, type PendingTask } from '../tasks/pending-task.js';
import { limitPerUser } from '../security/rate-limits.js';
import { recordTask } from '../tasks/task-record.js';
import { dueAt, startAsked } from '../tasks/start-request.js';
import { JournalFull, ReqidInUse, RequestInvalid } from '../errors.js';
import { JournalError, type JournalErrorCode } from '../../journal/errors.js';
import { KeyedTasks } from '../tasks/keyed-tasks.js';
import { systemClock } from '../../cics/clock.js';
import { normalAnswer, type StoredAnswer } from '../../cics/task-answer.js';
import type { TransactionDefinition } from '../definitions.js';

/** A whole channel: COMMAREA and containers (attachments) together. */
export const MAX_CHANNEL = 32 * 1024 * 1024;
/** How much longer than the first's time limit a repeat of its key waits for its answer. */
const KEY_WAIT_MARGIN_MS = 5000;

declare module 'fastify' {
  interface FastifyRequest {
    /** The task the request asks for, once its checks have passed. */
    task: PendingTask | null;
  }
  interface FastifyContextConfig {
    /** The tranid a route runs; the catch-all route takes it from its path. */
    tranid?: string;
  }
}

/** The tranid as the request gives it: the route's own, or the path's. */
function tranidAsked(request: FastifyRequest): string {
  return request.routeOptions.config.tranid ?? (request.params as { tranid?: string }).tranid ?? '';
}

export async function cicsRoutes(app: FastifyInstance): Promise<void> {
  await taskHooks(app);
  const run = taskRunner(app);
  // Transactions with a copybook get a route of their own, so that the JSON view is checked
  // against its schema and the OpenAPI document shows it.
  for (const definition of app.definitions.all()) {
    if (!definition.copybook) continue;
    app.post(`/cics/${definition.tranid}`, transactionRoute(definition, definition.copybook), run);
  }
  app.post('/cics/:tranid', { schema: { hide: true } }, run);
}

/** The steps before the handler: the caller, their rate, the body, the task checked. */
async function taskHooks(app: FastifyInstance): Promise<void> {
  const { definitions, dispatcher, config, room, security } = app;
  const checks = { definitions, security, room, ccsid: config.ccsid };

  // Every transaction has a user: credentials are checked before the body is read.
  app.addHook('onRequest', security.authenticateTask);
  // Tasks a minute per user.
  await limitPerUser(app, security.audit, {
    max: (user) => security.rateLimitOf(user),
    what: 'tasks and mails',
    tranid: (request) => tranidAsked(request).slice(0, 4).toUpperCase(),
    shared: dispatcher.userRate,
  });

  app.removeAllContentTypeParsers();
  // Bodies are read into a buffer of their own, so that a large channel can move to its worker.
  const body = (request: FastifyRequest, payload: IncomingMessage) => readBody(request, payload, MAX_CHANNEL);
  app.addContentTypeParser('application/octet-stream', body);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonBodyParser);
  app.addContentTypeParser('multipart/form-data', body);

  // After the rate limit (a preHandler registered before this one): the task, checked.
  app.decorateRequest('task', null);
  app.addHook('preHandler', async (request, reply) => {
    request.task = pendingTaskOf(request, reply, tranidAsked(request), checks);
  });
}

/** The route of a transaction with a copybook: its tranid, and its JSON view's schema. */
function transactionRoute(definition: TransactionDefinition, ref: CopybookRef): RouteShorthandOptions {
  const schema = jsonSchemaOf(copybook(ref));
  return {
    config: { tranid: definition.tranid },
    schema: {
      summary: `run ${definition.tranid}: ${definition.description}`,
      tags: ['transactions'],
      description:
        `The COMMAREA as application/octet-stream (${copybookName(ref)} in the request's CCSID), as its ` +
        `JSON view (below), or as multipart/form-data: a part DFHCOMMAREA and containers. With ` +
        `X-CICS-Start-Interval or X-CICS-Start-Time (hhmmss) and optionally X-CICS-Reqid, a START: ` +
        `journaled and answered 202 with its REQID, run when due.`,
      // Only the JSON view is validated by schema; bytes and channels are checked by the copybook.
      body: { content: { 'application/json': { schema } } },
    },
  };
}

/** The handler: a START kept for later, or the task run now (a repeat of a request key answered as the first). */
function taskRunner(app: FastifyInstance) {
  const { journal } = app;
  const keyed = new KeyedTasks(journal.keys, systemClock);
  return async function run(request: FastifyRequest, reply: FastifyReply) {
    const asked = startAsked(request);
    if (asked) return startLater(app, request, reply, asked);
    const task = request.task as PendingTask;
    const ref = task.requestKey;
    let answer: StoredAnswer;
    if (ref === undefined) answer = await execute(app, request, reply, task);
    else {
      // A repeat waits for the first as long as the first may run, and a little more.
      // The first's worker keeps its answer for the key (transactions/worker.ts), except
      // where its time limit stopped it between mails: partly done, the same request again
      // goes on where it stopped (the mails it journaled answered from their records).
      const keyedAnswer = await keyed.run(ref, task.definition.timeLimitMs + KEY_WAIT_MARGIN_MS, (earlier) =>
        execute(app, request, reply, task, earlier),
      );
      answer = keyedAnswer.answer;
      if (keyedAnswer.replayed) void reply.header('Idempotent-Replayed', 'true');
    }
    void reply.headers(answer.headers).code(answer.status);
    const body = answer.body;
    return reply.send(Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength));
  };
}

/** A START: the task kept in the journal (on disk before the answer) to run when due; 202 with its REQID. */
async function startLater(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  asked: NonNullable<ReturnType<typeof startAsked>>,
) {
  const { journal, starts } = app;
  const task = request.task as PendingTask;
  // A START keeps the request's input, not its headers: it would run from the first mail.
  if (task.fromMail !== undefined)
    throw new RequestInvalid(
      'X-Mail-From-Mail goes on a task that runs now, not on a START: send the job again from its restart point when it is due',
    );
  const now = starts.now();
  const entry = await journal.starts
    .add(
      {
        tranid: task.definition.tranid,
        userid: task.caller.id,
        jobname: task.jobname,
        ccsid: task.ccsid,
        remote: request.ip,
        commarea: task.commarea,
        containers: task.containers,
      },
      dueAt(asked.when, now),
      new Date(now),
      asked.reqid,
    )
    .catch((err: unknown) => {
      // No room for it: nothing kept, and the caller hears so as for a task's mail.
      if (err instanceof JournalError && err.code === 'CICSMAIL_JOURNAL_FULL') throw new JournalFull(err.message);
      throw err;
    });
  if (entry === 'in use') throw new ReqidInUse(asked.reqid ?? '');
  starts.added(entry);
  request.log.info({ reqid: entry.reqid, tranid: entry.tranid, user: entry.userid, dueAt: entry.dueAt }, 'start');
  void reply.code(202).header('X-CICS-Resp', 'NORMAL').header('X-CICS-Reqid', entry.reqid);
  return reply.send({
    reqid: entry.reqid,
    tranid: entry.tranid,
    state: entry.state,
    dueAt: new Date(entry.dueAt).toISOString(),
    requestedAt: entry.requestedAt,
  });
}

/** Runs the task; resolves with its answer where it ran to its end, else throws what the caller hears. */
async function execute(
  app: FastifyInstance,
  request: FastifyRequest,
  reply: FastifyReply,
  task: PendingTask,
  earlier?: readonly number[],
): Promise<StoredAnswer> {
  const { dispatcher, config, room, journal, security, metrics } = app;
  const { commarea, containers, caller } = task;
  // A channel too large for the task log moves to the worker (no copy); the log keeps its
  // shape. Report passwords are never kept: the log's copy reads *REDACTED* in their place.
  const unsecret = redactRequest(commarea, containers, task.ccsid);
  const logged = loggedRequest(unsecret.commarea, unsecret.containers, config.taskLogKeepBytes);
  const memory = !logged.kept && Buffer.isBuffer(request.body) ? ownMemory(request.body) : null;
  const startedAt = new Date();
  const { eib, result } = await dispatcher.run({
    definition: task.definition,
    commarea,
    containers,
    ccsid: task.ccsid,
    userid: caller.id,
    jobname: task.jobname,
    security: security.taskSecurity(caller, request.ip),
    transfer: memory ? [memory] : [],
    ...(task.requestKey ? { requestKey: { ref: task.requestKey, earlier: earlier ?? [] } } : {}),
    ...(task.fromMail !== undefined ? { fromMail: task.fromMail } : {}),
    rateLimit: security.rateLimitOf(caller),
  });
  void reply.header('X-CICS-Taskn', String(eib.eibtaskn));
  const failure = recordTask({ metrics, journal, room }, request.log, task, logged, { eib, result, startedAt });
  // recordTask returns the failure of every task that did not end normally.
  if (result.kind !== 'normal') throw failure as Error;
  if (result.keyAnswer) {
    // The worker could not keep the answer for the key (a full disk): the caller hears so.
    if (!result.keyAnswer.kept)
      throw new JournalError(result.keyAnswer.code as JournalErrorCode, result.keyAnswer.message);
    // Kept by a worker's thread: reads here see it from now on (a repeat that waited for it).
    journal.sawOtherThreads();
  }
  return normalAnswer({ tranid: task.definition.tranid, taskn: eib.eibtaskn, form: task.commarea.form }, result);
}
