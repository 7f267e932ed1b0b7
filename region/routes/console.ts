// GET /console: the operators' console in the browser, for administrators only. The page
// shell and its files need an administrator like every operator route (nobody else sees
// even the HTML); what the pages show and change goes through the region's own routes
// (/journal, /captured, /cemt, /cics), with their security. The few routes of its own only
// read: a transaction's COMMAREA (console-commarea.ts) and a mail taken apart (console-mail.ts).
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { loadAssets, VENDOR } from '../views/console-assets.js';
import { NotFound } from '../errors.js';
import { commareaRoutes } from './console-commarea.js';
import { mailRoutes } from './console-mail.js';

const STATIC = '/console/static/';
const tags = ['console'];

/** The import map: the console's modules import the libraries by their package names. */
const IMPORT_MAP = JSON.stringify({
  imports: Object.fromEntries(Object.entries(VENDOR).map(([pkg, { name }]) => [pkg, `${STATIC}${name}`])),
});
const IMPORT_MAP_HASH = createHash('sha256').update(IMPORT_MAP).digest('base64');

/**
 * The console's pages: scripts from the region only (and the import map, by its hash: it
 * is data, not code), no inline style, no plugin, never inside another site's frame.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  `script-src 'self' 'sha256-${IMPORT_MAP_HASH}'`,
  "style-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function shell(sysid: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>cicsmail console · ${sysid.replace(/[^A-Za-z0-9@#$]/g, '')}</title>
<link rel="stylesheet" href="${STATIC}console.css">
<link rel="stylesheet" href="${STATIC}vendor/uplot.css">
<script type="importmap">${IMPORT_MAP}</script>
<script type="module" src="${STATIC}app.js"></script>
</head>
<body>
<div id="app"><noscript>The console needs JavaScript.</noscript></div>
</body>
</html>
`;
}

function consoleHeaders(reply: FastifyReply): void {
  void reply
    .header('Content-Security-Policy', CONSOLE_CSP)
    .header('X-Frame-Options', 'DENY')
    .header('X-Content-Type-Options', 'nosniff')
    .header('Referrer-Policy', 'no-referrer')
    .header('Cross-Origin-Opener-Policy', 'same-origin')
    .header('Cross-Origin-Resource-Policy', 'same-origin');
}

export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  const { security } = app;
  // Every answer under /console, refusals included, carries the console's policy.
  app.addHook('onSend', async (request, reply) => {
    if (!reply.hasHeader('Content-Security-Policy')) consoleHeaders(reply);
  });

  // The shell and its files: an administrator, without the operators' request limit (a page
  // load asks for a dozen files, none of which costs the region a journal scan).
  await app.register(async (files) => {
    files.addHook('onRequest', security.authenticate);
    files.addHook('preHandler', security.requireAdmin);
    fileRoutes(files);
  });

  await app.register(async (api) => {
    await security.guardOperatorRoutes(api);
    commareaRoutes(api, tags);
    mailRoutes(api, tags);
  });
}

/** The page, and the modules, style and libraries it loads, each by its name in a table. */
function fileRoutes(files: FastifyInstance): void {
  const assets = loadAssets();
  const page = Buffer.from(shell(files.config.sysid));
  files.get('/console', { schema: { tags, summary: 'the console page' } }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').header('Cache-Control', 'no-store').send(page),
  );

  files.get('/console/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/console'));

  files.get<{ Params: { '*': string } }>(
    `${STATIC}*`,
    { schema: { tags, summary: "the console's modules, style and libraries", hide: true } },
    async (request, reply) => {
      const name = request.params['*'];
      const found = assets.get(name);
      if (!found) throw new NotFound(`no console file '${name.slice(0, 100)}'`);
      void reply.header('ETag', found.etag).header('Cache-Control', 'private, no-cache');
      if (request.headers['if-none-match'] === found.etag) return reply.code(304).send();
      return reply.type(found.type).send(found.body);
    },
  );
}
