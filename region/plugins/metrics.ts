// The region's numbers (Prometheus and CEMT's counts), read from the dispatcher and the journal.
import fp from 'fastify-plugin';
import { RegionMetrics } from '../metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    readonly metrics: RegionMetrics;
  }
}

export default fp(
  async (app) => {
    app.decorate('metrics', new RegionMetrics(app.dispatcher, app.journal, app.config.sysid));
  },
  { name: 'metrics', dependencies: ['dispatcher', 'journal'] },
);
