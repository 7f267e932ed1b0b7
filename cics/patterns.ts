// Patterns of the users file and the region's settings: tranids (`S*`), senders
// (`*@corp.example`), recipient domains (`*.corp.example`). `*` is any characters, `?` one.

/** Patterns as regular expressions, made once each (they are checked on every task). */
const compiled = new Map<string, RegExp>();

/** `*` any characters, `?` one; case does not matter. */
export function wildcardMatch(pattern: string, value: string): boolean {
  if (pattern === '*') return true;
  let re = compiled.get(pattern);
  if (!re) {
    const source = pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '.*')
      .replaceAll('?', '.');
    re = new RegExp(`^${source}$`, 'is');
    // Patterns come from the users file: a few hundred at most; bounded all the same.
    if (compiled.size >= 10_000) compiled.clear();
    compiled.set(pattern, re);
  }
  return re.test(value);
}
