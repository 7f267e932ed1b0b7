// The journal's room, watched from the start to the close: new tasks wait for it.
import fp from 'fastify-plugin';
import type { RegionConfig } from '../../config/settings.js';
import { RoomWatch } from '../../journal/room.js';

declare module 'fastify' {
  interface FastifyInstance {
    readonly room: RoomWatch;
  }
}

export default fp<{ config: RegionConfig }>(
  async (app, { config }) => {
    const room = new RoomWatch(app.journal.path, config.journalReserveBytes);
    app.decorate('room', room);
    app.addHook('onReady', () => room.start());
    app.addHook('onClose', async () => room.stop());
  },
  { name: 'room', dependencies: ['journal'] },
);
