// A mail as the console shows it: its headers, its text and HTML, its attachments. Parsed
// on the region with postal-mime (a MIME parser of the nodemailer author's, small and
// without dependencies), so that the page receives plain data and the HTML only ever
// reaches the browser from a route that forbids it scripts and remote loads.
import PostalMime, { type Attachment } from 'postal-mime';
import { MailNotShown } from '../errors.js';

export interface MailAttachment {
  readonly index: number;
  /** The part's file name, '' where it gave none. */
  readonly filename: string;
  readonly mimeType: string;
  readonly size: number;
  readonly inline: boolean;
}

export interface MailView {
  readonly headers: readonly { readonly name: string; readonly value: string }[];
  readonly subject: string;
  readonly text: string | null;
  readonly hasHtml: boolean;
  readonly size: number;
  readonly attachments: readonly MailAttachment[];
}

export interface ParsedMail {
  readonly view: MailView;
  readonly html: string | null;
  readonly attachments: readonly Attachment[];
}

function bytesOf(content: Attachment['content']): Uint8Array {
  if (typeof content === 'string') return Buffer.from(content, 'utf8');
  return content instanceof Uint8Array ? content : new Uint8Array(content);
}

/** postal-mime's codes for a mail past its limits: the mail's shape, not the region's fault. */
const PAST_LIMITS = new Set(['EMAXNESTINGDEPTH', 'EMAXHEADERSIZE', 'EMAXPARTCOUNT', 'EMAXFORWARDEDADDRESSES']);

/** The mail taken apart; a mail past the parser's limits is refused by name (MailNotShown), not ASRA. */
export async function parseMail(message: Uint8Array): Promise<ParsedMail> {
  const mail = await PostalMime.parse(message, { attachmentEncoding: 'arraybuffer' }).catch((err: unknown) => {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && PAST_LIMITS.has(code)) throw new MailNotShown((err as Error).message);
    throw err;
  });
  return {
    html: mail.html ?? null,
    attachments: mail.attachments,
    view: {
      headers: mail.headers.map((h) => ({ name: h.originalKey, value: h.value })),
      subject: mail.subject ?? '',
      text: mail.text ?? null,
      hasHtml: mail.html !== undefined,
      size: message.byteLength,
      attachments: mail.attachments.map((a, index) => ({
        index,
        filename: a.filename ?? '',
        mimeType: a.mimeType,
        size: bytesOf(a.content).byteLength,
        inline: a.disposition === 'inline' || a.related === true,
      })),
    },
  };
}

/** An attachment's bytes. */
export function attachmentBytes(a: Attachment): Uint8Array {
  return bytesOf(a.content);
}

/** A file name safe in a Content-Disposition header: printable ASCII, no quotes or path. */
export function downloadName(name: string, index: number): string {
  const base = name.split(/[\\/]/).pop() ?? '';
  const safe = base.replace(/[^\x20-\x7e]|["%;\\]/g, '_').trim();
  return safe === '' || safe === '.' || safe === '..' ? `part-${index + 1}.bin` : safe.slice(0, 100);
}
