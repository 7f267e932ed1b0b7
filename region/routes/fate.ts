// Mail fate for operators: each recipient's fate on a record, the suppression list (CEMT:
// list, add, remove, its log), the webhooks and their outbox. Every change names who made
// it, in the suppression list's log and the region's log.
import type { FastifyInstance } from 'fastify';
import { recipientViews } from '../../journal/fate.js';
import { NotFound } from '../errors.js';
import { DIGITS } from './schemas.js';

const tags = ['fate'];
const ADDRESS = { type: 'string', minLength: 3, maxLength: 254, pattern: '^[^\\s@]+@[^\\s@]+$' };

export async function fateRoutes(app: FastifyInstance): Promise<void> {
  await app.security.guardOperatorRoutes(app);
  recordFateRoute(app);
  webhookRoutes(app);
  suppressionListRoutes(app);
  suppressionChangeRoutes(app);
}

function recordFateRoute(app: FastifyInstance): void {
  const { journal, config } = app;
  app.get<{ Params: { seq: string } }>(
    '/journal/:seq/fate',
    {
      schema: {
        tags,
        summary: "each recipient's fate now: RELAYED, DELIVERED, DELAYED, BOUNCED, EXPIRED (or PENDING, REFUSED)",
        params: { type: 'object', properties: { seq: DIGITS } },
      },
    },
    async (request) => {
      const record = journal.get(Number(request.params.seq));
      if (!record) throw new NotFound(`no journal record ${request.params.seq}`);
      return {
        seq: record.seq,
        state: record.state,
        bounces: record.bounces ?? 0,
        recipients: recipientViews(record, Date.now(), config.fate.windowMs),
        suppressed: record.suppressed ?? [],
      };
    },
  );
}

/** The webhooks (each paused or resumed) and the outbox of their events. */
function webhookRoutes(app: FastifyInstance): void {
  const { journal } = app;
  app.get(
    '/cemt/webhooks',
    { schema: { tags, summary: 'the webhooks: URL, events, paused, counts (never the secret)' } },
    async () => app.webhooks.counts(),
  );

  app.put<{ Params: { name: string }; Body: { paused: boolean } }>(
    '/cemt/webhooks/:name',
    {
      schema: {
        tags,
        summary: 'pause a webhook (its events wait in the outbox) or resume it',
        params: { type: 'object', properties: { name: { type: 'string', pattern: '^[A-Za-z0-9_-]{1,32}$' } } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['paused'],
          properties: { paused: { type: 'boolean' } },
        },
      },
    },
    async (request) => {
      const { name } = request.params;
      if (!app.webhooks.pause(name, request.body.paused)) throw new NotFound(`no webhook ${name}`);
      request.log.warn({ webhook: name, paused: request.body.paused, by: request.caller?.id }, 'cemt: webhook changed');
      return app.webhooks.counts().find((w) => w.name === name);
    },
  );

  app.get(
    '/cemt/outbox',
    { schema: { tags, summary: "the webhooks' outbox: events not yet taken by every subscriber, oldest first" } },
    async () => ({
      size: journal.outbox.size(),
      events: journal.outbox.list(100),
    }),
  );
}

/** The suppression list and its log. */
function suppressionListRoutes(app: FastifyInstance): void {
  const { journal } = app;
  app.get<{ Querystring: { after?: string; limit?: string } }>(
    '/cemt/suppression',
    {
      schema: {
        tags,
        summary: 'the suppression list, in address order',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { after: { type: 'string', maxLength: 254 }, limit: DIGITS },
        },
      },
    },
    async (request) => {
      const limit = Math.min(1000, Number(request.query.limit ?? 100));
      return journal.suppression.list({ ...(request.query.after ? { after: request.query.after } : {}), limit });
    },
  );

  app.get(
    '/cemt/suppression/log',
    { schema: { tags, summary: "the suppression list's changes, newest first" } },
    async () => journal.suppression.changes(1000),
  );
}

/** An address put on the suppression list, or taken off it. */
function suppressionChangeRoutes(app: FastifyInstance): void {
  const { journal } = app;
  app.put<{ Params: { address: string }; Body: { days?: number; detail?: string } }>(
    '/cemt/suppression/:address',
    {
      schema: {
        tags,
        summary: 'put an address on the suppression list (days: 0 for good; the region default where not given)',
        params: { type: 'object', properties: { address: ADDRESS } },
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            days: { type: 'integer', minimum: 0, maximum: 36_500 },
            detail: { type: 'string', maxLength: 500 },
          },
        },
      },
    },
    async (request) => {
      const by = request.caller?.id ?? 'unknown';
      const entry = await journal.suppression.add(
        request.params.address,
        by,
        request.body.detail ?? '',
        request.body.days,
      );
      request.log.warn({ address: entry.address, by }, 'cemt: address suppressed');
      return entry;
    },
  );

  app.delete<{ Params: { address: string } }>(
    '/cemt/suppression/:address',
    {
      schema: {
        tags,
        summary: 'take an address off the suppression list',
        params: { type: 'object', properties: { address: ADDRESS } },
      },
    },
    async (request) => {
      const by = request.caller?.id ?? 'unknown';
      const removed = await journal.suppression.remove(request.params.address, by);
      if (!removed) throw new NotFound(`${request.params.address} is not on the suppression list`);
      request.log.warn({ address: request.params.address, by }, 'cemt: address no longer suppressed');
      return { address: request.params.address, removed: true };
    },
  );
}
