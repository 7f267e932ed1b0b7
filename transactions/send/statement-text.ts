// The small text tools of SEND's statement reader, and the shape of a failed mail.
import type { Reason } from '../errors.js';

/** A mail that cannot go: the line to blame, its reason code and the message for the report. */
export interface Failure {
  readonly line: number;
  readonly reason: Reason;
  readonly message: string;
}

// ASCII only: 'ı'.toUpperCase() is 'I', and 'ſend' must not end a mail.
export const asciiUpper = (s: string) => s.replace(/[a-z]+/g, (m) => m.toUpperCase());
// Caller text quoted in a message, cut short: a report line is not the place for 100 kB.
// '...', not an ellipsis: the report goes back in EBCDIC, which has none.
export const clip = (s: string, max = 40) => (s.length > max ? `${s.slice(0, max)}...` : s);

// Loops, not / +$/: that regex is quadratic on a long run of blanks inside a line.
export function skipBlanks(s: string, from: number): number {
  let i = from;
  while (s.charCodeAt(i) === 0x20) i++;
  return i;
}
export function trimBlanks(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x20) end--;
  return s.slice(skipBlanks(s, 0), end);
}

export const codePoint = (text: string, at: number) =>
  `U+${text.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0')}`;
