// The view of a record that a program or template reads: the JSON view (json.ts) with each
// level-88 condition name beside its item as true or false (`88 PS-NEGATIVE` of PS-NET-PAY is
// `ps_negative` next to `ps_net_pay`; in a table, a list like the item's). And its shape: which
// names there are, and what each holds, so a template can be checked before it runs.
//
// A condition compares as COBOL does: a numeric item by value (`VALUE 0 THRU 99.99`), an
// alphanumeric item or a group by its bytes, padded with blanks, in the code page's
// collating sequence (EBCDIC: `'A' THRU 'Z'` holds the bytes between x'C1' and x'E9').
import type { CodePage } from '../codepages.js';
import { CopybookError } from './errors.js';
import { BLANK, isCharTable, numberText, recordToJson, shown, type JsonObject, type JsonValue } from './json.js';
import type { Condition, ElementaryItem, GroupItem, Item, RecordLayout } from './layout.js';
import { jsonNameOf } from './layout.js';

// ---- shape ------------------------------------------------------------------------------

export type ViewShape =
  | { readonly kind: 'object'; readonly item: string; readonly fields: ReadonlyMap<string, ViewShape> }
  | { readonly kind: 'list'; readonly item: string; readonly max: number; readonly of: ViewShape }
  | { readonly kind: 'number'; readonly item: string }
  | { readonly kind: 'text'; readonly item: string }
  | { readonly kind: 'condition'; readonly item: string };

function itemShape(item: Item, source: string): ViewShape {
  let one: ViewShape;
  if (isCharTable(item)) return { kind: 'text', item: item.name };
  if (item.kind === 'group') one = groupShape(item, source);
  else one = { kind: item.picture.category === 'numeric' ? 'number' : 'text', item: item.name };
  return item.occurs ? { kind: 'list', item: item.name, max: item.occurs.max, of: one } : one;
}

function groupShape(group: GroupItem, source: string): ViewShape {
  const fields = new Map<string, ViewShape>();
  const add = (name: string, shape: ViewShape, line: number) => {
    if (fields.has(name)) {
      const other = fields.get(name)?.item ?? '';
      throw new CopybookError(source, line, 1, `${shape.item} and ${other} have the same JSON name ${name}`);
    }
    fields.set(name, shape);
  };
  for (const child of group.children) {
    if (!shown(child)) continue;
    add(child.jsonName, itemShape(child, source), child.line);
    if (isCharTable(child)) continue;
    for (const c of child.conditions) {
      const one: ViewShape = { kind: 'condition', item: c.name };
      add(
        jsonNameOf(c.name),
        child.occurs ? { kind: 'list', item: c.name, max: child.occurs.max, of: one } : one,
        c.line,
      );
    }
  }
  return { kind: 'object', item: group.name, fields };
}

/** The names of a record's view and what each holds; a CopybookError where two names clash. */
export function viewShape(layout: RecordLayout, source = 'copybook'): ViewShape {
  const root = groupShape(layout.root, source);
  // Conditions on the record itself stand beside its items.
  if (root.kind !== 'object') return root;
  const fields = new Map(root.fields);
  for (const c of layout.root.conditions) {
    const name = jsonNameOf(c.name);
    if (fields.has(name)) throw new CopybookError(source, c.line, 1, `${c.name} has the JSON name of an item: ${name}`);
    fields.set(name, { kind: 'condition', item: c.name });
  }
  return { ...root, fields };
}

// ---- values -----------------------------------------------------------------------------

/** The record's view: its JSON view with every condition name as true or false. */
export function recordView(buf: Uint8Array, layout: RecordLayout, cp: CodePage): JsonObject {
  const json = recordToJson(buf, layout, cp);
  const view = withConditions(json, layout.root, buf, 0, cp);
  for (const c of layout.root.conditions)
    view[jsonNameOf(c.name)] = holdsBytes(c, bytesAt(buf, layout.root.offset, layout.root.size), cp);
  return view;
}

function withConditions(json: JsonObject, group: GroupItem, buf: Uint8Array, shift: number, cp: CodePage): JsonObject {
  const out: JsonObject = {};
  for (const child of group.children) {
    if (!shown(child)) continue;
    const value = json[child.jsonName];
    if (value === undefined) continue;
    const one = (v: JsonValue, at: number): { value: JsonValue; conditions: [string, boolean][] } => {
      if (child.kind === 'group') {
        const inner = withConditions(v as JsonObject, child, buf, at - child.offset, cp);
        const bytes = bytesAt(buf, at, child.size);
        return {
          value: inner,
          conditions: child.conditions.map((c) => [jsonNameOf(c.name), holdsBytes(c, bytes, cp)]),
        };
      }
      return {
        value: v,
        conditions: child.conditions.map((c) => [jsonNameOf(c.name), holds(c, child, v, buf, at, cp)]),
      };
    };
    if (isCharTable(child)) {
      out[child.jsonName] = value;
    } else if (child.occurs && Array.isArray(value)) {
      const each = value.map((v, k) => one(v, child.offset + shift + k * child.size));
      out[child.jsonName] = each.map((e) => e.value);
      child.conditions.forEach((c, n) => {
        out[jsonNameOf(c.name)] = each.map((e) => e.conditions[n]?.[1] ?? false);
      });
    } else {
      const e = one(value, child.offset + shift);
      out[child.jsonName] = e.value;
      for (const [name, v] of e.conditions) out[name] = v;
    }
  }
  return out;
}

function bytesAt(buf: Uint8Array, at: number, size: number): Uint8Array {
  // A record cut short (OCCURS DEPENDING ON) reads as blanks past its end.
  const out = new Uint8Array(size).fill(BLANK);
  out.set(buf.subarray(at, Math.min(at + size, buf.length)));
  return out;
}

function holds(
  c: Condition,
  item: ElementaryItem,
  value: JsonValue,
  buf: Uint8Array,
  at: number,
  cp: CodePage,
): boolean {
  if (item.picture.category === 'alphanumeric') return holdsBytes(c, bytesAt(buf, at, item.size), cp);
  return c.values.some((v) =>
    typeof v === 'object'
      ? compareDecimal(value, v[0]) >= 0 && compareDecimal(value, v[1]) <= 0
      : compareDecimal(value, v) === 0,
  );
}

/** An alphanumeric comparison: bytes, the shorter padded with blanks. */
function holdsBytes(c: Condition, bytes: Uint8Array, cp: CodePage): boolean {
  const literal = (v: string | number): Uint8Array =>
    // ZERO (the parser's 0) against text is all zeros; a number is its digits.
    typeof v === 'number' ? cp.encode(v === 0 ? '0'.repeat(bytes.length) : numberText(v)) : cp.encode(v);
  return c.values.some((v) =>
    typeof v === 'object'
      ? compareBytes(bytes, literal(v[0])) >= 0 && compareBytes(bytes, literal(v[1])) <= 0
      : compareBytes(bytes, literal(v)) === 0,
  );
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a[i] ?? BLANK;
    const y = b[i] ?? BLANK;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** Compares two decimals given as JSON numbers or decimal text, exactly. */
function compareDecimal(a: JsonValue, b: string | number): number {
  const x = decimalParts(a);
  const y = decimalParts(b);
  if (!x || !y) return NaN;
  if (x.negative !== y.negative) return x.negative ? -1 : 1;
  const sign = x.negative ? -1 : 1;
  const scale = Math.max(x.frac.length, y.frac.length);
  const width = Math.max(x.int.length, y.int.length) + scale;
  const xs = (x.int + x.frac.padEnd(scale, '0')).padStart(width, '0');
  const ys = (y.int + y.frac.padEnd(scale, '0')).padStart(width, '0');
  return xs === ys ? 0 : (xs < ys ? -1 : 1) * sign;
}

function decimalParts(v: unknown): { negative: boolean; int: string; frac: string } | null {
  const text = typeof v === 'number' ? numberText(v) : typeof v === 'string' ? v.trim() : null;
  if (text === null) return null;
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(text);
  if (!m) return null;
  const int = (m[2] ?? '').replace(/^0+/, '');
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return { negative: m[1] === '-' && (int !== '' || frac !== ''), int, frac };
}

/**
 * A view as fields only, its condition names dropped: what a program answers with (its view,
 * changed) encoded through its copybook. A name the view does not have is kept, for the
 * encoder to refuse by name.
 */
export function fieldsOf(value: unknown, shape: ViewShape): unknown {
  if (shape.kind === 'list') return Array.isArray(value) ? value.map((v) => fieldsOf(v, shape.of)) : value;
  if (shape.kind !== 'object' || value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [name, v] of Object.entries(value)) {
    const field = shape.fields.get(name);
    const of = field?.kind === 'list' ? field.of : field;
    if (of?.kind === 'condition') continue;
    out[name] = field ? fieldsOf(v, field) : v;
  }
  return out;
}
