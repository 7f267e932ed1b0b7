// A mail made from a COMMAREA's view and a transaction's templates: its headers parsed into
// addresses, its text and HTML parts, its attachments. Everything is rendered before anything
// is used, so a failure is the whole mail's: RC 8 with a reason and the field or template at
// fault, never a mail with a part missing.
//   CR, LF or any control character from a field in a header template: refused, CTLCHAR.
//   The template's own line ends in a header template: read as blanks (a long To list may
//   be written on several lines).
//   A value a filter cannot show: TMPLVAL. A name the record does not hold (past a table's
//   count), or a template past its render or memory limit: TMPLFAIL.
import { AssertionError, LiquidError, RenderError, UndefinedVariableError } from 'liquidjs';
import { parseAddressList, type Address } from '../../cics/addresses.js';
import type { ViewShape } from '../../cics/copybook/view.js';
import type { HeaderTemplate, MailPart } from '../../cics/mail-templates.js';
import type { Reason } from '../errors.js';
import type { Attachment, Importance } from '../mail/compose.js';
import type { MailDraft } from '../mail/deliver.js';
import type { CompiledMail, CompiledTemplate } from './compile.js';
import type { Engines } from './engine.js';
import { TemplateValueError } from './errors.js';
import { CONTROL_OR_C1 } from '../../cics/characters.js';

export interface RenderedMail {
  /** Null: From left blank, the user's default sender's to fill. */
  readonly from: Address | null;
  readonly replyTo?: Address;
  readonly to: readonly Address[];
  readonly cc: readonly Address[];
  readonly bcc: readonly Address[];
  readonly subject: string;
  /** Lines joined by `\n`; null where the definition has no such part. */
  readonly text: string | null;
  readonly html: string | null;
  readonly attachments: readonly Attachment[];
}

export type RenderOutcome =
  | { readonly ok: true; readonly mail: RenderedMail }
  | {
      readonly ok: false;
      readonly rc: 8;
      readonly reason: Reason;
      /** What was wrong, naming the field and the template, as MC-RELAY-REPLY says it. */
      readonly detail: string;
      /** The COBOL name of the field at fault, where one is. */
      readonly field?: string;
      /** The region file's key of the template at fault. */
      readonly template: string;
    };

type Failure = Extract<RenderOutcome, { ok: false }>;

/** A failure on its way out of the rendering, caught at its top (never past it). */
class Refusal extends Error {
  constructor(readonly failure: Failure) {
    super(failure.reason);
  }
}

const LINE_ENDS = /[\r\n\t]+/g;

/** The expression of an output or tag (`{{ ps_net | pic: 'Z9' }}` -> `ps_net`). */
function expressionOf(tokenText: string): string {
  const m = /^\{\{-?\s*([^|}]*?)\s*(?:\||-?\}\})/.exec(tokenText);
  return (m?.[1] ?? tokenText).slice(0, 60);
}

/** The COBOL item a path of the view names (`l.ps_line_amount` -> PS-LINE-AMOUNT). */
function itemOf(path: string, root: ViewShape, aliases: ReadonlyMap<string, ViewShape>): string | undefined {
  const names = path.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? [];
  const [first, ...rest] = names;
  if (!first) return undefined;
  let at: ViewShape | undefined = aliases.get(first) ?? (root.kind === 'object' ? root.fields.get(first) : undefined);
  for (const name of rest) {
    while (at?.kind === 'list') at = at.of;
    if (at?.kind !== 'object') break;
    const next = at.fields.get(name);
    if (!next) break;
    at = next;
  }
  while (at?.kind === 'list') at = at.of;
  return at?.item;
}

function where(t: CompiledTemplate, row: number | undefined): string {
  const file = t.source.inlineLine === undefined ? t.source.file.split(/[\\/]/).pop() : t.source.key;
  return row === undefined ? `${file}` : `${file} line ${row}`;
}

/** A template's text, or the Refusal that says why there is none. */
function renderOne(engines: Engines, compiled: CompiledMail, t: CompiledTemplate, view: object): string {
  try {
    return engines[t.kind].renderSync(t.templates, view) as string;
  } catch (err) {
    throw new Refusal(failureOf(err, compiled, t));
  }
}

function failureOf(err: unknown, compiled: CompiledMail, t: CompiledTemplate): Failure {
  const template = t.source.key;
  // A limit met between two top-level templates comes unwrapped.
  if (err instanceof AssertionError)
    return { ok: false, rc: 8, reason: 'TMPLFAIL', detail: `${where(t, undefined)}: ${err.message}`, template };
  if (!(err instanceof LiquidError)) throw err;
  const [row] = err.token?.getPosition() ?? [];
  const cause = err instanceof RenderError ? err.originalError : undefined;
  const expression = err.token ? expressionOf(err.token.getText()) : '';
  const field = itemOf(expression, compiled.shape, t.aliases);
  const named = (reason: Reason, text: string): Failure => ({
    ok: false,
    rc: 8,
    reason,
    detail: `${field ?? expression} (${expression !== field ? `${expression}, ` : ''}${where(t, row)}): ${text}`,
    ...(field ? { field } : {}),
    template,
  });
  if (cause instanceof TemplateValueError)
    return named(cause.problem === 'control' ? 'CTLCHAR' : 'TMPLVAL', cause.message);
  if (err instanceof UndefinedVariableError) {
    // LiquidJS names the first part of the path that is not there: `ps_lines.5`.
    const name = /undefined variable: ([^,]+)/.exec(err.message)?.[1] ?? expression;
    const item = itemOf(name, compiled.shape, t.aliases);
    return {
      ok: false,
      rc: 8,
      reason: 'TMPLFAIL',
      detail: `${item ?? name} (${expression}, ${where(t, row)}): the record does not hold ${name} (an entry past its table's count?)`,
      ...(item ? { field: item } : {}),
      template,
    };
  }
  const message = (cause ?? err).message.replace(/, line:\d+, col:\d+$/, '');
  return { ok: false, rc: 8, reason: 'TMPLFAIL', detail: `${where(t, row)}: ${message}`, template };
}

const ADDRESS_REASON: Record<Exclude<HeaderTemplate, 'subject'>, Reason> = {
  from: 'BADFROM',
  replyTo: 'BADREPTO',
  to: 'BADTO',
  cc: 'BADCC',
  bcc: 'BADBCC',
};

/** Fills every template from the view: the mail's parts, or the one failure that stops it. */
export function renderMail(compiled: CompiledMail, view: object, engines: Engines): RenderOutcome {
  try {
    const part = (name: MailPart): string | null => {
      const t = compiled.parts.get(name);
      return t ? renderOne(engines, compiled, t, view) : null;
    };
    const header = (name: HeaderTemplate): string => {
      const t = compiled.parts.get(name);
      return t ? headerValue(renderOne(engines, compiled, t, view), t) : '';
    };
    const addresses = (name: Exclude<HeaderTemplate, 'subject'>): Address[] => {
      const text = header(name);
      if (text === '') return [];
      const r = parseAddressList(text);
      const key = compiled.parts.get(name)?.source.key ?? name;
      if (!r.ok) throw refusal(ADDRESS_REASON[name], `${key}: ${r.reason}`, key);
      return [...r.addresses];
    };
    const single = (name: 'from' | 'replyTo'): Address | null => {
      const list = addresses(name);
      const key = compiled.parts.get(name)?.source.key ?? name;
      if (list.length > 1) throw refusal(ADDRESS_REASON[name], `${key} holds ${list.length} addresses; give one`, key);
      return list[0] ?? null;
    };
    const from = single('from');
    const replyTo = single('replyTo');
    const to = addresses('to');
    const cc = addresses('cc');
    const bcc = addresses('bcc');
    if (to.length + cc.length + bcc.length === 0) {
      const key = compiled.parts.get('to')?.source.key ?? 'to';
      throw refusal('NORCPT', 'To, Cc and Bcc came out blank: no recipient', key);
    }
    const subject = header('subject');
    const text = part('text');
    const html = part('html');
    const attachments: Attachment[] = compiled.attachments.map((a) => ({
      filename: headerValue(renderOne(engines, compiled, a.name, view), a.name),
      contentType: a.contentType,
      content: { text: renderOne(engines, compiled, a.body, view).replace(/\r\n?/g, '\n') },
    }));
    return {
      ok: true,
      mail: {
        from,
        ...(replyTo ? { replyTo } : {}),
        to,
        cc,
        bcc,
        subject,
        text: text === null ? null : text.replace(/\r\n?/g, '\n'),
        html,
        attachments,
      },
    };
  } catch (err) {
    if (err instanceof Refusal) return err.failure;
    throw err;
  }
}

function refusal(reason: Reason, detail: string, template: string): Refusal {
  return new Refusal({ ok: false, rc: 8, reason, detail, template });
}

/** A header template's text: its own line ends read as blanks, trimmed. */
function headerValue(text: string, t: CompiledTemplate): string {
  const value = text.replace(LINE_ENDS, ' ').trim();
  const bad = CONTROL_OR_C1.exec(value);
  if (bad) {
    const code = (bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
    throw refusal('CTLCHAR', `${t.source.key}: the template's text holds control character U+${code}`, t.source.key);
  }
  return value;
}

/**
 * The mail as MAIL's path takes it (composeAndSend): a text part alone is the body; an HTML
 * part is the body with the text part, where there is one, as its text/plain alternative.
 */
export function draftOf(mail: RenderedMail, importance: Importance = 'normal'): MailDraft {
  const { text, html, ...headers } = mail;
  return {
    ...headers,
    importance,
    ...(html === null
      ? { body: text ?? '', bodyFormat: 'text' }
      : { body: html, bodyFormat: 'html', ...(text !== null ? { textAlternative: text } : {}) }),
  };
}
