// Records of a report from EBCDIC bytes (made by glibc's iconv) and from lines: F and V,
// short, long, malformed and hostile data.
import t from 'tap';
import { codePage } from '../../../cics/codepages.js';
import { MAX_RECORDS, recordsOfBytes, recordsOfLines } from '../../../transactions/report/records.js';
import type { RecordFormat } from '../../../transactions/report/records.js';
import { fixedRecords, variableRecords } from './report-check.js';

const cp037 = codePage(37);
const cp273 = codePage(273);
const F = (recfm: string, lrecl?: number): RecordFormat => ({
  recfm,
  kind: recfm[0] as 'F' | 'V',
  control: recfm.endsWith('A') ? 'asa' : recfm.endsWith('M') ? 'machine' : 'none',
  ...(lrecl === undefined ? {} : { lrecl }),
});

t.test('FBA: fixed records without line ends, control byte split off, trailing blanks dropped', async (t) => {
  const bytes = fixedRecords(['1TITLE', ' line one  ', '0Grüße x\u00a7', '+____'], 20, 273);
  t.same(recordsOfBytes(bytes, F('FBA', 20), cp273), [
    { control: 0xf1, text: 'TITLE' },
    { control: 0x40, text: 'line one' },
    { control: 0xf0, text: 'Grüße x§' },
    { control: 0x4e, text: '____' },
  ]);
  t.same(recordsOfBytes(Buffer.alloc(0), F('FB', 80), cp037), [], 'no data, no records');
});

t.test('FB: a record may hold NL, LF and packed bytes: records are cut by length, not by line ends', async (t) => {
  const bytes = Buffer.concat([cp037.encode('AB'), Buffer.of(0x15, 0x25, 0x0c), cp037.encode('C')]);
  const records = recordsOfBytes(bytes, F('FB', 3), cp037);
  t.same(
    (records as { text: string }[]).map((r) => r.text),
    ['AB\u0085', '\n\u000cC'],
  );
});

t.test('F: data that is not a multiple of LRECL is refused, saying how far off it is', async (t) => {
  const bytes = fixedRecords(['a', 'b'], 10, 37).subarray(0, 19);
  t.same(recordsOfBytes(bytes, F('FB', 10), cp037), {
    code: 'BADRECS',
    message: '19 bytes of RECFM=FB data are not a multiple of LRECL=10 (1 records and 9 bytes)',
  });
});

t.test('F without LRECL: the data lines (NL, LF) are the records', async (t) => {
  const bytes = Buffer.concat([cp037.encode('1PAGE'), Buffer.of(0x15), cp037.encode(' LINE   '), Buffer.of(0x25)]);
  t.same(recordsOfBytes(bytes, F('FBA'), cp037), [
    { control: 0xf1, text: 'PAGE' },
    { control: 0x40, text: 'LINE' },
  ]);
});

t.test('V: records after their RDWs, an empty one too', async (t) => {
  const bytes = variableRecords(['1HEAD', '', ' body  ', '0Ende'], 273);
  t.same(recordsOfBytes(bytes, F('VBA', 20), cp273), [
    { control: 0xf1, text: 'HEAD' },
    { control: 0x40, text: '' },
    { control: 0x40, text: 'body' },
    { control: 0xf0, text: 'Ende' },
  ]);
  t.same(recordsOfBytes(variableRecords(['x'], 37), F('VBM'), cp037), [{ control: 0xa7, text: '' }]);
});

t.test('V: bad RDWs are refused with the record, its byte offset and the RDW', async (t) => {
  const good = variableRecords(['abc'], 37);
  const cases: [Buffer, RegExp][] = [
    [Buffer.concat([good, Buffer.of(0x00, 0x08)]), /^record 2 at byte 7: the RDW is cut short, 2 bytes left$/],
    [
      Buffer.of(0x00, 0x02, 0x00, 0x00),
      /^record 1 at byte 0: RDW x'00020000' gives a length of 2, less than its own 4$/,
    ],
    [Buffer.of(0x00, 0x08, 0x01, 0x00, 1, 2, 3, 4), /^record 1 at byte 0: RDW x'00080100' has its last two bytes set/],
    [
      Buffer.of(0x7f, 0xff, 0x00, 0x00, 0xc1),
      /^record 1 at byte 0: RDW x'7FFF0000' gives 32767 bytes, only 5 are left$/,
    ],
    [
      Buffer.concat([good, good.subarray(0, 5)]),
      /^record 2 at byte 7: RDW x'00070000' gives 7 bytes, only 5 are left$/,
    ],
  ];
  for (const [bytes, message] of cases) t.match(recordsOfBytes(bytes, F('VB'), cp037), { code: 'BADRECS', message });
  t.match(recordsOfBytes(variableRecords(['abcdef'], 37), F('VB', 8), cp037), {
    code: 'BADRECS',
    message: /gives 10 bytes, more than LRECL=8/,
  });
  // Text that is no RDW at all (a report sent without them) is refused at once.
  t.match(recordsOfBytes(cp037.encode('HELLO WORLD'), F('VB'), cp037), {
    code: 'BADRECS',
    message: /record 1 at byte 0/,
  });
});

t.test('hostile: a million and one records are refused before they are laid out', async (t) => {
  const bytes = Buffer.alloc(MAX_RECORDS + 1, 0x40);
  t.match(recordsOfBytes(bytes, F('FB', 1), cp037), { code: 'BADRECS', message: 'more than 1,000,000 records' });
  const v = Buffer.alloc((MAX_RECORDS + 1) * 4);
  for (let at = 0; at < v.length; at += 4) v[at + 1] = 4;
  t.match(recordsOfBytes(v, F('VB'), cp037), { code: 'BADRECS', message: 'more than 1,000,000 records' });
  t.match(recordsOfLines(Array<string>(MAX_RECORDS + 2).fill('x'), F('FB'), cp037), { code: 'BADRECS' });
});

t.test('lines: a record each; F with LRECL cuts a longer line into records', async (t) => {
  t.same(recordsOfLines(['1TOP', '', ' a'], F('FBA', 133), cp037), [
    { control: 0xf1, text: 'TOP' },
    { control: 0x40, text: '' },
    { control: 0x40, text: 'a' },
  ]);
  t.same(
    recordsOfLines(['1AAAA BBB 0CCC'], F('FBA', 5), cp037).valueOf(),
    [
      { control: 0xf1, text: 'AAAA' },
      { control: 0x40, text: 'BBB' },
      { control: 0xf0, text: 'CCC' },
    ],
    'records written without line ends',
  );
  t.same(
    recordsOfLines(['x', ''], undefined, cp037),
    [{ control: -1, text: 'x' }],
    'the empty line after the last line end is none',
  );
  t.match(recordsOfLines(['123456789'], F('VB', 8), cp037), {
    code: 'BADRECS',
    message: /^line 1: 9 characters, more than LRECL=8/,
  });
  t.match(recordsOfLines(['\u4e00x'], F('FBA'), cp037), {
    code: 'BADCTL',
    message: /U\+4E00 is no character of CCSID 37/,
  });
  t.same(
    recordsOfLines(['\u000bTEXT'], F('FBM'), cp037),
    [{ control: 0x0b, text: 'TEXT' }],
    'a machine code decoded and found again',
  );
});
