// The passwords of protected reports (PASSWORD=, OWNERPW=) kept out of every record the
// region writes of a request: the task log keeps each request (the SEND statements in the
// COMMAREA or its INPUT container, a channel's Content-Types), so the region hands it this
// copy, where each such value reads *REDACTED*. The record shows that a password was
// given, not the password; a request driven again from the log is refused RC 8 BADRPTOP
// on that mark, never sent with it as its password.
import { codePage } from '../../cics/codepages.js';
import { INPUT_CONTAINER, type CommareaInput, type Container } from '../../cics/task.js';

/** What the task log keeps in place of a password. */
export const REDACTED = '*REDACTED*';

// The keyword at the start, after a blank or after a semicolon (a Content-Type parameter);
// its value quoted (to the closing quote, or the line's end where there is none) or up to a
// blank, semicolon or line end. NEL (U+0085, EBCDIC's NL) ends a line too, and is no \s.
const SECRET = /(^|[\s\u0085;])(PASSWORD|OWNERPW)([ \t]*=[ \t]*)("[^"\r\n\u0085]*"?|[^\s\u0085;]*)/gi;

/** `text` with every password value replaced by REDACTED; the same string where there is none. */
export function redactText(text: string): string {
  return text.replace(SECRET, (_, before: string, key: string, eq: string) => `${before}${key}${eq}${REDACTED}`);
}

// 'D' and 'W' (the last letters of PASSWORD and OWNERPW) and '=' in EBCDIC: the same
// bytes in every EBCDIC code page the region reads.
const EQUALS = 0x7e;
const ENDINGS = new Set([0xc4, 0x84, 0xe6, 0xa6]);

/** Whether EBCDIC text may hold a password: a cheap look before it is decoded. */
function mayHoldSecret(bytes: Uint8Array): boolean {
  for (let at = bytes.indexOf(EQUALS); at !== -1; at = bytes.indexOf(EQUALS, at + 1)) {
    let before = at - 1;
    while (before >= 0 && bytes[before] === 0x40) before--;
    if (ENDINGS.has(bytes[before] as number)) return true;
  }
  return false;
}

/** EBCDIC text with its passwords redacted (a copy), or the same bytes where there are none. */
function redactEbcdic(bytes: Uint8Array, ccsid: number): Uint8Array {
  if (!mayHoldSecret(bytes)) return bytes;
  const cp = codePage(ccsid);
  const text = cp.decode(bytes);
  const redacted = redactText(text);
  return redacted === text ? bytes : cp.encode(redacted);
}

/**
 * A request as the region's records may keep it: the COMMAREA's bytes and the INPUT
 * container (a text transaction's statements) with their passwords redacted, each
 * container's Content-Type too. Only what changes is copied: a channel's report data is
 * not text to search, and stays as it is.
 */
export function redactRequest(
  commarea: CommareaInput,
  containers: readonly Container[],
  ccsid: number,
): { commarea: CommareaInput; containers: readonly Container[] } {
  const bytes = commarea.form === 'bytes' ? redactEbcdic(commarea.bytes, ccsid) : undefined;
  const area: CommareaInput =
    bytes === undefined || (commarea.form === 'bytes' && bytes === commarea.bytes)
      ? commarea
      : { form: 'bytes', bytes };
  const kept = containers.map((c) => {
    const contentType = redactText(c.contentType);
    const data = c.name === INPUT_CONTAINER ? redactEbcdic(c.data, c.kind === 'char' ? c.ccsid : ccsid) : c.data;
    return contentType === c.contentType && data === c.data ? c : { ...c, contentType, data };
  });
  return { commarea: area, containers: kept };
}
