// Reads a COBOL copybook (fixed format: sequence area in columns 1–6, indicator in 7,
// code in 8–72) into a RecordLayout with the offsets an IBM compiler gives.
import { CopybookError } from './errors.js';
import { jsonNameOf } from './layout.js';
import type { Condition, ElementaryItem, GroupItem, Item, Occurs, Picture, RecordLayout, Usage } from './layout.js';

interface Token {
  readonly text: string;
  readonly line: number;
  readonly column: number;
  /** A quoted literal (text without its quotes). */
  readonly literal?: boolean;
}

/** One data description entry: from its level number to its separator period. */
interface Entry {
  readonly level: number;
  readonly tokens: readonly Token[];
  readonly at: Token;
}

function tokenize(text: string, source: string): Token[] {
  const tokens: Token[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i] ?? '';
    const lineNo = i + 1;
    if (raw.length < 7) {
      if (raw.trim() !== '' && !/^\d*\s*$/.test(raw)) {
        throw new CopybookError(
          source,
          lineNo,
          1,
          'text in the sequence area (columns 1-6); copybooks are fixed format',
        );
      }
      continue;
    }
    const indicator = raw[6];
    if (indicator === '*' || indicator === '/') continue;
    if (indicator === '-') throw new CopybookError(source, lineNo, 7, 'continuation lines are not supported');
    if (indicator !== ' ' && indicator !== 'D' && indicator !== 'd') {
      throw new CopybookError(source, lineNo, 7, `unknown indicator '${indicator}' in column 7`);
    }
    if (indicator !== ' ') continue; // debugging line
    const code = raw.slice(7, 72);
    let pos = 0;
    while (pos < code.length) {
      const ch = code[pos] ?? '';
      if (ch === ' ' || ch === '\t' || ch === ',' || ch === ';') {
        pos++;
        continue;
      }
      const column = pos + 8;
      if (ch === "'" || ch === '"') {
        let end = pos + 1;
        let value = '';
        for (;;) {
          if (end >= code.length) throw new CopybookError(source, lineNo, column, 'literal not closed on its line');
          const c = code[end] ?? '';
          if (c === ch) {
            if (code[end + 1] === ch) {
              value += ch;
              end += 2;
              continue;
            }
            break;
          }
          value += c;
          end++;
        }
        tokens.push({ text: value, line: lineNo, column, literal: true });
        pos = end + 1;
        continue;
      }
      let end = pos;
      while (end < code.length && !/[\s,;]/.test(code[end] ?? ' ')) end++;
      let word = code.slice(pos, end);
      // A period ends an entry when a blank or the line's end follows it.
      const period = word.endsWith('.');
      if (period) word = word.slice(0, -1);
      if (word !== '') tokens.push({ text: word.toUpperCase(), line: lineNo, column });
      if (period) tokens.push({ text: '.', line: lineNo, column: column + word.length });
      pos = end;
    }
  }
  return tokens;
}

function entriesOf(tokens: Token[], source: string): Entry[] {
  const entries: Entry[] = [];
  let current: Token[] = [];
  for (const token of tokens) {
    if (token.text === '.' && !token.literal) {
      if (current.length > 0) {
        const head = current[0] as Token;
        if (!/^\d{1,2}$/.test(head.text))
          throw new CopybookError(source, head.line, head.column, `expected a level number, found '${head.text}'`);
        entries.push({ level: Number(head.text), tokens: current.slice(1), at: head });
      }
      current = [];
    } else {
      current.push(token);
    }
  }
  const last = current[0];
  if (last) throw new CopybookError(source, last.line, last.column, 'entry is not ended by a period');
  return entries;
}

const USAGES: Record<string, Usage> = {
  DISPLAY: 'display',
  COMP: 'binary',
  COMPUTATIONAL: 'binary',
  'COMP-4': 'binary',
  'COMPUTATIONAL-4': 'binary',
  BINARY: 'binary',
  'COMP-5': 'comp-5',
  'COMPUTATIONAL-5': 'comp-5',
  'COMP-3': 'packed',
  'COMPUTATIONAL-3': 'packed',
  'PACKED-DECIMAL': 'packed',
};

/** One symbol of a picture string and how many times it stands in a row (`X(3)X` is X 4). */
interface Run {
  readonly symbol: string;
  count: number;
}

/** The runs of a picture string, adjacent repeats of one symbol merged; undefined where it cannot be read. */
function runsOf(text: string, fail: (reason: string) => never): Run[] | undefined {
  const runs: Run[] = [];
  const re = /(CR|DB|[AXSVPZB9.,+\-*$/0])(?:\((\d+)\))?/giy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < text.length && ((re.lastIndex = pos), (m = re.exec(text)) !== null)) {
    const symbol = (m[1] ?? '').toUpperCase();
    const count = m[2] === undefined ? 1 : Number(m[2]);
    if (count < 1) fail(`PIC ${text}: repeat count must be at least 1`);
    const last = runs.at(-1);
    if (last?.symbol === symbol) last.count += count;
    else runs.push({ symbol, count });
    pos = re.lastIndex;
  }
  return pos === text.length && runs.length > 0 ? runs : undefined;
}

/**
 * A picture string read as runs of symbols, never written out: `PIC X(999999999)` is one run,
 * not a string of a billion X.
 */
function parsePicture(text: string, at: Token, source: string): Picture {
  const fail = (reason: string): never => {
    throw new CopybookError(source, at.line, at.column, reason);
  };
  const runs = runsOf(text, fail) ?? fail(`PIC ${text} cannot be read`);
  const total = runs.reduce((sum, r) => sum + r.count, 0);
  if (!Number.isSafeInteger(total)) fail(`PIC ${text} is too long`);
  // One letter a run: the shapes of the expanded picture, with S and V at most once each.
  const shape = runs.map((r) => r.symbol).join('');
  if (/^[XA]+$/.test(shape)) return { category: 'alphanumeric', length: total, signed: false, scale: 0, source: text };
  const numeric = /^(S?)(P?)(9?)(?:(V)(9?))?(P?)$/.exec(shape);
  const once = runs.every((r) => (r.symbol !== 'S' && r.symbol !== 'V') || r.count === 1);
  if (!numeric || !once) fail(`PIC ${text}: edited and mixed pictures are not supported`);
  // The count of the run each group matched, in order (an empty group matched none).
  const counts: number[] = [];
  let k = 0;
  for (const group of (numeric as RegExpExecArray).slice(1)) counts.push(group ? (runs[k++] as Run).count : 0);
  const [sign = 0, leadP = 0, intDigits = 0, , fracDigits = 0, trailP = 0] = counts;
  const length = intDigits + fracDigits;
  if (length === 0) fail(`PIC ${text} has no digit positions`);
  if (length > 31) fail(`PIC ${text}: more than 31 digits`);
  const scale = leadP > 0 ? leadP + length : fracDigits - trailP;
  return { category: 'numeric', length, signed: sign > 0, scale, source: text };
}

function literalValue(token: Token): string | number {
  if (token.literal) return token.text;
  switch (token.text) {
    case 'ZERO':
    case 'ZEROS':
    case 'ZEROES':
      return 0;
    case 'SPACE':
    case 'SPACES':
      return ' ';
    default:
      if (!NUMERIC_LITERAL.test(token.text)) return token.text;
      // A number keeps every digit; one a JS number cannot hold exactly stays decimal text.
      return token.text.replace(/[^0-9]/g, '').replace(/^0+/, '').length <= 15 ? Number(token.text) : token.text;
  }
}

/** A numeric literal as written (`-12.50`, `.5`); kept as text where it has more than 15 digits. */
export const NUMERIC_LITERAL = /^[+-]?\d*\.?\d+$/;

interface Draft {
  level: number;
  name: string;
  line: number;
  picture?: Picture;
  usage?: Usage;
  occurs?: Occurs;
  redefines?: string;
  value?: string | number;
  signPosition?: 'leading' | 'trailing';
  signSeparate?: boolean;
  conditions: Condition[];
  children: Draft[];
}

/** The tokens of one entry, read left to right, and the error that names where one is wrong. */
class Clauses {
  private i = 0;

  constructor(
    readonly entry: Entry,
    readonly source: string,
  ) {}

  get done(): boolean {
    return this.i >= this.entry.tokens.length;
  }

  peek(): Token | undefined {
    return this.entry.tokens[this.i];
  }

  next(): Token | undefined {
    return this.entry.tokens[this.i++];
  }

  /** Whether the next token is the keyword `word`: a literal never is one ('THRU' is a value). */
  at(word: string): boolean {
    const t = this.peek();
    return t !== undefined && t.text === word && !t.literal;
  }

  /** Takes the keyword `word` where it comes next (a noise word, IS, ARE, TIMES, or one that leads a phrase). */
  take(word: string): boolean {
    if (!this.at(word)) return false;
    this.i++;
    return true;
  }

  fail(token: Token | undefined, reason: string): never {
    const t = token ?? this.entry.at;
    throw new CopybookError(this.source, t.line, t.column, reason);
  }
}

/** A clause: what it reads after its keyword `t`, written into the draft. */
type Clause = (c: Clauses, draft: Draft, t: Token) => void;

function pictureClause(c: Clauses, draft: Draft, t: Token): void {
  c.take('IS');
  const p = c.next() ?? c.fail(t, 'PIC without a picture string');
  draft.picture = parsePicture(p.text, p, c.source);
}

function usageClause(c: Clauses, draft: Draft): void {
  c.take('IS');
  const u = c.next();
  const usage = u && !u.literal && Object.hasOwn(USAGES, u.text) ? USAGES[u.text] : undefined;
  draft.usage = usage ?? c.fail(u, `unsupported USAGE ${u?.text ?? ''}`);
}

/** A count of OCCURS: digits. */
function countOf(c: Clauses, t: Token, reason: string): { token: Token; count: number } {
  const n = c.next();
  if (!n || !/^\d+$/.test(n.text)) c.fail(n ?? t, reason);
  return { token: n, count: Number(n.text) };
}

function occursClause(c: Clauses, draft: Draft, t: Token): void {
  const { token: n, count: min } = countOf(c, t, 'OCCURS needs a count');
  const max = c.take('TO') ? countOf(c, t, 'OCCURS … TO needs a count').count : min;
  c.take('TIMES');
  let dependingOn: string | undefined;
  if (c.take('DEPENDING')) {
    c.take('ON');
    dependingOn = c.next()?.text || c.fail(t, 'DEPENDING ON needs a data name');
  }
  if (max < min) c.fail(n, `OCCURS ${min} TO ${max}: the maximum is below the minimum`);
  if (max > min && !dependingOn) c.fail(n, 'OCCURS … TO needs DEPENDING ON');
  draft.occurs = dependingOn ? { min, max, dependingOn } : { min, max };
  skipKeyPhrases(c);
}

const KEY_PHRASES = ['ASCENDING', 'DESCENDING', 'INDEXED'];

/** KEY and INDEXED BY phrases name things this layout has no use for: skipped, names and all. */
function skipKeyPhrases(c: Clauses): void {
  while (KEY_PHRASES.some((word) => c.at(word))) {
    c.next();
    c.take('KEY');
    c.take('IS');
    c.take('BY');
    for (let t = c.peek(); t && !t.literal && !KEY_PHRASES.includes(t.text) && !(t.text in KEYWORDS); t = c.peek())
      c.next();
  }
}

function redefinesClause(c: Clauses, draft: Draft, t: Token): void {
  draft.redefines = (c.next() ?? c.fail(t, 'REDEFINES needs a data name')).text;
}

const FIGURATIVE = ['ZERO', 'ZEROS', 'ZEROES', 'SPACE', 'SPACES'];

/** A literal, or a word that is not a keyword (a figurative constant is one). */
function isValue(t: Token | undefined): t is Token {
  return t !== undefined && (t.literal === true || !(t.text in KEYWORDS) || FIGURATIVE.includes(t.text));
}

/** VALUE: one literal for a data item; a list of literals and THRU ranges for a level 88. */
function valueClause(c: Clauses, draft: Draft, t: Token): void {
  c.take('IS');
  c.take('ARE');
  const values: Condition['values'][number][] = [];
  for (let v = c.peek(); isValue(v); v = c.peek()) {
    const from = literalValue(c.next() as Token);
    if (c.take('THRU') || c.take('THROUGH'))
      values.push([from, literalValue(c.next() ?? c.fail(t, 'THRU needs a value'))]);
    else values.push(from);
    if (c.entry.level !== 88) break;
  }
  const [first] = values;
  if (first === undefined) c.fail(t, 'VALUE needs a literal');
  if (c.entry.level === 88) draft.conditions.push({ name: draft.name, line: c.entry.at.line, values });
  else draft.value = typeof first === 'object' ? first[0] : first;
}

/** LEADING or TRAILING, and SEPARATE [CHARACTER] after it: with or without the word SIGN before. */
function signPosition(c: Clauses, draft: Draft, position: 'LEADING' | 'TRAILING'): void {
  draft.signPosition = position === 'LEADING' ? 'leading' : 'trailing';
  if (c.take('SEPARATE')) {
    c.take('CHARACTER');
    draft.signSeparate = true;
  }
}

function signClause(c: Clauses, draft: Draft, t: Token): void {
  c.take('IS');
  const pos = c.next();
  if (pos?.literal || (pos?.text !== 'LEADING' && pos?.text !== 'TRAILING'))
    c.fail(pos ?? t, 'SIGN needs LEADING or TRAILING');
  signPosition(c, draft, pos.text);
}

function unsupportedUsage(c: Clauses, _draft: Draft, t: Token): void {
  c.fail(t, `USAGE ${t.text} is not supported`);
}

/** Accepted; they do not change the layout of an unaligned record. */
const noEffect: Clause = () => undefined;

/** Each clause by its keyword. */
const CLAUSES = new Map<string, Clause>([
  ['PIC', pictureClause],
  ['PICTURE', pictureClause],
  ['USAGE', usageClause],
  ...Object.entries(USAGES).map(([word, usage]): [string, Clause] => [word, (_c, draft) => (draft.usage = usage)]),
  ...['COMP-1', 'COMP-2', 'POINTER', 'INDEX'].map((word): [string, Clause] => [word, unsupportedUsage]),
  ['OCCURS', occursClause],
  ['REDEFINES', redefinesClause],
  ['VALUE', valueClause],
  ['VALUES', valueClause],
  ['SIGN', signClause],
  ['LEADING', (c, draft) => signPosition(c, draft, 'LEADING')],
  ['TRAILING', (c, draft) => signPosition(c, draft, 'TRAILING')],
  ...['SYNC', 'SYNCHRONIZED', 'JUST', 'JUSTIFIED', 'RIGHT', 'BLANK', 'WHEN', 'ZERO', 'GLOBAL', 'EXTERNAL', 'IS'].map(
    (word): [string, Clause] => [word, noEffect],
  ),
]);

/** The data name an entry starts with: FILLER where it gives none. */
function nameOf(c: Clauses): string {
  const first = c.peek();
  if (!first || first.literal) return 'FILLER';
  if (first.text === 'FILLER') {
    c.next();
    return 'FILLER';
  }
  if (!/^[A-Z0-9][A-Z0-9-]*$/.test(first.text) || first.text in KEYWORDS) return 'FILLER';
  c.next();
  return first.text;
}

/** One entry as a draft: its name, then its clauses in any order. */
function draftOf(entry: Entry, source: string): Draft {
  const c: Clauses = new Clauses(entry, source);
  const draft: Draft = { level: entry.level, name: nameOf(c), line: entry.at.line, conditions: [], children: [] };
  while (!c.done) {
    const t = c.next() as Token;
    const clause = t.literal ? undefined : CLAUSES.get(t.text);
    if (!clause) c.fail(t, `unexpected '${t.text}'`);
    clause(c, draft, t);
  }
  return draft;
}

const KEYWORDS: Record<string, true> = Object.fromEntries(
  [
    'PIC',
    'PICTURE',
    'USAGE',
    'OCCURS',
    'TO',
    'TIMES',
    'DEPENDING',
    'ON',
    'REDEFINES',
    'VALUE',
    'VALUES',
    'SIGN',
    'LEADING',
    'TRAILING',
    'SEPARATE',
    'CHARACTER',
    'SYNC',
    'SYNCHRONIZED',
    'JUST',
    'JUSTIFIED',
    'BLANK',
    'WHEN',
    'IS',
    'ARE',
    'THRU',
    'THROUGH',
    'ASCENDING',
    'DESCENDING',
    'KEY',
    'INDEXED',
    'BY',
    'FILLER',
    'GLOBAL',
    'EXTERNAL',
    ...Object.keys(USAGES),
    'COMP-1',
    'COMP-2',
    'POINTER',
    'INDEX',
  ].map((k) => [k, true]),
);

function storageSize(picture: Picture, usage: Usage, signSeparate: boolean): number {
  if (picture.category === 'alphanumeric') return picture.length;
  switch (usage) {
    case 'display':
      return picture.length + (signSeparate ? 1 : 0);
    case 'packed':
      return Math.floor(picture.length / 2) + 1;
    case 'binary':
    case 'comp-5':
      return picture.length <= 4 ? 2 : picture.length <= 9 ? 4 : 8;
  }
}

/** Lays out the drafts from `offset`; returns the items and where the next one starts. */
function layOut(
  drafts: Draft[],
  offset: number,
  parentUsage: Usage | undefined,
  source: string,
  items: Map<string, Item>,
): { items: Item[]; end: number } {
  const out: Item[] = [];
  // The first item of each name at this level, for REDEFINES: a search of `out` each was quadratic.
  const byName = new Map<string, Item>();
  let pos = offset;
  let maxEnd = offset;
  for (const d of drafts) {
    let start = pos;
    if (d.redefines) {
      const target = byName.get(d.redefines);
      if (!target)
        throw new CopybookError(source, d.line, 1, `REDEFINES ${d.redefines}: no such item just before at this level`);
      start = target.offset;
    }
    const base = {
      level: d.level,
      name: d.name,
      jsonName: jsonNameOf(d.name),
      offset: start,
      line: d.line,
      ...(d.occurs ? { occurs: d.occurs } : {}),
      ...(d.redefines ? { redefines: d.redefines } : {}),
    };
    let item: Item;
    if (d.children.length > 0) {
      if (d.picture) throw new CopybookError(source, d.line, 1, `${d.name} has subordinate items and a PIC`);
      const inner = layOut(d.children, start, d.usage ?? parentUsage, source, items);
      const group: GroupItem = {
        ...base,
        kind: 'group',
        size: inner.end - start,
        children: inner.items,
        conditions: d.conditions,
      };
      item = group;
    } else {
      if (!d.picture) throw new CopybookError(source, d.line, 1, `${d.name} has no PIC and no subordinate items`);
      const usage = d.usage ?? parentUsage ?? 'display';
      if (d.picture.category === 'alphanumeric' && usage !== 'display') {
        throw new CopybookError(source, d.line, 1, `${d.name}: PIC ${d.picture.source} cannot have a numeric USAGE`);
      }
      if ((usage === 'binary' || usage === 'comp-5') && d.picture.length > 18) {
        throw new CopybookError(
          source,
          d.line,
          1,
          `${d.name}: binary items hold at most 18 digits, not ${d.picture.length}`,
        );
      }
      const elementary: ElementaryItem = {
        ...base,
        kind: 'elementary',
        picture: d.picture,
        usage,
        size: storageSize(d.picture, usage, d.signSeparate === true),
        dimensions: [],
        conditions: d.conditions,
        ...(d.value !== undefined ? { value: d.value } : {}),
        ...(d.signPosition ? { signPosition: d.signPosition } : {}),
        ...(d.signSeparate ? { signSeparate: true } : {}),
      };
      item = elementary;
    }
    if (d.name !== 'FILLER') {
      if (items.has(d.name)) throw new CopybookError(source, d.line, 1, `${d.name} is declared twice`);
      items.set(d.name, item);
    }
    out.push(item);
    if (!byName.has(item.name)) byName.set(item.name, item);
    const count = d.occurs ? d.occurs.max : 1;
    const end = start + item.size * count;
    if (!d.redefines) pos = end;
    maxEnd = Math.max(maxEnd, end, pos);
  }
  return { items: out, end: maxEnd };
}

/**
 * Parses a copybook that holds one record (an 01 or 77 level, or level 05… items that a
 * record is made of). `source` names it in errors.
 */
export function parseCopybook(text: string, source = 'copybook'): RecordLayout {
  const entries = entriesOf(tokenize(text, source), source);
  if (entries.length === 0) throw new CopybookError(source, 1, 1, 'no data description entries');
  const roots: Draft[] = [];
  // Open groups with the level they were declared at (77 counts as 01).
  const stack: { level: number; draft: Draft }[] = [];
  let lastData: Draft | undefined;
  for (const entry of entries) {
    const level = entry.level;
    if (level === 66)
      throw new CopybookError(source, entry.at.line, entry.at.column, 'level 66 (RENAMES) is not supported');
    if (level !== 77 && level !== 88 && (level < 1 || level > 49)) {
      throw new CopybookError(source, entry.at.line, entry.at.column, `level ${level} is not 01-49, 77 or 88`);
    }
    const draft = draftOf(entry, source);
    if (level === 88) {
      if (!lastData) throw new CopybookError(source, entry.at.line, entry.at.column, 'level 88 before any data item');
      if (draft.conditions.length === 0)
        throw new CopybookError(source, entry.at.line, entry.at.column, 'level 88 needs VALUE');
      lastData.conditions.push(...draft.conditions);
      continue;
    }
    const effective = level === 77 ? 1 : level;
    while (stack.length > 0 && (stack[stack.length - 1]?.level ?? 0) >= effective) stack.pop();
    const parent = stack[stack.length - 1];
    if (parent) parent.draft.children.push(draft);
    else roots.push(draft);
    stack.push({ level: effective, draft });
    lastData = draft;
  }
  const items = new Map<string, Item>();
  let rootDraft: Draft;
  if (roots.length === 1 && (roots[0] as Draft).children.length > 0) rootDraft = roots[0] as Draft;
  else rootDraft = { level: 0, name: 'RECORD', line: 1, conditions: [], children: roots };
  const laid = layOut([rootDraft], 0, undefined, source, items);
  const root = laid.items[0] as GroupItem;
  setDimensions(root, []);
  checkOccursDependingOn(root, items, source);
  checkConditionNames(root, items, source);
  const minLength = minLengthOf(root);
  return { root, minLength, maxLength: laid.end, items };
}

/** Gives every elementary item the strides of the tables it lies in (known once laid out). */
function setDimensions(item: Item, outer: readonly { stride: number; max: number }[]): void {
  const own = item.occurs ? [...outer, { stride: item.size, max: item.occurs.max }] : outer;
  if (item.kind === 'group') item.children.forEach((child) => setDimensions(child, own));
  else (item as { dimensions: readonly { stride: number; max: number }[] }).dimensions = own;
}

/** IBM allows OCCURS DEPENDING ON only as the record's last item here; check it. */
function checkOccursDependingOn(root: GroupItem, items: Map<string, Item>, source: string): void {
  const all: Item[] = [];
  const walk = (item: Item) => {
    all.push(item);
    if (item.kind === 'group') item.children.forEach(walk);
  };
  walk(root);
  for (const item of all) {
    const dep = item.occurs?.dependingOn;
    if (!dep) continue;
    const counter = items.get(dep);
    if (!counter || counter.kind !== 'elementary' || counter.picture.category !== 'numeric') {
      throw new CopybookError(source, item.line, 1, `${item.name}: DEPENDING ON ${dep} must name a numeric item`);
    }
    if (item.offset + item.size * (item.occurs?.max ?? 1) !== root.offset + root.size) {
      throw new CopybookError(
        source,
        item.line,
        1,
        `${item.name}: OCCURS DEPENDING ON must be the last item of the record`,
      );
    }
    if (counter.offset + counter.size > item.offset) {
      throw new CopybookError(source, item.line, 1, `${item.name}: DEPENDING ON ${dep} must come before the table`);
    }
  }
}

/** A condition name is a data name of its own: no item or other condition may have it. */
function checkConditionNames(root: GroupItem, items: ReadonlyMap<string, Item>, source: string): void {
  const seen = new Set<string>();
  const walk = (item: Item) => {
    for (const c of item.conditions) {
      if (items.has(c.name) || seen.has(c.name))
        throw new CopybookError(source, c.line, 1, `${c.name} is declared twice`);
      seen.add(c.name);
    }
    if (item.kind === 'group') item.children.forEach(walk);
  };
  walk(root);
}

function minLengthOf(root: GroupItem): number {
  let min = root.size;
  const walk = (item: Item) => {
    if (item.occurs?.dependingOn) min = Math.min(min, item.offset + item.size * item.occurs.min);
    if (item.kind === 'group') item.children.forEach(walk);
  };
  walk(root);
  return min;
}
