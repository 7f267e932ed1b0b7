// Operating a region: the health checks and Prometheus metrics, open to all (a load balancer
// and a scraper read them), and CEMT for administrators (cemt.ts).
import type { FastifyInstance } from 'fastify';
import { cemtRoutes } from './cemt.js';

const tags = ['operations'];

export async function operationsRoutes(app: FastifyInstance): Promise<void> {
  const { journal, room, metrics } = app;

  // Alive: the process answers.
  app.get('/health', { schema: { tags, summary: 'alive: the process answers' } }, async () => ({ status: 'alive' }));

  // Ready for tasks: the journal can take mail (a relay that is down only makes a backlog,
  // which the retry spool delivers: the region is ready all the same), and not draining.
  app.get(
    '/ready',
    { schema: { tags, summary: 'ready for tasks: the journal can take mail and the region is not draining' } },
    async (_request, reply) => {
      const noRoom = room.refusal;
      const ready = !app.draining && noRoom === undefined;
      return reply.code(ready ? 200 : 503).send({
        status: ready ? 'ready' : 'not ready',
        ...(app.draining ? { reason: 'the region is draining' } : noRoom ? { reason: noRoom } : {}),
        journalBacklog: journal.backlog(),
      });
    },
  );

  app.get('/metrics', { schema: { tags, summary: 'Prometheus metrics' } }, async (_request, reply) => {
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  await app.register(cemtRoutes);
}
