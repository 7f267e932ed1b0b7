// Address lists as mainframe callers write them (MAILCA.cpy): addresses separated by
// commas or blanks, each a bare addr-spec or `"Display Name" <addr-spec>` (an unquoted
// name of plain words before `<…>` is taken too). Syntax per RFC 5322 3.4, ASCII only.

export interface Address {
  /** Display name, '' where none was given. */
  readonly name: string;
  readonly address: string;
}

export type AddressListResult =
  { readonly ok: true; readonly addresses: readonly Address[] } | { readonly ok: false; readonly reason: string };

// RFC 5322 atext, dot-atom for local parts and domains.
const ATEXT = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]";
const DOT_ATOM = new RegExp(`^${ATEXT}+(?:\\.${ATEXT}+)*$`);
const QUOTED_LOCAL = /^"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\[\x20-\x7e])*"$/;
const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const ADDRESS_LITERAL = /^\[(?:\d{1,3}(?:\.\d{1,3}){3}|IPv6:[0-9A-Fa-f:.]+)\]$/;

/** Why an addr-spec is not valid, or undefined where it is. */
export function addrSpecProblem(spec: string): string | undefined {
  if (spec.length > 254) return `'${spec.slice(0, 40)}…' is longer than 254 characters`;
  if (/[^\x20-\x7e]/.test(spec)) return `'${spec}' has a character that is not printable ASCII`;
  const at = spec.lastIndexOf('@');
  if (at <= 0 || at === spec.length - 1) return `'${spec}' is not local-part@domain`;
  const local = spec.slice(0, at);
  const domain = spec.slice(at + 1);
  if (local.length > 64) return `'${spec}': the local part is longer than 64 characters`;
  if (!DOT_ATOM.test(local) && !QUOTED_LOCAL.test(local)) return `'${spec}': the local part is not valid`;
  if (!HOSTNAME.test(domain) && !ADDRESS_LITERAL.test(domain)) return `'${spec}': the domain is not valid`;
  return undefined;
}

interface Token {
  readonly kind: 'word' | 'quoted' | 'angle' | 'comma';
  readonly text: string;
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
    } else if (c === '"') {
      let j = i + 1;
      let value = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        value += text[j];
        j++;
      }
      if (j >= text.length) return `a quoted display name is not closed: ${text.slice(i, i + 40)}`;
      tokens.push({ kind: 'quoted', text: value });
      i = j + 1;
    } else if (c === '<') {
      const j = text.indexOf('>', i + 1);
      if (j === -1) return `'<' without '>': ${text.slice(i, i + 40)}`;
      tokens.push({ kind: 'angle', text: text.slice(i + 1, j).trim() });
      i = j + 1;
    } else if (c === '>') {
      return `'>' without '<' at character ${i + 1}`;
    } else {
      let j = i;
      while (j < text.length && !' \t,;<>"'.includes(text[j] as string)) j++;
      tokens.push({ kind: 'word', text: text.slice(i, j) });
      i = j;
    }
  }
  return tokens;
}

/**
 * Parses an address list. A word with `@` outside brackets is a bare address; words and
 * quoted strings before `<…>` are its display name; anything else is an error naming it.
 */
export function parseAddressList(text: string): AddressListResult {
  const tokens = tokenize(text);
  if (typeof tokens === 'string') return { ok: false, reason: tokens };
  const addresses: Address[] = [];
  let nameParts: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    if (t.kind === 'comma') {
      if (nameParts.length > 0) return { ok: false, reason: `'${nameParts.join(' ')}' is not an address` };
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
      if (nameParts.length > 0) return { ok: false, reason: `'${nameParts.join(' ')}' is not an address` };
      const problem = addrSpecProblem(t.text);
      if (problem) return { ok: false, reason: problem };
      addresses.push({ name: '', address: t.text });
      continue;
    }
    const rest = tokens.slice(i + 1).find((x) => x.kind !== 'quoted' && !(x.kind === 'word' && !x.text.includes('@')));
    if (rest?.kind === 'angle') {
      nameParts.push(t.text);
      continue;
    }
    return {
      ok: false,
      reason:
        t.kind === 'quoted' ? `display name "${t.text}" is not followed by <address>` : `'${t.text}' is not an address`,
    };
  }
  if (nameParts.length > 0) return { ok: false, reason: `'${nameParts.join(' ')}' is not followed by <address>` };
  return { ok: true, addresses };
}
