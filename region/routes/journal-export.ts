// GET /journal/export: the accounting fields of the records a filter picks, as CSV or JSON
// Lines, streamed from a thread of its own.
import type { FastifyInstance } from 'fastify';
import { exportsEnded, exportStream } from '../../journal/export-thread.js';
import type { FilterText } from '../../journal/query.js';
import { FILTER_SCHEMA, filterOf } from './journal-filter.js';

const EXPORT_QUERY = {
  type: 'object',
  additionalProperties: false,
  properties: { ...FILTER_SCHEMA, format: { type: 'string', enum: ['csv', 'jsonl'] } },
};

export function exportRoute(app: FastifyInstance, tags: string[]): void {
  const { journal, config } = app;
  // An export's thread has the journal open: it ends (its caller gone) before the journal closes.
  app.addHook('onClose', () => exportsEnded());

  app.get<{ Querystring: FilterText & { format?: 'csv' | 'jsonl' } }>(
    '/journal/export',
    { schema: { tags, summary: 'the accounting fields as CSV or JSON Lines', querystring: EXPORT_QUERY } },
    async (request, reply) => {
      const filter = filterOf(request.query, config.fate.windowMs);
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
}
