// Reads and writes the elementary items of a record in place, as an IBM COBOL program
// stores them: text in an EBCDIC code page, zoned and packed decimal with EBCDIC sign
// nibbles, big-endian binary.
import type { CodePage } from '../codepages.js';
import { FieldError } from './errors.js';
import type { ElementaryItem } from './layout.js';

const BLANK = 0x40;

/**
 * Where an occurrence of `item` starts. `index` counts from 0, one number per OCCURS the
 * item lies in (outermost first); a single number indexes the innermost.
 */
export function offsetOf(item: ElementaryItem, index: number | readonly number[] = 0): number {
  const dims = item.dimensions;
  if (typeof index === 'number') {
    if (index === 0) return item.offset;
    const inner = dims[dims.length - 1];
    if (!inner) throw new RangeError(`${item.name} is not in a table`);
    return item.offset + index * inner.stride;
  }
  let at = item.offset;
  index.forEach((i, k) => {
    const dim = dims[k];
    if (!dim) throw new RangeError(`${item.name} lies in ${dims.length} table(s), not ${index.length}`);
    at += i * dim.stride;
  });
  return at;
}

function ensureInside(buf: Uint8Array, item: ElementaryItem, at: number): void {
  if (at + item.size > buf.length) {
    throw new FieldError(
      item.name,
      'short',
      `the record ends at byte ${buf.length}, before the item ends at ${at + item.size}`,
    );
  }
}

/** The text of an alphanumeric item, trailing blanks dropped. */
export function readText(
  buf: Uint8Array,
  item: ElementaryItem,
  cp: CodePage,
  index: number | readonly number[] = 0,
): string {
  const at = offsetOf(item, index);
  ensureInside(buf, item, at);
  let end = at + item.size;
  while (end > at && buf[end - 1] === BLANK) end--;
  return cp.decode(buf.subarray(at, end));
}

/**
 * Writes text into an alphanumeric item, padded with blanks. Text longer than the item is
 * an error unless `truncate` is set (for values the region makes, such as a relay's reply).
 * A character the code page cannot hold is an error unless `substitute` is set.
 */
export function writeText(
  buf: Uint8Array,
  item: ElementaryItem,
  text: string,
  cp: CodePage,
  options: { index?: number | readonly number[]; truncate?: boolean; substitute?: boolean } = {},
): void {
  const at = offsetOf(item, options.index ?? 0);
  ensureInside(buf, item, at);
  if (!options.substitute) {
    const bad = cp.firstUnmappable(text);
    if (bad !== undefined) {
      const hex = bad.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0');
      throw new FieldError(item.name, 'bad-value', `U+${hex} cannot be written in CCSID ${cp.ccsid}`);
    }
  }
  const bytes = cp.encode(text);
  if (bytes.length > item.size && !options.truncate) {
    throw new FieldError(item.name, 'out-of-range', `${bytes.length} characters do not fit PIC X(${item.size})`);
  }
  const n = Math.min(bytes.length, item.size);
  buf.set(bytes.subarray(0, n), at);
  buf.fill(BLANK, at + n, at + item.size);
}

function limitOf(item: ElementaryItem): bigint {
  return 10n ** BigInt(item.picture.length);
}

function checkRange(item: ElementaryItem, value: bigint): void {
  if (!item.picture.signed && value < 0n) {
    throw new FieldError(item.name, 'out-of-range', `${value} is negative and PIC ${item.picture.source} has no sign`);
  }
  if (value >= limitOf(item) || value <= -limitOf(item)) {
    throw new FieldError(item.name, 'out-of-range', `${value} has more digits than PIC ${item.picture.source}`);
  }
}

/** All x'00' (LOW-VALUES) or all x'40' (SPACES): what MOVE LOW-VALUES/SPACES leaves. */
function isUnset(buf: Uint8Array, at: number, size: number): boolean {
  const first = buf[at];
  if (first !== 0x00 && first !== BLANK) return false;
  for (let i = at + 1; i < at + size; i++) if (buf[i] !== first) return false;
  return true;
}

function readPacked(buf: Uint8Array, item: ElementaryItem, at: number): bigint {
  if (isUnset(buf, at, item.size)) return 0n;
  let value = 0n;
  const last = at + item.size - 1;
  for (let i = at; i <= last; i++) {
    const byte = buf[i] as number;
    const hi = byte >> 4;
    const lo = byte & 0x0f;
    if (hi > 9) throw badNibble(item, i - at, byte, 'digit');
    value = value * 10n + BigInt(hi);
    if (i < last) {
      if (lo > 9) throw badNibble(item, i - at, byte, 'digit');
      value = value * 10n + BigInt(lo);
    } else {
      if (lo < 0x0a) throw badNibble(item, i - at, byte, 'sign');
      if (lo === 0x0d || lo === 0x0b) value = -value;
    }
  }
  return value;
}

function badNibble(item: ElementaryItem, byteIndex: number, byte: number, what: 'digit' | 'sign'): FieldError {
  const hex = byte.toString(16).toUpperCase().padStart(2, '0');
  return new FieldError(
    item.name,
    'bad-number',
    `invalid ${item.usage === 'packed' ? 'packed' : 'zoned'} decimal: byte ${byteIndex + 1} is x'${hex}', not a valid ${what}`,
  );
}

function writePacked(buf: Uint8Array, item: ElementaryItem, at: number, value: bigint): void {
  const negative = value < 0n;
  let digits = negative ? -value : value;
  // Sign: C/D for a signed PIC, F for an unsigned one (IBM's preferred signs).
  const nibble = item.picture.signed ? (negative ? 0x0d : 0x0c) : 0x0f;
  let high = true; // the sign takes the low nibble of the last byte
  for (let i = at + item.size - 1; i >= at; i--) {
    const d1 = Number(digits % 10n);
    digits /= 10n;
    if (high) {
      buf[i] = (d1 << 4) | nibble;
      high = false;
    } else {
      const d2 = Number(digits % 10n);
      digits /= 10n;
      buf[i] = (d2 << 4) | d1;
    }
  }
}

function readBinary(buf: Uint8Array, item: ElementaryItem, at: number): bigint {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const signed = item.picture.signed;
  switch (item.size) {
    case 2:
      return BigInt(signed ? view.getInt16(at) : view.getUint16(at));
    case 4:
      return BigInt(signed ? view.getInt32(at) : view.getUint32(at));
    default:
      return signed ? view.getBigInt64(at) : view.getBigUint64(at);
  }
}

function writeBinary(buf: Uint8Array, item: ElementaryItem, at: number, value: bigint): void {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const signed = item.picture.signed;
  const bits = BigInt(item.size * 8);
  const fits = signed ? value >= -(1n << (bits - 1n)) && value < 1n << (bits - 1n) : value >= 0n && value < 1n << bits;
  if (!fits) throw new FieldError(item.name, 'out-of-range', `${value} does not fit ${item.size} bytes of binary`);
  if (item.size === 2) {
    if (signed) view.setInt16(at, Number(value));
    else view.setUint16(at, Number(value));
  } else if (item.size === 4) {
    if (signed) view.setInt32(at, Number(value));
    else view.setUint32(at, Number(value));
  } else if (signed) {
    view.setBigInt64(at, value);
  } else {
    view.setBigUint64(at, value);
  }
}

function readZoned(buf: Uint8Array, item: ElementaryItem, at: number): bigint {
  if (isUnset(buf, at, item.size)) return 0n;
  const separate = item.signSeparate === true;
  const leading = item.signPosition === 'leading';
  let first = at;
  let last = at + item.size - 1;
  let negative = false;
  if (separate && item.picture.signed) {
    const signAt = leading ? first++ : last--;
    const s = buf[signAt];
    if (s === 0x60) negative = true;
    else if (s !== 0x4e) throw badNibble(item, signAt - at, s ?? 0, 'sign');
  }
  let value = 0n;
  for (let i = first; i <= last; i++) {
    const byte = buf[i] as number;
    const zone = byte >> 4;
    const digit = byte & 0x0f;
    if (digit > 9) throw badNibble(item, i - at, byte, 'digit');
    const signByte = !separate && (leading ? i === first : i === last);
    if (signByte) {
      if (zone === 0x0d || zone === 0x0b) negative = true;
      else if (zone < 0x0a) throw badNibble(item, i - at, byte, 'sign');
    } else if (zone !== 0x0f) {
      throw badNibble(item, i - at, byte, 'digit');
    }
    value = value * 10n + BigInt(digit);
  }
  return negative ? -value : value;
}

function writeZoned(buf: Uint8Array, item: ElementaryItem, at: number, value: bigint): void {
  const negative = value < 0n;
  let digits = negative ? -value : value;
  const separate = item.signSeparate === true && item.picture.signed;
  const leading = item.signPosition === 'leading';
  let first = at;
  let last = at + item.size - 1;
  if (separate) {
    buf[leading ? first++ : last--] = negative ? 0x60 : 0x4e;
  }
  for (let i = last; i >= first; i--) {
    buf[i] = 0xf0 | Number(digits % 10n);
    digits /= 10n;
  }
  if (item.picture.signed && !separate) {
    const signAt = leading ? first : last;
    buf[signAt] = (negative ? 0xd0 : 0xc0) | ((buf[signAt] as number) & 0x0f);
  }
}

/** The unscaled value of a numeric item (PIC 9(3)V99 holding 1.25 reads as 125n). */
export function readNumber(buf: Uint8Array, item: ElementaryItem, index: number | readonly number[] = 0): bigint {
  const at = offsetOf(item, index);
  ensureInside(buf, item, at);
  let value: bigint;
  switch (item.usage) {
    case 'packed':
      value = readPacked(buf, item, at);
      break;
    case 'display':
      value = readZoned(buf, item, at);
      break;
    case 'binary':
      value = readBinary(buf, item, at);
      checkRange(item, value);
      return value;
    case 'comp-5':
      return readBinary(buf, item, at);
  }
  if (value < 0n && !item.picture.signed) {
    throw new FieldError(item.name, 'bad-number', `a negative sign in PIC ${item.picture.source}, which has none`);
  }
  // An even number of digits leaves a spare first nibble in packed decimal: it must be 0.
  checkRange(item, value);
  return value;
}

/** Writes the unscaled value of a numeric item. */
export function writeNumber(
  buf: Uint8Array,
  item: ElementaryItem,
  value: bigint | number,
  index: number | readonly number[] = 0,
): void {
  const at = offsetOf(item, index);
  ensureInside(buf, item, at);
  const v = typeof value === 'bigint' ? value : BigInt(value);
  switch (item.usage) {
    case 'packed':
      checkRange(item, v);
      writePacked(buf, item, at, v);
      break;
    case 'display':
      checkRange(item, v);
      writeZoned(buf, item, at, v);
      break;
    case 'binary':
      checkRange(item, v);
      writeBinary(buf, item, at, v);
      break;
    case 'comp-5':
      writeBinary(buf, item, at, v);
      break;
  }
}
