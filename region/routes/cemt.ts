// CEMT over HTTP, for administrators: INQUIRE and SET of tasks, STARTs, transactions,
// programs, classes and the region. Every change names who made it in the region's log.
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { stateCounts } from '../../journal/query.js';
import { CLASS_LIMITS_SCHEMA, type ClassLimits } from '../../config/region-file.js';
import { NotFound, ProgramUnknown, RequestInvalid, TransactionUnknown } from '../errors.js';
import { NAME8, NAME8_ANY_CASE, TRANID } from '../../cics/names.js';
import { copybookName } from '../../cics/copybook/library.js';
import { newCopy, programsOf } from '../programs.js';
import type { StartEntry } from '../../journal/starts.js';
import { outcomeText } from '../../journal/task-log.js';
import { LIMIT } from './schemas.js';

// In the OpenAPI document, CEMT is operations beside the health checks (operations.ts).
const tags = ['operations'];

/** STARTs a listing gives at most. */
const STARTS_LIMIT = 1000;

/** A START as CEMT shows it: never its COMMAREA or containers, only their size. */
function startView(entry: StartEntry) {
  return {
    reqid: entry.reqid,
    tranid: entry.tranid,
    user: entry.userid,
    jobname: entry.jobname,
    state: entry.state,
    dueAt: new Date(entry.dueAt).toISOString(),
    requestedAt: entry.requestedAt,
    commareaBytes: entry.commareaBytes,
    containers: entry.containerCount,
    ...(entry.endedAt !== undefined ? { endedAt: entry.endedAt } : {}),
    ...(entry.taskn !== undefined ? { taskn: entry.taskn } : {}),
    ...(entry.outcome !== undefined ? { outcome: outcomeText(entry.outcome) } : {}),
    ...(entry.journalSeqs !== undefined ? { journalSeqs: entry.journalSeqs } : {}),
    ...(entry.cancelledBy !== undefined ? { cancelledBy: entry.cancelledBy } : {}),
  };
}

export async function cemtRoutes(cemt: FastifyInstance): Promise<void> {
  await cemt.security.guardOperatorRoutes(cemt);
  inquireTasks(cemt);
  startRoutes(cemt);
  inquireTransactions(cemt);
  programRoutes(cemt);
  setTransaction(cemt);
  setClass(cemt);
  inquireSystem(cemt);
  setSystem(cemt);
}

function inquireTasks(cemt: FastifyInstance): void {
  const { dispatcher } = cemt;
  cemt.get('/cemt/tasks', { schema: { tags, summary: 'CEMT INQUIRE TASK: the tasks in the region now' } }, async () => {
    const now = Date.now();
    return dispatcher.tasks().map((t) => ({
      taskn: t.taskn,
      tranid: t.tranid,
      user: t.userid,
      jobname: t.jobname,
      ageMs: now - t.startedAt,
      state: t.state,
    }));
  });
}

const STARTS_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: {
    all: { type: 'string', enum: ['true', 'false'] },
    limit: LIMIT,
    after: { type: 'string', pattern: NAME8_ANY_CASE.source },
  },
};

/** INQUIRE START (those waiting, all on record, one) and CANCEL REQID. */
function startRoutes(cemt: FastifyInstance): void {
  const { journal } = cemt;
  cemt.get<{ Querystring: { all?: 'true' | 'false'; limit?: string; after?: string } }>(
    '/cemt/starts',
    {
      schema: {
        tags,
        summary:
          'INQUIRE START: the STARTs waiting, earliest due first; with all=true every START on record (those that ran, were cancelled or interrupted too), by REQID',
        querystring: STARTS_QUERY,
      },
    },
    async (request) => {
      const limit = Number(request.query.limit ?? STARTS_LIMIT);
      const after = request.query.after?.toUpperCase();
      if (request.query.all === 'true') return journal.starts.all(limit, after).map(startView);
      const from = after === undefined ? undefined : journal.starts.get(after);
      return journal.starts.waiting(limit, from && { dueAt: from.dueAt, reqid: from.reqid }).map(startView);
    },
  );

  cemt.get<{ Params: { reqid: string } }>(
    '/cemt/starts/:reqid',
    { schema: { tags, summary: 'INQUIRE START: one START by its REQID, and what became of it' } },
    async (request) => {
      const reqid = request.params.reqid.toUpperCase();
      const entry = NAME8.test(reqid) ? journal.starts.get(reqid) : undefined;
      if (!entry) throw new NotFound(`no START of REQID ${reqid.slice(0, 8)}`);
      return startView(entry);
    },
  );

  cemt.delete<{ Params: { reqid: string } }>(
    '/cemt/starts/:reqid',
    { schema: { tags, summary: 'CANCEL REQID: a START that waits is CANCELLED and never runs' } },
    async (request) => {
      const reqid = request.params.reqid.toUpperCase();
      const done = NAME8.test(reqid)
        ? await journal.starts.cancel(reqid, request.caller?.id ?? '', new Date(cemt.starts.now()))
        : undefined;
      if (!done) throw new NotFound(`no START of REQID ${reqid.slice(0, 8)}`);
      const { entry } = done;
      // As CICS answers a CANCEL of a START that has expired already.
      if (!done.cancelled) throw new NotFound(`START ${reqid} does not wait: it is ${entry.state}`);
      request.log.warn({ reqid, tranid: entry.tranid, by: request.caller?.id }, 'cemt: start cancelled');
      return startView(entry);
    },
  );
}

function inquireTransactions(cemt: FastifyInstance): void {
  const { definitions } = cemt;
  cemt.get('/cemt/transactions', { schema: { tags, summary: 'CEMT INQUIRE TRANSACTION' } }, async () =>
    definitions.all().map((d) => ({
      tranid: d.tranid,
      enabled: d.enabled,
      class: d.tranclass ?? null,
      timeLimitMs: d.timeLimitMs,
      program: d.programName ?? null,
      copybook: d.copybook ? copybookName(d.copybook) : null,
      description: d.description,
    })),
  );
}

/** INQUIRE PROGRAM and SET PROGRAM NEWCOPY. */
function programRoutes(cemt: FastifyInstance): void {
  const { definitions, config } = cemt;
  const regionFolder = config.configFile ? dirname(config.configFile) : null;
  cemt.get(
    '/cemt/programs',
    {
      schema: { tags, summary: "CEMT INQUIRE PROGRAM: each program, its kind, its copy's version, its transactions" },
    },
    async () => programsOf(definitions, regionFolder),
  );

  cemt.put<{ Params: { name: string }; Body: { newcopy: true } }>(
    '/cemt/programs/:name',
    {
      schema: {
        tags,
        summary:
          "CEMT SET PROGRAM NEWCOPY: a template program's templates or a module read again, as a new version for the tasks that start from now on",
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['newcopy'],
          properties: { newcopy: { const: true } },
        },
      },
    },
    async (request) => {
      const name = request.params.name.toUpperCase();
      if (!NAME8.test(name)) throw new ProgramUnknown(request.params.name.slice(0, 20));
      const copy = newCopy(definitions, config.configFile, name);
      request.log.warn({ program: name, version: copy.version, by: request.caller?.id }, 'cemt: program newcopy');
      return programsOf(definitions, regionFolder).find((p) => p.program === name);
    },
  );
}

const SET_TRANSACTION_BODY = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    enabled: { type: 'boolean' },
    class: { type: ['string', 'null'], pattern: NAME8.source },
    timeLimitMs: { type: 'integer', minimum: 10, maximum: 86_400_000 },
  },
};

function setTransaction(cemt: FastifyInstance): void {
  const { definitions, dispatcher } = cemt;
  cemt.put<{ Params: { tranid: string }; Body: { enabled?: boolean; class?: string | null; timeLimitMs?: number } }>(
    '/cemt/transactions/:tranid',
    {
      schema: {
        tags,
        summary: 'CEMT SET TRANSACTION: enable or disable it, put it in a class (null: none), change its time limit',
        body: SET_TRANSACTION_BODY,
      },
    },
    async (request) => {
      const tranid = request.params.tranid.toUpperCase();
      if (!TRANID.test(tranid) || !definitions.get(tranid)) throw new TransactionUnknown(tranid.slice(0, 8));
      const { class: tranclass, ...rest } = request.body;
      // A refusal like every other: RESP and RESP2 in the body and headers.
      if (typeof tranclass === 'string' && !dispatcher.hasClass(tranclass))
        throw new RequestInvalid(`class ${tranclass} is not defined; PUT /cemt/classes/${tranclass} first`);
      const updated = definitions.update(tranid, {
        ...rest,
        ...(tranclass !== undefined ? { tranclass: tranclass ?? undefined } : {}),
      });
      request.log.warn({ tranid, change: request.body, by: request.caller?.id }, 'cemt: transaction changed');
      return {
        tranid,
        enabled: updated?.enabled,
        class: updated?.tranclass ?? null,
        timeLimitMs: updated?.timeLimitMs,
      };
    },
  );
}

function setClass(cemt: FastifyInstance): void {
  const { dispatcher } = cemt;
  cemt.put<{ Params: { name: string }; Body: { maxActive: number; purgeThreshold?: number | null } }>(
    '/cemt/classes/:name',
    {
      schema: {
        tags,
        summary: 'CEMT SET TRANCLASS: make or change a transaction class (MAXACTIVE, PURGETHRESH)',
        params: { type: 'object', properties: { name: { type: 'string', pattern: NAME8.source } } },
        body: CLASS_LIMITS_SCHEMA,
      },
    },
    async (request) => {
      const limits: ClassLimits = {
        maxActive: request.body.maxActive,
        purgeThreshold: request.body.purgeThreshold ?? null,
      };
      dispatcher.setClassLimits(request.params.name, limits);
      request.log.warn({ class: request.params.name, limits, by: request.caller?.id }, 'cemt: class changed');
      return { class: request.params.name, ...limits };
    },
  );
}

function inquireSystem(cemt: FastifyInstance): void {
  const { dispatcher, journal, room, metrics, config } = cemt;
  cemt.get(
    '/cemt/region',
    {
      schema: { tags, summary: 'CEMT INQUIRE SYSTEM: tasks, abends, mails by state, pool and queue, journal backlog' },
    },
    async () => {
      const usage = dispatcher.usage();
      return {
        sysid: config.sysid,
        startedAt: metrics.startedAt.toISOString(),
        tasks: { run: metrics.tasksRun, byTranid: metrics.byTranid, now: dispatcher.active },
        abends: metrics.abends,
        mails: stateCounts(journal),
        maxTasks: usage.region.maxActive,
        maxQueued: usage.region.purgeThreshold,
        pool: {
          workers: usage.workers,
          capacity: usage.capacity,
          running: usage.region.active,
          queued: usage.region.queued,
        },
        classes: usage.classes,
        journalBacklog: journal.backlog(),
        startsWaiting: journal.starts.waitingCount(),
        journalSpace: room.refusal ?? 'ok',
      };
    },
  );
}

const SET_SYSTEM_BODY = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    maxTasks: { type: 'integer', minimum: 1, maximum: 100_000 },
    maxQueued: { type: 'integer', minimum: 0, maximum: 1_000_000 },
  },
};

function setSystem(cemt: FastifyInstance): void {
  const { dispatcher } = cemt;
  cemt.put<{ Body: { maxTasks?: number; maxQueued?: number } }>(
    '/cemt/region',
    { schema: { tags, summary: 'CEMT SET SYSTEM: MAXTASKS and the region queue bound', body: SET_SYSTEM_BODY } },
    async (request) => {
      const { capacity } = dispatcher.usage();
      // Past what the workers run at once, tasks would wait in the pool's own queue, outside
      // the region's bound and its time limits.
      if (request.body.maxTasks !== undefined && request.body.maxTasks > capacity)
        throw new RequestInvalid(
          `maxTasks ${request.body.maxTasks} is more than the workers run at once (${capacity}: CICSMAIL_WORKERS × CICSMAIL_TASKS_PER_WORKER)`,
        );
      dispatcher.setRegionLimits({
        ...(request.body.maxTasks !== undefined ? { maxActive: request.body.maxTasks } : {}),
        ...(request.body.maxQueued !== undefined ? { purgeThreshold: request.body.maxQueued } : {}),
      });
      request.log.warn({ change: request.body, by: request.caller?.id }, 'cemt: region changed');
      const usage = dispatcher.usage();
      return { maxTasks: usage.region.maxActive, maxQueued: usage.region.purgeThreshold };
    },
  );
}
