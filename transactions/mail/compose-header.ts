// Header fields: ASCII on the wire, RFC 2047 encoded words where the text is not (or
// cannot be folded), RFC 2231 parameters for file names, folded within 78 characters
// wherever there is a place to fold, and never over 998 octets.
import libmime from 'libmime';
import type { Address } from '../../cics/addresses.js';
import { CONTROL } from '../../cics/characters.js';

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');

/** RFC 5322 3.3 date-time, in UTC. */
export function rfc5322Date(date: Date): string {
  return (
    `${DAYS[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ` +
    `${date.getUTCFullYear()} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`
  );
}

// RFC 5322 atext plus blanks: a phrase that needs no quotes.
const PLAIN_PHRASE = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~ -]*$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
// A header is folded only at blanks: a word longer than this would not fit a folded line
// of 78, and a much longer one would break the 998 limit (RFC 5322 2.1.1). Encoded
// words can be split anywhere, and readers join adjacent ones without a blank (RFC 2047 6.2).
const LONG_WORD = /[^ ]{72}/;
// Only a word this long makes a display name go in encoded words: a quoted name may have a
// line over 78 (a SHOULD) rather than be split, because Python's email package reads the
// blank between two encoded words of a display name as a space (cpython gh-128110).
const UNFOLDABLE_WORD = /[^ ]{900}/;
// Text that a reader would take for an encoded word is encoded itself (RFC 2047 5).
const LOOKS_ENCODED = /=\?[^?]*\?[bq]\?/i;

/** A display name: as it is, quoted, or in encoded words. */
function phrase(name: string): string {
  if (PRINTABLE_ASCII.test(name) && !UNFOLDABLE_WORD.test(name) && !LOOKS_ENCODED.test(name)) {
    return PLAIN_PHRASE.test(name) ? name : `"${name.replace(/(["\\])/g, '\\$1')}"`;
  }
  // The whole phrase, specials too: encoding only the non-ASCII words would leave a
  // name like `Jörg <boss@corp.example>` to be read as an address (RFC 2047 5.3).
  return libmime.encodeWord(name, 'Q', 52);
}

export function formatAddress(a: Address): string {
  return a.name === '' ? a.address : `${phrase(a.name)} <${a.address}>`;
}

// Blanks in a row. A header is folded before a blank; many readers (mailparser among them)
// unfold CRLF and the blanks after it into one space, so a fold before a run of blanks would
// lose some: a value that may be folded there goes in encoded words, which keep them.
const BLANKS = / {2}/;
/** A printable ASCII value this long may be folded (78 less the longest field name and ": "). */
const MAY_FOLD = 60;

/** Subject and the like (RFC 5322 3.2.5 unstructured). */
export function unstructured(value: string): string {
  const foldsAtBlanks = BLANKS.test(value) && (value.length > MAY_FOLD || !PRINTABLE_ASCII.test(value));
  const mustEncode = LONG_WORD.test(value) || LOOKS_ENCODED.test(value) || foldsAtBlanks;
  if (PRINTABLE_ASCII.test(value) && !mustEncode) return value;
  // A control character (a CR LF above all) or an unfoldable word: the whole value in
  // encoded words. libmime's encodeWords would leave ASCII words as they are, CR LF too.
  if (CONTROL.test(value) || mustEncode) return libmime.encodeWord(value, 'Q', 52);
  // Otherwise only the words that need it, so that the rest stays readable.
  return libmime.encodeWords(value, 'Q', 52);
}

/** One field, folded, with its CRLF. */
export function header(name: string, value: string): string {
  return `${libmime.foldLines(`${name}: ${value}`, 76)}\r\n`;
}

/**
 * A header of a value with parameters: RFC 2231 (continuations, UTF-8) where a parameter
 * needs it, folded only between parameters. Folding inside a quoted value would put CRLF
 * and a blank where the value has blanks in a row, and readers unfold that to one space
 * (a file name '=_  x…' came back as '=_ x…': found by the compose property test).
 */
export function paramHeader(name: string, value: string, params: Record<string, string>): string {
  const parts = splitParams(libmime.buildHeaderValue({ value, params }));
  let out = `${name}: ${parts[0] ?? ''}`;
  let line = out.length;
  for (const part of parts.slice(1)) {
    if (line + 2 + part.length <= 76) {
      out += `; ${part}`;
      line += 2 + part.length;
    } else {
      out += `;\r\n ${part}`;
      line = 1 + part.length;
    }
  }
  return `${out}\r\n`;
}

/** `value; a=1; b="x; y"` as its pieces, split at the semicolons outside quotes. */
function splitParams(built: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < built.length; i++) {
    const c = built[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ';' && !quoted) {
      parts.push(built.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(built.slice(start).trim());
  return parts;
}

// RFC 2045 5.1 type "/" subtype, both tokens (as SEND's TYPE= accepts them).
const MIME_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;

/**
 * The type and subtype an attachment goes out as: the one given, or, where none was
 * given or it is not a MIME type, the one its file name says; where the name says
 * nothing, text/plain for text and application/octet-stream for bytes. Parameters of the
 * given type are not kept.
 */
export function attachmentType(given: string, filename: string, isText: boolean): string {
  const type = (given.split(';')[0] ?? '').trim().toLowerCase();
  if (MIME_TYPE.test(type)) return type;
  const detected = libmime.detectMimeType(filename);
  return isText && detected === 'application/octet-stream' ? 'text/plain' : detected;
}
