// A line that matches (BURST=MATCH): the text MATCH= gives, found as printed, anywhere in a
// line or (MATCHCOL=n) starting at column n. A literal text, not a regular expression: a
// pattern a caller writes could backtrack for ever on a long line (ReDoS), and what report
// bursting asks ("the page where TOTAL FOR BRANCH is printed") is a text in a place. The
// search is String.indexOf over a text of at most MAX_MATCH characters: at worst the
// line's length times the text's, so bounded by the line.
import { merged, type Line } from './carriage.js';
import { reportFailure, shown, type ReportFailure } from './errors.js';
import { MAX_LRECL } from './records.js';

export interface LineMatch {
  readonly text: string;
  /** 1-based: where the text must start; none: anywhere in the line. */
  readonly column?: number;
}

/** The longest text MATCH= takes: a heading, not a page. */
export const MAX_MATCH = 64;

/** MATCH= and MATCHCOL= as given, or BADRPTOP saying what is wrong. */
export function readLineMatch(text: string | undefined, columnText: string | undefined): LineMatch | ReportFailure {
  const bad = (message: string) => reportFailure('BADRPTOP', message);
  if (text === undefined) return bad('BURST=MATCH needs MATCH=, the text a part starts at (MATCH="TOTAL FOR")');
  if (text.length > MAX_MATCH) return bad(`MATCH=${shown(text)} is longer than ${MAX_MATCH} characters`);
  // A control cannot be in a printed line (carriage.ts prints them as blanks): it would never match.
  if (/[\x00-\x1f\x7f-\x9f]/.test(text)) return bad(`MATCH=${shown(text)} holds a control character`);
  if (text.trim() === '') return bad('MATCH= holds only blanks');
  if (columnText === undefined) return { text };
  const column = /^\d{1,5}$/.test(columnText) ? Number(columnText) : 0;
  if (column < 1 || column > MAX_LRECL)
    return bad(`MATCHCOL=${shown(columnText)} is not a column from 1 to ${MAX_LRECL}`);
  return { text, column };
}

/** The line as printed (overprints merged) where it matches, else undefined. */
export function matchedLine(line: Line, match: LineMatch): string | undefined {
  const text = merged(line);
  if (match.column === undefined) return text.includes(match.text) ? text : undefined;
  return text.startsWith(match.text, match.column - 1) ? text : undefined;
}
