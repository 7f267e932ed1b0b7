// GET /journal, /journal/stats, /journal/{seq}, /journal/{seq}/message: the journal for
// operators (who sent what, to whom, and what became of it); its replay (journal-replay.ts)
// and export (journal-export.ts) beside them.
import type { FastifyInstance } from 'fastify';
import { journalStats, queryRecords, type FilterText } from '../../journal/query.js';
import type { JournalRecord } from '../../journal/record.js';
import { NotFound } from '../errors.js';
import { exportRoute } from './journal-export.js';
import { FILTER_SCHEMA, filterOf } from './journal-filter.js';
import { replayRoute } from './journal-replay.js';
import { DIGITS, LIMIT } from './schemas.js';

const tags = ['journal'];

/** A record written before records named their region is this region's: its journal holds it. */
function owned(r: JournalRecord, sysid: string): JournalRecord {
  return r.sysid === undefined ? { ...r, sysid } : r;
}

export async function journalRoutes(app: FastifyInstance): Promise<void> {
  // The journal is the operators': who sent what to whom.
  await app.security.guardOperatorRoutes(app);
  replayRoute(app, tags);
  queryRoutes(app);
  exportRoute(app, tags);
  recordRoutes(app);
}

const PAGE_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { ...FILTER_SCHEMA, after: DIGITS, limit: LIMIT },
};

/** The records a filter picks, a page at a time, and their counts. */
function queryRoutes(app: FastifyInstance): void {
  const { journal, config } = app;
  app.get<{ Querystring: FilterText & { after?: string; limit?: string } }>(
    '/journal',
    {
      schema: {
        tags,
        summary:
          'records that match the filters, oldest first; go on with after=<next>: a page reads a bounded part of ' +
          'the journal, so it may hold fewer than limit records (even none) with more to come; next is null at the end',
        querystring: PAGE_QUERY,
      },
    },
    async (request) => {
      const filter = filterOf(request.query, config.fate.windowMs);
      const limit = Number(request.query.limit ?? 100);
      const page = queryRecords(journal, filter, {
        limit,
        ...(request.query.after !== undefined ? { after: Number(request.query.after) } : {}),
      });
      return { sysid: config.sysid, records: page.records.map((r) => owned(r, config.sysid)), next: page.next };
    },
  );

  app.get<{ Querystring: FilterText }>(
    '/journal/stats',
    {
      schema: {
        tags,
        summary: 'counts by state and tranid',
        querystring: { type: 'object', additionalProperties: false, properties: FILTER_SCHEMA },
      },
    },
    async (request) => journalStats(journal, filterOf(request.query, config.fate.windowMs)),
  );
}

/** One record, and its mail's exact bytes. */
function recordRoutes(app: FastifyInstance): void {
  const { journal, config } = app;
  const params = { type: 'object', properties: { seq: DIGITS } };
  app.get<{ Params: { seq: string } }>(
    '/journal/:seq',
    { schema: { tags, summary: 'one record', params } },
    async (request) => {
      const record = journal.get(Number(request.params.seq));
      if (!record) throw new NotFound(`no journal record ${request.params.seq}`);
      return owned(record, config.sysid);
    },
  );

  app.get<{ Params: { seq: string } }>(
    '/journal/:seq/message',
    { schema: { tags, summary: 'the exact bytes of the mail, as message/rfc822', params } },
    async (request, reply) => {
      const message = journal.message(Number(request.params.seq));
      if (!message) throw new NotFound(`no journal record ${request.params.seq}`);
      return reply.type('message/rfc822').send(message);
    },
  );
}
