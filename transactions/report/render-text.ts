// TXT and CSV: a report as text; the CSV's rows are the XLSX's too. Pages are kept in TXT by a form feed (x'0C') before each
// page but the first, as `pr` and line printers read it; CSV has no pages.
import { merged, type Page } from './carriage.js';

/** Lines joined by `\n`; a form feed starts every page after the first. */
export function renderText(pages: readonly Page[]): string {
  const out: string[] = [];
  pages.forEach((page, p) => {
    page.forEach((line, i) => out.push(p > 0 && i === 0 ? `\f${merged(line)}` : merged(line)));
  });
  return out.join('\n');
}

// A number stays a number: only other text that a spreadsheet would read as a formula is guarded.
const NUMBER = /^[+-]?(\d[\d,.]*|[.,]\d+)%?$/;
const FORMULA = /^[=+\-@\t]/;

function csvField(value: string, separator: string): string {
  const safe = FORMULA.test(value) && !NUMBER.test(value) ? `'${value}` : value;
  return safe.includes(separator) || safe.includes('"') || safe !== value ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The report's fields: each non-blank line a row, split at `separator`, each field without its surrounding blanks. */
export function csvRows(pages: readonly Page[], separator: string): string[][] {
  const rows: string[][] = [];
  for (const page of pages) {
    for (const line of page) {
      const text = merged(line);
      if (text.trim() === '') continue;
      rows.push(text.split(separator).map((f) => f.trim()));
    }
  }
  return rows;
}

/**
 * CSV (RFC 4180) from a report whose fields are delimited by `separator`: each non-blank
 * line a row, each field without its surrounding blanks, quoted where it holds a quote (or,
 * having started with = + - @ and being no number, guarded with a leading `'` as a
 * spreadsheet would take it for a formula). After a UTF-8 byte order mark, which Excel needs
 * to read UTF-8.
 */
export function renderCsv(pages: readonly Page[], separator: string): string {
  const rows = csvRows(pages, separator).map((fields) => fields.map((f) => csvField(f, separator)).join(separator));
  return `\ufeff${rows.join('\n')}`;
}
