// One page of a report PDF as a reader shows it: rendered by poppler (pdftoppm) and compared
// with a reference rendering, so that a change in layout (margins, font size, where columns
// fall, overprint) is seen, not only a change in text. REPORT_REFERENCE=write makes the
// reference again (and the README's picture) after a change meant to alter the page.
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { codePage } from '../../../cics/codepages.js';
import { makeReport, readReportOptions } from '../../../transactions/report/report.js';
import { fixedRecords, renderPage } from './report-check.js';

const REFERENCE = new URL('../../fixtures/reports/payroll-page1.pgm', import.meta.url);
const PICTURE = new URL('../../../docs/images/report-page.png', import.meta.url);
const DPI = 50;

/** A payroll page of 133-byte FBA records: title, headings underlined by overprint, 50 lines. */
function payroll(): string[] {
  const records = [
    `1${'WEEKLY PAYROLL'.padEnd(119)}PAGE     1`,
    `0${'EMPLOYEE'.padEnd(12)}${'NAME'.padEnd(30)}${'HOURS'.padStart(8)}${'AMOUNT'.padStart(14)}`,
    `+${'________'.padEnd(12)}${'____'.padEnd(30)}${'_____'.padStart(8)}${'______'.padStart(14)}`,
  ];
  for (let n = 1; n <= 50; n++) {
    records.push(
      ` ${String(n).padStart(8, '0')}    ${`EMPLOYEE ${n}`.padEnd(30)}${(35 + (n % 9)).toFixed(1).padStart(8)}${(n * 10.25).toFixed(2).padStart(14)}`,
    );
  }
  return records;
}

t.test('page 1 of a landscape A4 PDF looks as it did', async (t) => {
  const options = readReportOptions(
    new Map([
      ['RECFM', 'FBA'],
      ['LRECL', '133'],
      ['FORMAT', 'PDF'],
      ['ORIENTATION', 'LANDSCAPE'],
      ['PAPER', 'A4'],
    ]),
  );
  if (options === undefined || 'code' in options) throw new Error(JSON.stringify(options));
  const made = await makeReport({
    name: 'PAYROLL.LST',
    input: { bytes: fixedRecords(payroll(), 133, 37) },
    options,
    cp: codePage(37),
    date: new Date(Date.UTC(2026, 0, 31, 12)),
  });
  if ('code' in made || !('bytes' in made.content)) throw new Error(JSON.stringify(made));
  const pdf = made.content.bytes;
  const page = renderPage(pdf, 1, DPI);
  if (process.env.REPORT_REFERENCE === 'write') {
    writeFileSync(REFERENCE, page.pgm);
    writeFileSync(PICTURE, execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', '-'], { input: pdf }));
    t.comment('reference written');
  }
  const reference = renderPage(Buffer.alloc(0), 0, 0, readFileSync(REFERENCE));
  t.same([page.width, page.height], [reference.width, reference.height], 'the same size: A4 landscape at 50 dpi');
  let differing = 0;
  for (let i = 0; i < page.pixels.length; i++) {
    if (Math.abs((page.pixels[i] ?? 0) - (reference.pixels[i] ?? 0)) > 64) differing++;
  }
  const share = differing / page.pixels.length;
  // Anti-aliasing may move a grey level here and there; a shifted column moves thousands.
  t.ok(share < 0.002, `${differing} of ${page.pixels.length} pixels differ (${(share * 100).toFixed(3)} %)`);
  const ink = page.pixels.reduce((n, p) => n + (p < 128 ? 1 : 0), 0);
  t.ok(ink > 2000, `the page has text on it (${ink} dark pixels)`);
});
