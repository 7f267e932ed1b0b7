// POST /journal/replay: the journal's mail again. Redeliver sends the stored bytes of the
// records a filter (or a seq) picks to a relay, with the same Message-ID; redrive runs the
// recorded tasks again on a region and compares the outcomes.
import type { FastifyInstance } from 'fastify';
import { findTasks, type FilterText, type RecordFilter } from '../../journal/query.js';
import { redeliver } from '../../journal/replay.js';
import { redrive } from '../../client/redrive.js';
import { RegionClient } from '../../client/region-client.js';
import { SmtpPool } from '../../smtp/pool.js';
import { sendWithFate } from '../../smtp/dsn/request.js';
import { parseRelayUrls } from '../../smtp/relay-url.js';
import { RequestInvalid } from '../errors.js';
import { FILTER_SCHEMA, filterOf } from './journal-filter.js';

interface ReplayBody {
  mode: 'redeliver' | 'redrive';
  filter?: FilterText;
  relay?: string;
  url?: string;
  speed?: number;
  concurrency?: number;
  dryRun?: boolean;
  limit?: number;
  seq?: number;
}

const REPLAY_BODY = {
  type: 'object',
  additionalProperties: false,
  required: ['mode'],
  properties: {
    mode: { type: 'string', enum: ['redeliver', 'redrive'] },
    filter: { type: 'object', additionalProperties: false, properties: FILTER_SCHEMA },
    relay: { type: 'string', minLength: 1, maxLength: 1000 },
    url: { type: 'string', pattern: '^https?://', maxLength: 1000 },
    speed: { type: 'number', exclusiveMinimum: 0, maximum: 1000 },
    concurrency: { type: 'integer', minimum: 1, maximum: 256 },
    dryRun: { type: 'boolean' },
    limit: { type: 'integer', minimum: 1, maximum: 10000 },
    seq: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
  },
};

export function replayRoute(app: FastifyInstance, tags: string[]): void {
  app.post<{ Body: ReplayBody }>(
    '/journal/replay',
    {
      schema: {
        tags,
        summary:
          'redeliver: send the stored bytes of the records the filter (or `seq`) picks again (same Message-ID), to the ' +
          'configured relay or `relay`; redrive: run the recorded tasks again on the region at `url` (this one ' +
          'by default), at `speed` times their pace or as fast as `concurrency` allows, and compare the outcomes',
        body: REPLAY_BODY,
      },
    },
    async (request) => {
      const body = request.body;
      const filter = filterOf(body.filter ?? {}, app.config.fate.windowMs);
      if (body.mode === 'redrive') return redriveTasks(app, body, filter, request.headers.authorization);
      return redeliverRecords(app, body, filter);
    },
  );
}

/** The recorded tasks run again, on the region at `url` or this one, as the caller. */
async function redriveTasks(
  app: FastifyInstance,
  body: ReplayBody,
  filter: RecordFilter,
  authorization: string | undefined,
) {
  if (body.seq !== undefined) throw new RequestInvalid('seq picks a record to redeliver; redrive runs tasks');
  const report = await redrive(await findTasks(app.journal, filter, body.limit ?? 1000), {
    region: new RegionClient(body.url ?? ownUrl(app), authorization),
    speed: body.speed ?? null,
    concurrency: body.concurrency ?? (body.speed === undefined ? 8 : 64),
    dryRun: body.dryRun === true,
  });
  return { mode: 'redrive', ...report };
}

/** The records' stored bytes sent again, through a pool of their own to `relay` or the region's relays. */
async function redeliverRecords(app: FastifyInstance, body: ReplayBody, filter: RecordFilter) {
  const { journal, config } = app;
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
}

/** Where this region listens, as a URL it can call itself on. */
function ownUrl(app: FastifyInstance): string {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('the region does not listen on TCP');
  const host = address.address === '0.0.0.0' || address.address === '::' ? '127.0.0.1' : address.address;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}
