// Builds a region: the HTTP front (fastify), the dispatcher and its worker pool, and the
// embedded capture relay where no smart host is configured. Tests build one with
// `buildRegion` and listen on port 0; `server.ts` only listens and shuts down.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { CaptureRelay } from './capture-relay.js';
import type { RegionConfig } from '../config/settings.js';
import { ConfigError } from '../config/errors.js';
import { lockDataDir } from './data-lock.js';
import { DefinitionTable, defaultDefinitions, type TransactionDefinition } from './definitions.js';
import { Dispatcher } from './dispatcher.js';
import { JournalSpace } from './journal-space.js';
import { RegionSecurity } from './security.js';
import { RegionMetrics } from './metrics.js';
import { operationsRoutes } from './routes/operations.js';
import { cicsReplyOf } from './errors.js';
import { cicsRoutes, MAX_CHANNEL } from './routes/cics.js';
import { capturedRoutes } from './routes/captured.js';
import { journalRoutes } from './routes/journal.js';
import { parseRelayUrl, type RelayTarget } from '../smtp/relay-url.js';
import { SmtpPool } from '../smtp/pool.js';
import { attemptOf } from '../journal/attempt.js';
import { Journal } from '../journal/journal.js';
import { RetrySpool } from '../journal/spool.js';
import type { WorkerConfig } from '../transactions/services.js';

export interface RegionOptions {
  /** The transaction definitions; the defaults (MAIL) where not given. */
  readonly definitions?: readonly TransactionDefinition[];
  readonly logger?: FastifyServerOptions['logger'];
}

declare module 'fastify' {
  interface FastifyInstance {
    readonly region: {
      readonly config: RegionConfig;
      readonly definitions: DefinitionTable;
      readonly dispatcher: Dispatcher;
      /** The embedded capture relay, where the region runs one. */
      readonly captureRelay: CaptureRelay | null;
      /** The journal, as the main thread reads it (workers have their own handles). */
      readonly journal: Journal;
      readonly spool: RetrySpool;
      /** Free space under the journal: new tasks wait for it. */
      readonly space: JournalSpace;
      /** Users, transaction security, the audit trail. */
      readonly security: RegionSecurity;
      readonly metrics: RegionMetrics;
      /** Records found ACCEPTED at start, handed to the spool. */
      readonly orphans: number;
      /** Where mail goes: CICSMAIL_RELAY, or the embedded capture relay. */
      readonly relays: readonly RelayTarget[];
    };
  }
}

export async function buildRegion(config: RegionConfig, options: RegionOptions = {}): Promise<FastifyInstance> {
  const definitions = new DefinitionTable(options.definitions ?? defaultDefinitions());
  for (const [tranid, change] of Object.entries(config.transactions)) {
    const { class: tranclass, ...rest } = change;
    if (!definitions.update(tranid, { ...rest, ...(tranclass !== undefined ? { tranclass } : {}) })) {
      throw new ConfigError(`${config.configFile}: transactions.${tranid}`, `transaction ${tranid} is not defined in this region`);
    }
  }
  let captureRelay: CaptureRelay | null = null;
  let relays = config.relays;
  if (relays.length === 0) {
    captureRelay = new CaptureRelay(config.dataDir);
    // On loopback and without TLS: CICSMAIL_SMTP_STARTTLS=required is for real relays.
    relays = [parseRelayUrl(`${await captureRelay.listen()}?starttls=none`)];
  }
  const workerConfig: WorkerConfig = {
    dataDir: config.dataDir,
    shutdownChannel: `cicsmail.shutdown.${process.pid}.${randomUUID()}`,
    sysid: config.sysid,
    hostname: config.hostname,
    relays,
    retry: config.retry,
    senderExit: config.security.senderExit,
    smtp: config.smtp,
  };
  const longest = Math.max(...definitions.all().map((d) => d.timeLimitMs));
  if (config.retry.orphanMs <= longest + 5000) {
    throw new ConfigError('CICSMAIL_RETRY_ORPHAN_MS', `${config.retry.orphanMs} ms must be longer than the longest time limit of a transaction (${longest} ms) and 5 s`);
  }
  const unlock = lockDataDir(config.dataDir);
  // Before any task runs: what a crash left ACCEPTED is due now, for the spool to deliver.
  const journal = Journal.open(config.dataDir, { retry: config.retry });
  const orphans = await journal.recoverOrphans();
  const swept = journal.sweepMessageFiles();
  const space = new JournalSpace(journal.path, config.journalReserveBytes);
  const security = new RegionSecurity(config.dataDir, config.security, journal, (err) => app.log.error({ err }, 'journal: a refused attempt could not be kept'));
  const retryPool = new SmtpPool({ ...config.smtp, maxConnections: Math.min(config.smtp.maxConnections, config.retryConcurrency), relays, clientName: config.hostname });
  const spool = new RetrySpool({
    journal,
    concurrency: config.retryConcurrency,
    pollMs: config.retryPollMs,
    // A try holds its record as long as a task may run: a slow relay cannot make it due twice.
    holdMs: config.retry.orphanMs,
    onError: (seq, err) => app.log.error({ err, seq }, 'retry spool: a try failed'),
    send: async (from, to, message) => attemptOf(await retryPool.send(from, to, message), 'retry'),
  });
  const dispatcher = new Dispatcher({
    workers: config.workers,
    tasksPerWorker: config.tasksPerWorker,
    workerConfig,
    ...(config.maxTasks !== null ? { maxTasks: config.maxTasks } : {}),
    maxQueued: config.maxQueued,
    classes: config.classes,
  });

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
  const metrics = new RegionMetrics(dispatcher, journal);
  app.decorate('region', { config, definitions, dispatcher, captureRelay, journal, spool, space, security, metrics, orphans, relays });
  app.decorateRequest('caller', null);
  if (swept > 0) app.log.warn({ files: swept }, 'journal: removed message files no record names (a crash came between a file and its record; those mails were never accepted)');
  // Retention: once at start and then hourly, final records past their age go.
  let pruning: NodeJS.Timeout | undefined;
  const prune = () => {
    if (config.retentionMs <= 0) return;
    const before = Date.now() - config.retentionMs;
    void journal.prune(before).catch((err: Error) => app.log.error({ err }, 'journal: pruning failed'));
    void journal.tasks.prune(before).catch((err: Error) => app.log.error({ err }, 'journal: pruning the task log failed'));
  };
  app.addHook('onReady', async () => {
    await space.start();
    spool.start();
    prune();
    pruning = setInterval(prune, 3_600_000);
    pruning.unref();
  });
  app.addHook('onClose', async () => {
    clearInterval(pruning);
    space.stop();
    await dispatcher.close();
    await spool.stop();
    retryPool.close();
    await journal.close();
    await captureRelay?.close();
    unlock();
  });

  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, request, reply) => {
    const cics = cicsReplyOf(err);
    if (cics.abcode === 'ASRA') request.log.error({ err }, 'task failed');
    void reply.code(cics.status).header('X-CICS-Resp', cics.resp);
    if (cics.abcode) void reply.header('X-CICS-Abcode', cics.abcode);
    if (cics.retryAfter !== undefined) void reply.header('Retry-After', String(cics.retryAfter));
    if (cics.status === 401) void reply.header('WWW-Authenticate', 'Basic realm="cicsmail", charset="UTF-8"');
    const message = cics.abcode === 'ASRA' && err.code !== 'CICS_ASRA' ? 'the region failed unexpectedly; see its log' : err.message;
    return reply.send({ resp: cics.resp, resp2: cics.resp2, abcode: cics.abcode, message });
  });
  app.setNotFoundHandler((request, reply) => {
    return reply.code(404).send({ message: `no route ${request.method} ${request.url}; transactions run as POST /cics/{TRANID}` });
  });

  // The OpenAPI document (GET /docs/json) and its page (GET /docs): every transaction with
  // a copybook, with the JSON Schema of its COMMAREA.
  await app.register(swagger, {
    openapi: {
      info: { title: `cicsmail region ${config.sysid}`, version: '0.1.0', description: 'Transactions over HTTP: POST /cics/{TRANID} with a COMMAREA (bytes, JSON view or channel).' },
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(cicsRoutes);
  await app.register(capturedRoutes);
  await app.register(journalRoutes);
  await app.register(operationsRoutes);
  return app;
}
