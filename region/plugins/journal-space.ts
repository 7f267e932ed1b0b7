// Free space under the journal, watched from the start to the close: new tasks wait for it.
import fp from 'fastify-plugin';
import type { RegionConfig } from '../../config/settings.js';
import { JournalSpace } from '../journal-space.js';

declare module 'fastify' {
  interface FastifyInstance {
    readonly space: JournalSpace;
  }
}

export default fp<{ config: RegionConfig }>(
  async (app, { config }) => {
    const space = new JournalSpace(app.journal.path, config.journalReserveBytes);
    app.decorate('space', space);
    app.addHook('onReady', () => space.start());
    app.addHook('onClose', async () => space.stop());
  },
  { name: 'journal-space', dependencies: ['journal'] },
);
