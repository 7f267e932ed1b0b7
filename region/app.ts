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
import { answerClientError, callerWentAway } from './http/client-errors.js';
import { refuseCrossSite } from './security/cross-site.js';
import { cicsReplyOf, MediaTypeUnsupported, NotFound, RegionDraining } from './errors.js';
import { jsonBodyParser } from './http/json-body.js';
import { validationMessage } from './http/validation-message.js';
import bounceListener from './plugins/bounce-listener.js';
import definitions from './plugins/definitions.js';
import webhooks from './plugins/webhooks.js';
import dispatcher from './plugins/dispatcher.js';
import journal from './plugins/journal.js';
import room from './plugins/room.js';
import metrics from './plugins/metrics.js';
import relays from './plugins/relays.js';
import retrySpool from './plugins/retry-spool.js';
import security from './plugins/security.js';
import starts from './plugins/starts.js';
import { capturedRoutes } from './routes/captured.js';
import { consoleRoutes } from './routes/console.js';
import { cicsRoutes, MAX_CHANNEL } from './routes/cics.js';
import { journalRoutes } from './routes/journal.js';
import { operationsRoutes } from './routes/operations.js';
import { fateRoutes } from './routes/fate.js';
import { keyMapRoutes } from './routes/keymaps.js';

export interface RegionOptions {
  /** The transaction definitions; the defaults (MAIL, SEND, SPOL) where not given. */
  readonly definitions?: readonly TransactionDefinition[];
  readonly logger?: FastifyServerOptions['logger'];
  /** The clock of what acts on time (logins, the retry spool, the audit trail, STARTs); the system's where not given. */
  readonly clock?: Clock;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The settings the region started with. */
    readonly config: RegionConfig;
    /** Closing: no new requests but the health checks and metrics. */
    readonly draining: boolean;
  }
}

/** Routes that answer while the region drains: a load balancer reads them to take it out. */
const ANSWER_WHILE_DRAINING = new Set(['/health', '/ready', '/metrics']);

/** What each kind of route takes as a body, for the answer to one it does not. */
function accepted(url: string): string {
  return url.startsWith('/cics/')
    ? 'the COMMAREA as application/octet-stream, its JSON view as application/json, or a channel as multipart/form-data'
    : 'application/json';
}

/**
 * The logger's options with the region's SYSID on every line (pino's mixin): in a fleet the
 * lines of several regions meet in one log store. A logger given as an instance is left alone.
 */
function withSysid(logger: FastifyServerOptions['logger'], sysid: string): FastifyServerOptions['logger'] {
  if (logger === false || logger === undefined) return false;
  const options = logger === true ? {} : logger;
  return { ...options, mixin: () => ({ sysid }) };
}

/** The caller closed its connection while its request was read. */
function callerGone(err: { code?: string }, raw: { aborted?: boolean; destroyed?: boolean }): boolean {
  return raw.aborted === true || (err.code === 'ECONNRESET' && raw.destroyed === true);
}

export async function buildRegion(config: RegionConfig, options: RegionOptions = {}): Promise<FastifyInstance> {
  const app = Fastify(fastifyOptions(config, options));
  app.decorate('config', config);
  frontHooks(app, config);
  await registerServices(app, config, options);
  errorAnswers(app);
  await documentation(app, config);
  await app.register(cicsRoutes);
  await app.register(capturedRoutes);
  await app.register(journalRoutes);
  await app.register(operationsRoutes);
  await app.register(fateRoutes);
  await app.register(keyMapRoutes);
  await app.register(consoleRoutes);
  return app;
}

/** fastify as the region runs it: each setting that differs from the default says why. */
function fastifyOptions(config: RegionConfig, options: RegionOptions): FastifyServerOptions {
  return {
    ...(config.tls ? { https: { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) } } : {}),
    logger: withSysid(options.logger ?? false, config.sysid),
    // No line per request: the hot path logs nothing it need not.
    logController: new LogController({ disableRequestLogging: true }),
    // Bodies past the COMMAREA limit are read far enough to answer LENGERR with their size;
    // a channel may carry attachments.
    bodyLimit: MAX_CHANNEL,
    // A path parameter as long as what it names may be (find-my-way's default is 100): an
    // address to suppress (254 octets), a burst key (120 characters, each up to three
    // bytes as %XX), a map's name. Longer is answered 414.
    routerOptions: { maxParamLength: 768 },
    // A JSON view that does not fit is refused, never bent: no coercion, no dropped properties.
    // verbose: an error carries its schema, so that an unknown property's answer can name the ones there are.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false, verbose: true } },
    schemaErrorFormatter: validationMessage,
    // Refused with a RESP like every other refusal (below), not fastify's bare 503.
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
  };
}

/** Before any route's own: the drain, the region's name on every answer, the cross-site rule, JSON bodies. */
function frontHooks(app: FastifyInstance, config: RegionConfig): void {
  let draining = false;
  app.decorate('draining', {
    getter: () => draining,
  });
  // From the first moment of close (preClose runs before the listener stops).
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    // Every answer names the region that gave it: behind a load balancer, the caller (and the
    // merged journal view) can tell which region took a task.
    void reply.header('X-CICS-Sysid', config.sysid);
    if (draining && !ANSWER_WHILE_DRAINING.has(request.url.split('?')[0] ?? '')) throw new RegionDraining(config.sysid);
  });
  // Before anything else is read: no state changes on another site's page's say.
  app.addHook('onRequest', refuseCrossSite);
  // Operators' JSON bodies are read as the transactions' are (no key twice).
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, jsonBodyParser);
}

/** The services, in the order they start (they close in reverse). */
async function registerServices(app: FastifyInstance, config: RegionConfig, options: RegionOptions): Promise<void> {
  try {
    await app.register(definitions, { config, definitions: options.definitions });
    await app.register(journal, { config, clock: options.clock });
    await app.register(relays, { config });
    await app.register(room, { config });
    await app.register(security, { config, clock: options.clock });
    await app.register(retrySpool, { config, clock: options.clock });
    await app.register(dispatcher, { config });
    await app.register(metrics);
    await app.register(starts, { clock: options.clock });
    await app.register(bounceListener, { config, clock: options.clock });
    await app.register(webhooks, { config, clock: options.clock });
  } catch (err) {
    // What did open (the lock, the journal, the capture relay) is closed again.
    await app.close().catch(() => undefined);
    throw err;
  }
}

/** Every refusal as a RESP (body and headers), and an unknown route as NOTFND. */
function errorAnswers(app: FastifyInstance): void {
  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, request, reply) => {
    if (callerGone(err, request.raw)) {
      callerWentAway(app, request.raw.socket, { url: request.url.slice(0, 100) });
      return reply.code(400).send();
    }
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') {
      const type = String(request.headers['content-type'] ?? '').slice(0, 60);
      err = new MediaTypeUnsupported(type, accepted(request.url));
    }
    const cics = cicsReplyOf(err);
    if (cics.abcode === 'ASRA') request.log.error({ err }, 'task failed');
    // A task that ran is counted by its end; this counts what was refused before one.
    if (!reply.hasHeader('X-CICS-Taskn')) app.metrics.refused(cics.resp, cics.status);
    void reply.code(cics.status).header('X-CICS-Resp', cics.resp);
    if (cics.abcode) void reply.header('X-CICS-Abcode', cics.abcode);
    if (cics.retryAfter !== undefined) void reply.header('Retry-After', String(cics.retryAfter));
    if (cics.status === 401) void reply.header('WWW-Authenticate', 'Basic realm="cicsmail", charset="UTF-8"');
    const message =
      cics.abcode === 'ASRA' && err.code !== 'CICS_ASRA' ? 'the region failed unexpectedly; see its log' : err.message;
    return reply.send({ resp: cics.resp, resp2: cics.resp2, abcode: cics.abcode, message });
  });
  app.setNotFoundHandler((request) => {
    throw new NotFound(
      `no route ${request.method} ${request.url.slice(0, 100)}; transactions run as POST /cics/{TRANID}`,
    );
  });
}

async function documentation(app: FastifyInstance, config: RegionConfig): Promise<void> {
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
  // The page and the document need a user, as every route but the health checks and metrics:
  // they list the region's transactions and their layouts.
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    uiHooks: {
      onRequest: (request, reply, done) => {
        app.security.authenticate(request, reply).then(() => done(), done);
      },
    },
  });
}
