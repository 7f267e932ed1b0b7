// Operating a region: CEMT over HTTP for administrators (INQUIRE and SET of tasks,
// transactions, programs, classes and the region), Prometheus metrics, and the health checks.
import { dirname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { journalStats } from '../../journal/query.js';
import { CLASS_LIMITS_SCHEMA, type ClassLimits } from '../../config/region-file.js';
import { ProgramUnknown, TransactionUnknown } from '../errors.js';
import { NAME8, TRANID } from '../../cics/names.js';
import { copybookName } from '../../cics/copybook/library.js';
import { newCopy, programsOf } from '../programs.js';

export async function operationsRoutes(app: FastifyInstance): Promise<void> {
  const { definitions, dispatcher, journal, room, metrics, config, security } = app;
  const tags = ['operations'];

  // Alive: the process answers.
  app.get('/health', { schema: { tags, summary: 'alive: the process answers' } }, async () => ({ status: 'alive' }));

  // Ready for tasks: the journal can take mail (a relay that is down only makes a backlog,
  // which the retry spool delivers: the region is ready all the same), and not draining.
  app.get(
    '/ready',
    { schema: { tags, summary: 'ready for tasks: the journal can take mail and the region is not draining' } },
    async (_request, reply) => {
      const noRoom = room.refusal;
      const ready = !app.draining && noRoom === undefined;
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not ready',
        ...(app.draining ? { reason: 'the region is draining' } : noRoom ? { reason: noRoom } : {}),
        journalBacklog: journal.backlog(),
      });
    },
  );

  app.get('/metrics', { schema: { tags, summary: 'Prometheus metrics' } }, async (_request, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  await app.register(async (cemt) => {
    await security.guardOperatorRoutes(cemt);

    cemt.get(
      '/cemt/tasks',
      { schema: { tags, summary: 'CEMT INQUIRE TASK: the tasks in the region now' } },
      async () => {
        const now = Date.now();
        return dispatcher.tasks().map((t) => ({
          taskn: t.taskn,
          tranid: t.tranid,
          user: t.userid,
          jobname: t.jobname,
          ageMs: now - t.startedAt,
          state: t.state,
        }));
      },
    );

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

    cemt.put<{ Params: { tranid: string }; Body: { enabled?: boolean; class?: string | null; timeLimitMs?: number } }>(
      '/cemt/transactions/:tranid',
      {
        schema: {
          tags,
          summary: 'CEMT SET TRANSACTION: enable or disable it, put it in a class (null: none), change its time limit',
          body: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: {
              enabled: { type: 'boolean' },
              class: { type: ['string', 'null'], pattern: NAME8.source },
              timeLimitMs: { type: 'integer', minimum: 10, maximum: 86_400_000 },
            },
          },
        },
      },
      async (request, reply) => {
        const tranid = request.params.tranid.toUpperCase();
        if (!TRANID.test(tranid) || !definitions.get(tranid)) throw new TransactionUnknown(tranid.slice(0, 8));
        const { class: tranclass, ...rest } = request.body;
        if (typeof tranclass === 'string' && !dispatcher.hasClass(tranclass)) {
          return reply
            .code(400)
            .send({ message: `class ${tranclass} is not defined; PUT /cemt/classes/${tranclass} first` });
        }
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

    cemt.get(
      '/cemt/region',
      {
        schema: {
          tags,
          summary: 'CEMT INQUIRE SYSTEM: tasks, abends, mails by state, pool and queue, journal backlog',
        },
      },
      async () => {
        const usage = dispatcher.usage();
        return {
          sysid: config.sysid,
          startedAt: metrics.startedAt.toISOString(),
          tasks: { run: metrics.tasksRun, byTranid: metrics.byTranid, now: dispatcher.active },
          abends: metrics.abends,
          mails: journalStats(journal).byState,
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
          journalSpace: room.refusal ?? 'ok',
        };
      },
    );

    cemt.put<{ Body: { maxTasks?: number; maxQueued?: number } }>(
      '/cemt/region',
      {
        schema: {
          tags,
          summary: 'CEMT SET SYSTEM: MAXTASKS and the region queue bound',
          body: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            properties: {
              maxTasks: { type: 'integer', minimum: 1, maximum: 100_000 },
              maxQueued: { type: 'integer', minimum: 0, maximum: 1_000_000 },
            },
          },
        },
      },
      async (request) => {
        dispatcher.setRegionLimits({
          ...(request.body.maxTasks !== undefined ? { maxActive: request.body.maxTasks } : {}),
          ...(request.body.maxQueued !== undefined ? { purgeThreshold: request.body.maxQueued } : {}),
        });
        request.log.warn({ change: request.body, by: request.caller?.id }, 'cemt: region changed');
        const usage = dispatcher.usage();
        return { maxTasks: usage.region.maxActive, maxQueued: usage.region.purgeThreshold };
      },
    );
  });
}
