// GET /journal, /journal/{seq}, /journal/{seq}/message, /journal/export: the journal for
// operators (who sent what, to whom, and what became of it).
import type { FastifyInstance } from 'fastify';
import { exportsEnded, exportStream } from '../../journal/export-thread.js';
import {
  FilterError,
  findTasks,
  journalStats,
  MAIL_STATES,
  parseFilter,
  queryRecords,
  type FilterText,
  type RecordFilter,
} from '../../journal/query.js';
import type { JournalRecord } from '../../journal/record.js';
import { redeliver } from '../../journal/replay.js';
import { redrive } from '../../client/redrive.js';
import { RegionClient } from '../../client/region-client.js';
import { SmtpPool } from '../../smtp/pool.js';
import { sendWithFate } from '../../smtp/dsn/request.js';
import { parseRelayUrls } from '../../smtp/relay-url.js';
import { NotFound, RequestInvalid } from '../errors.js';
import { TRANID_ANY_CASE } from '../../cics/names.js';
import { FATES } from '../../journal/states.js';

// Query strings and path parameters are text; the region's ajv coerces nothing (a JSON
// COMMAREA must not be bent), so numbers here are checked as digits and converted.
const DIGITS = { type: 'string', pattern: '^[0-9]{1,15}$' };

const filterSchema = {
  state: { type: 'string', enum: [...MAIL_STATES] },
  fate: { type: 'string', enum: [...FATES] },
  user: { type: 'string', minLength: 1, maxLength: 64 },
  tranid: { type: 'string', pattern: TRANID_ANY_CASE.source },
  jobname: { type: 'string', minLength: 1, maxLength: 8 },
  recipient: { type: 'string', minLength: 1, maxLength: 254 },
  messageId: { type: 'string', minLength: 1, maxLength: 998 },
  // Longer than a key may be: parseFilter says what is wrong with it, in words.
  key: { type: 'string', minLength: 1, maxLength: 1000 },
  since: { type: 'string', minLength: 1, maxLength: 40 },
  until: { type: 'string', minLength: 1, maxLength: 40 },
};

/** The query's filter, or why it cannot be one (a 400 with the reason). */
function filterOf(q: FilterText, fateAt?: { readonly now: number; readonly windowMs: number }): RecordFilter | string {
  try {
    return parseFilter(q, fateAt);
  } catch (err) {
    if (err instanceof FilterError) return `${err.key} ${err.message}`;
    throw err;
  }
}

/** Where this region listens, as a URL it can call itself on. */
function ownUrl(app: FastifyInstance): string {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the region does not listen on TCP');
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

export async function journalRoutes(app: FastifyInstance): Promise<void> {
  const { journal, config } = app;
  // A record written before records named their region is this region's: its journal holds it.
  const owned = (r: JournalRecord): JournalRecord => (r.sysid === undefined ? { ...r, sysid: config.sysid } : r);
  const tags = ['journal'];
  // The journal is the operators': who sent what to whom.
  await app.security.guardOperatorRoutes(app);
  // An export's thread has the journal open: it ends (its caller gone) before the journal closes.
  app.addHook('onClose', () => exportsEnded());

  app.post<{
    Body: {
      mode: 'redeliver' | 'redrive';
      filter?: FilterText;
      relay?: string;
      url?: string;
      speed?: number;
      concurrency?: number;
      dryRun?: boolean;
      limit?: number;
      seq?: number;
    };
  }>(
    '/journal/replay',
    {
      schema: {
        tags,
        summary:
          'redeliver: send the stored bytes of the records the filter (or `seq`) picks again (same Message-ID), to the ' +
          'configured relay or `relay`; redrive: run the recorded tasks again on the region at `url` (this one ' +
          'by default), at `speed` times their pace or as fast as `concurrency` allows, and compare the outcomes',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['mode'],
          properties: {
            mode: { type: 'string', enum: ['redeliver', 'redrive'] },
            filter: { type: 'object', additionalProperties: false, properties: filterSchema },
            relay: { type: 'string', minLength: 1, maxLength: 1000 },
            url: { type: 'string', pattern: '^https?://', maxLength: 1000 },
            speed: { type: 'number', exclusiveMinimum: 0, maximum: 1000 },
            concurrency: { type: 'integer', minimum: 1, maximum: 256 },
            dryRun: { type: 'boolean' },
            limit: { type: 'integer', minimum: 1, maximum: 10000 },
            seq: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
          },
        },
      },
    },
    async (request) => {
      const body = request.body;
      const filter = filterOf(body.filter ?? {}, { now: Date.now(), windowMs: config.fate.windowMs });
      if (typeof filter === 'string') throw new RequestInvalid(filter);
      if (body.mode === 'redrive') {
        if (body.seq !== undefined) throw new RequestInvalid('seq picks a record to redeliver; redrive runs tasks');
        const report = await redrive(await findTasks(journal, filter, body.limit ?? 1000), {
          region: new RegionClient(body.url ?? ownUrl(app), request.headers.authorization),
          speed: body.speed ?? null,
          concurrency: body.concurrency ?? (body.speed === undefined ? 8 : 64),
          dryRun: body.dryRun === true,
        });
        return { mode: 'redrive', ...report };
      }
      let relays;
      try {
        relays = body.relay ? parseRelayUrls(body.relay) : app.relays;
      } catch (err) {
        throw new RequestInvalid((err as Error).message);
      }
      const pool = new SmtpPool({ ...config.smtp, relays, clientName: config.hostname });
      try {
        const results = await redeliver(
          journal,
          sendWithFate(config.smtp.fate, config.sysid, (...args) => pool.send(...args)),
          {
            filter,
            limit: body.limit ?? 1000,
            dryRun: body.dryRun === true,
            ...(body.seq !== undefined ? { seq: body.seq } : {}),
          },
        );
        return {
          mode: 'redeliver',
          sysid: config.sysid,
          dryRun: body.dryRun === true,
          relay: relays.map((r) => r.label).join(','),
          results,
        };
      } finally {
        pool.close();
      }
    },
  );

  app.get<{ Querystring: FilterText & { after?: string; limit?: string } }>(
    '/journal',
    {
      schema: {
        tags,
        summary:
          'records that match the filters, oldest first; go on with after=<next>: a page reads a bounded part of ' +
          'the journal, so it may hold fewer than limit records (even none) with more to come; next is null at the end',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...filterSchema,
            after: DIGITS,
            limit: { type: 'string', pattern: '^([1-9][0-9]{0,2}|1000)$' },
          },
        },
      },
    },
    async (request) => {
      const filter = filterOf(request.query, { now: Date.now(), windowMs: config.fate.windowMs });
      if (typeof filter === 'string') throw new RequestInvalid(filter);
      const limit = Number(request.query.limit ?? 100);
      const page = queryRecords(journal, filter, {
        limit,
        ...(request.query.after !== undefined ? { after: Number(request.query.after) } : {}),
      });
      return { sysid: config.sysid, records: page.records.map(owned), next: page.next };
    },
  );

  app.get<{ Querystring: FilterText }>(
    '/journal/stats',
    {
      schema: {
        tags,
        summary: 'counts by state and tranid',
        querystring: { type: 'object', additionalProperties: false, properties: filterSchema },
      },
    },
    async (request) => {
      const filter = filterOf(request.query, { now: Date.now(), windowMs: config.fate.windowMs });
      if (typeof filter === 'string') throw new RequestInvalid(filter);
      return journalStats(journal, filter);
    },
  );

  app.get<{ Querystring: FilterText & { format?: 'csv' | 'jsonl' } }>(
    '/journal/export',
    {
      schema: {
        tags,
        summary: 'the accounting fields as CSV or JSON Lines',
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { ...filterSchema, format: { type: 'string', enum: ['csv', 'jsonl'] } },
        },
      },
    },
    async (request, reply) => {
      const filter = filterOf(request.query, { now: Date.now(), windowMs: config.fate.windowMs });
      if (typeof filter === 'string') throw new RequestInvalid(filter);
      const csv = (request.query.format ?? 'csv') === 'csv';
      // Past its first page, read and written in a thread of its own as fast as the caller
      // reads: an export of millions of records neither holds the main thread nor the memory.
      const lines = exportStream(journal, {
        filter,
        format: csv ? 'csv' : 'jsonl',
        owner: config.sysid,
      });
      return reply
        .type(csv ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
        .header('Content-Disposition', `attachment; filename="journal.${csv ? 'csv' : 'jsonl'}"`)
        .send(lines);
    },
  );

  app.get<{ Params: { seq: string } }>(
    '/journal/:seq',
    {
      schema: { tags, summary: 'one record', params: { type: 'object', properties: { seq: DIGITS } } },
    },
    async (request) => {
      const record = journal.get(Number(request.params.seq));
      if (!record) throw new NotFound(`no journal record ${request.params.seq}`);
      return owned(record);
    },
  );

  app.get<{ Params: { seq: string } }>(
    '/journal/:seq/message',
    {
      schema: {
        tags,
        summary: 'the exact bytes of the mail, as message/rfc822',
        params: { type: 'object', properties: { seq: DIGITS } },
      },
    },
    async (request, reply) => {
      const message = journal.message(Number(request.params.seq));
      if (!message) throw new NotFound(`no journal record ${request.params.seq}`);
      return reply.type('message/rfc822').send(message);
    },
  );
}
