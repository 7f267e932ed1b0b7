// Where on a page its key is: the text a page is known by, for the PDF's bookmarks (INDEX=)
// and for bursting (BURST=KEY). `TITLE`: the page's first line that is not blank. `n-m`:
// columns n to m of the first line where they hold anything. `l/n-m`: columns n to m of
// line l. Columns count as the report prints them, after the carriage control byte.
import { merged, type Page } from './carriage.js';
import { reportFailure, shown, type ReportFailure } from './errors.js';
import { MAX_LRECL } from './records.js';

export type KeySpec =
  | { readonly kind: 'title' }
  | { readonly kind: 'columns'; readonly from: number; readonly to: number; readonly line?: number };

/** A key longer than this is cut: a bookmark or a report line is not the place for a page of text. */
export const MAX_KEY = 120;
/** Lines of a page a key may be looked for on. */
export const MAX_KEY_LINE = 1000;

const SPEC = /^(?:(\d{1,4})\/)?(\d{1,5})-(\d{1,5})$/;

/** The key's place as an option gives it (`INDEX=TITLE`, `KEY=2-20`, `KEY=3/10-30`), or BADRPTOP. */
export function readKeySpec(option: string, text: string): KeySpec | ReportFailure {
  if (/^TITLE$/i.test(text)) return { kind: 'title' };
  const m = SPEC.exec(text);
  const bad = () =>
    reportFailure(
      'BADRPTOP',
      `${option}=${shown(text)} is not TITLE, columns n-m, or a line and its columns l/n-m (${option}=3/10-30)`,
    );
  if (!m) return bad();
  const from = Number(m[2]);
  const to = Number(m[3]);
  const line = m[1] === undefined ? undefined : Number(m[1]);
  if (from < 1 || to < from || to > MAX_LRECL)
    return reportFailure(
      'BADRPTOP',
      `${option}=${shown(text)}: columns run from 1 to ${MAX_LRECL}, the first before the last`,
    );
  if (line !== undefined && (line < 1 || line > MAX_KEY_LINE))
    return reportFailure('BADRPTOP', `${option}=${shown(text)}: the line is 1 to ${MAX_KEY_LINE} of its page`);
  return { kind: 'columns', from, to, ...(line === undefined ? {} : { line }) };
}

// Blanks inside a key count as one: `BRANCH   0042` and `BRANCH 0042` are one key.
const tidy = (s: string) => s.trim().replace(/\s+/g, ' ').slice(0, MAX_KEY);

/** The key a matching line gives its part (BURST=MATCH): the line, or its columns `from`-`to`. */
export function lineKey(text: string, columns?: { readonly from: number; readonly to: number }): string {
  return tidy(columns ? text.slice(columns.from - 1, columns.to) : text);
}

/** The key of a page: '' where the page has none (no line that is not blank, or nothing in the columns). */
export function pageKey(page: Page, spec: KeySpec): string {
  if (spec.kind === 'title') {
    for (const line of page) {
      const text = tidy(merged(line));
      if (text !== '') return text;
    }
    return '';
  }
  const columns = (i: number) => {
    const line = page[i];
    return line === undefined ? '' : tidy(merged(line).slice(spec.from - 1, spec.to));
  };
  if (spec.line !== undefined) return columns(spec.line - 1);
  for (let i = 0; i < page.length; i++) {
    const text = columns(i);
    if (text !== '') return text;
  }
  return '';
}
