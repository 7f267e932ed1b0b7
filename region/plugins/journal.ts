// The journal as the main thread holds it (the workers open their own handles): the data
// folder locked for this region, what a crash left ACCEPTED made due for the retry spool,
// message files no record names swept; once listening, behind the tasks, a journal written
// before the indexes indexed, the counts and index checked (and repaired where they fail),
// and retention applied continuously (journal/upkeep.ts).
import type { FastifyBaseLogger } from 'fastify';
import fp from 'fastify-plugin';
import { systemClock, type Clock } from '../../cics/clock.js';
import type { RegionConfig } from '../../config/settings.js';
import { Journal } from '../../journal/journal.js';
import { bringUpToDate, Retention } from '../../journal/upkeep.js';
import { lockDataDir } from '../data-lock.js';

declare module 'fastify' {
  interface FastifyInstance {
    readonly journal: Journal;
    /** Records found ACCEPTED at start, handed to the retry spool. */
    readonly orphans: number;
    /** Retention, continuous. */
    readonly retention: Retention;
    /** Indexing a journal written before the indexes, and the check of counts and index: resolves once done. */
    readonly upkeep: Promise<void>;
  }
}

export default fp<{ config: RegionConfig; clock?: Clock | undefined }>(
  async (app, { config, clock }) => {
    const unlock = await lockDataDir(config.dataDir);
    let journal: Journal;
    try {
      journal = openJournal(config, clock);
    } catch (err) {
      await unlock();
      throw err;
    }
    // Set once the work behind the tasks starts (onReady): stopped before the journal closes.
    let stopUpkeep = async () => {};
    // Registered at once: whatever fails after this point, the journal is closed and the folder given back.
    app.addHook('onClose', async () => {
      await stopUpkeep();
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

    const retention = new Retention(journal, {
      retentionMs: config.retentionMs,
      keyRetentionMs: config.keyRetentionMs,
      clock: clock ?? systemClock,
      onError: (err) => app.log.error({ err }, 'journal: pruning failed'),
    });
    app.decorate('retention', retention);
    let upkeep: Promise<void> = Promise.resolve();
    app.decorate('upkeep', {
      getter: () => upkeep,
    });
    app.addHook('onReady', async () => {
      const started = startUpkeep(app.log, journal, retention);
      upkeep = started.done;
      stopUpkeep = started.stop;
    });
  },
  { name: 'journal' },
);

/** The journal with the region's settings, on the region's clock where one is given. */
function openJournal(config: RegionConfig, clock: Clock | undefined): Journal {
  return Journal.open(config.dataDir, {
    retry: config.retry,
    sysid: config.sysid,
    fate: {
      subscribers: config.fate.webhooks.map(({ name, events }) => ({ name, events })),
      suppressDays: config.fate.suppressDays,
    },
    ...(clock ? { now: () => clock.now() } : {}),
  });
}

/**
 * The work behind the tasks, once the region listens: a journal written before the indexes
 * indexed, the counts and index checked, and retention (records, task log entries and
 * request keys, each by its own age). Its end, and its stop.
 */
function startUpkeep(
  log: FastifyBaseLogger,
  journal: Journal,
  retention: Retention,
): { done: Promise<void>; stop: () => Promise<void> } {
  let closing = false;
  const indexing = journal.unindexed();
  if (indexing)
    log.warn({ from: indexing.from, to: indexing.to }, 'journal: indexing records written before the indexes');
  const done = bringUpToDate(
    journal,
    {
      indexed: (left) => {
        if (!left) log.warn('journal: records written before the indexes are indexed');
      },
      repaired: (detail, report) => log.error({ detail, report }, 'journal: counts or index were wrong; repaired'),
    },
    () => closing,
  ).catch((err: Error) => log.error({ err }, 'journal: indexing or checking failed'));
  retention.start();
  const stop = async () => {
    closing = true;
    await Promise.all([done, retention.stop()]);
  };
  return { done, stop };
}
