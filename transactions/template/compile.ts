// A transaction's templates, parsed and checked against the view of its copybook once, when
// the region starts (and again in each worker, which keeps them): a name the view does not
// have, a table read as a field, a filter that does not exist, a picture that is no picture,
// each stops the start with the template's file, line and the name. LiquidJS's own static
// analysis finds the names a template reads; the loops' names (`{% for l in ps_lines %}`)
// are followed here, so `l.ps_line_amout` is caught too.
import { ForTag, TablerowTag, TypeGuards, Value, type Liquid, type Template, type Variable } from 'liquidjs';
import type { RecordLayout } from '../../cics/copybook/layout.js';
import { viewShape, type ViewShape } from '../../cics/copybook/view.js';
import { HEADER_TEMPLATES, type MailPart, type MailTemplates, type TemplateSource } from '../../cics/mail-templates.js';
import { PictureError, parseEditPicture } from './edit-picture.js';
import type { Engines, PartKind } from './engine.js';
import { TemplateDefinitionError } from './errors.js';
import { alphanumericWidth, DATE_FILTERS, windowStartOf } from './filters.js';

export interface CompiledTemplate {
  readonly source: TemplateSource;
  readonly kind: PartKind;
  readonly templates: Template[];
  /** The loops' names and the tables they run over: to name the COBOL item a failure is about. */
  readonly aliases: ReadonlyMap<string, ViewShape>;
}

export interface CompiledMail {
  readonly parts: ReadonlyMap<MailPart, CompiledTemplate>;
  readonly attachments: readonly {
    readonly name: CompiledTemplate;
    readonly body: CompiledTemplate;
    readonly contentType: string;
  }[];
  readonly shape: ViewShape;
  /** The copybook's name, for messages. */
  readonly copybook: string;
}

const PART_KIND = {
  ...Object.fromEntries(HEADER_TEMPLATES.map((h) => [h, 'header'])),
  text: 'text',
  html: 'html',
} as Record<MailPart, PartKind>;

/** Where in a template: for one written inline, the line within it is in the message. */
export function definitionError(
  source: TemplateSource,
  row: number,
  col: number,
  reason: string,
): TemplateDefinitionError {
  if (source.inlineLine !== undefined) {
    const at = row > 1 ? `line ${row}, column ${col}` : `column ${col}`;
    return new TemplateDefinitionError(source.file, source.inlineLine, source.key, `${at}: ${reason}`);
  }
  return new TemplateDefinitionError(source.file, row, source.key, `column ${col}: ${reason}`);
}

/** LiquidJS's message without the position it appends (the position is given apart). */
function liquidReason(err: Error): string {
  return err.message.replace(/(, line:\d+, col:\d+)?(, file:.*)?$/, '');
}

/** What a name reads: part of the view, or something the check cannot know (a name the template assigned). */
type Resolved = ViewShape | { readonly kind: 'unknown' };

const UNKNOWN: Resolved = { kind: 'unknown' };

/** What a path of segments reads in the view, or why it reads nothing. */
function resolve(
  shape: Resolved,
  segments: readonly (string | number | Variable)[],
  copybook: string,
): Resolved | string {
  let at: Resolved = shape;
  for (const seg of segments) {
    switch (at.kind) {
      case 'unknown':
        return at;
      case 'object':
        if (typeof seg === 'string') {
          const next = at.fields.get(seg);
          if (next) at = next;
          else if (seg === 'size') at = { kind: 'number', item: at.item };
          else return `${seg} is not a field of ${at.item} in ${copybook}`;
        } else if (typeof seg === 'number') return `${at.item} is a group, not a table: [${seg}] reads nothing`;
        else at = UNKNOWN;
        break;
      case 'list':
        if (typeof seg === 'number') {
          if (seg >= at.max || seg < -at.max)
            return `${at.item} has ${at.max} entries (OCCURS): [${seg}] reads nothing`;
          at = at.of;
        } else if (typeof seg !== 'string') at = at.of;
        else if (seg === 'size') at = { kind: 'number', item: at.item };
        else if (seg === 'first' || seg === 'last') at = at.of;
        else return `${at.item} is a table (OCCURS ${at.max}): .${seg} reads nothing; use [n], first, last or size`;
        break;
      case 'text':
        if (seg === 'size') at = { kind: 'number', item: at.item };
        else return `${at.item} is text (PIC X): .${String(seg)} reads nothing`;
        break;
      default:
        return `${at.item} is ${at.kind === 'number' ? 'a number' : 'a condition (88)'}: .${String(seg)} reads nothing`;
    }
  }
  return at;
}

function positionOf(token: { getPosition(): number[] }): [number, number] {
  const [row = 1, col = 1] = token.getPosition();
  return [row, col];
}

/** The templates directly inside `t` (a tag's blocks), or none. */
function childrenOf(t: Template): Template[] {
  if (!t.children) return [];
  const it = t.children(false, true);
  let step = it.next();
  while (!step.done) step = it.next();
  return step.value ?? [];
}

class Checker {
  readonly aliases = new Map<string, ViewShape>();

  constructor(
    private readonly liquid: Liquid,
    private readonly source: TemplateSource,
    private readonly root: ViewShape,
    private readonly copybook: string,
  ) {}

  error(row: number, col: number, reason: string): TemplateDefinitionError {
    return definitionError(this.source, row, col, reason);
  }

  /** Checks the names read in `templates`, `scope` being the loops' names around them. */
  check(templates: Template[], scope: ReadonlyMap<string, Resolved>): void {
    const analysis = this.liquid.analyzeSync(templates, { partials: false });
    const scoped = new Map(scope);
    // Names a template assigns are its own; reading one before it is assigned fails when it runs.
    for (const name of Object.keys(analysis.locals)) scoped.set(name, UNKNOWN);
    for (const [name, variables] of Object.entries(analysis.globals)) {
      for (const v of variables) {
        const base = scoped.get(name) ?? (this.root.kind === 'object' ? this.root.fields.get(name) : undefined);
        if (!base) throw this.error(v.location.row, v.location.col, `${name} is not a field of ${this.copybook}`);
        const r = resolve(base, v.segments.slice(1), this.copybook);
        if (typeof r === 'string') throw this.error(v.location.row, v.location.col, `${v.toString()}: ${r}`);
      }
    }
    this.loops(templates, scoped);
  }

  /** Each loop's body, checked with the loop's name for an entry of its table. */
  loops(templates: Template[], scope: ReadonlyMap<string, Resolved>): void {
    for (const t of templates) {
      this.filterArguments(t);
      if (t instanceof ForTag || t instanceof TablerowTag) {
        const entry = this.entryOf(t);
        const inner = new Map(scope);
        inner.set(t.variable, entry);
        inner.set('forloop', UNKNOWN);
        inner.set('tablerowloop', UNKNOWN);
        if (entry.kind !== 'unknown') this.aliases.set(t.variable, entry);
        this.check(t.templates, inner);
        if (t instanceof ForTag) this.loops(t.elseTemplates, scope);
      } else {
        this.loops(childrenOf(t), scope);
      }
    }
  }

  /** What one entry of a loop's collection is: a table's entry, a number of a range. */
  entryOf(t: InstanceType<typeof ForTag> | InstanceType<typeof TablerowTag>): Resolved {
    const token = t.collection;
    const [row, col] = positionOf(token);
    if (TypeGuards.isRangeToken(token)) return { kind: 'number', item: 'a range' };
    if (!TypeGuards.isPropertyAccessToken(token)) return UNKNOWN;
    const analysis = this.liquid.analyzeSync(this.liquid.parse(`{{ ${token.getText()} }}`), { partials: false });
    const first = Object.values(analysis.variables)[0]?.[0];
    if (!first) return UNKNOWN;
    const [name, ...rest] = first.segments;
    if (typeof name !== 'string') return UNKNOWN;
    const base = this.aliases.get(name) ?? (this.root.kind === 'object' ? this.root.fields.get(name) : undefined);
    if (!base) return UNKNOWN; // a name the template assigned, or one check() reports
    const r = resolve(base, rest, this.copybook);
    if (typeof r === 'string') throw this.error(row, col, `${token.getText()}: ${r}`);
    if (r.kind === 'unknown') return UNKNOWN;
    if (r.kind !== 'list')
      throw this.error(row, col, `${token.getText()} is not a table (OCCURS): nothing to loop over`);
    return r.of;
  }

  /** Literal arguments of the COBOL filters: a picture that is no picture, a window that is no year. */
  filterArguments(t: Template): void {
    if (!t.arguments) return;
    const [row, col] = positionOf(t.token);
    for (const arg of t.arguments()) {
      if (!(arg instanceof Value)) continue;
      for (const f of arg.filters) {
        const first = f.args[0];
        if (f.name === 'pic') {
          if (first === undefined) throw this.error(row, col, 'pic needs a picture: pic: "ZZ,ZZ9.99-"');
          if (!Array.isArray(first) && TypeGuards.isQuotedToken(first)) {
            try {
              if (alphanumericWidth(first.content) === null) parseEditPicture(first.content);
            } catch (err) {
              if (err instanceof PictureError) throw this.error(row, col, err.message);
              throw err;
            }
          }
        } else if (f.name in DATE_FILTERS && first !== undefined && !Array.isArray(first)) {
          if (TypeGuards.isNumberToken(first) || TypeGuards.isQuotedToken(first)) {
            const start = windowStartOf(first.content);
            if (typeof start === 'string') throw this.error(row, col, `${f.name}: ${start}`);
          }
        }
      }
    }
  }
}

function compileOne(
  source: TemplateSource,
  kind: PartKind,
  engines: Engines,
  shape: ViewShape,
  copybook: string,
): CompiledTemplate {
  const liquid = engines[kind];
  let templates: Template[];
  try {
    templates = liquid.parse(source.text, source.file);
  } catch (err) {
    const e = err as Error & { token?: { getPosition(): number[] } };
    const [row, col] = e.token ? positionOf(e.token) : [1, 1];
    const reason = liquidReason(e);
    throw definitionError(
      source,
      row,
      col,
      kind === 'html' && reason === 'undefined filter: raw'
        ? 'raw is not allowed in the HTML part: every value is escaped'
        : reason,
    );
  }
  const checker = new Checker(liquid, source, shape, copybook);
  checker.check(templates, new Map());
  return { source, kind, templates, aliases: checker.aliases };
}

/** Parses and checks a transaction's templates; a TemplateDefinitionError names the first fault. */
export function compileMail(set: MailTemplates, shape: ViewShape, copybook: string, engines: Engines): CompiledMail {
  const parts = new Map<MailPart, CompiledTemplate>();
  for (const part of Object.keys(PART_KIND) as MailPart[]) {
    const source = set[part];
    if (source) parts.set(part, compileOne(source, PART_KIND[part], engines, shape, copybook));
  }
  const attachments = set.attachments.map((a) => {
    const contentType = a.contentType ?? '';
    const html = contentType.split(';')[0]?.trim().toLowerCase() === 'text/html';
    return {
      name: compileOne(a.name, 'header', engines, shape, copybook),
      body: compileOne(a.body, html ? 'html' : 'text', engines, shape, copybook),
      contentType,
    };
  });
  return { parts, attachments, shape, copybook };
}

/**
 * A template transaction's templates compiled against its copybook's view: what the region
 * checks when it starts (a TemplateDefinitionError stops it) and each worker keeps.
 */
export function compileTemplateProgram(
  templates: MailTemplates,
  copybook: { readonly name: string; readonly layout: RecordLayout },
  engines: Engines,
): CompiledMail {
  return compileMail(templates, viewShape(copybook.layout, copybook.name), copybook.name, engines);
}
