// A COMMAREA field by field, as CECI shows one: each elementary item of the copybook with its
// offset, size, PICTURE and USAGE, its value as the JSON view has it and its bytes in hex.
// For the console's "Try a transaction" page, which sends the bytes itself and shows both sides.
import type { CodePage } from '../../cics/codepages.js';
import { recordToJson, type JsonValue } from '../../cics/copybook/json.js';
import type { GroupItem, Item, RecordLayout } from '../../cics/copybook/layout.js';

type JsonObject = { [key: string]: JsonValue };

export interface CommareaField {
  /** The COBOL name, with the occurrence in brackets inside a table: MC-BODY, T-LINE(2). */
  readonly name: string;
  /** Group nesting: 0 for the record's own items. */
  readonly depth: number;
  readonly offset: number;
  readonly size: number;
  /** PIC and USAGE as written; '' for a group. */
  readonly picture: string;
  readonly usage: string;
  /** The JSON view's value; null for a group. */
  readonly value: JsonValue;
  readonly hex: string;
}

export function hexOf(bytes: Uint8Array, from = 0, size = bytes.length - from): string {
  return Buffer.from(bytes.subarray(from, from + size))
    .toString('hex')
    .toUpperCase();
}

/** Lines a view shows one by one at most; the rest is one field that says how many. */
const MAX_LINE_FIELDS = 1000;

/**
 * EBCDIC text (SEND, SPOL) a line at a time: a line ends at NL (x'15') or LF (x'25'), shown
 * with its end. A run of empty lines is one field (`LINES 4-9`), and past MAX_LINE_FIELDS
 * fields the rest is one: a COMMAREA of 32,763 NLs made a view of 3.4 MB, a field a line.
 */
export function lineFields(bytes: Uint8Array, cp: CodePage): CommareaField[] {
  const out: CommareaField[] = [];
  const field = (name: string, offset: number, size: number, value: string, hex: string): CommareaField => ({
    name,
    depth: 0,
    offset,
    size,
    picture: '',
    usage: '',
    value,
    hex,
  });
  let start = 0;
  let line = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x15 && bytes[i] !== 0x25) continue;
    if (i === bytes.length && start === i) break;
    line++;
    if (out.length === MAX_LINE_FIELDS) {
      const total = linesIn(bytes);
      const more = `(${total - line + 1} more lines, not shown)`;
      out.push(field(`LINES ${line}-${total}`, start, bytes.length - start, more, ''));
      break;
    }
    const size = Math.min(i + 1, bytes.length) - start;
    const previous = out.at(-1);
    if (i === start && previous?.value === '' && previous.offset + previous.size === start) {
      // One more empty line in a run of them.
      const first = /^LINES? (\d+)/.exec(previous.name)?.[1] ?? String(line);
      out[out.length - 1] = { ...previous, name: `LINES ${first}-${line}`, size: previous.size + size, hex: '' };
    } else {
      out.push(field(`LINE ${line}`, start, size, cp.decode(bytes.subarray(start, i)), hexOf(bytes, start, size)));
    }
    start = i + 1;
  }
  return out;
}

/** Lines in EBCDIC text: each line end, and the text after the last one. */
function linesIn(bytes: Uint8Array): number {
  let lines = 0;
  for (const byte of bytes) if (byte === 0x15 || byte === 0x25) lines++;
  const last = bytes.at(-1);
  return last === undefined || last === 0x15 || last === 0x25 ? lines : lines + 1;
}

function shown(item: Item): boolean {
  return item.name !== 'FILLER' && item.redefines === undefined;
}

/** The fields of `bytes` read with `layout`; throws the copybook's FieldError where the bytes do not fit it. */
export function commareaFields(bytes: Uint8Array, layout: RecordLayout, cp: CodePage): CommareaField[] {
  const view = recordToJson(bytes, layout, cp);
  const out: CommareaField[] = [];
  walk(bytes, cp, layout.root, view, 0, 0, out);
  return out;
}

function walk(
  bytes: Uint8Array,
  cp: CodePage,
  group: GroupItem,
  view: JsonObject,
  base: number,
  depth: number,
  out: CommareaField[],
) {
  for (const item of group.children) {
    if (!shown(item)) continue;
    const value = view[item.jsonName] ?? null;
    const start = base + item.offset - group.offset;
    if (item.kind === 'elementary' && typeof value === 'string' && item.occurs?.dependingOn) {
      // A PIC X table DEPENDING ON a count: one string of as many bytes as are in use.
      const size = cp.encode(value).length;
      out.push(fieldOf(item, item.name, depth, start, size, value, bytes));
      continue;
    }
    const values = item.occurs ? (Array.isArray(value) ? value : []) : [value];
    values.forEach((one, k) => {
      const at = start + k * item.size;
      const name = item.occurs ? `${item.name}(${k + 1})` : item.name;
      if (item.kind === 'group') {
        out.push({ name, depth, offset: at, size: item.size, picture: '', usage: '', value: null, hex: '' });
        const nested = one !== null && typeof one === 'object' && !Array.isArray(one) ? one : {};
        walk(bytes, cp, item, nested, at, depth + 1, out);
      } else {
        out.push(fieldOf(item, name, depth, at, item.size, one ?? null, bytes));
      }
    });
  }
}

function fieldOf(
  item: Extract<Item, { kind: 'elementary' }>,
  name: string,
  depth: number,
  offset: number,
  size: number,
  value: JsonValue,
  bytes: Uint8Array,
): CommareaField {
  return {
    name,
    depth,
    offset,
    size,
    picture: item.picture.source,
    usage: item.usage === 'display' ? 'DISPLAY' : item.usage === 'packed' ? 'COMP-3' : item.usage.toUpperCase(),
    value,
    hex: hexOf(bytes, offset, size),
  };
}
