// Reports end to end: SEND jobs and MAIL channels asking for report attachments, through a
// real region to a real SMTP relay (smtp-server); the mail parsed by mailparser, the ZIP
// tested and opened by unzip and Python, the PDF read by pdftotext and pdfinfo.
import t from 'tap';
import { simpleParser, type Attachment as ParsedAttachment } from 'mailparser';
import { channelBody, type ChannelPart } from '../helpers/channel.js';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { ebcdicLines, fromEbcdic } from '../helpers/ebcdic.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import {
  fixedRecords,
  pdfInfo,
  pdfOutline,
  pdfPages,
  unzipOne,
  variableRecords,
  xlsxSheet,
} from './report/report-check.js';

const relay = await startRelay(t);
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });

/** A report of `pages` pages of 133-byte FBA records, 50 detail lines a page. */
function payrollRecords(pages: number): string[] {
  const records: string[] = [];
  for (let p = 1; p <= pages; p++) {
    records.push(`1${'WEEKLY PAYROLL  Lohnabrechnung Grüße'.padEnd(119)}PAGE ${String(p).padStart(5)}`);
    records.push(`0${'EMPLOYEE'.padEnd(12)}${'NAME'.padEnd(30)}${'AMOUNT'.padStart(14)}`);
    records.push(`+${'________'.padEnd(12)}${'____'.padEnd(30)}${'______'.padStart(14)}`);
    for (let i = 1; i <= 50; i++) {
      const n = (p - 1) * 50 + i;
      records.push(
        ` ${String(n).padStart(8, '0')}    ${`EMPLOYEE ${n}`.padEnd(30)}${(n * 10.25).toFixed(2).padStart(14)}`,
      );
    }
  }
  return records;
}

async function sendJob(lines: readonly string[], ccsid = 37): Promise<{ rc: string | null; report: string[] }> {
  const res = await region.post('SEND', ebcdicLines(lines, ccsid), { 'x-cics-ccsid': String(ccsid) });
  t.equal(res.status, 200);
  const body = Buffer.from(await res.arrayBuffer());
  return { rc: res.headers.get('x-mail-rc'), report: fromEbcdic(body, ccsid).split('\u0085').slice(0, -1) };
}

async function lastMailAttachments(before: number): Promise<ParsedAttachment[]> {
  t.equal(relay.mails.length, before + 1, 'one mail reached the relay');
  const parsed = await simpleParser(relay.mails.at(-1)?.message ?? Buffer.alloc(0));
  return parsed.attachments;
}

t.test('SEND: an FBA report attached as a landscape PDF inside a ZIP', async (t) => {
  const before = relay.mails.length;
  const records = payrollRecords(3);
  const answer = await sendJob([
    'FROM batch@corp.example',
    'TO ops@corp.example',
    'SUBJECT Payroll &DATE',
    'TEXT',
    'The payroll report is attached.',
    'ENDTEXT',
    'ATTACH NAME=PAYROLL.LST RECFM=FBA LRECL=133 FORMAT=ZIP/PDF ORIENTATION=LANDSCAPE PAPER=A4 INDEX=1-40',
    ...records,
    'ENDATTACH',
  ]);
  t.equal(answer.rc, '0', answer.report.join('\n'));
  const [zip] = await lastMailAttachments(before);
  t.equal(zip?.filename, 'PAYROLL.zip');
  t.equal(zip?.contentType, 'application/zip');
  const inner = unzipOne(zip?.content ?? Buffer.alloc(0));
  t.match(inner.tested, /No errors detected/);
  t.equal(inner.name, 'PAYROLL.pdf');
  const info = pdfInfo(inner.data);
  t.equal(info.Pages, '3');
  t.match(info['Page size'], /^841\.89 x 595\.28 pts \(A4\)/, 'A4 landscape');
  const pages = pdfPages(inner.data);
  t.match(pages[0]?.[0], /^WEEKLY PAYROLL\s+Lohnabrechnung Grüße\s+PAGE\s+1$/, 'the title on the first line');
  t.match(pages[0]?.join('\n'), /00000001\s+EMPLOYEE 1\s+10\.25/);
  t.match(pages[2]?.filter((l) => l !== '').at(-1), /^00000150\s+EMPLOYEE 150\s+1537\.50$/, 'the last record last');
  t.same(
    pdfOutline(inner.data),
    [{ title: 'WEEKLY PAYROLL Lohnabrechnung Grüße', page: 1 }],
    'INDEX=1-40: one bookmark, the title being the same on every page',
  );
});

t.test('SEND: V records with their RDWs in base64, in code page 273', async (t) => {
  const before = relay.mails.length;
  const vba = variableRecords(['1Bestandsliste', ' Grüße aus Köln', '0Ende'], 273);
  const b64 = vba.toString('base64').match(/.{1,60}/g) ?? [];
  const answer = await sendJob(
    [
      'FROM batch@corp.example',
      'TO ops@corp.example',
      'ATTACH NAME=bestand RECFM=VBA LRECL=80 ENCODING=BASE64 FORMAT=TXT',
      ...b64,
      'ENDATTACH',
    ],
    273,
  );
  t.equal(answer.rc, '0', answer.report.join('\n'));
  const [txt] = await lastMailAttachments(before);
  t.equal(txt?.filename, 'bestand.txt');
  t.equal(txt?.content.toString('utf8'), 'Bestandsliste\r\nGrüße aus Köln\r\n\r\nEnde\r\n');
});

t.test('SEND: wrong report options are RC 8 on the ATTACH line; the other mails go', async (t) => {
  const before = relay.mails.length;
  const mailWith = (attach: string, data = ' x') => [
    'FROM batch@corp.example',
    'TO ops@corp.example',
    attach,
    data,
    'ENDATTACH',
    'SEND',
  ];
  const answer = await sendJob([
    ...mailWith('ATTACH NAME=a RECFM=XYZ'),
    ...mailWith('ATTACH NAME=b RECFM=FB LRECL=0'),
    ...mailWith('ATTACH NAME=c RECFM=FBA FORMAT=PDF ORIENTATION=UPSIDEDOWN'),
    ...mailWith('ATTACH NAME=d RECFM=FBA', 'Xbad control'),
    ...mailWith('ATTACH NAME=e RECFM=VB ENCODING=BASE64', 'AAIAAA=='),
    ...mailWith('ATTACH NAME=f RECFM=FBA LRECL=133 FORMAT=PDF TYPE=text/plain'),
    ...mailWith('ATTACH NAME=g RECFM=FBA RECFM=FB'),
    ...mailWith('ATTACH NAME=ok.lst RECFM=FBA LRECL=133 FORMAT=HTML', '1fine'),
  ]);
  t.equal(answer.rc, '8');
  t.same(answer.report.slice(0, 7), [
    'RC=08 LINE=3 ATTACH a: RECFM=XYZ is not F, FB, V or VB, with A (ASA) or M (machine) control or none',
    'RC=08 LINE=9 ATTACH b: LRECL=0: RECFM=FB takes LRECL=1 to 32760',
    'RC=08 LINE=15 ATTACH c: ORIENTATION=UPSIDEDOWN is not PORTRAIT or LANDSCAPE',
    "RC=08 LINE=21 ATTACH d: record 1: x'E7' is no ASA control character (blank 0 - + 1-9 A B C)",
    "RC=08 LINE=27 ATTACH e: record 1 at byte 0: RDW x'00020000' gives a length of 2, less than its own 4",
    'RC=08 LINE=33 ATTACH f: TYPE=text/plain is not the application/pdf of FORMAT=PDF',
    'RC=08 LINE=39 a second RECFM= on one ATTACH',
  ]);
  t.match(answer.report[7], /^RC=00 SEQ=\d+ /);
  const [html] = await lastMailAttachments(before);
  t.equal(html?.filename, 'ok.html');
  t.equal(html?.contentType, 'text/html');
});

/** `bytes` of ASA `1` records of LRECL=2 in EBCDIC: a page eject each, nothing printed. */
function ejects(bytes: number): Buffer {
  const data = Buffer.alloc(bytes, 0x40);
  for (let i = 0; i < bytes; i += 2) data[i] = 0xf1;
  return data;
}

async function mailWith(containers: ChannelPart[]): Promise<ReturnType<typeof readMailResponse>> {
  const area = buildMailCommarea(
    { from: 'batch@corp.example', to: 'ops@corp.example', subject: 'report', body: 'see attached' },
    37,
  );
  const form = channelBody([{ name: 'DFHCOMMAREA', type: 'application/octet-stream', data: area }, ...containers]);
  const res = await region.post('MAIL', form.body, { 'x-cics-ccsid': '37', 'content-type': form.type });
  t.equal(res.status, 200);
  return readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
}

t.test('MAIL: a CHAR container in 273 with report parameters in its Content-Type becomes a PDF', async (t) => {
  const before = relay.mails.length;
  const data = fixedRecords(payrollRecords(2), 133, 273);
  const answer = await mailWith([
    {
      name: 'REPORT',
      filename: 'payroll.txt',
      type: 'text/plain; charset=ibm-273; recfm=FBA; lrecl=133; format=pdf; orientation=landscape; fontsize=7; index=title',
      data,
    },
    {
      name: 'RAW',
      filename: 'raw.txt',
      type: 'text/plain; charset=ibm-273',
      data: fixedRecords([' no report'], 20, 273),
    },
  ]);
  t.equal(answer.rc, 0, answer.relayReply);
  const [pdf, raw] = await lastMailAttachments(before);
  t.equal(pdf?.filename, 'payroll.pdf');
  t.equal(pdf?.contentType, 'application/pdf');
  t.equal(pdfInfo(pdf?.content ?? Buffer.alloc(0)).Pages, '2');
  const pages = pdfPages(pdf?.content ?? Buffer.alloc(0));
  t.match(pages[1]?.[0], /Grüße\s+PAGE\s+2$/);
  t.same(
    pdfOutline(pdf?.content ?? Buffer.alloc(0)).map((b) => b.title),
    ['WEEKLY PAYROLL Lohnabrechnung Grüße PAGE 1', 'WEEKLY PAYROLL Lohnabrechnung Grüße PAGE 2'],
    'index=title: a bookmark a page',
  );
  t.equal(raw?.content.toString('utf8').trimEnd(), ' no report', 'a container without report parameters as before');
});

t.test('MAIL: a BIT container of VB records as CSV; a broken one is RC 8 naming the container', async (t) => {
  const before = relay.mails.length;
  const vb = variableRecords(['name;amount', 'Miller; 12.50', '=cmd;-3'], 37);
  const ok = await mailWith([
    { name: 'CSV', filename: 'x.dat', type: 'application/octet-stream; recfm=VB; format=csv; separator=";"', data: vb },
  ]);
  t.equal(ok.rc, 0, ok.relayReply);
  const [csv] = await lastMailAttachments(before);
  t.equal(csv?.filename, 'x.dat.csv');
  t.equal(csv?.content.toString('utf8'), '\ufeffname;amount\r\nMiller;12.50\r\n"\'=cmd";-3\r\n');

  const cases: [ChannelPart, string, RegExp][] = [
    [
      { name: 'R1', type: 'text/plain; recfm=FB; lrecl=80', data: Buffer.alloc(81, 0x40) },
      'BADRECS',
      /^container R1: 81 bytes of RECFM=FB data are not a multiple of LRECL=80/,
    ],
    [{ name: 'R2', type: 'text/plain; recfm=XYZ', data: Buffer.alloc(1) }, 'BADRECFM', /^container R2: RECFM=XYZ/],
    [
      { name: 'R3', type: 'text/plain; format=pdf; format=zip', data: Buffer.alloc(1) },
      'BADRPTOP',
      /^container R3: the Content-Type parameter format comes twice/,
    ],
    [
      { name: 'R4', type: 'application/octet-stream; recfm=VB', data: Buffer.of(0xff, 0xff, 0, 0) },
      'BADRECS',
      /^container R4: record 1 at byte 0: RDW x'FFFF0000' gives 65535 bytes, only 4 are left/,
    ],
    [
      // 40 KB of ASA page ejects: 20,000 empty pages, once a 12.7 MB mail.
      { name: 'R5', type: 'application/octet-stream; recfm=FBA; lrecl=2; format=pdf', data: ejects(40_000) },
      'RPTSIZE',
      /^container R5: as PDF the report passes 1,688,576 bytes at page [\d,]+ of 20,000, the limit for 40,000 bytes/,
    ],
  ];
  for (const [part, reason, detail] of cases) {
    const before = relay.mails.length;
    const answer = await mailWith([part]);
    t.equal(answer.rc, 8, part.name);
    t.equal(answer.reason, reason, part.name);
    t.match(answer.relayReply, detail, part.name);
    t.equal(relay.mails.length, before, 'nothing sent');
  }
});

t.test('XLSX through SEND and through a channel: a worksheet that openpyxl reads', async (t) => {
  const lines = ['ACCOUNT;NAME;AMOUNT', '000001;Grüße GmbH;1,250.00', '000002;Smith;12.50-'];
  let before = relay.mails.length;
  const answer = await sendJob([
    'FROM batch@corp.example',
    'TO ops@corp.example',
    'ATTACH NAME=LEDGER.CSV FORMAT=XLSX SEPARATOR=SEMICOLON',
    ...lines,
    'ENDATTACH',
  ]);
  t.equal(answer.rc, '0', answer.report.join('\n'));
  const [sent] = await lastMailAttachments(before);
  t.equal(sent?.filename, 'LEDGER.xlsx');
  t.equal(sent?.contentType, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet');
  const expected = [
    ['ACCOUNT', 'NAME', 'AMOUNT'],
    ['000001', 'Grüße GmbH', 1250],
    ['000002', 'Smith', -12.5],
  ];
  const values = (xlsx: Buffer | undefined) =>
    xlsxSheet(xlsx ?? Buffer.alloc(0)).rows.map((r) => r.map((c) => c.value));
  t.same(values(sent?.content), expected);

  before = relay.mails.length;
  const data = fixedRecords(lines, 40, 273);
  const mailed = await mailWith([
    {
      name: 'LEDGER',
      filename: 'ledger.dat',
      type: 'text/plain; charset=ibm-273; recfm=FB; lrecl=40; format=xlsx; separator=";"',
      data,
    },
  ]);
  t.equal(mailed.rc, 0, mailed.relayReply);
  const [channel] = await lastMailAttachments(before);
  t.equal(channel?.filename, 'ledger.dat.xlsx');
  t.same(values(channel?.content), expected);
});
