// Users, transaction security and the audit trail, as one service the routes' hooks use.
import fp from 'fastify-plugin';
import type { RegionConfig } from '../../config/settings.js';
import { RegionSecurity } from '../security.js';

declare module 'fastify' {
  interface FastifyInstance {
    readonly security: RegionSecurity;
  }
}

export default fp<{ config: RegionConfig }>(
  async (app, { config }) => {
    app.decorate(
      'security',
      new RegionSecurity(config.dataDir, config.security, app.journal, (err) =>
        app.log.error({ err }, 'journal: a refused attempt could not be kept'),
      ),
    );
  },
  { name: 'security', dependencies: ['journal'] },
);
