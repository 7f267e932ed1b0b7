// GET /captured and /captured/{id}: what the embedded capture relay received.
import type { FastifyInstance } from 'fastify';
import { NotFound, RequestInvalid } from '../errors.js';

export async function capturedRoutes(app: FastifyInstance): Promise<void> {
  const relay = app.captureRelay;
  // Captured mail is everybody's mail: for administrators only.
  await app.security.guardOperatorRoutes(app);

  app.get<{ Querystring: { limit?: string } }>('/captured', async (request) => {
    if (!relay) throw new NotFound('this region sends to CICSMAIL_RELAY; it captures nothing');
    const limit = Number(request.query.limit ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
      throw new RequestInvalid(
        `limit '${String(request.query.limit).slice(0, 20)}' is not a whole number from 1 to 10000`,
      );
    }
    return relay.list(limit);
  });

  app.get<{ Params: { id: string } }>('/captured/:id', async (request, reply) => {
    if (!relay) throw new NotFound('this region sends to CICSMAIL_RELAY; it captures nothing');
    const id = /^\d{1,15}$/.test(request.params.id) ? Number(request.params.id) : NaN;
    const found = Number.isNaN(id) ? undefined : relay.get(id);
    if (!found) throw new NotFound(`no captured mail '${request.params.id.slice(0, 20)}'`);
    return reply.type('message/rfc822').send(found.message);
  });
}
