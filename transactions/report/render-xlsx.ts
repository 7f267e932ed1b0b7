// XLSX: the CSV rendering's rows as a worksheet (write-excel-file, loaded when a report is
// first asked for as XLSX). The first row is the header: bold and frozen, so that it stays
// in sight as the rows scroll. A column whose cells below the header are all numbers (or
// empty) holds numbers, shown with the decimals and the thousands commas the report gave
// them; any other cell is text, never a formula, so a field starting with `=` needs no guard.
import type { Cell, Row } from 'write-excel-file/node';
import type { Page } from './carriage.js';
import { csvRows } from './render-text.js';

// A number as reports print it: a sign in front, or a minus behind (COBOL's edited
// PIC ZZ9.99-), thousands grouped by commas, a decimal point. A leading zero (an account
// number, 007) is kept as text, and so are more than 15 digits, which a double cannot hold.
const NUMERIC = /^([+-]?)([1-9]\d{0,2}(?:,\d{3})+|[1-9]\d*|0)?(?:\.(\d+))?(-?)$/;

interface ReportNumber {
  readonly value: number;
  readonly decimals: number;
  readonly grouped: boolean;
}

function numberOf(text: string): ReportNumber | undefined {
  const m = NUMERIC.exec(text);
  if (!m) return undefined;
  const [, lead = '', whole = '', fraction = '', trail = ''] = m;
  if (whole === '' && fraction === '') return undefined;
  if (lead !== '' && trail !== '') return undefined;
  const digits = whole.replaceAll(',', '');
  if ((digits + fraction).replace(/^0+/, '').length > 15) return undefined;
  const value = Number(`${digits || '0'}.${fraction || '0'}`);
  return {
    value: lead === '-' || trail === '-' ? -value : value,
    decimals: fraction.length,
    grouped: whole.includes(','),
  };
}

/** Column widths in characters: the longest cell, within reason. */
const width = (chars: number) => Math.min(Math.max(chars + 2, 6), 60);

// A sheet's name: at most 31 characters, none of []:*?/\ (Excel's rules).
const sheetName = (filename: string) =>
  filename
    .replace(/\.xlsx$/i, '')
    .replace(/[[\]:*?/\\\x00-\x1f]/g, '_')
    .slice(0, 31) || 'Report';

// write-excel-file is loaded on first use, as pdfkit is: most workers never make a spreadsheet.
let writer: Promise<typeof import('write-excel-file/node')> | undefined;

export async function renderXlsx(pages: readonly Page[], filename: string, separator: string): Promise<Buffer> {
  const rows = csvRows(pages, separator);
  const columns = rows.reduce((max, row) => Math.max(max, row.length), 0);
  const numbers: (ReportNumber | undefined)[][] = rows.map((row) => row.map(numberOf));
  const numeric: boolean[] = [];
  const formats: string[] = [];
  const widths: number[] = [];
  for (let c = 0; c < columns; c++) {
    let all = rows.length > 1;
    let decimals = 0;
    let grouped = false;
    let seen = false;
    let longest = 0;
    for (let r = 0; r < rows.length; r++) {
      const text = rows[r]?.[c] ?? '';
      longest = Math.max(longest, text.length);
      if (r === 0 || text === '') continue;
      const n = numbers[r]?.[c];
      if (n === undefined) all = false;
      else {
        seen = true;
        decimals = Math.max(decimals, n.decimals);
        grouped ||= n.grouped;
      }
    }
    numeric.push(all && seen);
    formats.push(`${grouped ? '#,##0' : '0'}${decimals > 0 ? `.${'0'.repeat(decimals)}` : ''}`);
    widths.push(width(longest));
  }
  const data: Row[] = rows.map((row, r) =>
    row.map((text, c): Cell => {
      if (text === '') return null;
      if (r === 0) return { value: text, fontWeight: 'bold' };
      const n = numbers[r]?.[c];
      if (numeric[c] && n !== undefined) return { value: n.value, type: Number, format: formats[c] as string };
      return { value: text, type: String };
    }),
  );
  const { default: writeXlsxFile } = await (writer ??= import('write-excel-file/node'));
  return writeXlsxFile(data, {
    sheet: sheetName(filename),
    stickyRowsCount: rows.length > 0 ? 1 : 0,
    columns: widths.map((w) => ({ width: w })),
  }).toBuffer();
}
