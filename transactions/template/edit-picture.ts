// Numeric-edited pictures (`ZZ,ZZ9.99-`, `$$$,$$9.99`, `***,**9.99CR`, `9(5)`): the value a
// COBOL MOVE to such an item leaves in it, by the editing rules of the COBOL standard, which
// IBM's compilers follow. Digits the picture has no room for are truncated, not rounded, at
// both ends, as MOVE does; `editNumber` refuses what a person reading the mail would be misled
// by (high-order digits lost, a minus sign the picture cannot show) unless told to MOVE.
// test/transactions/template/gnucobol-pic.test.ts compares it with what GnuCOBOL edits.
import { numberText } from '../../cics/copybook/json.js';

export type EditSymbol =
  /** 9: a digit, always shown. */
  | { readonly kind: 'digit' }
  /** Z or *: a digit, or the fill while no significant digit has come. */
  | { readonly kind: 'suppress' }
  /** A member of a floating string ($$$, +++, ---); the first holds only the symbol. */
  | { readonly kind: 'float'; readonly digit: boolean }
  /** Simple insertion: B (a blank), 0, / and the comma. */
  | { readonly kind: 'insert'; readonly char: ' ' | '0' | '/' | ',' }
  | { readonly kind: 'point' }
  /** V: the decimal point's place, nothing shown. */
  | { readonly kind: 'implied' }
  /** A single $ (fixed insertion). */
  | { readonly kind: 'currency' }
  /** A single + or - at either end (fixed insertion). */
  | { readonly kind: 'sign'; readonly char: '+' | '-' }
  | { readonly kind: 'credit'; readonly text: 'CR' | 'DB' };

export interface EditPicture {
  /** As written. */
  readonly source: string;
  readonly symbols: readonly EditSymbol[];
  /** Digit positions before the decimal point (or V) and after it. */
  readonly intDigits: number;
  readonly fracDigits: number;
  /** Whether the picture can show a minus: +, -, CR or DB. */
  readonly signed: boolean;
  /** The floating string's symbol, where there is one. */
  readonly floating: '$' | '+' | '-' | null;
  /** `*` where zero suppression fills with asterisks, else a blank. */
  readonly fill: ' ' | '*';
  /** No 9: every digit position may be suppressed (a zero value then blanks the item). */
  readonly allSuppressed: boolean;
  /** Characters of the edited value. */
  readonly length: number;
}

/** The most digit positions a picture may have (IBM's limit with ARITH(EXTEND)). */
export const MAX_EDIT_DIGITS = 31;
/** The longest picture a template may give, expanded (`Z(200)` is a mistake, not a report). */
export const MAX_EDIT_LENGTH = 160;

/** A picture that is not a numeric-edited picture: says why. */
export class PictureError extends Error {
  readonly code = 'CICSMAIL_PICTURE';
  constructor(
    readonly picture: string,
    reason: string,
  ) {
    super(`PIC ${picture}: ${reason}`);
  }
}

type Raw = '9' | 'Z' | '*' | '$' | '+' | '-' | 'B' | '0' | '/' | ',' | '.' | 'V' | 'CR' | 'DB';

function expand(source: string): Raw[] {
  const text = source.trim();
  if (text === '') throw new PictureError(source, 'empty');
  const out: Raw[] = [];
  const re = /(CR|DB|[9ZB0/,.+\-*$V])(?:\((\d{1,4})\))?/iy;
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) {
      const ch = text[pos] ?? '';
      const why =
        ch.toUpperCase() === 'P'
          ? 'P (decimal scaling) is not supported in an edited picture'
          : ch.toUpperCase() === 'S'
            ? 'S has no place in an edited picture: show the sign with +, -, CR or DB'
            : ch === '('
              ? `a repeat count must follow a symbol, at position ${pos + 1}`
              : `'${ch}' at position ${pos + 1} is not a numeric-edited symbol`;
      throw new PictureError(source, why);
    }
    const symbol = (m[1] ?? '').toUpperCase() as Raw;
    const count = m[2] === undefined ? 1 : Number(m[2]);
    if (count < 1) throw new PictureError(source, 'a repeat count must be at least 1');
    if ((symbol === 'CR' || symbol === 'DB') && count !== 1)
      throw new PictureError(source, `${symbol} cannot be repeated`);
    if (out.length + count > MAX_EDIT_LENGTH)
      throw new PictureError(source, `longer than ${MAX_EDIT_LENGTH} characters`);
    for (let i = 0; i < count; i++) out.push(symbol);
    pos = re.lastIndex;
  }
  return out;
}

const INSERT: Partial<Record<Raw, ' ' | '0' | '/' | ','>> = { B: ' ', '0': '0', '/': '/', ',': ',' };

/** Reads a numeric-edited picture; a PictureError says what is wrong with it. */
export function parseEditPicture(source: string): EditPicture {
  const raw = expand(source);
  const fail = (reason: string): never => {
    throw new PictureError(source, reason);
  };
  const count = (s: Raw) => raw.filter((r) => r === s).length;
  const points = count('.') + count('V');
  if (points > 1) fail('more than one decimal point (. or V)');
  const credits = count('CR') + count('DB');
  if (credits > 1) fail('CR or DB may appear once');
  if (credits === 1 && raw[raw.length - 1] !== 'CR' && raw[raw.length - 1] !== 'DB')
    fail('CR and DB must be the rightmost symbol');
  const plus = count('+');
  const minus = count('-');
  if (plus > 0 && minus > 0) fail('+ and - cannot both appear');
  if ((plus > 0 || minus > 0) && credits > 0) fail('+ or - cannot appear with CR or DB');
  const dollars = count('$');
  const signChar: '+' | '-' | null = plus > 0 ? '+' : minus > 0 ? '-' : null;
  const signCount = plus + minus;
  const floating: '$' | '+' | '-' | null = dollars > 1 ? '$' : signCount > 1 ? signChar : null;
  if (dollars > 1 && signCount > 1) fail('only one of $ and + or - may float');
  const zeds = count('Z');
  const stars = count('*');
  if (zeds > 0 && stars > 0) fail('Z and * cannot both appear');
  if (floating && zeds + stars > 0) fail(`Z or * cannot appear with a floating ${floating} string`);

  // Where a floating string is, it is the leftmost run of its symbol (with insertion symbols
  // and the decimal point inside it); a fixed sign or $ may stand before it.
  const symbols: EditSymbol[] = [];
  let floatStart = -1;
  let floatEnd = -1;
  if (floating) {
    floatStart = raw.indexOf(floating);
    floatEnd = raw.lastIndexOf(floating);
    for (let i = floatStart; i <= floatEnd; i++) {
      const r = raw[i] as Raw;
      if (r !== floating && INSERT[r] === undefined && r !== '.' && r !== 'V')
        fail(`the floating ${floating} string is broken by ${r}`);
    }
  }
  let afterPoint = false;
  let seenDigit = false;
  let seenNine = false;
  let suppressAfterPoint = false;
  let intDigits = 0;
  let fracDigits = 0;
  const digit = () => (afterPoint ? fracDigits++ : intDigits++);
  for (let i = 0; i < raw.length; i++) {
    const r = raw[i] as Raw;
    const first = i === 0;
    const last = i === raw.length - 1;
    if (i >= floatStart && i <= floatEnd && r === floating) {
      if (i === floatStart) symbols.push({ kind: 'float', digit: false });
      else {
        symbols.push({ kind: 'float', digit: true });
        if (afterPoint) suppressAfterPoint = true;
        digit();
      }
      seenDigit = true;
      continue;
    }
    switch (r) {
      case '9':
        if (afterPoint && suppressAfterPoint) fail('9 cannot follow a Z, * or floating symbol after the decimal point');
        symbols.push({ kind: 'digit' });
        seenNine = true;
        seenDigit = true;
        digit();
        break;
      case 'Z':
      case '*':
        if (seenNine) fail(`${r} cannot follow 9`);
        if (afterPoint) suppressAfterPoint = true;
        symbols.push({ kind: 'suppress' });
        seenDigit = true;
        digit();
        break;
      case '.':
      case 'V':
        if (floating && i > floatStart && i < floatEnd && raw.slice(i).includes('9'))
          fail(`the floating ${floating} string may pass the decimal point only where it holds every digit`);
        symbols.push(r === '.' ? { kind: 'point' } : { kind: 'implied' });
        afterPoint = true;
        break;
      case '$':
        // A single $: leftmost, or after a leading fixed sign.
        if (!(first || (i === 1 && (raw[0] === '+' || raw[0] === '-') && signCount === 1)))
          fail('a single $ must be leftmost (or follow a leading + or -)');
        symbols.push({ kind: 'currency' });
        break;
      case '+':
      case '-':
        if (!first && !last) fail(`a single ${r} must be leftmost or rightmost`);
        if (last && !first && !seenDigit) fail(`${r} at the right end needs digit positions before it`);
        symbols.push({ kind: 'sign', char: r });
        break;
      case 'CR':
      case 'DB':
        symbols.push({ kind: 'credit', text: r });
        break;
      default:
        symbols.push({ kind: 'insert', char: INSERT[r] as ' ' | '0' | '/' | ',' });
    }
  }
  if (intDigits + fracDigits === 0) fail('no digit positions (9, Z, * or a floating string)');
  if (intDigits + fracDigits > MAX_EDIT_DIGITS) fail(`more than ${MAX_EDIT_DIGITS} digit positions`);
  if (suppressAfterPoint && seenNine)
    fail('Z, * or a floating symbol after the decimal point needs every digit position to be one');
  const length = symbols.reduce((n, s) => n + (s.kind === 'implied' ? 0 : s.kind === 'credit' ? 2 : 1), 0);
  return {
    source,
    symbols,
    intDigits,
    fracDigits,
    signed: signCount > 0 || credits > 0,
    floating,
    fill: stars > 0 ? '*' : ' ',
    allSuppressed: !seenNine,
    length,
  };
}

/** A decimal number as sign and digits: what a COBOL field holds. */
export interface Decimal {
  readonly negative: boolean;
  /** Digits before the point, without leading zeros ('' for none). */
  readonly int: string;
  /** Digits after the point, without trailing zeros. */
  readonly frac: string;
}

const DECIMAL_TEXT = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*$/;

/** A JSON-view number or decimal text as a Decimal; null where it is neither. */
export function decimalOf(value: unknown): Decimal | null {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return null;
    text = numberText(value);
  } else if (typeof value === 'string' || typeof value === 'bigint') {
    text = String(value);
  } else return null;
  const m = DECIMAL_TEXT.exec(text);
  if (!m || ((m[2] ?? '') === '' && (m[3] ?? '') === '')) return null;
  const int = (m[2] ?? '').replace(/^0+/, '');
  const frac = (m[3] ?? '').replace(/0+$/, '');
  return { negative: m[1] === '-' && (int !== '' || frac !== ''), int, frac };
}

export type EditResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly problem: 'overflow' | 'sign'; readonly reason: string };

export interface EditOptions {
  /**
   * As MOVE does: high-order digits beyond the picture are dropped and a minus the picture
   * cannot show is lost. Without it, either is a refusal.
   */
  readonly move?: boolean;
}

/** The value's digits in the picture's digit positions; `lost`: nonzero high-order digits fell off. */
export function alignDigits(value: Decimal, pic: EditPicture): { readonly digits: string; readonly lost: boolean } {
  const int = value.int.padStart(pic.intDigits, '0');
  const cut = int.length - pic.intDigits;
  return {
    digits: int.slice(cut) + value.frac.padEnd(pic.fracDigits, '0').slice(0, pic.fracDigits),
    lost: /[1-9]/.test(int.slice(0, cut)),
  };
}

/** The value edited into the picture (MOVE to a numeric-edited item). */
export function editNumber(value: Decimal, pic: EditPicture, options: EditOptions = {}): EditResult {
  const { digits, lost } = alignDigits(value, pic);
  if (lost && !options.move) {
    return {
      ok: false,
      problem: 'overflow',
      reason: `${show(value)} has more than the ${pic.intDigits} integer digit(s) PIC ${pic.source} shows`,
    };
  }
  const zero = !/[1-9]/.test(digits);
  // The sign is the edited value's: a value truncated to zero shows no minus.
  const negative = value.negative && !zero;
  if (negative && !pic.signed && !options.move) {
    return {
      ok: false,
      problem: 'sign',
      reason: `${show(value)} is negative and PIC ${pic.source} has no +, -, CR or DB to show it`,
    };
  }
  return { ok: true, text: editDigits(digits, negative, zero, pic) };
}

function show(value: Decimal): string {
  return `${value.negative ? '-' : ''}${value.int || '0'}${value.frac ? `.${value.frac}` : ''}`;
}

function signOf(char: '$' | '+' | '-', negative: boolean): string {
  if (char === '$') return '$';
  if (negative) return '-';
  return char === '+' ? '+' : ' ';
}

/**
 * Digits already aligned to the picture's digit positions, edited; `zero` says whether the
 * value is zero (the digits are, as editNumber calls it).
 */
export function editDigits(digits: string, negative: boolean, zero: boolean, pic: EditPicture): string {
  // A zero value where no 9 guarantees a digit: all blanks, or with * all asterisks but
  // the decimal point.
  if (zero && pic.allSuppressed) {
    if (pic.fill === ' ') return ' '.repeat(pic.length);
    return pic.symbols
      .map((s) => (s.kind === 'point' ? '.' : s.kind === 'implied' ? '' : s.kind === 'credit' ? '**' : '*'))
      .join('');
  }
  const out: string[] = [];
  let k = 0;
  let significant = false;
  // Inside the zero suppression or floating string (from its first symbol on).
  let inRegion = false;
  // The rightmost position the floating string has blanked: where its symbol lands.
  let landing = -1;
  const begin = () => {
    if (significant) return;
    significant = true;
    if (pic.floating && landing >= 0) out[landing] = signOf(pic.floating, negative);
  };
  for (const s of pic.symbols) {
    switch (s.kind) {
      case 'digit':
        begin();
        out.push(digits[k++] ?? '0');
        break;
      case 'suppress': {
        inRegion = true;
        const d = digits[k++] ?? '0';
        if (!significant && d === '0') out.push(pic.fill);
        else {
          begin();
          out.push(d);
        }
        break;
      }
      case 'float': {
        inRegion = true;
        if (!s.digit) {
          out.push(' ');
          landing = out.length - 1;
          break;
        }
        const d = digits[k++] ?? '0';
        if (!significant && d === '0') {
          out.push(' ');
          landing = out.length - 1;
        } else {
          begin();
          out.push(d);
        }
        break;
      }
      case 'insert':
        if (!significant && inRegion) {
          out.push(pic.fill);
          if (pic.floating) landing = out.length - 1;
        } else out.push(s.char);
        break;
      case 'point':
        begin();
        out.push('.');
        break;
      case 'implied':
        begin();
        break;
      case 'currency':
        out.push('$');
        break;
      case 'sign':
        out.push(signOf(s.char, negative));
        break;
      case 'credit':
        out.push(negative ? s.text : '  ');
        break;
    }
  }
  return out.join('');
}
