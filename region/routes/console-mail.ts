// A mail of the journal or the capture relay taken apart for the console: its view, its
// HTML served under a policy that forbids scripts and remote loads, its attachments as
// downloads.
import type { FastifyInstance } from 'fastify';
import { NotFound } from '../errors.js';
import { attachmentBytes, downloadName, type ParsedMail } from '../views/mail-view.js';
import { MailViews } from '../views/mail-views.js';
import { DIGITS } from './schemas.js';

/**
 * A mail's HTML: its own opaque origin (sandbox, no allow-scripts: no script runs), nothing
 * loaded from anywhere (no remote images: no read receipt to a tracker), its own inline
 * style allowed; framed by the console only.
 */
export const MAIL_HTML_CSP =
  "sandbox; default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; frame-ancestors 'self'";

const MAIL_PARAMS = {
  type: 'object',
  properties: { source: { type: 'string', enum: ['journal', 'captured'] }, id: DIGITS },
};

const ATTACHMENT_PARAMS = {
  ...MAIL_PARAMS,
  properties: { ...MAIL_PARAMS.properties, n: { type: 'string', pattern: '^[0-9]{1,4}$' } },
};

type MailRoute = { Params: { source: string; id: string } };

export function mailRoutes(api: FastifyInstance, tags: string[]): void {
  const views = new MailViews();
  api.addHook('onClose', () => views.close());

  /** The mail taken apart, in the parser's thread, once (a stored mail does not change). */
  async function mailOf(source: string, id: string): Promise<ParsedMail> {
    const n = Number(id);
    const parsed = views.get(`${source}:${n}`, () =>
      source === 'journal' ? api.journal.message(n) : api.captureRelay?.get(n)?.message,
    );
    if (!parsed)
      throw new NotFound(`no ${source === 'journal' ? 'journal record' : 'captured mail'} ${id} with a mail`);
    return parsed;
  }

  api.get<MailRoute>(
    '/console/api/mail/:source/:id',
    { schema: { tags, summary: 'a mail of the journal or the capture relay, taken apart', params: MAIL_PARAMS } },
    async (request) => (await mailOf(request.params.source, request.params.id)).view,
  );

  api.get<MailRoute>(
    '/console/api/mail/:source/:id/html',
    { schema: { tags, summary: "a mail's HTML part, sandboxed: no script, nothing loaded", params: MAIL_PARAMS } },
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
    { schema: { tags, summary: "a mail's attachment, to download", params: ATTACHMENT_PARAMS } },
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
}
