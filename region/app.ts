// Builds a region: the HTTP front (fastify), its services as plugins that each own their
// start and close (journal, capture relay, security, retry spool, dispatcher and its worker
// pool, metrics), then the routes. Tests build one with `buildRegion` and listen on port 0;
// `server.ts` only listens and shuts down. Services close in the reverse order they came:
// the workers first, the journal and the data folder's lock last.
import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { Clock } from '../cics/clock.js';
import type { RegionConfig } from '../config/settings.js';
import type { TransactionDefinition } from './definitions.js';
import { cicsReplyOf } from './errors.js';
import definitions from './plugins/definitions.js';
import dispatcher from './plugins/dispatcher.js';
import journal from './plugins/journal.js';
import journalSpace from './plugins/journal-space.js';
import metrics from './plugins/metrics.js';
import relays from './plugins/relays.js';
import retrySpool from './plugins/retry-spool.js';
import security from './plugins/security.js';
import { capturedRoutes } from './routes/captured.js';
import { cicsRoutes, MAX_CHANNEL } from './routes/cics.js';
import { journalRoutes } from './routes/journal.js';
import { operationsRoutes } from './routes/operations.js';

export interface RegionOptions {
  /** The transaction definitions; the defaults (MAIL, SEND, SPOL) where not given. */
  readonly definitions?: readonly TransactionDefinition[];
  readonly logger?: FastifyServerOptions['logger'];
  /** The clock of what acts on time (logins, the retry spool, the audit trail); the system's where not given. */
  readonly clock?: Clock;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The settings the region started with. */
    readonly config: RegionConfig;
  }
}

export async function buildRegion(config: RegionConfig, options: RegionOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    ...(config.tls ? { https: { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) } } : {}),
    logger: options.logger ?? false,
    // No line per request: the hot path logs nothing it need not.
    logController: new LogController({ disableRequestLogging: true }),
    // Bodies past the COMMAREA limit are read far enough to answer LENGERR with their size;
    // a channel may carry attachments.
    bodyLimit: MAX_CHANNEL,
    // A JSON view that does not fit is refused, never bent: no coercion, no dropped properties.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  app.decorate('config', config);
  try {
    await app.register(definitions, { config, definitions: options.definitions });
    await app.register(journal, { config, clock: options.clock });
    await app.register(relays, { config });
    await app.register(journalSpace, { config });
    await app.register(security, { config, clock: options.clock });
    await app.register(retrySpool, { config, clock: options.clock });
    await app.register(dispatcher, { config });
    await app.register(metrics);
  } catch (err) {
    // What did open (the lock, the journal, the capture relay) is closed again.
    await app.close().catch(() => undefined);
    throw err;
  }

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, request, reply) => {
    const cics = cicsReplyOf(err);
    if (cics.abcode === 'ASRA') request.log.error({ err }, 'task failed');
    void reply.code(cics.status).header('X-CICS-Resp', cics.resp);
    if (cics.abcode) void reply.header('X-CICS-Abcode', cics.abcode);
    if (cics.retryAfter !== undefined) void reply.header('Retry-After', String(cics.retryAfter));
    if (cics.status === 401) void reply.header('WWW-Authenticate', 'Basic realm="cicsmail", charset="UTF-8"');
    const message =
      cics.abcode === 'ASRA' && err.code !== 'CICS_ASRA' ? 'the region failed unexpectedly; see its log' : err.message;
    return reply.send({ resp: cics.resp, resp2: cics.resp2, abcode: cics.abcode, message });
  });
  app.setNotFoundHandler((request, reply) => {
    return reply
      .code(404)
      .send({ message: `no route ${request.method} ${request.url}; transactions run as POST /cics/{TRANID}` });
  });

  // The OpenAPI document (GET /docs/json) and its page (GET /docs): every transaction with
  // a copybook, with the JSON Schema of its COMMAREA.
  await app.register(swagger, {
    openapi: {
      info: {
        title: `cicsmail region ${config.sysid}`,
        version: '0.1.0',
        description: 'Transactions over HTTP: POST /cics/{TRANID} with a COMMAREA (bytes, JSON view or channel).',
      },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(cicsRoutes);
  await app.register(capturedRoutes);
  await app.register(journalRoutes);
  await app.register(operationsRoutes);
  return app;
}
