// SEND's control statements (contract: send-statements.md): the decoded lines of one
// request in, one item a mail out, in input order. Pure: the caller verifies the sender,
// composes, journals and sends. A broken mail becomes one error item and the parser
// goes on with the next, as the contract wants.
import { parseAddressList, type Address } from '../../cics/addresses.js';
import { codePage } from '../../cics/codepages.js';
import type { Importance, Priority, Sensitivity } from '../mail/compose.js';
import type { Reason } from '../errors.js';
import { makeAttachment, readAttachParams, type AttachParams, type ReportEnv, type SendAttachment } from './attach.js';
import { asciiUpper, clip, codePoint, skipBlanks, trimBlanks, type Failure } from './statement-text.js';
import { substituteSymbols, type Symbols } from './symbols.js';
import { CONTROL_OR_C1 } from '../../cics/characters.js';
import { burstKey } from '../../cics/burst-key.js';
import { mapName } from '../../journal/key-maps.js';

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
  /** Reports among them still to render (transactions/send/program.ts does, mail by mail). */
  readonly attachments: readonly SendAttachment[];
  /** KEYMAIL: a burst report's keys (upper case, blanks as one) and the recipients of their parts. */
  readonly keymail?: ReadonlyMap<string, readonly Address[]>;
  /** KEYMAP: the name (upper case) of a key map the region keeps, for the keys KEYMAIL does not give, and its line. */
  readonly keymap?: { readonly name: string; readonly line: number };
}

export type SendItem =
  { readonly ok: true; readonly line: number; readonly mail: SendMail } | ({ readonly ok: false } & Failure);

type Writable<T> = { -readonly [K in keyof T]: T[K] };

/** A mail being read: SendMail's fields as they fill, and what reading needs. */
interface Draft extends Writable<Omit<SendMail, 'to' | 'cc' | 'bcc' | 'body' | 'attachments' | 'keymail'>> {
  /** The first statement line of the mail. */
  readonly line: number;
  failure?: Failure;
  /** Statements that may appear once a mail, with the line of the first. */
  readonly seen: Map<string, number>;
  readonly to: Address[];
  readonly cc: Address[];
  readonly bcc: Address[];
  readonly body: string[];
  readonly attachments: SendAttachment[];
  readonly keymail: Map<string, Address[]>;
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
  'KEYMAIL',
  'KEYMAP',
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
  'KEYMAP',
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
  const at = text.search(CONTROL_OR_C1);
  if (at === -1) return undefined;
  return {
    line,
    reason: 'CTLCHAR',
    message: `control character ${codePoint(text, at)} ${where ?? `at column ${at + 1}`}`,
  };
}

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
    keymail: new Map(),
  };
}

function finish(draft: Draft): SendItem {
  if (draft.failure) return { ok: false, ...draft.failure };
  if (draft.to.length + draft.cc.length + draft.bcc.length + draft.keymail.size === 0 && !draft.keymap) {
    return { ok: false, line: draft.line, reason: 'NORCPT', message: 'the mail has no TO, CC or BCC' };
  }
  const bursts = draft.attachments.filter((a) => 'report' in a && a.report.parts !== undefined);
  if (draft.keymail.size > 0 && bursts.length === 0)
    return { ok: false, line: draft.line, reason: 'BADOPER', message: 'KEYMAIL without an ATTACH with BURST=' };
  if (draft.keymap && bursts.length === 0)
    return { ok: false, line: draft.keymap.line, reason: 'BADOPER', message: 'KEYMAP without an ATTACH with BURST=' };
  if (bursts.length > 1) {
    const second = bursts[1] as { line: number };
    return { ok: false, line: second.line, reason: 'BADOPER', message: 'a second ATTACH with BURST= in one mail' };
  }
  // The optional fields are there only where a statement set them.
  const { line, failure: _, seen: __, body, keymail, ...fields } = draft;
  return { ok: true, line, mail: { ...fields, body: body.join('\n'), ...(keymail.size > 0 ? { keymail } : {}) } };
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
    // The request's key is the region's to read (requestKeyOf), for the request as a whole.
    if (keyOperand(keyword, word, operand) !== undefined) continue;
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

/** The operand of a KEY statement (`KEY k` or `KEY=k`), or undefined where the line is another statement. */
function keyOperand(keyword: string, word: string, operand: string): string | undefined {
  if (keyword === 'KEY') return operand;
  return keyword.startsWith('KEY=') ? word.slice(4) + (operand === '' ? '' : ` ${operand}`) : undefined;
}

/**
 * The request key of a SEND input: the operand of its KEY statement, which may come once,
 * anywhere outside TEXT and ATTACH blocks; `problem` says what is wrong with it.
 */
export function requestKeyStatement(
  lines: readonly string[],
): { readonly key: string } | { readonly problem: string } | undefined {
  let found: { key: string; line: number } | undefined;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] as string;
    const start = skipBlanks(raw, 0);
    if (start === raw.length || raw[start] === '*') continue;
    const { word, keyword, operand } = splitStatement(raw, start);
    if (keyword === 'TEXT' || keyword === 'ATTACH') {
      const closer = `END${keyword}`;
      while (i + 1 < lines.length && !isCloser(lines[i + 1] as string, closer)) i++;
      i++;
      continue;
    }
    const key = keyOperand(keyword, word, operand);
    if (key === undefined) continue;
    if (found) return { problem: `a second KEY statement at line ${i + 1} (the first is at line ${found.line})` };
    if (key === '') return { problem: `KEY at line ${i + 1} needs an operand: the request key` };
    found = { key, line: i + 1 };
  }
  return found && { key: found.key };
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
  if (keyword === 'KEYMAIL') return keymail(mail, line, operand);
  if (keyword === 'KEYMAP') {
    const name = mapName(operand);
    if (typeof name !== 'string') return failure('BADOPER', `KEYMAP: ${name.message}`);
    mail.keymap = { name, line };
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

/** KEYMAIL key address...: the recipients of the parts with this key (`"BRANCH 0042"` in quotes where it holds blanks). */
function keymail(mail: Draft, line: number, operand: string): Failure | undefined {
  const failure = (message: string): Failure => ({ line, reason: 'BADOPER', message });
  let key: string;
  let rest: string;
  if (operand.startsWith('"')) {
    const close = operand.indexOf('"', 1);
    if (close === -1) return failure('the quoted key of KEYMAIL is not closed');
    key = operand.slice(1, close);
    rest = operand.slice(close + 1);
  } else {
    const blank = operand.indexOf(' ');
    key = blank === -1 ? operand : operand.slice(0, blank);
    rest = blank === -1 ? '' : operand.slice(blank);
  }
  if (burstKey(key) === '') return failure('KEYMAIL needs a key');
  const parsed = parseAddressList(trimBlanks(rest));
  if (!parsed.ok) return { line, reason: 'BADTO', message: `KEYMAIL ${clip(key)}: ${clip(parsed.reason, 120)}` };
  if (parsed.addresses.length === 0) return failure(`KEYMAIL ${clip(key)} holds no address`);
  const list = mail.keymail.get(burstKey(key)) ?? [];
  list.push(...parsed.addresses);
  mail.keymail.set(burstKey(key), list);
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
