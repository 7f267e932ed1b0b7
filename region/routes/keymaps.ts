// CEMT for the key maps the region keeps for burst reports (journal/key-maps.ts): list,
// show, set and remove a key, remove a map, the log. Every change names who made it, in
// the maps' log and the region's log, as the suppression list's do.
import type { FastifyInstance } from 'fastify';
import { MAP_NAME, MAX_KEY_RECIPIENTS, MAX_MAP_KEY, type KeyMapRefusal } from '../../journal/key-maps.js';
import { NotFound, RequestInvalid } from '../errors.js';

const tags = ['keymaps'];
const NAME = { type: 'string', pattern: MAP_NAME.source };
const KEY = { type: 'string', minLength: 1, maxLength: MAX_MAP_KEY };

function refused(refusal: KeyMapRefusal): Error {
  return refusal.code === 'NOTFOUND' ? new NotFound(refusal.message) : new RequestInvalid(refusal.message);
}

export async function keyMapRoutes(app: FastifyInstance): Promise<void> {
  await app.security.guardOperatorRoutes(app);
  inquireRoutes(app);
  setKeyRoute(app);
  removeRoutes(app);
}

/** The maps, their log, a map's keys. */
function inquireRoutes(app: FastifyInstance): void {
  const { journal } = app;
  app.get('/cemt/keymaps', { schema: { tags, summary: 'the key maps: name, keys, last change' } }, async () =>
    journal.keyMaps.list(),
  );

  app.get('/cemt/keymaps/log', { schema: { tags, summary: "the key maps' changes, newest first" } }, async () =>
    journal.keyMaps.changes(1000),
  );

  app.get<{ Params: { map: string }; Querystring: { after?: string; limit?: string } }>(
    '/cemt/keymaps/:map',
    {
      schema: {
        tags,
        summary: "a map's keys in order, each with its recipients",
        params: { type: 'object', properties: { map: NAME } },
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { after: KEY, limit: { type: 'string', pattern: '^[0-9]{1,4}$' } },
        },
      },
    },
    async (request) => {
      const { map } = request.params;
      if (!journal.keyMaps.has(map)) throw new NotFound(`no key map ${map.toUpperCase()}`);
      const limit = Math.min(1000, Number(request.query.limit ?? 100));
      return journal.keyMaps.show(map, { ...(request.query.after ? { after: request.query.after } : {}), limit });
    },
  );
}

function setKeyRoute(app: FastifyInstance): void {
  const { journal } = app;
  app.put<{ Params: { map: string; key: string }; Body: { recipients: string[] } }>(
    '/cemt/keymaps/:map/:key',
    {
      schema: {
        tags,
        summary: 'what a key of a map gives (replacing what it gave; the map made where new)',
        params: { type: 'object', properties: { map: NAME, key: KEY } },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['recipients'],
          properties: {
            recipients: {
              type: 'array',
              minItems: 1,
              maxItems: MAX_KEY_RECIPIENTS,
              items: { type: 'string', maxLength: 254 },
            },
          },
        },
      },
    },
    async (request) => {
      const by = request.caller?.id ?? 'unknown';
      const { map, key } = request.params;
      const entry = await journal.keyMaps.set(map, key, request.body.recipients, by);
      if ('code' in entry) throw refused(entry);
      request.log.warn({ map: entry.map, key: entry.key, by }, 'cemt: key map changed');
      return entry;
    },
  );
}

/** A key taken out of a map, or a whole map removed. */
function removeRoutes(app: FastifyInstance): void {
  const { journal } = app;
  app.delete<{ Params: { map: string; key: string } }>(
    '/cemt/keymaps/:map/:key',
    {
      schema: {
        tags,
        summary: 'take a key out of a map',
        params: { type: 'object', properties: { map: NAME, key: KEY } },
      },
    },
    async (request) => {
      const by = request.caller?.id ?? 'unknown';
      const { map, key } = request.params;
      const removed = await journal.keyMaps.remove(map, key, by);
      if (removed !== true) throw refused(removed);
      request.log.warn({ map, key, by }, 'cemt: key map key removed');
      return { map: map.toUpperCase(), key, removed: true };
    },
  );

  app.delete<{ Params: { map: string } }>(
    '/cemt/keymaps/:map',
    { schema: { tags, summary: 'remove a whole map', params: { type: 'object', properties: { map: NAME } } } },
    async (request) => {
      const by = request.caller?.id ?? 'unknown';
      const { map } = request.params;
      const dropped = await journal.keyMaps.drop(map, by);
      if (typeof dropped !== 'number') throw refused(dropped);
      request.log.warn({ map, keys: dropped, by }, 'cemt: key map removed');
      return { map: map.toUpperCase(), keys: dropped, removed: true };
    },
  );
}
