// A report in each format, read back with other readers: pdftotext and pdfinfo for PDF,
// unzip for ZIP, htmlparser2 for HTML; names, MIME types and the TYPE= check.
import t from 'tap';
import { parseDocument, DomUtils } from 'htmlparser2';
import { codePage } from '../../../cics/codepages.js';
import { makeReport, readReportOptions, reportName } from '../../../transactions/report/report.js';
import type { Attachment } from '../../../transactions/mail/compose.js';
import { fixedRecords, pdfInfo, pdfOutline, pdfPages, unzipOne, xlsxSheet } from './report-check.js';

const cp037 = codePage(37);
const DATE = new Date(Date.UTC(2026, 0, 31, 12, 0, 0));

/** Three pages of a 133-byte FBA report, the third with an underlined heading. */
const RECORDS = [
  `1${'PAYROLL REPORT'.padEnd(120)}PAGE    1`,
  ' EMPLOYEE   NAME                 AMOUNT',
  '0000001     MILLER <b>&amp;</b>    1,234.50',
  '-000002     SMITH                  -12.00',
  `1${'PAYROLL REPORT'.padEnd(120)}PAGE    2`,
  ' 000003     JONES                   99.99',
  '1TOTALS',
  '+______',
  ' SUM                             1,322.49',
];
const FBA = fixedRecords(RECORDS, 133, 37);

async function report(
  options: Record<string, string>,
  name = 'payroll.lst',
  bytes: Uint8Array = FBA,
): Promise<Attachment> {
  const parsed = readReportOptions(new Map(Object.entries({ RECFM: 'FBA', LRECL: '133', ...options })));
  if (parsed === undefined || 'code' in parsed) throw new Error(JSON.stringify(parsed));
  const made = await makeReport({ name, input: { bytes }, options: parsed, cp: cp037, date: DATE });
  if ('code' in made) throw new Error(made.message);
  return made;
}
const textOf = (a: Attachment) => ('text' in a.content ? a.content.text : '');
const bytesOf = (a: Attachment) => ('bytes' in a.content ? a.content.bytes : new Uint8Array(0));

t.test('names and MIME types follow the format', async (t) => {
  t.equal(reportName('payroll.lst', 'pdf'), 'payroll.pdf');
  t.equal(reportName('PAYROLL.D240131', 'pdf'), 'PAYROLL.D240131.pdf');
  t.equal(reportName('', 'zip'), 'report.zip');
  t.equal(reportName('.txt', 'csv'), 'report.csv');
  for (const [format, filename, type] of [
    ['TXT', 'payroll.txt', 'text/plain'],
    ['HTML', 'payroll.html', 'text/html'],
    ['PDF', 'payroll.pdf', 'application/pdf'],
    ['CSV', 'payroll.csv', 'text/csv'],
    ['ZIP', 'payroll.zip', 'application/zip'],
    ['ZIP/PDF', 'payroll.zip', 'application/zip'],
  ] as const) {
    const a = await report({ FORMAT: format });
    t.equal(a.filename, filename, format);
    t.equal(a.contentType, type, format);
  }
});

t.test('TXT: pages start with a form feed, spacing as blank lines, overprint merged', async (t) => {
  const text = textOf(await report({}));
  const pages = text.split('\f');
  t.equal(pages.length, 3);
  t.same(pages[0]?.split('\n'), [
    RECORDS[0]?.slice(1),
    ' EMPLOYEE   NAME                 AMOUNT'.slice(1),
    '',
    '000001     MILLER <b>&amp;</b>    1,234.50'.slice(0),
    '',
    '',
    '000002     SMITH                  -12.00',
    '',
  ]);
  t.equal(pages[2], 'TOTALS\nSUM                             1,322.49');
});

t.test('HTML: a page a <pre>, breaks that print, the text escaped, the overprint underlined', async (t) => {
  const html = textOf(await report({ FORMAT: 'HTML', ORIENTATION: 'LANDSCAPE', PAPER: 'LETTER' }));
  const doc = parseDocument(html);
  const pres = DomUtils.getElementsByTagName('pre', doc);
  t.equal(pres.length, 3);
  t.ok(pres.every((p) => p.attribs.class === 'page'));
  t.match(DomUtils.textContent(pres[0]!), /MILLER <b>&amp;<\/b>/, 'markup in the data is text');
  const style = DomUtils.textContent(DomUtils.getElementsByTagName('style', doc)[0]!);
  t.match(style, /@page \{ size: letter landscape;/);
  t.match(style, /\.page \{ break-after: page; page-break-after: always; \}/);
  t.match(style, /font-family: "Courier New", Courier, monospace/);
  const u = DomUtils.getElementsByTagName('u', pres[2]!);
  t.same(
    u.map((e) => DomUtils.textContent(e)),
    ['TOTALS'],
  );
  t.equal(DomUtils.textContent(DomUtils.getElementsByTagName('title', doc)[0]!), 'payroll.html');
});

t.test('CSV: fields of a delimited report, quoted where needed, formulas guarded, numbers kept', async (t) => {
  const rows = fixedRecords(
    [' NAME;AMOUNT;NOTE', ' Miller; 1.234,50 ;said "hi"', '0=HYPERLINK("x");-12;@SUM', '1Smith;-0,5;a;b'],
    60,
    37,
  );
  const csv = await report({ FORMAT: 'CSV', SEPARATOR: ';', LRECL: '60' }, 'data.txt', rows);
  t.equal(csv.filename, 'data.csv');
  t.equal(
    textOf(csv),
    '\ufeffNAME;AMOUNT;NOTE\nMiller;1.234,50;"said ""hi"""\n"\'=HYPERLINK(""x"")";-12;"\'@SUM"\nSmith;-0,5;a;b',
  );
});

t.test('PDF: pages, paper, the text where it belongs (pdftotext, pdfinfo)', async (t) => {
  const pdf = bytesOf(await report({ FORMAT: 'PDF' }));
  const info = pdfInfo(pdf);
  t.equal(info.Pages, '3');
  t.match(info['Page size'], /^841\.89 x 595\.28 pts/, '133 columns go landscape by themselves');
  t.equal(info.Title, 'payroll.pdf');
  const pages = pdfPages(pdf);
  t.equal(pages.length, 3);
  t.match(pages[0]?.join('\n'), /PAYROLL REPORT\s+PAGE\s+1/);
  t.match(pages[0]?.join('\n'), /000002\s+SMITH\s+-12\.00/);
  t.match(pages[1]?.join('\n'), /000003\s+JONES\s+99\.99/);
  t.match(pages[2]?.join('\n'), /SUM\s+1,322\.49/);
  const portrait = pdfInfo(
    bytesOf(await report({ FORMAT: 'PDF', ORIENTATION: 'PORTRAIT', PAPER: 'LETTER', FONTSIZE: '6' })),
  );
  t.match(portrait['Page size'], /^612 x 792 pts \(letter\)/);
});

t.test('PDF: a page longer than a sheet goes on over the next; characters beyond WinAnsi show as ?', async (t) => {
  const long = [`1${'\u20ac'} LONG PAGE`, ...Array.from({ length: 150 }, (_, i) => ` LINE ${i + 1}`), ' Ω END'];
  const opts = readReportOptions(
    new Map([
      ['RECFM', 'FBA'],
      ['FORMAT', 'PDF'],
      ['FONTSIZE', '10'],
    ]),
  );
  if (!opts || 'code' in opts) throw new Error('options');
  const made = await makeReport({
    name: 'long',
    input: { lines: long },
    options: opts,
    cp: codePage(1140),
    date: DATE,
  });
  const pdf = bytesOf(made as Attachment);
  const pages = pdfPages(pdf);
  t.ok(pages.length >= 3, `${pages.length} sheets`);
  t.equal(pages[0]?.[0]?.trim(), '€ LONG PAGE');
  t.match(pages.at(-1)?.join('\n'), /\? END/);
});

t.test('ZIP: one file inside, named and typed by its format, that unzip tests and reads', async (t) => {
  const pdfZip = unzipOne(bytesOf(await report({ FORMAT: 'ZIP/PDF', ORIENTATION: 'LANDSCAPE' })));
  t.match(pdfZip.tested, /testing: payroll\.pdf\s+OK/);
  t.notOk(pdfZip.utf8Flag, 'an ASCII name needs no UTF-8 flag');
  t.match(pdfZip.tested, /No errors detected/);
  t.equal(pdfZip.name, 'payroll.pdf');
  t.equal(pdfInfo(pdfZip.data).Pages, '3');
  const txtZip = unzipOne(bytesOf(await report({ FORMAT: 'ZIP' }, 'Bücher.lst')));
  t.equal(txtZip.name, 'Bücher.txt', 'a UTF-8 name');
  t.ok(txtZip.utf8Flag, 'flagged as UTF-8 (bit 11)');
  t.match(txtZip.data.toString('utf8'), /^PAYROLL REPORT.*\r\n/, 'CRLF inside the archive');
});

t.test("TYPE= must be the format's", async (t) => {
  const opts = readReportOptions(new Map([['FORMAT', 'PDF']]));
  if (!opts || 'code' in opts) throw new Error('options');
  t.same(
    await makeReport({ name: 'x', input: { lines: ['a'] }, options: opts, cp: cp037, date: DATE, type: 'text/plain' }),
    {
      code: 'BADRPTOP',
      message: 'TYPE=text/plain is not the application/pdf of FORMAT=PDF',
    },
  );
  t.notOk(
    'code' in
      (await makeReport({
        name: 'x',
        input: { lines: ['a'] },
        options: opts,
        cp: cp037,
        date: DATE,
        type: 'Application/PDF',
      })),
  );
});

t.test('empty and blank reports still make a file each format can open', async (t) => {
  for (const format of ['TXT', 'HTML', 'PDF', 'CSV', 'ZIP/PDF']) {
    const a = await report({ FORMAT: format }, 'empty', Buffer.alloc(0));
    if (format === 'PDF') t.equal(pdfInfo(bytesOf(a)).Pages, '1');
    if (format === 'ZIP/PDF') t.equal(pdfInfo(unzipOne(bytesOf(a)).data).Pages, '1');
  }
});

t.test('RPTSIZE: a report of new pages alone may not render past 1 MiB and 16 bytes a byte of its data', async (t) => {
  // 40 KB of ASA `1` records with LRECL=2: 20,000 empty pages, once a 12.7 MB mail.
  const ejects = Buffer.alloc(40_000, 0x40);
  for (let i = 0; i < ejects.length; i += 2) ejects[i] = 0xf1;
  const opts = readReportOptions(new Map(Object.entries({ RECFM: 'FBA', LRECL: '2', FORMAT: 'PDF' })));
  if (!opts || 'code' in opts) throw new Error('options');
  const made = await makeReport({ name: 'ejects', input: { bytes: ejects }, options: opts, cp: cp037, date: DATE });
  t.match(made, {
    code: 'RPTSIZE',
    message:
      /^as PDF the report passes 1,688,576 bytes at page [\d,]+ of 20,000, the limit for 40,000 bytes of data \(1 MiB and 16 bytes a byte of data\)$/,
  });
  const stoppedAt = Number(/at page ([\d,]+)/.exec((made as { message: string }).message)?.[1]?.replace(/,/g, ''));
  t.ok(stoppedAt > 1000 && stoppedAt < 20_000, `stopped at page ${stoppedAt}, once past the limit`);
  // The same pages as text are two bytes a page: well inside.
  const txt = await report({ FORMAT: 'TXT', LRECL: '2' }, 'ejects', ejects);
  t.equal(textOf(txt), '\n\f'.repeat(19_999), 'an empty line a page, a form feed before each but the first');
  // Where 16 bytes a byte is room enough, the PDF is made: 2,000 pages of 4,000 bytes.
  const few = await report({ FORMAT: 'PDF', LRECL: '2' }, 'few', ejects.subarray(0, 4_000));
  t.equal(pdfInfo(bytesOf(few)).Pages, '2000');
});

t.test(
  'XLSX: the CSV rows as a worksheet, numbers where a column is numeric, the header frozen (openpyxl)',
  async (t) => {
    const rows = fixedRecords(
      [
        'ACCOUNT;NAME;AMOUNT;CHANGE;RATE',
        '000123;Müller & Söhne;1,234.50;12.5-;3',
        '000124;=SUM(A1);-12.00;+7;',
        '000125;"quoted";999,999,999.99;0;.25',
      ],
      60,
      37,
    );
    const a = await report({ FORMAT: 'XLSX', SEPARATOR: ';', LRECL: '60', RECFM: 'FB' }, 'ledger.lst', rows);
    t.equal(a.filename, 'ledger.xlsx');
    t.equal(a.contentType, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
    const sheet = xlsxSheet(bytesOf(a));
    t.same(sheet.sheets, ['ledger']);
    t.equal(sheet.freeze, 'A2', 'the header row stays in sight');
    const values = sheet.rows.map((r) => r.map((c) => c.value));
    t.same(values, [
      ['ACCOUNT', 'NAME', 'AMOUNT', 'CHANGE', 'RATE'],
      ['000123', 'Müller & Söhne', 1234.5, -12.5, 3],
      ['000124', '=SUM(A1)', -12, 7, null],
      ['000125', '"quoted"', 999999999.99, 0, 0.25],
    ]);
    t.ok(
      sheet.rows[0]?.every((c) => c.bold && c.type === 's'),
      'the header: bold text',
    );
    const [, first, second] = sheet.rows;
    t.same(
      first?.map((c) => c.type),
      ['s', 's', 'n', 'n', 'n'],
      'account numbers with leading zeros stay text; amounts are numbers',
    );
    t.equal(second?.[1]?.type, 's', 'a field that looks like a formula is text, not a formula');
    t.equal(first?.[2]?.format, '#,##0.00', 'the decimals and the thousands commas the report gave');
    t.equal(first?.[3]?.format, '0.0');
    t.equal(first?.[4]?.format, '0.00', 'a column takes the most decimals among its cells');
  },
);

t.test('XLSX: a column with one cell that is no number is text throughout; ZIP/XLSX; empty reports', async (t) => {
  const rows = fixedRecords(['CODE,QTY', 'A1,5', 'B2,n/a', 'C3,7'], 20, 37);
  const sheet = xlsxSheet(bytesOf(await report({ FORMAT: 'XLSX', RECFM: 'FB', LRECL: '20' }, 'stock', rows)));
  t.same(
    sheet.rows.map((r) => r.map((c) => c.value)),
    [
      ['CODE', 'QTY'],
      ['A1', '5'],
      ['B2', 'n/a'],
      ['C3', '7'],
    ],
  );
  const zipped = unzipOne(bytesOf(await report({ FORMAT: 'ZIP/XLSX', RECFM: 'FB', LRECL: '20' }, 'stock', rows)));
  t.equal(zipped.name, 'stock.xlsx');
  t.equal(xlsxSheet(zipped.data).rows.length, 4);
  const empty = xlsxSheet(bytesOf(await report({ FORMAT: 'XLSX' }, 'empty', Buffer.alloc(0))));
  t.same(empty.rows, [], 'an empty report is an empty sheet');
});

t.test(
  'PDF INDEX=: bookmarks from each page title, or a column range, one where the key changes (pdftohtml)',
  async (t) => {
    const titles = bytesOf(await report({ FORMAT: 'PDF', INDEX: 'TITLE' }));
    t.same(pdfOutline(titles), [
      { title: 'PAYROLL REPORT PAGE 1', page: 1 },
      { title: 'PAYROLL REPORT PAGE 2', page: 2 },
      { title: 'TOTALS', page: 3 },
    ]);
    t.equal(pdfInfo(titles).Pages, '3');
    // Columns 1 to 14 hold PAYROLL REPORT on pages 1 and 2: one bookmark for both.
    t.same(pdfOutline(bytesOf(await report({ FORMAT: 'PDF', INDEX: '1-14' }))), [
      { title: 'PAYROLL REPORT', page: 1 },
      { title: 'TOTALS', page: 3 },
    ]);
    // Line 2, columns 1 to 8: the heading on page 1, the first detail line on page 2, the sum on 3.
    t.same(pdfOutline(bytesOf(await report({ FORMAT: 'PDF', INDEX: '2/1-8' }))), [
      { title: 'EMPLOYEE', page: 1 },
      { title: '000003', page: 2 },
      { title: 'SUM', page: 3 },
    ]);
    t.same(pdfOutline(bytesOf(await report({ FORMAT: 'PDF' }))), [], 'no INDEX=, no outline');
    for (const [index, message] of [
      ['PAGE', /^INDEX=PAGE is not TITLE, columns n-m, or a line and its columns l\/n-m/],
      ['9-3', /^INDEX=9-3: columns run from 1 to 32760, the first before the last/],
      ['0/1-5', /^INDEX=0\/1-5: the line is 1 to 1000 of its page/],
    ] as const) {
      t.match(
        readReportOptions(
          new Map([
            ['FORMAT', 'PDF'],
            ['INDEX', index],
          ]),
        ),
        { code: 'BADRPTOP', message },
      );
    }
    t.match(
      readReportOptions(
        new Map([
          ['FORMAT', 'TXT'],
          ['INDEX', 'TITLE'],
        ]),
      ),
      {
        code: 'BADRPTOP',
        message: 'INDEX= is for FORMAT=PDF, not TXT',
      },
    );
  },
);
