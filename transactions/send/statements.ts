// SEND's control statements (contract: send-statements.md): the decoded lines of one
// request in, one item a mail out, in input order. Pure: the caller verifies the sender,
// composes, journals and sends. A broken mail becomes one error item and the parser
// goes on with the next, as the contract wants.
import libmime from 'libmime';
import { parseAddressList, type Address } from '../../cics/addresses.js';
import type { Attachment, Importance, Priority, Sensitivity } from '../mail/compose.js';
import type { Reason } from '../errors.js';
import { codePage, type CodePage } from '../../cics/codepages.js';
import { makeReport, readReportOptions, REPORT_KEYS, type ReportInput, type ReportOptions } from '../report/report.js';

export interface Symbols {
  readonly date: string;
  readonly time: string;
  readonly userid: string;
  readonly tranid: string;
  readonly taskn: string;
  readonly jobname: string;
  readonly sysid: string;
}

const SYMBOL_NAMES = new Map<string, keyof Symbols>([
  ['DATE', 'date'],
  ['TIME', 'time'],
  ['USERID', 'userid'],
  ['TRANID', 'tranid'],
  ['TASKN', 'taskn'],
  ['JOBNAME', 'jobname'],
  ['SYSID', 'sysid'],
]);
// A name runs over letters and digits, so `&DATEX` is an unknown symbol, not &DATE + X.
const SYMBOL = /&&|&([A-Za-z][A-Za-z0-9]*)/g;

/** &DATE &TIME &USERID &TRANID &TASKN &JOBNAME &SYSID substituted (case-insensitive names), `&&` is one `&`, an unknown symbol left as written. */
export function substituteSymbols(text: string, symbols: Symbols): string {
  if (!text.includes('&')) return text;
  return text.replace(SYMBOL, (match, name: string | undefined) => {
    if (name === undefined) return '&';
    const key = SYMBOL_NAMES.get(asciiUpper(name));
    return key === undefined ? match : symbols[key];
  });
}

export interface SendMail {
  /** null: no FROM statement (the caller decides: default sender or NOFROM). */
  readonly from: Address | null;
  readonly replyTo?: Address;
  readonly to: readonly Address[];
  readonly cc: readonly Address[];
  readonly bcc: readonly Address[];
  /** Symbols substituted. */
  readonly subject: string;
  readonly importance: Importance;
  readonly priority?: Priority;
  /** CONFIDENTIAL maps to 'company-confidential' (Outlook writes it so). */
  readonly sensitivity?: Sensitivity;
  readonly receipt?: Address;
  readonly format: 'text' | 'html';
  /** TEXT lines joined with '\n', symbols substituted; '' where no TEXT. */
  readonly body: string;
  readonly attachments: readonly Attachment[];
}

export type SendItem =
  | { readonly ok: true; readonly line: number; readonly mail: SendMail }
  | { readonly ok: false; readonly line: number; readonly reason: Reason; readonly message: string };

type Failure = Omit<Extract<SendItem, { ok: false }>, 'ok'>;

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** A mail being read: SendMail's fields as they fill, and what reading needs. */
interface Draft extends Writable<Omit<SendMail, 'to' | 'cc' | 'bcc' | 'body' | 'attachments'>> {
  /** The first statement line of the mail. */
  readonly line: number;
  failure?: Failure;
  /** Statements that may appear once a mail, with the line of the first. */
  readonly seen: Map<string, number>;
  readonly to: Address[];
  readonly cc: Address[];
  readonly bcc: Address[];
  readonly body: string[];
  readonly attachments: Attachment[];
}

const STATEMENTS = new Set([
  'FROM',
  'TO',
  'CC',
  'BCC',
  'REPLYTO',
  'SUBJECT',
  'IMPORTANCE',
  'PRIORITY',
  'SENSITIVITY',
  'RECEIPT',
  'FORMAT',
  'TEXT',
  'ENDTEXT',
  'ATTACH',
  'ENDATTACH',
  'SEND',
]);
const ONCE_A_MAIL = new Set([
  'FROM',
  'REPLYTO',
  'SUBJECT',
  'IMPORTANCE',
  'PRIORITY',
  'SENSITIVITY',
  'RECEIPT',
  'FORMAT',
]);
const CHOICES: ReadonlyMap<string, ReadonlyMap<string, string>> = new Map([
  [
    'IMPORTANCE',
    new Map([
      ['LOW', 'low'],
      ['NORMAL', 'normal'],
      ['HIGH', 'high'],
    ]),
  ],
  [
    'PRIORITY',
    new Map([
      ['NON-URGENT', 'non-urgent'],
      ['NORMAL', 'normal'],
      ['URGENT', 'urgent'],
    ]),
  ],
  [
    'SENSITIVITY',
    new Map([
      ['PERSONAL', 'personal'],
      ['PRIVATE', 'private'],
      ['CONFIDENTIAL', 'company-confidential'],
      ['COMPANY-CONFIDENTIAL', 'company-confidential'],
    ]),
  ],
  [
    'FORMAT',
    new Map([
      ['TEXT', 'text'],
      ['HTML', 'html'],
    ]),
  ],
]);
const ADDRESS_REASON: Record<string, Reason> = {
  FROM: 'BADFROM',
  REPLYTO: 'BADREPTO',
  RECEIPT: 'BADOPER',
  TO: 'BADTO',
  CC: 'BADCC',
  BCC: 'BADBCC',
};
// C0, DEL and C1: any of them in a statement could end a header line early.
const CONTROL = /[\x00-\x1f\x7f-\x9f]/;
// RFC 6838 4.2 restricted names.
const MIME_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/;

// ASCII only: 'ı'.toUpperCase() is 'I', and 'ſend' must not end a mail.
const asciiUpper = (s: string) => s.replace(/[a-z]+/g, (m) => m.toUpperCase());
// Caller text quoted in a message, cut short: a report line is not the place for 100 kB.
// '...', not an ellipsis: the report goes back in EBCDIC, which has none.
const clip = (s: string, max = 40) => (s.length > max ? `${s.slice(0, max)}...` : s);

// Loops, not / +$/: that regex is quadratic on a long run of blanks inside a line.
function skipBlanks(s: string, from: number): number {
  let i = from;
  while (s.charCodeAt(i) === 0x20) i++;
  return i;
}
function trimBlanks(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x20) end--;
  return s.slice(skipBlanks(s, 0), end);
}

function splitStatement(raw: string, start: number): { word: string; keyword: string; operand: string } {
  const blank = raw.indexOf(' ', start);
  const end = blank === -1 ? raw.length : blank;
  const word = raw.slice(start, end);
  return { word, keyword: asciiUpper(word), operand: trimBlanks(raw.slice(end)) };
}

/** A closing ENDTEXT / ENDATTACH, operand or not, found without splitting the line. */
function isCloser(raw: string, closer: string): boolean {
  const start = skipBlanks(raw, 0);
  const next = raw.charCodeAt(start + closer.length);
  return (Number.isNaN(next) || next === 0x20) && asciiUpper(raw.slice(start, start + closer.length)) === closer;
}

function controlFailure(text: string, line: number, where?: string): Failure | undefined {
  const at = text.search(CONTROL);
  if (at === -1) return undefined;
  return {
    line,
    reason: 'CTLCHAR',
    message: `control character ${codePoint(text, at)} ${where ?? `at column ${at + 1}`}`,
  };
}

const codePoint = (text: string, at: number) => `U+${text.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0')}`;

function newDraft(line: number): Draft {
  return {
    line,
    seen: new Map(),
    from: null,
    to: [],
    cc: [],
    bcc: [],
    subject: '',
    importance: 'normal',
    format: 'text',
    body: [],
    attachments: [],
  };
}

function finish(draft: Draft): SendItem {
  if (draft.failure) return { ok: false, ...draft.failure };
  if (draft.to.length + draft.cc.length + draft.bcc.length === 0) {
    return { ok: false, line: draft.line, reason: 'NORCPT', message: 'the mail has no TO, CC or BCC' };
  }
  // The optional fields are there only where a statement set them.
  const { line, failure: _, seen: __, body, ...fields } = draft;
  return { ok: true, line, mail: { ...fields, body: body.join('\n') } };
}

/** What an ATTACH that makes a report needs: the code page of the input, the mail's date. */
export interface ReportEnv {
  readonly cp: CodePage;
  readonly now: Date;
}

export function parseStatements(
  lines: readonly string[],
  symbols: Symbols,
  env: ReportEnv = { cp: codePage(37), now: new Date() },
): SendItem[] {
  const items: SendItem[] = [];
  let draft: Draft | undefined;
  let i = 0;
  while (i < lines.length) {
    const raw = lines[i] as string;
    const line = ++i;
    const start = skipBlanks(raw, 0);
    if (start === raw.length || raw[start] === '*') continue;
    const { word, keyword, operand } = splitStatement(raw, start);
    if (keyword === 'SEND') {
      const problem =
        controlFailure(raw, line) ??
        (operand === '' ? undefined : ({ line, reason: 'BADOPER', message: 'SEND takes no operand' } as const));
      // A broken SEND is reported even where it would end no mail.
      if (problem) draft ??= newDraft(line);
      if (draft) {
        draft.failure ??= problem;
        items.push(finish(draft));
      }
      draft = undefined;
      continue;
    }
    const mail = (draft ??= newDraft(line));
    if (keyword === 'TEXT' || keyword === 'ATTACH') {
      // The block is found first, whatever else is wrong, so that its lines are never
      // read as statements: a SEND inside the TEXT of a broken mail does not end it.
      const closer = `END${keyword}`;
      let end = i;
      while (end < lines.length && !isCloser(lines[end] as string, closer)) end++;
      const content = lines.slice(i, end);
      i = Math.min(end + 1, lines.length);
      mail.failure ??= addBlock(mail, { line, raw, keyword, operand, word }, content, lines[end], symbols, env);
      continue;
    }
    mail.failure ??= controlFailure(raw, line) ?? applyStatement(mail, { line, raw, keyword, operand, word }, symbols);
  }
  if (draft) items.push(finish(draft));
  // Also where the input is nothing but bare SENDs: the report needs a line to say so.
  if (items.length === 0) return [{ ok: false, line: 1, reason: 'NOMAIL', message: 'the input holds no mail' }];
  return items;
}

interface Statement {
  readonly line: number;
  readonly raw: string;
  /** Upper case. */
  readonly keyword: string;
  readonly operand: string;
  /** The keyword as written. */
  readonly word: string;
}

function applyStatement(
  mail: Draft,
  { line, keyword, operand, word }: Statement,
  symbols: Symbols,
): Failure | undefined {
  const failure = (reason: Reason, message: string): Failure => ({ line, reason, message });
  if (!STATEMENTS.has(keyword)) return failure('BADSTMT', `unknown statement ${clip(word)}`);
  if (keyword === 'ENDTEXT' || keyword === 'ENDATTACH')
    return failure('BADOPER', `${keyword} without ${keyword.slice(3)}`);
  if (operand === '') return failure('BADOPER', `${keyword} needs an operand`);
  if (ONCE_A_MAIL.has(keyword)) {
    const first = mail.seen.get(keyword);
    if (first !== undefined)
      return failure('BADOPER', `a second ${keyword} in one mail (the first is at line ${first})`);
    mail.seen.set(keyword, line);
  }
  const choices = CHOICES.get(keyword);
  if (choices) {
    const value = choices.get(asciiUpper(operand));
    if (value === undefined)
      return failure('BADOPER', `${keyword} is ${[...choices.keys()].join(', ')}, not '${clip(operand)}'`);
    if (keyword === 'IMPORTANCE') mail.importance = value as Importance;
    else if (keyword === 'PRIORITY') mail.priority = value as Priority;
    else if (keyword === 'SENSITIVITY') mail.sensitivity = value as Sensitivity;
    else mail.format = value as 'text' | 'html';
    return undefined;
  }
  if (keyword === 'SUBJECT') {
    mail.subject = substituteSymbols(operand, symbols);
    // A symbol's value comes from outside the statement: it must not break the header either.
    return controlFailure(mail.subject, line, 'in the subject once its symbols are substituted');
  }
  const reason = ADDRESS_REASON[keyword] ?? 'BADOPER';
  const parsed = parseAddressList(operand);
  if (!parsed.ok) return failure(reason, `${keyword}: ${clip(parsed.reason, 120)}`);
  const [first] = parsed.addresses;
  if (first === undefined) return failure(reason, `${keyword} holds no address`);
  if (keyword === 'TO' || keyword === 'CC' || keyword === 'BCC') {
    const list = keyword === 'TO' ? mail.to : keyword === 'CC' ? mail.cc : mail.bcc;
    for (const a of parsed.addresses) list.push(a);
    return undefined;
  }
  if (parsed.addresses.length > 1)
    return failure(reason, `${keyword} holds ${parsed.addresses.length} addresses, not one`);
  if (keyword === 'FROM') mail.from = first;
  else if (keyword === 'REPLYTO') mail.replyTo = first;
  else mail.receipt = first;
  return undefined;
}

/** A TEXT or ATTACH block; its problems in reading order: opener, end missing, content, closer. */
function addBlock(
  mail: Draft,
  { line, raw, keyword, operand }: Statement,
  content: readonly string[],
  closeRaw: string | undefined,
  symbols: Symbols,
  env: ReportEnv,
): Failure | undefined {
  const failure = (reason: Reason, message: string): Failure => ({ line, reason, message });
  const opener = controlFailure(raw, line);
  if (opener) return opener;
  let params: AttachParams | undefined;
  if (keyword === 'TEXT') {
    if (operand !== '') return failure('BADOPER', 'TEXT takes no operand');
  } else {
    const read = readAttachParams(operand);
    if (typeof read === 'string') return failure('BADOPER', read);
    if (read.name === undefined) return failure('NONAME', 'ATTACH without NAME=');
    params = read;
  }
  if (closeRaw === undefined)
    return failure(keyword === 'TEXT' ? 'NOENDTXT' : 'NOENDATT', `${keyword} without END${keyword}`);
  if (params === undefined) {
    for (const text of content) mail.body.push(substituteSymbols(text, symbols));
  } else {
    const made = makeAttachment(params, content, line, env);
    if ('reason' in made) return made;
    mail.attachments.push(made);
  }
  const closeLine = line + content.length + 1;
  const closing = splitStatement(closeRaw, skipBlanks(closeRaw, 0));
  return (
    controlFailure(closeRaw, closeLine) ??
    (closing.operand === ''
      ? undefined
      : { line: closeLine, reason: 'BADOPER', message: `${closing.keyword} takes no operand` })
  );
}

interface AttachParams {
  name?: string;
  type?: string;
  encoding?: 'TEXT' | 'BASE64';
  /** RECFM=, LRECL=, FORMAT= and the report options, keys upper case, values as written. */
  report: Map<string, string>;
}

/** NAME=, TYPE=, ENCODING= and the report options in any order; a value in double quotes may hold blanks. */
function readAttachParams(operand: string): AttachParams | string {
  const params: AttachParams = { report: new Map() };
  let i = 0;
  while (i < operand.length) {
    const eq = operand.indexOf('=', i);
    const blank = operand.indexOf(' ', i);
    if (eq === -1 || (blank !== -1 && blank < eq) || eq === i)
      return `'${clip(operand.slice(i, blank === -1 ? undefined : blank))}' is not KEYWORD=value`;
    const key = asciiUpper(operand.slice(i, eq));
    let value: string;
    if (operand[eq + 1] === '"') {
      const close = operand.indexOf('"', eq + 2);
      if (close === -1) return `the quoted value of ${clip(key)}= is not closed`;
      if (close + 1 < operand.length && operand[close + 1] !== ' ')
        return `a blank must follow the quoted value of ${clip(key)}=`;
      value = operand.slice(eq + 2, close);
      i = close + 1;
    } else {
      const end = operand.indexOf(' ', eq);
      value = operand.slice(eq + 1, end === -1 ? undefined : end);
      i = end === -1 ? operand.length : end;
    }
    i = skipBlanks(operand, i);
    if (REPORT_KEYS.includes(key)) {
      if (params.report.has(key)) return `a second ${key}= on one ATTACH`;
      if (value === '') return `${key}= is empty`;
      params.report.set(key, value);
      continue;
    }
    if (key !== 'NAME' && key !== 'TYPE' && key !== 'ENCODING')
      return `ATTACH has no parameter ${clip(key)}= (only NAME=, TYPE=, ENCODING=, ${REPORT_KEYS.join('=, ')}=)`;
    const field = key === 'NAME' ? 'name' : key === 'TYPE' ? 'type' : 'encoding';
    if (params[field] !== undefined) return `a second ${key}= on one ATTACH`;
    if (value === '') return `${key}= is empty`;
    if (field === 'type' && !MIME_TYPE.test(value)) return `TYPE=${clip(value)} is not a MIME type type/subtype`;
    if (field === 'encoding') {
      const encoding = asciiUpper(value);
      if (encoding !== 'TEXT' && encoding !== 'BASE64') return `ENCODING is TEXT or BASE64, not '${clip(value)}'`;
      params.encoding = encoding;
    } else {
      params[field] = value;
    }
  }
  return params;
}

function makeAttachment(
  { name = '', type, encoding = 'TEXT', report }: AttachParams,
  content: readonly string[],
  line: number,
  env: ReportEnv,
): Attachment | Failure {
  const options = readReportOptions(report);
  if (options !== undefined && 'code' in options)
    return { line, reason: options.code, message: `ATTACH ${clip(name)}: ${options.message}` };
  if (options !== undefined && encoding === 'TEXT') return reportOf(name, type, { lines: content }, options, line, env);
  if (encoding === 'TEXT')
    return { filename: name, contentType: type ?? 'text/plain', content: { text: content.join('\n') } };
  const problem = base64Problem(content);
  if (problem) {
    const at = problem.index === undefined ? line : line + 1 + problem.index;
    return { line: at, reason: 'BADB64', message: `ATTACH ${clip(name)}, line ${at}: ${problem.message}` };
  }
  const bytes = Buffer.from(content.join(''), 'base64');
  if (options !== undefined) return reportOf(name, type, { bytes }, options, line, env);
  return { filename: name, contentType: type ?? libmime.detectMimeType(name), content: { bytes } };
}

/** A report attachment, or the failure on the ATTACH line that asked for it. */
function reportOf(
  name: string,
  type: string | undefined,
  input: ReportInput,
  options: ReportOptions,
  line: number,
  { cp, now }: ReportEnv,
): Attachment | Failure {
  const made = makeReport({ name, input, options, cp, date: now, ...(type === undefined ? {} : { type }) });
  return 'code' in made ? { line, reason: made.code, message: `ATTACH ${clip(name)}: ${made.message}` } : made;
}

/** Strict base64 (RFC 4648 4): Buffer.from() would skip what is not base64 without a word. */
function base64Problem(content: readonly string[]): { index?: number; message: string } | undefined {
  let length = 0;
  let padding = 0;
  for (let k = 0; k < content.length; k++) {
    const text = content[k] as string;
    const bad = text.search(/[^A-Za-z0-9+/=]/);
    if (bad !== -1) {
      const shown = /[\x21-\x7e\xa0-\uffff]/.test(text[bad] as string) ? `'${text[bad]}'` : codePoint(text, bad);
      return { index: k, message: `${shown} at column ${bad + 1} is not base64` };
    }
    const eq = padding > 0 ? 0 : text.indexOf('=');
    if (eq !== -1) {
      if (/[^=]/.test(text.slice(eq))) return { index: k, message: `data after the '=' padding` };
      padding += text.length - eq;
      if (padding > 2) return { index: k, message: `more than two '=' of padding` };
    }
    length += text.length;
  }
  if (length % 4 !== 0) return { message: `${length} characters of base64, not a multiple of 4` };
  return undefined;
}
