// Users, transaction security and the audit trail, as one service the routes' hooks use.
import fp from 'fastify-plugin';
import type { Clock } from '../../cics/clock.js';
import type { RegionConfig } from '../../config/settings.js';
import { RegionSecurity } from '../security/region-security.js';

declare module 'fastify' {
  interface FastifyInstance {
    readonly security: RegionSecurity;
  }
}

export default fp<{ config: RegionConfig; clock?: Clock | undefined }>(
  async (app, { config, clock }) => {
    app.decorate(
      'security',
      new RegionSecurity(
        config.dataDir,
        config.security,
        app.journal,
        (err) => app.log.error({ err }, 'journal: a refused attempt could not be kept'),
        clock,
      ),
    );
    // The last counts of refused attempts go on record before the journal closes.
    app.addHook('onClose', () => app.security.trail.close());
  },
  { name: 'security', dependencies: ['journal'] },
);
