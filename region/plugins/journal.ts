// The journal as the main thread holds it (the workers open their own handles): the data
// folder locked for this region, what a crash left ACCEPTED made due for the retry spool,
// message files no record names swept, and retention applied at start and hourly.
import fp from 'fastify-plugin';
import type { Clock } from '../../cics/clock.js';
import type { RegionConfig } from '../../config/settings.js';
import { Journal } from '../../journal/journal.js';
import { lockDataDir } from '../data-lock.js';

declare module 'fastify' {
  interface FastifyInstance {
    readonly journal: Journal;
    /** Records found ACCEPTED at start, handed to the retry spool. */
    readonly orphans: number;
  }
}

const HOUR = 3_600_000;

export default fp<{ config: RegionConfig; clock?: Clock | undefined }>(
  async (app, { config, clock }) => {
    const unlock = await lockDataDir(config.dataDir);
    let journal: Journal;
    try {
      journal = Journal.open(config.dataDir, {
        retry: config.retry,
        sysid: config.sysid,
        fate: {
          subscribers: config.fate.webhooks.map(({ name, events }) => ({ name, events })),
          suppressDays: config.fate.suppressDays,
        },
        ...(clock ? { now: () => clock.now() } : {}),
      });
    } catch (err) {
      await unlock();
      throw err;
    }
    // Registered at once: whatever fails after this point, the journal is closed and the folder given back.
    app.addHook('onClose', async () => {
      await journal.close();
      await unlock();
    });
    // Before any task runs: what a crash left ACCEPTED is due now, for the spool to deliver.
    const orphans = await journal.recoverOrphans();
    const swept = journal.sweepMessageFiles();
    if (swept > 0)
      app.log.warn(
        { files: swept },
        'journal: removed message files no record names (a crash came between a file and its record; those mails were never accepted)',
      );
    app.decorate('journal', journal);
    app.decorate('orphans', orphans);

    // Retention: once at start and then hourly, final records past their age go.
    let pruning: NodeJS.Timeout | undefined;
    const prune = () => {
      if (config.retentionMs <= 0) return;
      const before = Date.now() - config.retentionMs;
      void journal.prune(before).catch((err: Error) => app.log.error({ err }, 'journal: pruning failed'));
      void journal.tasks
        .prune(before)
        .catch((err: Error) => app.log.error({ err }, 'journal: pruning the task log failed'));
    };
    app.addHook('onReady', async () => {
      prune();
      pruning = setInterval(prune, HOUR);
      pruning.unref();
    });
    app.addHook('onClose', async () => clearInterval(pruning));
  },
  { name: 'journal' },
);
