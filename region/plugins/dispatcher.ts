// The dispatcher and its worker pool: each worker gets the region's settings (plain data,
// as it crosses a thread) and opens its own journal and SMTP pool; the close asks them to
// shut those first.
import { randomUUID } from 'node:crypto';
import fp from 'fastify-plugin';
import type { RegionConfig } from '../../config/settings.js';
import type { WorkerConfig } from '../../transactions/services.js';
import { Dispatcher } from '../tasks/dispatcher.js';

declare module 'fastify' {
  interface FastifyInstance {
    readonly dispatcher: Dispatcher;
  }
}

export default fp<{ config: RegionConfig }>(
  async (app, { config }) => {
    const workerConfig: WorkerConfig = {
      dataDir: config.dataDir,
      shutdownChannel: `cicsmail.shutdown.${process.pid}.${randomUUID()}`,
      sysid: config.sysid,
      hostname: config.hostname,
      relays: app.relays,
      retry: config.retry,
      senderExit: config.security.senderExit,
      smtp: config.smtp,
      fate: {
        subscribers: config.fate.webhooks.map(({ name, events }) => ({ name, events })),
        suppressDays: config.fate.suppressDays,
        windowMs: config.fate.windowMs,
      },
    };
    const dispatcher = new Dispatcher({
      workers: config.workers,
      tasksPerWorker: config.tasksPerWorker,
      workerConfig,
      hardStopGraceMs: config.hardStopGraceMs,
      ...(config.maxTasks !== null ? { maxTasks: config.maxTasks } : {}),
      maxQueued: config.maxQueued,
      classes: config.classes,
    });
    app.decorate('dispatcher', dispatcher);
    app.addHook('onClose', () => dispatcher.close());
  },
  { name: 'dispatcher', dependencies: ['relays'] },
);
