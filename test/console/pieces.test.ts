// The console's pieces on their own: a COMMAREA field by field through groups, tables and
// REDEFINES; text lines; safe download names; the cross-site rule on every kind of request.
import t from 'tap';
import type { FastifyRequest } from 'fastify';
import { codePage } from '../../cics/codepages.js';
import { jsonToRecord } from '../../cics/copybook/json.js';
import { parseCopybook } from '../../cics/copybook/parse.js';
import { commareaFields, lineFields } from '../../region/views/commarea-fields.js';
import { crossSiteReason } from '../../region/security/cross-site.js';
import { downloadName, parseMail } from '../../region/views/mail-view.js';
import { cicsReplyOf } from '../../region/errors.js';

const cpy = (lines: string[]) => lines.map((l) => `       ${l}`).join('\n');
const cp = codePage(37);

t.test('groups, a fixed table of groups, packed and binary numbers, REDEFINES left out', async (t) => {
  const layout = parseCopybook(
    cpy([
      '01  REC.',
      '    05  R-ID          PIC X(4).',
      '    05  R-ALT REDEFINES R-ID PIC 9(4).',
      '    05  FILLER        PIC X(2).',
      '    05  R-LINES OCCURS 2 TIMES.',
      '        10  R-QTY     PIC S9(3) COMP-3.',
      '        10  R-NAME    PIC X(3).',
      '    05  R-TOTAL       PIC S9(4) COMP.',
    ]),
    't',
  );
  const { bytes } = jsonToRecord(
    {
      r_id: 'AB',
      r_lines: [
        { r_qty: 5, r_name: 'X' },
        { r_qty: -12, r_name: 'YZ' },
      ],
      r_total: 7,
    },
    layout,
    cp,
  );
  const fields = commareaFields(bytes, layout, cp);
  t.same(
    fields.map((f) => [f.name, f.depth, f.offset, f.size, f.picture, f.usage, f.value, f.hex]),
    [
      ['R-ID', 0, 0, 4, 'X(4)', 'DISPLAY', 'AB', 'C1C24040'],
      ['R-LINES(1)', 0, 6, 5, '', '', null, ''],
      ['R-QTY', 1, 6, 2, 'S9(3)', 'COMP-3', 5, '005C'],
      ['R-NAME', 1, 8, 3, 'X(3)', 'DISPLAY', 'X', 'E74040'],
      ['R-LINES(2)', 0, 11, 5, '', '', null, ''],
      ['R-QTY', 1, 11, 2, 'S9(3)', 'COMP-3', -12, '012D'],
      ['R-NAME', 1, 13, 3, 'X(3)', 'DISPLAY', 'YZ', 'E8E940'],
      ['R-TOTAL', 0, 16, 2, 'S9(4)', 'BINARY', 7, '0007'],
    ],
  );
});

t.test('text a line at a time: NL or LF ends one, shown with its end; none after the last', async (t) => {
  const bytes = Buffer.from([0xc1, 0x15, 0xc2, 0xc3, 0x25, 0x25, 0xc4]);
  t.same(
    lineFields(bytes, cp).map((f) => [f.name, f.offset, f.size, f.value, f.hex]),
    [
      ['LINE 1', 0, 2, 'A', 'C115'],
      ['LINE 2', 2, 3, 'BC', 'C2C325'],
      ['LINE 3', 5, 1, '', '25'],
      ['LINE 4', 6, 1, 'D', 'C4'],
    ],
  );
  t.same(lineFields(Buffer.from([0xc1, 0x15]), cp).length, 1, 'a last line end makes no empty line');
  t.same(lineFields(Buffer.alloc(0), cp), []);
});

t.test('download names: no path, no quote, no control character, never empty', async (t) => {
  for (const [name, want] of [
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['C:\\Windows\\evil.exe', 'evil.exe'],
    ['a"b;c%d.txt', 'a_b_c_d.txt'],
    ['line\r\nbreak.txt', 'line__break.txt'],
    ['Prüfbericht.pdf', 'Pr_fbericht.pdf'],
    ['', 'part-3.bin'],
    ['..', 'part-3.bin'],
    ['dir/', 'part-3.bin'],
    ['x'.repeat(300), 'x'.repeat(100)],
  ] as const) {
    t.equal(downloadName(name, 2), want, JSON.stringify(name).slice(0, 30));
  }
});

t.test('a mail taken apart: parts, attachments, headers in order', async (t) => {
  const mail = [
    'From: a@corp.example',
    'To: b@corp.example',
    'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=',
    'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'hello',
    '--b',
    'Content-Type: application/pdf; name="r.pdf"',
    'Content-Disposition: attachment; filename="r.pdf"',
    'Content-Transfer-Encoding: base64',
    '',
    'JVBERg==',
    '--b--',
    '',
  ].join('\r\n');
  const parsed = await parseMail(Buffer.from(mail));
  t.equal(parsed.view.subject, 'Grüße');
  t.equal(parsed.view.text?.trim(), 'hello');
  t.equal(parsed.view.hasHtml, false);
  t.equal(parsed.html, null);
  t.same(parsed.view.attachments, [
    { index: 0, filename: 'r.pdf', mimeType: 'application/pdf', size: 4, inline: false },
  ]);
  t.same(
    parsed.view.headers.map((h) => h.name),
    ['From', 'To', 'Subject', 'MIME-Version', 'Content-Type'],
  );
});

t.test('cross-site: which requests are refused, and why', async (t) => {
  const request = (method: string, headers: Record<string, string>, protocol = 'http') =>
    ({ method, headers, protocol, host: 'region.example:8080' }) as unknown as FastifyRequest;
  t.equal(crossSiteReason(request('GET', { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' })), null);
  t.equal(crossSiteReason(request('HEAD', { 'sec-fetch-site': 'cross-site' })), null);
  t.equal(crossSiteReason(request('OPTIONS', { 'sec-fetch-site': 'cross-site' })), null);
  t.equal(crossSiteReason(request('POST', {})), null, 'a program');
  t.equal(crossSiteReason(request('POST', { origin: 'http://region.example:8080' })), null);
  t.equal(crossSiteReason(request('DELETE', { origin: 'HTTP://Region.Example:8080' })), null);
  t.equal(crossSiteReason(request('PUT', { origin: 'https://region.example:8080' }, 'https')), null);
  t.equal(crossSiteReason(request('POST', { 'sec-fetch-site': 'Same-Origin' })), null);
  t.equal(crossSiteReason(request('POST', { 'sec-fetch-site': 'cross-site' })), 'Sec-Fetch-Site is cross-site');
  t.equal(crossSiteReason(request('PATCH', { 'sec-fetch-site': 'same-site' })), 'Sec-Fetch-Site is same-site');
  t.equal(
    crossSiteReason(request('POST', { origin: 'http://region.example:8080' }, 'https')),
    "Origin http://region.example:8080 is not this region's",
    'the scheme counts',
  );
  t.equal(crossSiteReason(request('POST', { origin: 'null' })), "Origin null is not this region's");
  t.equal(
    crossSiteReason(request('POST', { origin: `http://${'e'.repeat(500)}` }))?.length,
    'Origin '.length + 100 + " is not this region's".length,
    'a long origin is cut in the answer',
  );
});

t.test(
  'a field view of bounded size: runs of empty lines are one field, past 1,000 fields the rest is one',
  async (t) => {
    const blanks = Buffer.alloc(32_763, 0x15);
    t.same(
      lineFields(blanks, cp).map((f) => [f.name, f.offset, f.size, f.value, f.hex]),
      [['LINES 1-32763', 0, 32_763, '', '']],
      '32,763 NLs: one field, not 32,763 (3.4 MB of view before)',
    );
    const text = Buffer.from(Array.from({ length: 5000 }, () => [0xc1, 0x15]).flat());
    const fields = lineFields(text, cp);
    t.equal(fields.length, 1001);
    t.same(fields.at(-1), {
      name: 'LINES 1001-5000',
      depth: 0,
      offset: 2000,
      size: 8000,
      picture: '',
      usage: '',
      value: '(4000 more lines, not shown)',
      hex: '',
    });
    // About 100 characters a field, and 3 a byte of text (its value and its hex).
    t.ok(
      JSON.stringify(fields).length < 1001 * 100 + 3 * text.length,
      `${JSON.stringify(fields).length} characters of JSON`,
    );
    t.same(
      lineFields(Buffer.from([0xc1, 0x15, 0x15, 0x15, 0xc2]), cp).map((f) => [f.name, f.offset, f.size, f.value]),
      [
        ['LINE 1', 0, 2, 'A'],
        ['LINES 2-3', 2, 2, ''],
        ['LINE 4', 4, 1, 'B'],
      ],
    );
  },
);

t.test('a mail past the MIME parser limits is refused by name, not ASRA', async (t) => {
  const nested =
    'From: a@x.example\r\nSubject: deep\r\n' +
    Array.from({ length: 300 }, (_, i) => `Content-Type: multipart/mixed; boundary="b${i}"\r\n\r\n--b${i}\r\n`).join(
      '',
    ) +
    'Content-Type: text/plain\r\n\r\nx\r\n';
  await t.rejects(parseMail(Buffer.from(nested)), { code: 'CICS_NOTSHOWN', statusCode: 422 }, 'nested 300 deep');
  const many =
    'From: a@x.example\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n' +
    '--b\r\nContent-Type: text/plain\r\n\r\nx\r\n'.repeat(10_001) +
    '--b--\r\n';
  await t.rejects(parseMail(Buffer.from(many)), { code: 'CICS_NOTSHOWN', message: /MIME part count/ }, '10,001 parts');
  t.same(cicsReplyOf({ code: 'CICS_NOTSHOWN' }), { status: 422, resp: 'INVREQ', resp2: 6, abcode: null });
});
