// The region definition file (CICSMAIL_CONFIG): settings, transaction classes, changes to
// the defined transactions and the shop's own transactions, in one JSON file checked against
// a schema at start. A bad file stops the start with the key and the reason; a fault in a
// transaction of the shop's own (a copybook, a template file, an output field) with the
// file, the line and the name too. Environment variables win over its settings.
import { existsSync, statSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { findNodeAtLocation, parseTree, type Node } from 'jsonc-parser';
import { CopybookError } from '../cics/copybook/errors.js';
import type { ElementaryItem, RecordLayout } from '../cics/copybook/layout.js';
import { parseCopybook } from '../cics/copybook/parse.js';
import { viewShape } from '../cics/copybook/view.js';
import type { MailTemplates, OutputFields, TemplateSource } from '../cics/mail-templates.js';
import { ConfigError } from './errors.js';
import { regionSettingProblem } from './setting-names.js';
import { readSmallFile } from '../cics/small-file.js';
import { NAME8, NAME8_RULE, TRANID } from '../cics/names.js';

/** A transaction class's limits (TRANCLASS): MAXACTIVE and PURGETHRESH. */
export interface ClassLimits {
  readonly maxActive: number;
  /** Queued tasks at which a new one is purged; null: never purge (CICS: PURGETHRESH(NO)). */
  readonly purgeThreshold: number | null;
}

export interface TransactionOverride {
  readonly enabled?: boolean;
  readonly class?: string;
  readonly timeLimitMs?: number;
}

/** The programs a region has built in; a transaction of the shop's own may run one under its own tranid. */
export const BUILTIN_PROGRAMS = ['MAIL', 'SEND', 'SPOL'] as const;
export type BuiltinProgram = (typeof BUILTIN_PROGRAMS)[number];

/** What a transaction of the shop's own runs. */
export type DefinedProgram =
  | { readonly kind: 'builtin'; readonly name: BuiltinProgram }
  /** A mail made from templates filled from the COMMAREA's view (transactions/template/). */
  | { readonly kind: 'template'; readonly templates: MailTemplates; readonly output: OutputFields }
  /** A JavaScript module in the region's `programs/` folder: its path, and its name (CEMT's PROGRAM). */
  | { readonly kind: 'module'; readonly file: string; readonly name: string };

export interface DefinedCopybook {
  /** The copybook's file. */
  readonly file: string;
  /** Its file name, for messages (`PAYSLIP.cpy`). */
  readonly name: string;
  /** Its text as read: what the workers parse (they never read the file again). */
  readonly text: string;
  readonly layout: RecordLayout;
}

/** A transaction the region file defines (one with `program`), checked. */
export interface DefinedTransaction {
  readonly tranid: string;
  readonly program: DefinedProgram;
  readonly copybook?: DefinedCopybook;
  readonly enabled: boolean;
  readonly tranclass?: string;
  readonly timeLimitMs: number;
  readonly description: string;
  /** The line of the region file it is defined on. */
  readonly line: number;
}

export interface RegionFile {
  /** CICSMAIL_* settings, as the environment gives them (the environment wins). */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  readonly classes: Readonly<Record<string, ClassLimits>>;
  /** Changes to transactions the region has (entries without `program`). */
  readonly transactions: Readonly<Record<string, TransactionOverride>>;
  /** The shop's own transactions (entries with `program`). */
  readonly defined: readonly DefinedTransaction[];
}

/** The time limit of a defined transaction that gives none: the built-in ones' (ms). */
export const DEFAULT_TIME_LIMIT_MS = 120_000;

/** The JSON Schema of a class's limits, in the region file and in CEMT SET TRANCLASS alike. */
export const CLASS_LIMITS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['maxActive'],
  properties: {
    maxActive: { type: 'integer', minimum: 1, maximum: 100_000 },
    purgeThreshold: { type: ['integer', 'null'], minimum: 0, maximum: 1_000_000 },
  },
} as const;

/** A template: its text inline, or `{ "file": "templates/payslip.html" }` beside the region file. */
const TEMPLATE_SCHEMA = {
  type: ['string', 'object'],
  maxLength: 1_000_000,
  if: { type: 'object' },
  then: {
    additionalProperties: false,
    required: ['file'],
    properties: { file: { type: 'string', minLength: 1, maxLength: 4096 } },
  },
} as const;

const COBOL_NAME = { type: 'string', pattern: '^[A-Za-z0-9][A-Za-z0-9-]{0,29}$' } as const;

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    settings: {
      type: 'object',
      propertyNames: { pattern: '^CICSMAIL_[A-Z0-9_]+$' },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
    classes: {
      type: 'object',
      propertyNames: { pattern: NAME8.source },
      additionalProperties: CLASS_LIMITS_SCHEMA,
    },
    transactions: {
      type: 'object',
      propertyNames: { pattern: TRANID.source },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          enabled: { type: 'boolean' },
          class: { type: 'string', pattern: NAME8.source },
          timeLimitMs: { type: 'integer', minimum: 10, maximum: 86_400_000 },
          // A transaction of the shop's own:
          program: { type: 'string', minLength: 1, maxLength: 4096 },
          copybook: { type: 'string', minLength: 1, maxLength: 4096 },
          description: { type: 'string', maxLength: 200 },
          templates: {
            type: 'object',
            additionalProperties: false,
            required: ['to', 'subject'],
            properties: {
              from: TEMPLATE_SCHEMA,
              replyTo: TEMPLATE_SCHEMA,
              to: TEMPLATE_SCHEMA,
              cc: TEMPLATE_SCHEMA,
              bcc: TEMPLATE_SCHEMA,
              subject: TEMPLATE_SCHEMA,
              text: TEMPLATE_SCHEMA,
              html: TEMPLATE_SCHEMA,
              attachments: {
                type: 'array',
                maxItems: 100,
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['name', 'body'],
                  properties: {
                    name: TEMPLATE_SCHEMA,
                    body: TEMPLATE_SCHEMA,
                    contentType: { type: 'string', pattern: '^[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+$' },
                  },
                },
              },
            },
          },
          output: {
            type: 'object',
            additionalProperties: false,
            properties: {
              rc: COBOL_NAME,
              reason: COBOL_NAME,
              messageId: COBOL_NAME,
              journalSeq: COBOL_NAME,
              relayReply: COBOL_NAME,
            },
          },
        },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true }).compile(schema);

function keyOf(file: string, e: ErrorObject): string {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (e.keyword === 'additionalProperties')
    path.push(String((e.params as { additionalProperty: string }).additionalProperty));
  if (e.propertyName !== undefined) path.push(e.propertyName);
  return `${file}: ${path.length > 0 ? path.join('.') : '(the whole file)'}`;
}

function reasonOf(e: ErrorObject): string {
  if (e.propertyName !== undefined)
    return 'is not a valid name here (settings: CICSMAIL_…; classes: 1 to 8 of A-Z 0-9 @ # $; transactions: a tranid)';
  switch (e.keyword) {
    case 'additionalProperties':
      return 'is not a key of a region definition file (see docs/config.md)';
    default:
      return e.message ?? e.keyword;
  }
}

/** A region file larger than this is refused: its templates inline are 1,000,000 characters at most each. */
export const REGION_FILE_BYTES = 16 * 1024 * 1024;
/** A copybook file of the shop's own, at most. */
const COPYBOOK_BYTES = 1024 * 1024;
/** A template file, at most: 1,000,000 characters, as a template written inline, of up to 4 bytes each in UTF-8. */
const TEMPLATE_FILE_BYTES = 4_000_000;

export function readRegionFile(file: string): RegionFile {
  const read = readSmallFile(file, REGION_FILE_BYTES);
  if (!read.ok) throw new ConfigError('CICSMAIL_CONFIG', read.reason);
  const text = read.bytes.toString('utf8');
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}`, `not JSON: ${(err as Error).message}`);
  }
  // Before the schema: the schema sees only the last of a key given twice.
  const where = new Locator(file, text);
  where.refuseDuplicateKeys();
  if (!validate(data)) {
    const e = validate.errors?.[0];
    throw new ConfigError(e ? keyOf(file, e) : file, e ? reasonOf(e) : 'not valid');
  }
  for (const key of Object.keys((data as { settings?: object }).settings ?? {})) {
    const problem = regionSettingProblem(key);
    if (problem) throw where.error(['settings', key], problem);
  }
  const parsed = data as {
    settings?: RegionFile['settings'];
    classes?: Record<string, { maxActive: number; purgeThreshold?: number | null }>;
    transactions?: Record<string, RawTransaction>;
  };
  const classes: Record<string, ClassLimits> = {};
  for (const [name, c] of Object.entries(parsed.classes ?? {}))
    classes[name] = { maxActive: c.maxActive, purgeThreshold: c.purgeThreshold ?? null };
  const transactions: Record<string, TransactionOverride> = {};
  const defined: DefinedTransaction[] = [];
  for (const [tranid, t] of Object.entries(parsed.transactions ?? {})) {
    if (t.class !== undefined && !(t.class in classes))
      throw new ConfigError(`${file}: transactions.${tranid}.class`, `class ${t.class} is not defined under classes`);
    if (t.program === undefined) {
      for (const key of ['copybook', 'description', 'templates', 'output'] as const) {
        if (t[key] !== undefined)
          throw where.error(
            ['transactions', tranid, key],
            `a transaction of the shop's own needs "program" (a change to one the region has takes only enabled, class and timeLimitMs)`,
          );
      }
      const { enabled, class: tranclass, timeLimitMs } = t;
      transactions[tranid] = {
        ...(enabled !== undefined ? { enabled } : {}),
        ...(tranclass !== undefined ? { class: tranclass } : {}),
        ...(timeLimitMs !== undefined ? { timeLimitMs } : {}),
      };
    } else {
      defined.push(definedTransaction(tranid, t, where));
    }
  }
  refuseProgramClashes(defined, where);
  return { settings: parsed.settings ?? {}, classes, transactions, defined };
}

type RawTemplate = string | { file: string };

interface RawTransaction {
  enabled?: boolean;
  class?: string;
  timeLimitMs?: number;
  program?: string;
  copybook?: string;
  description?: string;
  templates?: {
    from?: RawTemplate;
    replyTo?: RawTemplate;
    to: RawTemplate;
    cc?: RawTemplate;
    bcc?: RawTemplate;
    subject: RawTemplate;
    text?: RawTemplate;
    html?: RawTemplate;
    attachments?: { name: RawTemplate; body: RawTemplate; contentType?: string }[];
  };
  output?: Record<keyof OutputFields, string | undefined>;
}

/** Lines of the region file's keys, for the messages of the shop's own transactions. */
class Locator {
  readonly #root: Node | undefined;
  readonly #lineStarts: number[] = [0];

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.#root = parseTree(text);
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.#lineStarts.push(i + 1);
  }

  /** The line (1-based) of the value at `path`, or of the nearest key above it that is there. */
  line(path: readonly (string | number)[]): number {
    for (let n = path.length; n >= 0 && this.#root; n--) {
      const node = findNodeAtLocation(this.#root, path.slice(0, n));
      if (node) return this.lineAt(node.offset);
    }
    return 1;
  }

  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.#lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.#lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  error(path: readonly (string | number)[], reason: string): ConfigError {
    return new ConfigError(`${this.file}:${this.line(path)}: ${path.join('.')}`, reason);
  }

  /** A key given twice: JSON.parse keeps the last, a reader of the file sees the first. */
  refuseDuplicateKeys(): void {
    const walk = (node: Node, path: (string | number)[]) => {
      if (node.type === 'object') {
        const seen = new Set<string>();
        for (const prop of node.children ?? []) {
          const [key, value] = prop.children ?? [];
          const name = String(key?.value);
          if (seen.has(name))
            throw new ConfigError(
              `${this.file}:${this.lineAt(prop.offset)}: ${[...path, name].join('.')}`,
              'is given twice',
            );
          seen.add(name);
          if (value) walk(value, [...path, name]);
        }
      } else if (node.type === 'array') {
        (node.children ?? []).forEach((child, i) => walk(child, [...path, i]));
      }
    };
    if (this.#root) walk(this.#root, []);
  }
}

function definedTransaction(tranid: string, t: RawTransaction, where: Locator): DefinedTransaction {
  const at = ['transactions', tranid];
  const program = t.program as string;
  if ((BUILTIN_PROGRAMS as readonly string[]).includes(tranid))
    throw where.error([...at, 'program'], `${tranid} is built in: change it without "program"`);
  const base = dirname(resolve(where.file));
  const copybook = t.copybook === undefined ? undefined : readCopybook(base, t.copybook, [...at, 'copybook'], where);
  let defined: DefinedProgram;
  if (program === 'template') {
    if (!copybook)
      throw where.error([...at, 'program'], 'a template program needs "copybook": the COMMAREA its templates read');
    if (!t.templates) throw where.error([...at, 'program'], 'a template program needs "templates"');
    try {
      // The names its templates read: two items or conditions may not share one.
      viewShape(copybook.layout, copybook.name);
    } catch (err) {
      if (err instanceof CopybookError)
        throw where.error([...at, 'copybook'], `${copybook.file}:${err.line}: ${reasonOfCopybook(err)}`);
      throw err;
    }
    if (t.templates.text === undefined && t.templates.html === undefined)
      throw where.error([...at, 'templates'], 'give "text", "html" or both: the mail needs a body');
    defined = {
      kind: 'template',
      templates: mailTemplates(base, t.templates, [...at, 'templates'], where),
      output: outputFields(t.output ?? {}, copybook, [...at, 'output'], where),
    };
  } else {
    for (const key of ['templates', 'output'] as const)
      if (t[key] !== undefined) throw where.error([...at, key], `only a template program has "${key}"`);
    if ((BUILTIN_PROGRAMS as readonly string[]).includes(program)) {
      if (copybook) throw where.error([...at, 'copybook'], `${program} reads its own COMMAREA: give no copybook`);
      defined = { kind: 'builtin', name: program as BuiltinProgram };
    } else {
      defined = programModule(base, program, [...at, 'program'], where);
    }
  }
  const what =
    defined.kind === 'template'
      ? `a mail from templates (${copybook?.name ?? ''})`
      : defined.kind === 'builtin'
        ? `program ${defined.name}`
        : `program ${relative(base, defined.file)}`;
  return {
    tranid,
    program: defined,
    ...(copybook ? { copybook } : {}),
    enabled: t.enabled ?? true,
    ...(t.class !== undefined ? { tranclass: t.class } : {}),
    timeLimitMs: t.timeLimitMs ?? DEFAULT_TIME_LIMIT_MS,
    description: t.description ?? what,
    line: where.line(at),
  };
}

/**
 * One name, one program (CEMT SET PROGRAM names it): a template program is named by its
 * tranid, a module by its file; neither may take the name of a built-in program or another's.
 */
function refuseProgramClashes(defined: readonly DefinedTransaction[], where: Locator): void {
  const owners = new Map<string, string>(BUILTIN_PROGRAMS.map((p) => [p, `the built-in program ${p}`]));
  for (const d of defined) {
    const p = d.program;
    if (p.kind === 'builtin') continue;
    const [name, owner] =
      p.kind === 'template' ? [d.tranid, `the template program of ${d.tranid}`] : [p.name, `the module ${p.file}`];
    const other = owners.get(name);
    if (other !== undefined && other !== owner)
      throw where.error(['transactions', d.tranid, 'program'], `program name ${name} is ${other} already`);
    owners.set(name, owner);
  }
}

/** A file the region file names, beside it: its full path, or the error that says why not. */
function fileBeside(base: string, name: string, path: (string | number)[], where: Locator, what: string): string {
  const full = resolve(base, name);
  if (!existsSync(full)) throw where.error(path, `no ${what} ${name} (${full})`);
  if (!statSync(full).isFile()) throw where.error(path, `${name} is not a file`);
  return full;
}

function readCopybook(base: string, name: string, path: (string | number)[], where: Locator): DefinedCopybook {
  const file = fileBeside(base, name, path, where, 'copybook');
  const short = file.split(sep).pop() ?? name;
  const read = readSmallFile(file, COPYBOOK_BYTES);
  if (!read.ok) throw where.error(path, read.reason);
  // Read bounded here (a copybook is small), then parsed as the library parses one.
  const text = read.bytes.toString('latin1');
  try {
    return { file, name: short, text, layout: parseCopybook(text, short) };
  } catch (err) {
    // The copybook's own message names its line and column.
    if (err instanceof CopybookError)
      throw where.error(path, `${file}:${err.line}:${err.column}: ${reasonOfCopybook(err)}`);
    throw err;
  }
}

/** A CopybookError's reason, without the place it puts first. */
function reasonOfCopybook(err: CopybookError): string {
  return err.message.slice(`${err.source}:${err.line}:${err.column}: `.length);
}

/**
 * A program module: a .js or .mjs file in the region's `programs/` folder, beside the region
 * file. Its name (CEMT's PROGRAM) is its file's name without the extension, in upper case: a
 * CICS program name.
 */
function programModule(
  base: string,
  name: string,
  path: (string | number)[],
  where: Locator,
): Extract<DefinedProgram, { kind: 'module' }> {
  const folder = resolve(base, 'programs');
  const full = resolve(base, name);
  if (!full.startsWith(folder + sep))
    throw where.error(path, `"${name}" is not template, ${BUILTIN_PROGRAMS.join(', ')} or a module in ${folder}${sep}`);
  const m = /([^\\/]*)\.m?js$/.exec(full);
  if (!m) throw where.error(path, `${name}: a program module is a .js or .mjs file`);
  const program = (m[1] ?? '').toUpperCase();
  if (!NAME8.test(program))
    throw where.error(path, `${name}: a module's name is its program's name, ${NAME8_RULE}: ${program} is not`);
  return { kind: 'module', file: fileBeside(base, name, path, where, 'program module'), name: program };
}

function templateSource(base: string, raw: RawTemplate, path: (string | number)[], where: Locator): TemplateSource {
  const key = path.join('.');
  if (typeof raw === 'string') return { text: raw, file: where.file, key, inlineLine: where.line(path) };
  const file = fileBeside(base, raw.file, [...path, 'file'], where, 'template');
  const read = readSmallFile(file, TEMPLATE_FILE_BYTES);
  if (!read.ok) throw where.error([...path, 'file'], read.reason);
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(read.bytes);
  } catch {
    throw where.error([...path, 'file'], `${raw.file} is not UTF-8`);
  }
  if (decoded.length > TEMPLATE_SCHEMA.maxLength)
    throw where.error(
      [...path, 'file'],
      `${raw.file} holds ${decoded.length} characters; a template holds at most ${TEMPLATE_SCHEMA.maxLength}`,
    );
  return { text: decoded, file, key };
}

function mailTemplates(
  base: string,
  raw: NonNullable<RawTransaction['templates']>,
  path: (string | number)[],
  where: Locator,
): MailTemplates {
  const one = (name: Exclude<keyof typeof raw, 'attachments'>) => {
    const r = raw[name];
    return r === undefined ? {} : { [name]: templateSource(base, r, [...path, name], where) };
  };
  return {
    ...one('from'),
    ...one('replyTo'),
    to: templateSource(base, raw.to, [...path, 'to'], where),
    ...one('cc'),
    ...one('bcc'),
    subject: templateSource(base, raw.subject, [...path, 'subject'], where),
    ...one('text'),
    ...one('html'),
    attachments: (raw.attachments ?? []).map((a, i) => ({
      name: templateSource(base, a.name, [...path, 'attachments', i, 'name'], where),
      body: templateSource(base, a.body, [...path, 'attachments', i, 'body'], where),
      ...(a.contentType !== undefined ? { contentType: a.contentType.toLowerCase() } : {}),
    })),
  };
}

/** What each output field must be to hold what goes in it. */
const OUTPUT_RULES: Record<keyof OutputFields, { numeric: boolean; min: number; holds: string }> = {
  rc: { numeric: true, min: 2, holds: 'the return code: a numeric item of 2 digits or more' },
  reason: { numeric: false, min: 8, holds: 'the 8-character reason: an alphanumeric item of 8 or more' },
  messageId: { numeric: false, min: 1, holds: 'the Message-ID: an alphanumeric item' },
  journalSeq: { numeric: true, min: 9, holds: 'the journal sequence number: a numeric item of 9 digits or more' },
  relayReply: { numeric: false, min: 1, holds: "the relay's reply: an alphanumeric item" },
};

function outputFields(
  raw: Partial<Record<keyof OutputFields, string | undefined>>,
  copybook: DefinedCopybook,
  path: (string | number)[],
  where: Locator,
): OutputFields {
  const out: Record<string, string> = {};
  const used = new Map<string, string>();
  for (const [key, name] of Object.entries(raw) as [keyof OutputFields, string | undefined][]) {
    if (name === undefined) continue;
    const cobol = name.toUpperCase();
    const at = [...path, key];
    const item = copybook.layout.items.get(cobol);
    if (!item) throw where.error(at, `${cobol} is not an item of ${copybook.name}`);
    if (item.kind !== 'elementary') throw where.error(at, `${cobol} is a group: give an elementary item`);
    const rule = OUTPUT_RULES[key];
    if (!fits(item, rule)) throw where.error(at, `${cobol} (PIC ${item.picture.source}) cannot hold ${rule.holds}`);
    if (item.dimensions.length > 0) throw where.error(at, `${cobol} is in a table (OCCURS): give an item outside one`);
    const other = used.get(cobol);
    if (other) throw where.error(at, `${cobol} is the output field of ${other} already`);
    used.set(cobol, key);
    out[key] = cobol;
  }
  return out;
}

function fits(item: ElementaryItem, rule: { numeric: boolean; min: number }): boolean {
  if (rule.numeric)
    return item.picture.category === 'numeric' && item.picture.scale === 0 && item.picture.length >= rule.min;
  return item.picture.category === 'alphanumeric' && item.size >= rule.min;
}
