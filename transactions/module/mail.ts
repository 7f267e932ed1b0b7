// What a program module asks `sendMail` for, read into the mail a template program would
// have made (template/render.ts): addresses parsed, a control character in a header refused
// (CTLCHAR), a wrong address the RC 8 MAIL gives for it. A value of the wrong type is the
// module's bug: a TypeError, which ends its task ASRA unless it catches it.
import { parseAddressList, type Address } from '../../cics/addresses.js';
import { CONTROL_OR_C1 } from '../../cics/characters.js';
import type { HeaderTemplate } from '../../cics/mail-templates.js';
import type { Reason } from '../errors.js';
import type { Attachment, Importance } from '../mail/compose.js';
import type { Outcome } from '../mail/deliver.js';
import type { RenderedMail } from '../template/render.js';

/** A mail as a module gives it to `sendMail`. */
export interface ModuleMail {
  /** Blank or absent: the user's default sender. */
  readonly from?: string;
  readonly replyTo?: string;
  /** One address list (`a@x, "B" <b@y>`) or a list of them. */
  readonly to?: string | readonly string[];
  readonly cc?: string | readonly string[];
  readonly bcc?: string | readonly string[];
  readonly subject?: string;
  /** The text part; with `html`, its text/plain alternative. */
  readonly text?: string;
  readonly html?: string;
  readonly importance?: Importance;
  readonly attachments?: readonly {
    readonly filename: string;
    /** Its MIME type; absent: the one its name says. */
    readonly contentType?: string;
    /** Text (sent as UTF-8) or bytes (base64). */
    readonly content: string | Uint8Array;
  }[];
}

const ADDRESS_REASON: Record<Exclude<HeaderTemplate, 'subject'>, Reason> = {
  from: 'BADFROM',
  replyTo: 'BADREPTO',
  to: 'BADTO',
  cc: 'BADCC',
  bcc: 'BADBCC',
};

const IMPORTANCE: readonly Importance[] = ['low', 'normal', 'high'];

/** An RC 8 on its way out of the reading, caught at its top. */
class Refused extends Error {
  constructor(readonly outcome: Outcome) {
    super(outcome.reason);
  }
}

function text(mail: ModuleMail, key: keyof ModuleMail): string | undefined {
  const v = mail[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new TypeError(`sendMail: ${key} must be a string, not ${typeof v}`);
  return v;
}

function header(mail: ModuleMail, key: HeaderTemplate): string {
  const raw = mail[key];
  const list = raw === undefined || raw === null ? [] : typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list) || list.some((v) => typeof v !== 'string'))
    throw new TypeError(`sendMail: ${key} must be a string or a list of strings`);
  const value = (list as string[]).join(', ').trim();
  const bad = CONTROL_OR_C1.exec(value);
  if (bad) {
    const code = (bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    throw new Refused({
      reason: 'CTLCHAR',
      detail: `${key} holds control character U+${code} at position ${bad.index + 1}`,
    });
  }
  return value;
}

function addresses(mail: ModuleMail, key: Exclude<HeaderTemplate, 'subject'>): Address[] {
  const value = header(mail, key);
  if (value === '') return [];
  const r = parseAddressList(value);
  if (!r.ok) throw new Refused({ reason: ADDRESS_REASON[key], detail: `${key}: ${r.reason}` });
  return [...r.addresses];
}

function single(mail: ModuleMail, key: 'from' | 'replyTo'): Address | null {
  const list = addresses(mail, key);
  if (list.length > 1)
    throw new Refused({ reason: ADDRESS_REASON[key], detail: `${key} holds ${list.length} addresses; give one` });
  return list[0] ?? null;
}

function attachmentsOf(mail: ModuleMail): Attachment[] {
  const list = mail.attachments ?? [];
  if (!Array.isArray(list)) throw new TypeError('sendMail: attachments must be a list');
  return (list as ModuleMail['attachments'] & object).map((a, i) => {
    if (typeof a?.filename !== 'string') throw new TypeError(`sendMail: attachments[${i}].filename must be a string`);
    if (CONTROL_OR_C1.test(a.filename))
      throw new Refused({ reason: 'CTLCHAR', detail: `attachments[${i}].filename holds a control character` });
    const contentType = a.contentType ?? '';
    if (typeof contentType !== 'string')
      throw new TypeError(`sendMail: attachments[${i}].contentType must be a string`);
    const content = a.content;
    if (typeof content === 'string')
      return { filename: a.filename, contentType, content: { text: content.replace(/\r\n?/g, '\n') } };
    if (content instanceof Uint8Array) return { filename: a.filename, contentType, content: { bytes: content } };
    throw new TypeError(`sendMail: attachments[${i}].content must be a string or a Uint8Array`);
  });
}

/** The mail `spec` asks for and its importance, or the RC 8 that says why there is none. */
export function readModuleMail(
  spec: unknown,
):
  | { readonly ok: true; readonly mail: RenderedMail; readonly importance: Importance }
  | { readonly ok: false; readonly outcome: Outcome } {
  if (spec === null || typeof spec !== 'object') throw new TypeError('sendMail takes a mail: { to, subject, text, … }');
  const mail = spec as ModuleMail;
  const importance = mail.importance ?? 'normal';
  if (!IMPORTANCE.includes(importance))
    throw new TypeError(`sendMail: importance must be ${IMPORTANCE.join(', ')}, not ${String(importance)}`);
  try {
    const from = single(mail, 'from');
    const replyTo = single(mail, 'replyTo');
    const to = addresses(mail, 'to');
    const cc = addresses(mail, 'cc');
    const bcc = addresses(mail, 'bcc');
    if (to.length + cc.length + bcc.length === 0)
      throw new Refused({ reason: 'NORCPT', detail: 'to, cc and bcc are all blank: no recipient' });
    const subject = header(mail, 'subject');
    const body = text(mail, 'text');
    const html = text(mail, 'html');
    return {
      ok: true,
      importance,
      mail: {
        from,
        ...(replyTo ? { replyTo } : {}),
        to,
        cc,
        bcc,
        subject,
        text: body === undefined ? (html === undefined ? '' : null) : body.replace(/\r\n?/g, '\n'),
        html: html ?? null,
        attachments: attachmentsOf(mail),
      },
    };
  } catch (err) {
    if (err instanceof Refused) return { ok: false, outcome: err.outcome };
    throw err;
  }
}
