// The retry spool: DEFERRED mail and what a crash left ACCEPTED, delivered when due over
// connections of its own, from the start to the close.
import fp from 'fastify-plugin';
import type { Clock } from '../../cics/clock.js';
import type { RegionConfig } from '../../config/settings.js';
import { RetrySpool } from '../../journal/spool.js';
import { SmtpPool } from '../../smtp/pool.js';
import { sendWithFate } from '../../smtp/dsn/request.js';

declare module 'fastify' {
  interface FastifyInstance {
    readonly spool: RetrySpool;
  }
}

export default fp<{ config: RegionConfig; clock?: Clock | undefined }>(
  async (app, { config, clock }) => {
    const pool = new SmtpPool({
      ...config.smtp,
      maxConnections: Math.min(config.smtp.maxConnections, config.retryConcurrency),
      relays: app.relays,
      clientName: config.hostname,
    });
    const spool = new RetrySpool({
      journal: app.journal,
      concurrency: config.retryConcurrency,
      pollMs: config.retryPollMs,
      // A try holds its record as long as a task may run: a slow relay cannot make it due twice.
      holdMs: config.retry.orphanMs,
      onError: (seq, err) => app.log.error({ err, seq }, 'retry spool: a try failed'),
      // Every attempt from the mail's own return path, with the DSN its first one asked for.
      send: sendWithFate(config.smtp.fate, config.sysid, (...args) => pool.send(...args)),
      ...(clock ? { clock } : {}),
    });
    app.decorate('spool', spool);
    app.addHook('onReady', async () => spool.start());
    app.addHook('onClose', async () => {
      await spool.stop();
      pool.close();
    });
  },
  { name: 'retry-spool', dependencies: ['journal', 'relays'] },
);
