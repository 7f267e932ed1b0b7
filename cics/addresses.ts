// Address lists as mainframe callers write them (MAILCA.cpy) and as RFC 5322 3.4 has them:
// addresses separated by commas, semicolons or blanks, each a bare addr-spec (its local
// part quoted or not) or `"Display Name" <addr-spec>` (an unquoted name of plain words is
// taken too); comments, the old `addr (Name)` form among them, and groups (`Team: …;`,
// whose name is dropped). UTF-8 as RFC 6532 allows it.
import { CONTROL_OR_C1 } from './characters.js';

export interface Address {
  /** Display name, '' where none was given. */
  readonly name: string;
  readonly address: string;
}

export type AddressListResult =
  { readonly ok: true; readonly addresses: readonly Address[] } | { readonly ok: false; readonly reason: string };

// RFC 5322 atext, dot-atom for local parts and domains; RFC 6532 3.2 adds every non-ASCII
// character (the relay gets them with SMTPUTF8, smtp/envelope.ts).
const ATEXT = "(?:[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]|[^\\x00-\\x7f])";
const DOT_ATOM = new RegExp(`^${ATEXT}+(?:\\.${ATEXT}+)*$`, 'u');
const QUOTED_LOCAL = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|[^\x00-\x7f]|\\[\x20-\x7e])*"$/u;
// A-labels and, internationalized, U-labels (RFC 6531 3.3: a domain may be UTF-8).
const LABEL = '[\\p{L}\\p{N}](?:[\\p{L}\\p{M}\\p{N}-]{0,61}[\\p{L}\\p{M}\\p{N}])?';
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`, 'u');
const ADDRESS_LITERAL = /^\[(?:\d{1,3}(?:\.\d{1,3}){3}|IPv6:[0-9A-Fa-f:.]+)\]$/;
// C0, DEL and C1: no address may hold one, in any encoding.

/** The text with its control characters written as \\uXXXX, so that a message about them can be read. */
function shown(text: string): string {
  return text.replace(
    new RegExp(CONTROL_OR_C1.source, 'g'),
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Caller text quoted in a reason, cut short: a name of a megabyte is no message. '...': EBCDIC has no ellipsis. */
const quoted = (text: string) => (text.length > 60 ? `${text.slice(0, 60)}...` : text);

/** Why an addr-spec is not valid, or undefined where it is. Lengths in octets, as RFC 5321 4.5.3.1 counts. */
export function addrSpecProblem(spec: string): string | undefined {
  if (Buffer.byteLength(spec) > 254) return `'${spec.slice(0, 40)}…' is longer than 254 octets`;
  if (CONTROL_OR_C1.test(spec)) return `'${shown(spec)}' has a control character`;
  const at = spec.lastIndexOf('@');
  if (at <= 0 || at === spec.length - 1) return `'${spec}' is not local-part@domain`;
  const local = spec.slice(0, at);
  const domain = spec.slice(at + 1);
  if (Buffer.byteLength(local) > 64) return `'${spec}': the local part is longer than 64 octets`;
  if (!DOT_ATOM.test(local) && !QUOTED_LOCAL.test(local)) return `'${spec}': the local part is not valid`;
  if ((!HOSTNAME.test(domain) || Buffer.byteLength(domain) > 253) && !ADDRESS_LITERAL.test(domain))
    return `'${spec}': the domain is not valid`;
  return undefined;
}

interface Token {
  readonly kind: 'word' | 'quoted' | 'angle' | 'comma' | 'colon' | 'comment';
  readonly text: string;
}

/** The end (index after the closing quote) of the quoted string at `i`, with its text unescaped; -1 where unclosed. */
function quotedAt(text: string, i: number): { end: number; value: string } {
  let escaped = false;
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 0x22 /* " */) {
      const inside = text.slice(i + 1, j);
      // Unescaped in one pass where it has any escape: built a character at a time, a long name cost far more.
      return { end: j + 1, value: escaped ? inside.replace(/\\(.)/gs, '$1') : inside };
    }
    if (c === 0x5c /* \ */ && j + 1 < text.length) {
      escaped = true;
      j++;
    }
  }
  return { end: -1, value: '' };
}

/** The end of the comment at `i` (comments nest, RFC 5322 3.2.2); -1 where unclosed. */
function commentEnd(text: string, i: number): number {
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return j + 1;
  }
  return -1;
}

/** The end of the word at `i`: up to a delimiter, with a domain literal's brackets read whole. */
function wordEnd(text: string, i: number): number {
  let j = i;
  while (j < text.length && !' \t,;<>"():'.includes(text[j] as string)) {
    if (text[j] === '[') {
      const close = text.indexOf(']', j);
      j = close === -1 ? text.length : close + 1;
    } else j++;
  }
  return j;
}

function tokenize(text: string): Token[] | string {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c === ' ' || c === '\t') {
      i++;
    } else if (c === ',' || c === ';') {
      tokens.push({ kind: 'comma', text: c });
      i++;
    } else if (c === ':') {
      tokens.push({ kind: 'colon', text: c });
      i++;
    } else if (c === '"') {
      const { end, value } = quotedAt(text, i);
      if (end === -1) return `a quoted display name is not closed: ${text.slice(i, i + 40)}`;
      if (text[end] === '@') {
        // `"x y"@z.example`: a quoted local part, not a display name.
        const j = wordEnd(text, end);
        tokens.push({ kind: 'word', text: text.slice(i, j) });
        i = j;
      } else {
        tokens.push({ kind: 'quoted', text: value });
        i = end;
      }
    } else if (c === '(') {
      const end = commentEnd(text, i);
      if (end === -1) return `a comment is not closed: ${text.slice(i, i + 40)}`;
      tokens.push({
        kind: 'comment',
        text: text
          .slice(i + 1, end - 1)
          .replace(/\\(.)/g, '$1')
          .trim(),
      });
      i = end;
    } else if (c === ')') {
      return `')' without '(' at character ${i + 1}`;
    } else if (c === '<') {
      const j = text.indexOf('>', i + 1);
      if (j === -1) return `'<' without '>': ${text.slice(i, i + 40)}`;
      tokens.push({ kind: 'angle', text: text.slice(i + 1, j).trim() });
      i = j + 1;
    } else if (c === '>') {
      return `'>' without '<' at character ${i + 1}`;
    } else {
      const j = wordEnd(text, i);
      tokens.push({ kind: 'word', text: text.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

/** A token that may be part of a display name: a quoted string, a comment, a word without `@`. */
const mayBeName = (t: Token) =>
  t.kind === 'quoted' || t.kind === 'comment' || (t.kind === 'word' && !t.text.includes('@'));

/**
 * For each token, the kind of the first token after it that cannot be part of a display name
 * (undefined where none follows): what a name's words run up to. One pass from the end, so
 * that a name of many words costs one look, not one a word.
 */
function nextStructural(tokens: readonly Token[]): (Token['kind'] | undefined)[] {
  const ahead = new Array<Token['kind'] | undefined>(tokens.length);
  let next: Token['kind'] | undefined;
  for (let i = tokens.length - 1; i >= 0; i--) {
    ahead[i] = next;
    const t = tokens[i] as Token;
    if (!mayBeName(t)) next = t.kind;
  }
  return ahead;
}

/**
 * Parses an address list. A word with `@` outside brackets is a bare address; words and
 * quoted strings before `<…>` are its display name; anything else is an error naming it.
 */
export function parseAddressList(text: string): AddressListResult {
  const tokens = tokenize(text);
  if (typeof tokens === 'string') return { ok: false, reason: tokens };
  const ahead = nextStructural(tokens);
  const addresses: Address[] = [];
  let nameParts: string[] = [];
  // The address a comment right after it may name (`a@b.example (Name)`), until the next token.
  let bare: number | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    const after = bare;
    bare = undefined;
    if (t.kind === 'comment') {
      const named = after === undefined ? undefined : addresses[after];
      if (named?.name === '' && t.text !== '') addresses[after as number] = { ...named, name: t.text };
      continue;
    }
    if (t.kind === 'colon') {
      if (nameParts.length === 0) return { ok: false, reason: `':' without a group name before it` };
      nameParts = [];
      continue;
    }
    if (t.kind === 'comma') {
      if (nameParts.length > 0) return { ok: false, reason: `'${quoted(nameParts.join(' '))}' is not an address` };
      continue;
    }
    if (t.kind === 'angle') {
      const problem = addrSpecProblem(t.text);
      if (problem) return { ok: false, reason: problem };
      addresses.push({ name: nameParts.join(' '), address: t.text });
      nameParts = [];
      continue;
    }
    // A word with @ outside brackets is always an address: never part of a name, or a
    // list like `x@y.example Bruce <b@y.example>` would lose x@y.example silently.
    if (t.kind === 'word' && t.text.includes('@')) {
      if (nameParts.length > 0) return { ok: false, reason: `'${quoted(nameParts.join(' '))}' is not an address` };
      const problem = addrSpecProblem(t.text);
      if (problem) return { ok: false, reason: problem };
      bare = addresses.push({ name: '', address: t.text }) - 1;
      continue;
    }
    const rest = ahead[i];
    if (rest === 'angle' || rest === 'colon') {
      nameParts.push(t.text);
      continue;
    }
    return {
      ok: false,
      reason:
        t.kind === 'quoted'
          ? `display name "${quoted(t.text)}" is not followed by <address>`
          : `'${quoted(t.text)}' is not an address`,
    };
  }
  if (nameParts.length > 0)
    return { ok: false, reason: `'${quoted(nameParts.join(' '))}' is not followed by <address>` };
  return { ok: true, addresses };
}
