// JSON bodies as the region reads them: JSON.parse, then a refusal of anything it would have
// let through silently. JSON.parse keeps the last of a key given twice, so
// {"mc_to":"a@x","mc_to":"b@y"} would mail b@y while a log or a proxy that read the first
// saw a@x; RFC 8259 leaves such objects' meaning open, so the region refuses them. A key
// `__proto__` is refused too: harmless in JSON.parse's result, it becomes the prototype
// wherever the value is later spread or assigned.
import { RequestInvalid } from '../errors.js';

/** JSON text as a value; an empty body is an empty object. Throws RequestInvalid naming `what`. */
export function parseJson(text: string, what: string): unknown {
  if (text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new RequestInvalid(`${what} is not JSON: ${(err as Error).message}`);
  }
  const problem = ambiguousKey(text);
  if (problem) throw new RequestInvalid(`${what} ${problem}`);
  return value;
}

interface Level {
  readonly object: boolean;
  readonly keys: Set<string>;
  /** The key or index of the value being read at this level. */
  at: string;
  index: number;
  expectKey: boolean;
}

/**
 * Where text that JSON.parse accepted has an object with a key twice, or a `__proto__`
 * key: 'has property "k" twice (at /a/0/k)'; undefined where it has neither.
 */
export function ambiguousKey(text: string): string | undefined {
  const stack: Level[] = [];
  const path = (key: string) => ['', ...stack.slice(0, -1).map((l) => l.at), key].join('/');
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = stack.at(-1);
    if (c === 0x22 /* " */) {
      let end = i + 1;
      while (text.charCodeAt(end) !== 0x22) end += text.charCodeAt(end) === 0x5c /* \ */ ? 2 : 1;
      if (top?.object && top.expectKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (key === '__proto__') return `has a property named "__proto__" (at ${path(key)}), which is not accepted`;
        if (top.keys.has(key)) return `has property ${JSON.stringify(key)} twice (at ${path(key)})`;
        top.keys.add(key);
        top.at = key;
        top.expectKey = false;
      }
      i = end;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      stack.push({ object: c === 0x7b, keys: new Set(), at: '0', index: 0, expectKey: c === 0x7b });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */ && top) {
      if (top.object) top.expectKey = true;
      else top.at = String(++top.index);
    }
  }
  return undefined;
}

/** A fastify content-type parser (parseAs 'string') of JSON bodies, as parseJson reads them. */
export function jsonBodyParser(
  _request: unknown,
  body: string | Buffer,
  done: (err: Error | null, value?: unknown) => void,
): void {
  try {
    done(null, parseJson(String(body), 'the body'));
  } catch (err) {
    done(err as Error, undefined);
  }
}
