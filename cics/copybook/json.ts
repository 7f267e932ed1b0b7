// The JSON view of a record (z/OS Connect style, docs/http.md): each item a
// property named after its COBOL name in lower case with `-` as `_`; groups are objects,
// tables arrays; text without trailing blanks; numbers as JSON numbers, or strings where
// they pass 2^53; a PIC X table with DEPENDING ON is one string and its count may be left
// out. FILLER and REDEFINES items have no property (the first definition speaks).
import type { CodePage } from '../codepages.js';
import { offsetOf, readNumber, readText, writeNumber, writeText } from './codec.js';
import { FieldError } from './errors.js';
import type { ElementaryItem, GroupItem, Item, RecordLayout } from './layout.js';
import { NUMERIC_LITERAL } from './parse.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** An EBCDIC blank: what a field's unused bytes hold. */
export const BLANK = 0x40;

/** Whether an item has a member of its own in the JSON view (not FILLER, not a REDEFINES). */
export function shown(item: Item): boolean {
  return item.name !== 'FILLER' && item.redefines === undefined;
}

/** A PIC X (one character) table with DEPENDING ON: one string in JSON. */
export function isCharTable(item: Item): boolean {
  return (
    item.kind === 'elementary' &&
    item.occurs?.dependingOn !== undefined &&
    item.picture.category === 'alphanumeric' &&
    item.size === 1
  );
}

// ---- decimal text <-> unscaled values -------------------------------------------------

function toDecimal(unscaled: bigint, scale: number): JsonValue {
  if (scale <= 0) {
    const v = unscaled * 10n ** BigInt(-scale);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  }
  const negative = unscaled < 0n;
  const digits = (negative ? -unscaled : unscaled).toString().padStart(scale + 1, '0');
  const text = `${negative ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
  // A JSON number where it keeps every digit; else the exact text.
  return unscaled <= BigInt(Number.MAX_SAFE_INTEGER) && unscaled >= -BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(text)
    : text;
}

/** Caller text quoted in a message, cut short: a number of a megabyte is no message. */
const clipped = (text: string) => (text.length > 40 ? `${text.slice(0, 40)}...` : text);

/** `digits` without its leading zeros ('' where all are). */
function significant(digits: string): string {
  let i = 0;
  while (digits.charCodeAt(i) === 0x30) i++;
  return digits.slice(i);
}

/** `digits` without its trailing zeros: a loop, as /0+$/ retries at every zero (quadratic on a long run). */
function withoutTrailingZeros(digits: string): string {
  let end = digits.length;
  while (end > 0 && digits.charCodeAt(end - 1) === 0x30) end--;
  return digits.slice(0, end);
}

function fromDecimal(item: ElementaryItem, path: string, value: unknown): bigint {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new FieldError(item.name, 'bad-value', `${path} is not a finite number`);
    text = numberText(value);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    throw new FieldError(item.name, 'bad-value', `${path} must be a number, not ${describe(value)}`);
  }
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === ''))
    throw new FieldError(item.name, 'bad-value', `${path} '${String(value).slice(0, 40)}' is not a number`);
  const [, sign = '', whole = '', fraction = ''] = m;
  const { scale, length, source } = item.picture;
  if (scale >= 0 && withoutTrailingZeros(fraction).length > scale) {
    throw new FieldError(item.name, 'out-of-range', `${path} ${clipped(text)} has more decimals than PIC ${source}`);
  }
  // Far too many digits is known from the text: BigInt() of a long one costs more than its
  // length. 20 to spare: a COMP-5 item holds what its bytes hold (20 digits), whatever its PIC.
  const integer = significant(whole);
  if (integer.length > Math.max(0, length - scale) + 20) {
    const unscaled = scale >= 0 ? integer + fraction.padEnd(scale, '0').slice(0, scale) : integer;
    throw new FieldError(
      item.name,
      'out-of-range',
      `${sign === '-' ? '-' : ''}${clipped(unscaled)} has more digits than PIC ${source}`,
    );
  }
  let unscaled: bigint;
  if (scale >= 0) {
    unscaled = BigInt((whole || '0') + fraction.padEnd(scale, '0').slice(0, scale));
  } else {
    const factor = 10n ** BigInt(-scale);
    const v = BigInt(whole || '0');
    if (v % factor !== 0n || /[1-9]/.test(fraction)) {
      throw new FieldError(
        item.name,
        'out-of-range',
        `${path} ${clipped(text)} is not a multiple of ${factor} (PIC ${source})`,
      );
    }
    unscaled = v / factor;
  }
  return sign === '-' ? -unscaled : unscaled;
}

/** A JS number as plain decimal text (no exponent). */
export function numberText(value: number): string {
  const text = String(value);
  if (!/e/i.test(text)) return text;
  const [mantissa = '0', exp = '0'] = text.toLowerCase().split('e');
  const negative = mantissa.startsWith('-');
  const [int = '', frac = ''] = mantissa.replace('-', '').split('.');
  const e = Number(exp);
  const digits = int + frac;
  const point = int.length + e;
  const out =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return (negative ? '-' : '') + out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

// ---- record -> JSON ---------------------------------------------------------------------

/** The JSON view of a record. The record may end early where a DEPENDING ON table does. */
export function recordToJson(buf: Uint8Array, layout: RecordLayout, cp: CodePage): JsonObject {
  return groupToJson(buf, layout.root, layout, cp, []);
}

function groupToJson(
  buf: Uint8Array,
  group: GroupItem,
  layout: RecordLayout,
  cp: CodePage,
  index: number[],
): JsonObject {
  const out: JsonObject = {};
  for (const item of group.children) {
    if (!shown(item)) continue;
    out[item.jsonName] = itemToJson(buf, item, layout, cp, index);
  }
  return out;
}

function countOf(buf: Uint8Array, item: Item, layout: RecordLayout, index: number[]): number {
  const occurs = item.occurs;
  if (!occurs) return 1;
  if (!occurs.dependingOn) return occurs.max;
  const counter = layout.items.get(occurs.dependingOn) as ElementaryItem;
  const n = Number(readNumber(buf, counter, index.slice(0, counter.dimensions.length)));
  if (n < occurs.min || n > occurs.max) {
    throw new FieldError(
      counter.name,
      'out-of-range',
      `${counter.name} is ${n}, outside OCCURS ${occurs.min} TO ${occurs.max}`,
    );
  }
  return n;
}

function itemToJson(buf: Uint8Array, item: Item, layout: RecordLayout, cp: CodePage, index: number[]): JsonValue {
  if (isCharTable(item)) {
    const n = countOf(buf, item, layout, index);
    const at = item.offset;
    if (at + n > buf.length)
      throw new FieldError(
        item.name,
        'short',
        `the record ends at byte ${buf.length}, before ${item.name} ends at ${at + n}`,
      );
    return cp.decode(buf.subarray(at, at + n));
  }
  const one = (i: number[]): JsonValue => {
    if (item.kind === 'group') return groupToJson(buf, item, layout, cp, i);
    if (item.picture.category === 'alphanumeric') return readText(buf, item, cp, i);
    return toDecimal(readNumber(buf, item, i), item.picture.scale);
  };
  if (!item.occurs) return one(index);
  const n = countOf(buf, item, layout, index);
  return Array.from({ length: n }, (_, k) => one([...index, k]));
}

// ---- JSON -> record ---------------------------------------------------------------------

export interface EncodeOptions {
  /** COBOL names of text items where a character the code page lacks may become SUB. */
  readonly substitutable?: ReadonlySet<string>;
  /**
   * A record to write the values over (a program's answer to the COMMAREA it was given):
   * what the JSON leaves out keeps these bytes, not VALUE, blanks or zeros, and the record
   * keeps its length unless a DEPENDING ON table is given.
   */
  readonly over?: Uint8Array;
}

export interface EncodedRecord {
  readonly bytes: Buffer;
  /** Characters written as SUB (x'3F') in substitutable items. */
  readonly substitutions: number;
}

/**
 * The record a JSON view describes. Missing properties are VALUE, blanks or zeros (or the
 * bytes of `over`); an unknown property, a wrong type or a value that does not fit is a
 * FieldError naming the item. A record with a DEPENDING ON table ends after its last
 * occurrence in use.
 */
export function jsonToRecord(
  value: unknown,
  layout: RecordLayout,
  cp: CodePage,
  options: EncodeOptions = {},
): EncodedRecord {
  const buf = Buffer.alloc(Math.max(layout.maxLength, options.over?.length ?? 0), BLANK);
  const state = { substitutions: 0, end: options.over?.length ?? layout.maxLength };
  if (options.over) buf.set(options.over);
  else fillDefaults(buf, layout.root, [], cp);
  objectToGroup(value, layout.root, layout, cp, buf, [], '', options, state);
  return { bytes: buf.subarray(0, state.end), substitutions: state.substitutions };
}

/** VALUE clauses, zeros for numbers; text is blank already. */
function fillDefaults(buf: Buffer, item: Item, index: number[], cp: CodePage): void {
  const count = item.occurs?.max ?? 1;
  for (let k = 0; k < count; k++) {
    const i = item.occurs ? [...index, k] : index;
    if (item.kind === 'group') {
      for (const child of item.children) if (child.redefines === undefined) fillDefaults(buf, child, i, cp);
    } else if (item.picture.category === 'numeric') {
      const v =
        typeof item.value === 'number' || (typeof item.value === 'string' && NUMERIC_LITERAL.test(item.value))
          ? fromDecimal(item, item.name, item.value)
          : 0n;
      writeNumber(buf, item, v, i);
    } else if (typeof item.value === 'string' && item.value.trim() !== '') {
      writeText(buf, item, item.value, cp, { index: i, truncate: true, substitute: true });
    }
  }
}

function objectToGroup(
  value: unknown,
  group: GroupItem,
  layout: RecordLayout,
  cp: CodePage,
  buf: Buffer,
  index: number[],
  path: string,
  options: EncodeOptions,
  state: { substitutions: number; end: number },
): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new FieldError(group.name, 'bad-value', `${path || 'the body'} must be an object, not ${describe(value)}`);
  }
  const obj = value as Record<string, unknown>;
  const byJson = new Map(group.children.filter(shown).map((c) => [c.jsonName, c]));
  for (const key of Object.keys(obj)) {
    if (!byJson.has(key))
      throw new FieldError(group.name, 'bad-value', `${path ? `${path}.` : ''}${key} is not an item of ${group.name}`);
  }
  // Tables first: a DEPENDING ON count left out is taken from its table.
  const derived = new Map<string, number>();
  for (const item of group.children.filter(shown)) {
    const dep = item.occurs?.dependingOn;
    const v = obj[item.jsonName];
    if (!dep || v === undefined) continue;
    const n = isCharTable(item) && typeof v === 'string' ? cp.encode(v).length : Array.isArray(v) ? v.length : NaN;
    if (!Number.isNaN(n)) derived.set(dep, n);
  }
  for (const item of group.children.filter(shown)) {
    const key = item.jsonName;
    const itemPath = path ? `${path}.${key}` : key;
    let v = obj[key];
    const fromTable = derived.get(item.name);
    if (fromTable !== undefined) {
      if (v === undefined) v = fromTable;
      else if (Number(v) !== fromTable) {
        throw new FieldError(
          item.name,
          'out-of-range',
          `${itemPath} is ${JSON.stringify(v)} but its table holds ${fromTable}`,
        );
      }
    }
    if (v === undefined) continue;
    valueToItem(v, item, layout, cp, buf, index, itemPath, options, state);
  }
}

function valueToItem(
  v: unknown,
  item: Item,
  layout: RecordLayout,
  cp: CodePage,
  buf: Buffer,
  index: number[],
  path: string,
  options: EncodeOptions,
  state: { substitutions: number; end: number },
): void {
  const occurs = item.occurs;
  if (isCharTable(item)) {
    const bytes = textBytes(v, item as ElementaryItem, path, cp, options, state);
    if (bytes.length > (occurs?.max ?? 0))
      throw new FieldError(
        item.name,
        'out-of-range',
        `${path} has ${bytes.length} characters; OCCURS allows ${occurs?.max}`,
      );
    bytes.copy(buf, item.offset);
    // OCCURS DEPENDING ON is the record's last item: the record ends with what is in use.
    state.end = item.offset + bytes.length;
    return;
  }
  const one = (x: unknown, i: number[], p: string) => {
    if (item.kind === 'group') return objectToGroup(x, item, layout, cp, buf, i, p, options, state);
    if (item.picture.category === 'alphanumeric') {
      const bytes = textBytes(x, item, p, cp, options, state);
      if (bytes.length > item.size)
        throw new FieldError(
          item.name,
          'out-of-range',
          `${p} has ${bytes.length} characters; PIC X(${item.size}) holds ${item.size}`,
        );
      const at = offsetOf(item, i);
      bytes.copy(buf, at);
      buf.fill(BLANK, at + bytes.length, at + item.size);
      return;
    }
    writeNumber(buf, item, fromDecimal(item, p, x), i);
  };
  if (!occurs) return one(v, index, path);
  if (!Array.isArray(v)) throw new FieldError(item.name, 'bad-value', `${path} must be an array, not ${describe(v)}`);
  if (v.length > occurs.max)
    throw new FieldError(item.name, 'out-of-range', `${path} has ${v.length} entries; OCCURS allows ${occurs.max}`);
  if (occurs.dependingOn && v.length < occurs.min)
    throw new FieldError(item.name, 'out-of-range', `${path} has ${v.length} entries; OCCURS needs ${occurs.min}`);
  v.forEach((x, k) => one(x, [...index, k], `${path}[${k}]`));
  if (occurs.dependingOn) state.end = item.offset + v.length * item.size;
}

/** A text value in the code page: an error where it cannot hold a character, unless SUB may stand in. */
function textBytes(
  v: unknown,
  item: ElementaryItem,
  path: string,
  cp: CodePage,
  options: EncodeOptions,
  state: { substitutions: number },
): Buffer {
  if (typeof v !== 'string')
    throw new FieldError(item.name, 'bad-value', `${path} must be a string, not ${describe(v)}`);
  const bad = cp.firstUnmappable(v);
  if (bad !== undefined) {
    if (options.substitutable?.has(item.name) !== true) throw unmappable(item, path, bad, cp);
    state.substitutions += countUnmappable(v, cp);
  }
  return cp.encode(v);
}

function unmappable(item: ElementaryItem, path: string, bad: string, cp: CodePage): FieldError {
  const hex = bad.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0');
  return new FieldError(item.name, 'bad-value', `${path}: U+${hex} '${bad}' cannot be written in CCSID ${cp.ccsid}`);
}

function countUnmappable(text: string, cp: CodePage): number {
  let n = 0;
  for (const ch of text) if (cp.firstUnmappable(ch) !== undefined) n++;
  return n;
}
