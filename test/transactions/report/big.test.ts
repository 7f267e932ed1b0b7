// A 2,000-page FBA report (130,000 records of 133 bytes, 17 MB) in code page 037, and a
// 400-page one in 273 (to keep the run short), become PDFs of as many sheets with their
// first and last lines where they belong. Time and peak memory are measured in a child
// process and reported, never judged: the machine is shared.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { fixedRecords, pdfInfo, pdfPages } from './report-check.js';

const LINES = 65;

function records(pages: number): string[] {
  const out: string[] = [];
  for (let p = 1; p <= pages; p++) {
    out.push(`1${'GENERAL LEDGER  Hauptbuch Übersicht'.padEnd(119)}PAGE ${String(p).padStart(5)}`);
    for (let i = 2; i <= LINES; i++)
      out.push(
        ` ${String((p - 1) * LINES + i).padStart(9, '0')} ${'ACCOUNT ÄÖÜ'.padEnd(40)}${(p * i * 1.25).toFixed(2).padStart(16)}`,
      );
  }
  return out;
}

// The child renders and prints its own figures; tsx runs it as the tests run.
const CHILD = `
import { readFileSync, writeFileSync } from 'node:fs';
import { codePage } from ${JSON.stringify(new URL('../../../cics/codepages.js', import.meta.url).pathname)};
import { makeReport, readReportOptions } from ${JSON.stringify(new URL('../../../transactions/report/report.js', import.meta.url).pathname)};
const [input, output, ccsid] = process.argv.slice(2);
const bytes = readFileSync(input);
const started = process.hrtime.bigint();
const options = readReportOptions(new Map([['RECFM', 'FBA'], ['LRECL', '133'], ['FORMAT', 'PDF']]));
const made = await makeReport({ name: 'ledger.lst', input: { bytes }, options, cp: codePage(Number(ccsid)), date: new Date(0) });
const ms = Number(process.hrtime.bigint() - started) / 1e6;
writeFileSync(output, made.content.bytes);
console.log(JSON.stringify({ ms, rssMB: process.resourceUsage().maxRSS / 1024, bytes: made.content.bytes.length, filename: made.filename }));
`;

for (const [ccsid, PAGES] of [
  [37, 2000],
  [273, 400],
] as const) {
  t.test(`${PAGES} pages of FBA in CCSID ${ccsid} as a PDF`, async (t) => {
    const dir = t.testdir();
    const input = join(dir, 'ledger.fba');
    const output = join(dir, 'ledger.pdf');
    const script = join(dir, 'render.mts');
    writeFileSync(input, fixedRecords(records(PAGES), 133, ccsid));
    writeFileSync(script, CHILD);
    const tsx = new URL('../../../node_modules/tsx/dist/cli.mjs', import.meta.url).pathname;
    const out = execFileSync(process.execPath, [tsx, script, input, output, String(ccsid)], { maxBuffer: 1 << 20 });
    const figures = JSON.parse(out.toString('utf8')) as { ms: number; rssMB: number; bytes: number; filename: string };
    t.comment(
      `CCSID ${ccsid}: ${PAGES * LINES} records (${((PAGES * LINES * 133) / 1e6).toFixed(1)} MB) -> ${(figures.bytes / 1e6).toFixed(2)} MB PDF in ${Math.round(figures.ms)} ms, peak RSS ${Math.round(figures.rssMB)} MB`,
    );
    t.equal(figures.filename, 'ledger.pdf');
    const pdf = readFileSync(output);
    t.equal(pdfInfo(pdf).Pages, String(PAGES));
    const [first] = pdfPages(pdf, 1, 1);
    t.match(first?.[0], /^GENERAL LEDGER\s+Hauptbuch Übersicht\s+PAGE\s+1$/, 'the first line on the first sheet');
    t.match(first?.[1], /^000000002\s+ACCOUNT ÄÖÜ\s+2\.50$/);
    const [last] = pdfPages(pdf, PAGES, PAGES);
    t.match(last?.[0], new RegExp(`PAGE\\s+${PAGES}$`));
    const lastNumber = String(PAGES * LINES).padStart(9, '0');
    const lastAmount = (PAGES * LINES * 1.25).toFixed(2).replace('.', '\\.');
    t.match(
      last?.filter((l) => l !== '').at(-1),
      new RegExp(`^${lastNumber}\\s+ACCOUNT ÄÖÜ\\s+${lastAmount}$`),
      'the last record last on the last sheet',
    );
  });
}
