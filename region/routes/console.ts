// GET /console: the operators' console in the browser, for administrators only. The page
// shell and its files need an administrator like every operator route (nobody else sees
// even the HTML); what the pages show and change goes through the region's own routes
// (/journal, /captured, /cemt, /cics), with their security. The few routes here only read:
// a transaction's copybook layout, a COMMAREA field by field, and a mail taken apart, with
// its HTML served under a policy that forbids scripts and remote loads.
import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { codePage, parseCcsid, SUPPORTED_CCSIDS } from '../../cics/codepages.js';
import { FieldError } from '../../cics/copybook/errors.js';
import { jsonToRecord } from '../../cics/copybook/json.js';
import { copybook, copybookName } from '../../cics/copybook/library.js';
import { jsonSchemaOf } from '../../cics/copybook/schema.js';
import { commareaFields, hexOf, lineFields } from '../views/commarea-fields.js';
import { loadAssets, VENDOR } from '../views/console-assets.js';
import { CcsidUnknown, NotFound, RequestInvalid, TransactionUnknown } from '../errors.js';
import { attachmentBytes, downloadName, type ParsedMail } from '../views/mail-view.js';
import { MailViews } from '../views/mail-views.js';
import { TRANID_ANY_CASE } from '../../cics/names.js';
import { MAX_COMMAREA } from '../../cics/task.js';

const STATIC = '/console/static/';
/** A tranid as a path gives it: any case (the routes take it upper case). */

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

/**
 * A mail's HTML: its own opaque origin (sandbox, no allow-scripts: no script runs), nothing
 * loaded from anywhere (no remote images: no read receipt to a tracker), its own inline
 * style allowed; framed by the console only.
 */
export const MAIL_HTML_CSP =
  "sandbox; default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; frame-ancestors 'self'";

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

const ID = { type: 'string', pattern: '^[0-9]{1,15}$' };
const MAIL_PARAMS = {
  type: 'object',
  properties: { source: { type: 'string', enum: ['journal', 'captured'] }, id: ID },
};

export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  const { security, definitions, journal, config } = app;
  const assets = loadAssets();
  const views = new MailViews();
  app.addHook('onClose', () => views.close());
  const page = Buffer.from(shell(config.sysid));
  const tags = ['console'];

  // Every answer under /console, refusals included, carries the console's policy.
  app.addHook('onSend', async (request, reply) => {
    if (!reply.hasHeader('Content-Security-Policy')) consoleHeaders(reply);
  });

  // The shell and its files: an administrator, without the operators' request limit (a page
  // load asks for a dozen files, none of which costs the region a journal scan).
  await app.register(async (files) => {
    files.addHook('onRequest', security.authenticate);
    files.addHook('preHandler', security.requireAdmin);

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
  });

  await app.register(async (api) => {
    await security.guardOperatorRoutes(api);

    api.get<{ Params: { tranid: string } }>(
      '/console/api/transactions/:tranid/layout',
      {
        schema: {
          tags,
          summary: "a transaction's COMMAREA: its copybook's JSON Schema and the region's code page",
          params: { type: 'object', properties: { tranid: { type: 'string', pattern: TRANID_ANY_CASE.source } } },
        },
      },
      async (request) => {
        const definition = definitions.get(request.params.tranid.toUpperCase());
        if (!definition) throw new TransactionUnknown(request.params.tranid);
        // SEND and SPOL take text: no copybook, a line a statement.
        if (!definition.copybook) {
          return {
            tranid: definition.tranid,
            copybook: null,
            ccsid: config.ccsid,
            description: definition.description,
          };
        }
        const layout = copybook(definition.copybook);
        return {
          description: definition.description,
          tranid: definition.tranid,
          copybook: copybookName(definition.copybook),
          ccsid: config.ccsid,
          minLength: layout.minLength,
          maxLength: layout.maxLength,
          schema: jsonSchemaOf(layout),
        };
      },
    );

    // Reads only: a JSON view made into bytes, or bytes read field by field. POST for the
    // body, so it goes through the cross-site check like every POST.
    api.post<{ Params: { tranid: string }; Body: { json?: unknown; text?: string; hex?: string; ccsid?: string } }>(
      '/console/api/commarea/:tranid',
      {
        schema: {
          tags,
          summary: 'a COMMAREA field by field: from its JSON view (json) or its bytes (hex), in the code page ccsid',
          params: { type: 'object', properties: { tranid: { type: 'string', pattern: TRANID_ANY_CASE.source } } },
          body: {
            type: 'object',
            additionalProperties: false,
            minProperties: 1,
            maxProperties: 2,
            properties: {
              json: { type: 'object' },
              text: { type: 'string', maxLength: MAX_COMMAREA },
              hex: { type: 'string', pattern: `^([0-9A-Fa-f]{2}){0,${MAX_COMMAREA}}$` },
              ccsid: { type: 'string', pattern: '^[0-9]{1,5}$' },
            },
          },
        },
      },
      async (request) => {
        const definition = definitions.get(request.params.tranid.toUpperCase());
        if (!definition) throw new TransactionUnknown(request.params.tranid);
        const { json, text, hex, ccsid: ccsidText } = request.body;
        const given = [json, text, hex].filter((v) => v !== undefined).length;
        if (given !== 1) throw new RequestInvalid('send one of json, text or hex');
        const ccsid = ccsidText === undefined ? config.ccsid : parseCcsid(ccsidText);
        if (ccsid === undefined) throw new CcsidUnknown(String(ccsidText).slice(0, 20), SUPPORTED_CCSIDS.join(', '));
        const cp = codePage(ccsid);
        if (!definition.copybook) {
          if (json !== undefined) throw new RequestInvalid(`${definition.tranid} has no copybook: send its text`);
          const bytes =
            text !== undefined ? cp.encode(text.replace(/\r\n?/g, '\n')) : Buffer.from(hex as string, 'hex');
          return { ccsid, length: bytes.length, hex: hexOf(bytes), fields: lineFields(bytes, cp) };
        }
        if (text !== undefined)
          throw new RequestInvalid(`${definition.tranid} takes its copybook's JSON view, not text`);
        const layout = copybook(definition.copybook);
        try {
          const bytes =
            json !== undefined
              ? jsonToRecord(json, layout, cp, { substitutable: new Set(definition.substitutable ?? []) }).bytes
              : Buffer.from(hex as string, 'hex');
          return {
            ccsid,
            length: bytes.length,
            hex: bytes.toString('hex').toUpperCase(),
            fields: commareaFields(bytes, layout, cp),
          };
        } catch (err) {
          if (err instanceof FieldError) throw new RequestInvalid(err.message);
          throw err;
        }
      },
    );

    // The task whose mail a record is: its request as the task log keeps it (found by the
    // journal's index of the records each task made).
    api.get<{ Params: { seq: string } }>(
      '/console/api/journal/:seq/task',
      {
        schema: {
          tags,
          summary: 'the request of the task that made journal record seq',
          params: { type: 'object', properties: { seq: ID } },
        },
      },
      async (request) => {
        const seq = Number(request.params.seq);
        const entry = journal.tasks.forRecord(seq);
        if (entry === 'indexing')
          throw new NotFound(
            `no task found for journal record ${seq} yet: the task log is being indexed, try again shortly`,
          );
        if (!entry) throw new NotFound(`no task on record made journal record ${seq}`);
        const { commarea, containers, ...rest } = entry;
        return {
          ...rest,
          commarea:
            commarea.form === 'json'
              ? commarea
              : { form: 'bytes', hex: Buffer.from(commarea.bytes).toString('hex').toUpperCase() },
          containers: containers.map((c) => ({
            name: c.name,
            kind: c.kind,
            ccsid: c.ccsid,
            contentType: c.contentType,
            filename: c.filename,
            length: c.data === null ? (c as { length: number }).length : c.data.byteLength,
          })),
        };
      },
    );

    /** The mail taken apart, in the parser's thread, once (a stored mail does not change). */
    async function mailOf(source: string, id: string): Promise<ParsedMail> {
      const n = Number(id);
      const parsed = views.get(`${source}:${n}`, () =>
        source === 'journal' ? journal.message(n) : app.captureRelay?.get(n)?.message,
      );
      if (!parsed)
        throw new NotFound(`no ${source === 'journal' ? 'journal record' : 'captured mail'} ${id} with a mail`);
      return parsed;
    }

    api.get<{ Params: { source: string; id: string } }>(
      '/console/api/mail/:source/:id',
      { schema: { tags, summary: 'a mail of the journal or the capture relay, taken apart', params: MAIL_PARAMS } },
      async (request) => (await mailOf(request.params.source, request.params.id)).view,
    );

    api.get<{ Params: { source: string; id: string } }>(
      '/console/api/mail/:source/:id/html',
      {
        schema: { tags, summary: "a mail's HTML part, sandboxed: no script, nothing loaded", params: MAIL_PARAMS },
      },
      async (request, reply) => {
        const mail = await mailOf(request.params.source, request.params.id);
        if (mail.html === null) throw new NotFound('the mail has no HTML part');
        return reply
          .header('Content-Security-Policy', MAIL_HTML_CSP)
          .header('X-Frame-Options', 'SAMEORIGIN')
          .header('X-Content-Type-Options', 'nosniff')
          .header('Referrer-Policy', 'no-referrer')
          .header('Cache-Control', 'no-store')
          .type('text/html; charset=utf-8')
          .send(mail.html);
      },
    );

    api.get<{ Params: { source: string; id: string; n: string } }>(
      '/console/api/mail/:source/:id/attachments/:n',
      {
        schema: {
          tags,
          summary: "a mail's attachment, to download",
          params: {
            ...MAIL_PARAMS,
            properties: { ...MAIL_PARAMS.properties, n: { type: 'string', pattern: '^[0-9]{1,4}$' } },
          },
        },
      },
      async (request, reply) => {
        const mail = await mailOf(request.params.source, request.params.id);
        const n = Number(request.params.n);
        const found = mail.attachments[n];
        if (!found) throw new NotFound(`the mail has no attachment ${n}`);
        // Always a download, never shown in the console's origin whatever type the sender claimed.
        return reply
          .header('Content-Security-Policy', "sandbox; default-src 'none'")
          .header('Content-Disposition', `attachment; filename="${downloadName(found.filename ?? '', n)}"`)
          .type('application/octet-stream')
          .send(Buffer.from(attachmentBytes(found)));
      },
    );
  });
}
