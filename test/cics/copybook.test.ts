// The copybook reader and the record codec: MAILCA's layout as GnuCOBOL gives it, the
// numeric encodings as IBM defines them, and errors that name line and column.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { parseCopybook } from '../../cics/copybook/parse.js';
import { jsonToRecord, recordToJson } from '../../cics/copybook/json.js';
import { offsetOf, readNumber, readText, writeNumber, writeText } from '../../cics/copybook/codec.js';
import { CopybookError, FieldError } from '../../cics/copybook/errors.js';
import { elementaryOf, type ElementaryItem } from '../../cics/copybook/layout.js';
import { codePage } from '../../cics/codepages.js';
import { doubling, doublingText, LINEAR_RATIO } from '../helpers/doubling.js';

const cp037 = codePage(37);

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
const cpy = (lines: string[]) => lines.map((l) => `       ${l}`).join('\n');

t.test('MAILCA: offsets and sizes of every item, 4,378 bytes fixed and 28,378 full', async (t) => {
  const layout = parseCopybook(
    readFileSync(new URL('../../copybooks/MAILCA.cpy', import.meta.url), 'latin1'),
    'MAILCA.cpy',
  );
  t.equal(layout.minLength, 4378);
  t.equal(layout.maxLength, 28378);
  const shape = [...layout.items.values()]
    .filter((i) => i.kind === 'elementary')
    .map((i) => [i.name, i.offset, i.size]);
  t.same(shape, [
    ['MC-VERSION', 0, 2],
    ['MC-FROM', 2, 256],
    ['MC-REPLY-TO', 258, 256],
    ['MC-TO', 514, 1024],
    ['MC-CC', 1538, 1024],
    ['MC-BCC', 2562, 1024],
    ['MC-SUBJECT', 3586, 256],
    ['MC-IMPORTANCE', 3842, 1],
    ['MC-BODY-FORMAT', 3843, 1],
    ['MC-RC', 3844, 2],
    ['MC-REASON', 3846, 8],
    ['MC-MESSAGE-ID', 3854, 256],
    ['MC-JOURNAL-SEQ', 4110, 8],
    ['MC-RELAY-REPLY', 4118, 256],
    ['MC-BODY-LEN', 4374, 4],
    ['MC-BODY', 4378, 1],
  ]);
  const importance = elementaryOf(layout, 'MC-IMPORTANCE');
  t.same(importance.conditions, [
    { name: 'MC-IMPORTANCE-LOW', line: 23, values: ['L'] },
    { name: 'MC-IMPORTANCE-NORMAL', line: 24, values: ['N', ' '] },
    { name: 'MC-IMPORTANCE-HIGH', line: 25, values: ['H'] },
  ]);
  t.same(elementaryOf(layout, 'MC-BODY').occurs, { min: 0, max: 24000, dependingOn: 'MC-BODY-LEN' });
  t.equal(elementaryOf(layout, 'MC-JOURNAL-SEQ').jsonName, 'mc_journal_seq');
});

t.test('groups, OCCURS, REDEFINES, VALUE, usages and sizes', async (t) => {
  const layout = parseCopybook(
    cpy([
      '01  REC.',
      "    05  A-KEY            PIC X(4) VALUE 'ABCD'.",
      '    05  A-TABLE OCCURS 3 TIMES.',
      '        10  A-CODE       PIC 9(3).',
      '        10  A-AMT        PIC S9(7)V99 COMP-3.',
      '    05  A-ALT REDEFINES A-TABLE PIC X(24).',
      '    05  B-HALF           PIC S9(4) BINARY.',
      '    05  B-FULL           PIC 9(9) COMP-4.',
      '    05  B-DOUBLE         PIC S9(18) COMP-5.',
      '    05  C-SIGNED         PIC S9(5) SIGN LEADING SEPARATE.',
      '    05  FILLER           PIC X(3).',
    ]),
  );
  const at = (n: string) => [layout.items.get(n)?.offset, layout.items.get(n)?.size];
  t.same(at('A-KEY'), [0, 4]);
  t.same(at('A-TABLE'), [4, 8]);
  t.same(at('A-CODE'), [4, 3]);
  t.same(at('A-AMT'), [7, 5]);
  t.same(at('A-ALT'), [4, 24]);
  t.same(at('B-HALF'), [28, 2]);
  t.same(at('B-FULL'), [30, 4]);
  t.same(at('B-DOUBLE'), [34, 8]);
  t.same(at('C-SIGNED'), [42, 6]);
  t.equal(layout.maxLength, 51);
  t.equal(elementaryOf(layout, 'A-KEY').value, 'ABCD');
  t.equal(elementaryOf(layout, 'A-AMT').picture.scale, 2);
});

t.test('a copybook it cannot read is an error with line and column', async (t) => {
  const cases: Array<[string, RegExp]> = [
    [cpy(['01  REC.', '    05  A PIC Q(3).']), /^t:2:\d+: PIC Q\(3\) cannot be read$/],
    [cpy(['01  REC.', '    05  A PIC X(3)']), /^t:2:\d+: entry is not ended by a period$/],
    [cpy(['01  REC.', '    05  A PIC X(3) COMP-3.']), /^t:2:1: A: PIC X\(3\) cannot have a numeric USAGE$/],
    [cpy(['01  REC.', '    05  A.']), /^t:2:1: A has no PIC and no subordinate items$/],
    [
      cpy(['01  REC.', '    05  N PIC 9(2).', '    05  T PIC X OCCURS 1 TO 5 DEPENDING ON N.', '    05  Z PIC X.']),
      /^t:3:1: T: OCCURS DEPENDING ON must be the last item of the record$/,
    ],
    [
      cpy(['01  REC.', '    05  T PIC X OCCURS 1 TO 5 DEPENDING ON NOPE.']),
      /^t:2:1: T: DEPENDING ON NOPE must name a numeric item$/,
    ],
    [cpy(['01  REC.', "    05  A PIC X VALUE 'OPEN."]), /^t:2:\d+: literal not closed on its line$/],
    [cpy(['01  REC.', '    05  A PIC X(2) BLAH.']), /^t:2:\d+: unexpected 'BLAH'$/],
    [cpy(['01  REC.', '    66  A RENAMES B.']), /^t:2:12: level 66 \(RENAMES\) is not supported$/],
    ['', /^t:1:1: no data description entries$/],
    ['ABCDEFG01  REC.', /^t:1:7: unknown indicator 'G' in column 7$/],
  ];
  for (const [text, message] of cases) {
    const err = thrown(() => parseCopybook(text, 't'));
    t.ok(err instanceof CopybookError, message.source);
    t.match((err as Error).message, message);
  }
});

t.test('numbers as IBM stores them, both ways', async (t) => {
  const layout = parseCopybook(
    cpy([
      '01  REC.',
      '    05  P  PIC S9(5) COMP-3.',
      '    05  PU PIC 9(4) COMP-3.',
      '    05  Z  PIC S9(4).',
      '    05  ZL PIC S9(3) SIGN LEADING.',
      '    05  ZS PIC S9(3) SIGN TRAILING SEPARATE.',
      '    05  H  PIC S9(4) COMP.',
      '    05  F5 PIC S9(4) COMP-5.',
    ]),
  );
  const f = (n: string) => elementaryOf(layout, n);
  const buf = Buffer.alloc(layout.maxLength);
  const cases: Array<[string, bigint, string]> = [
    ['P', -12345n, '12345d'],
    ['P', 42n, '00042c'],
    ['PU', 1234n, '01234f'],
    ['Z', -1234n, 'f1f2f3d4'],
    ['Z', 7n, 'f0f0f0c7'],
    ['ZL', -5n, 'd0f0f5'],
    ['ZS', 12n, 'f0f1f24e'],
    ['ZS', -3n, 'f0f0f360'],
    ['H', -2n, 'fffe'],
    ['F5', 32767n, '7fff'],
  ];
  for (const [name, value, hex] of cases) {
    writeNumber(buf, f(name), value);
    const item = f(name);
    t.equal(buf.subarray(item.offset, item.offset + item.size).toString('hex'), hex, `${name} ${value}`);
    t.equal(readNumber(buf, item), value, `${name} reads back`);
  }
  t.throws(() => writeNumber(buf, f('H'), 10000n), /H: 10000 has more digits than PIC S9\(4\)/);
  t.throws(() => writeNumber(buf, f('PU'), -1n), /PU: -1 is negative and PIC 9\(4\) has no sign/);
  writeNumber(buf, f('F5'), -32768n);
  t.equal(readNumber(buf, f('F5')), -32768n, 'COMP-5 holds the full binary range');
  buf.write('f1c1f3f4', f('Z').offset, 'hex');
  const err = thrown(() => readNumber(buf, f('Z')));
  t.ok(err instanceof FieldError);
  t.match(err, {
    field: 'Z',
    problem: 'bad-number',
    message: "Z: invalid zoned decimal: byte 2 is x'C1', not a valid digit",
  });
});

t.test('text fields: padding, truncation, unmappable characters', async (t) => {
  const item: ElementaryItem = elementaryOf(parseCopybook(cpy(['01  REC.', '    05  T PIC X(5).'])), 'T');
  const buf = Buffer.alloc(5);
  writeText(buf, item, 'ab', cp037);
  t.equal(buf.toString('hex'), '8182404040');
  t.equal(readText(buf, item, cp037), 'ab');
  t.throws(() => writeText(buf, item, 'abcdef', cp037), /T: 6 characters do not fit PIC X\(5\)/);
  writeText(buf, item, 'abcdef', cp037, { truncate: true });
  t.equal(readText(buf, item, cp037), 'abcde');
  t.throws(() => writeText(buf, item, '€', cp037), /T: U\+20AC cannot be written in CCSID 37/);
  writeText(buf, item, '€', cp037, { substitute: true });
  t.equal(buf[0], 0x3f, 'substituted with EBCDIC SUB');
  t.throws(() => readText(Buffer.alloc(3), item, cp037), /T: the record ends at byte 3, before the item ends at 5/);
});

t.test('tables inside groups: every occurrence at its own offset', async (t) => {
  const layout = parseCopybook(
    cpy([
      '01  REC.',
      '    05  T OCCURS 3 TIMES.',
      '        10  A PIC X(2).',
      '        10  B PIC S9(3) COMP-3.',
      '        10  C OCCURS 2 TIMES PIC 9(2).',
    ]),
  );
  const [a, b, c] = ['A', 'B', 'C'].map((n) => elementaryOf(layout, n)) as [
    ElementaryItem,
    ElementaryItem,
    ElementaryItem,
  ];
  t.same(b.dimensions, [{ stride: 8, max: 3 }]);
  t.same(c.dimensions, [
    { stride: 8, max: 3 },
    { stride: 2, max: 2 },
  ]);
  t.equal(offsetOf(b, 1), 10, 'B of the second T: 8 + 2');
  t.equal(offsetOf(c, [2, 1]), 16 + 4 + 2, 'C(3, 2)');
  t.equal(layout.maxLength, 24);
  const buf = Buffer.alloc(24, 0x40);
  for (let i = 0; i < 3; i++) {
    writeText(buf, a, `A${i}`, cp037, { index: i });
    writeNumber(buf, b, -i, i);
    for (let j = 0; j < 2; j++) writeNumber(buf, c, i * 10 + j, [i, j]);
  }
  t.same(
    [0, 1, 2].map((i) => [
      readText(buf, a, cp037, i),
      readNumber(buf, b, i),
      readNumber(buf, c, [i, 0]),
      readNumber(buf, c, [i, 1]),
    ]),
    [
      ['A0', 0n, 0n, 1n],
      ['A1', -1n, 10n, 11n],
      ['A2', -2n, 20n, 21n],
    ],
  );
  t.throws(() => offsetOf(a, [1, 1]), /A lies in 1 table\(s\), not 2/);
});

t.test('numbers that are no valid value of their PIC', async (t) => {
  const layout = parseCopybook(
    cpy(['01  REC.', '    05  U PIC 9(3).', '    05  E PIC S9(4) COMP-3.', '    05  P PIC 9(3) COMP-3.']),
  );
  const buf = Buffer.from('f1f2d3' + '12345c' + '123d', 'hex');
  t.match(
    thrown(() => readNumber(buf, elementaryOf(layout, 'U'))),
    { problem: 'bad-number', message: 'U: a negative sign in PIC 9(3), which has none' },
  );
  t.match(
    thrown(() => readNumber(buf, elementaryOf(layout, 'E'))),
    { problem: 'out-of-range', message: 'E: 12345 has more digits than PIC S9(4)' },
    'the spare nibble of an even PIC must be 0',
  );
  t.match(
    thrown(() => readNumber(buf, elementaryOf(layout, 'P'))),
    { problem: 'bad-number', message: 'P: a negative sign in PIC 9(3), which has none' },
  );
  t.match(
    thrown(() => parseCopybook(cpy(['01  REC.', '    05  X PIC S9(19) COMP.']), 't')),
    { message: 't:2:1: X: binary items hold at most 18 digits, not 19' },
  );
});

t.test('fixed format: sequence numbers in 1-6, identification in 73-80, comments, VALUE as defaults', async (t) => {
  const text = [
    '000100*  A COMMENT LINE WITH A SEQUENCE NUMBER                             ABCD0001',
    '000200 01  DEFAULTS.                                                       ABCD0002',
    "000300     05  D-CODE   PIC X(4)   VALUE 'INIT'.                           ABCD0003",
    '000400     05  D-COUNT  PIC S9(3)  COMP-3 VALUE -12.                       ABCD0004',
    '000500/    A PAGE EJECT IS A COMMENT TOO                                   ABCD0005',
    '000600     05  D-RATE   PIC 9V99   VALUE 1.25.                             ABCD0006',
    '000700     05  D-NAME   PIC X(3).                                          ABCD0007',
  ].join('\r\n');
  const layout = parseCopybook(text, 'defaults');
  t.equal(layout.maxLength, 12);
  const { bytes } = jsonToRecord({ d_name: 'AB' }, layout, cp037);
  t.equal(
    bytes.toString('hex'),
    'c9d5c9e3' + '012d' + 'f1f2f5' + 'c1c240',
    'VALUE clauses fill what the JSON leaves out',
  );
  t.same(recordToJson(bytes, layout, cp037), { d_code: 'INIT', d_count: -12, d_rate: 1.25, d_name: 'AB' });
});

t.test('work in proportion to the copybook: doubling it about doubles the time, hostile shapes too', async (t) => {
  const many = (n: number, one: (i: number) => string) => Array.from({ length: n }, (_, i) => one(i));
  const parse = (text: string) => parseCopybook(text, 't');
  const shapes: [string, (n: number) => string, number][] = [
    ['elementary items', (n) => cpy(['01 R.', ...many(n, (i) => `   05 F${i} PIC X(10).`)]), 2000],
    [
      'level 88 conditions',
      (n) => cpy(['01 R.', '   05 F PIC X.', ...many(n, (i) => `      88 C${i} VALUE 'A'.`)]),
      2000,
    ],
    // 500: past some thousands of ranges V8's collections cost more than the parse (a
    // growing array of fresh pairs), whatever the parser does.
    [
      'one condition of many values',
      (n) => cpy(['01 R.', '   05 F PIC X.', '      88 C VALUE', ...many(n, () => "'A' 'B' THRU 'C'"), '.']),
      500,
    ],
    // Each REDEFINES searched the items before it at its level: quadratic.
    [
      'items redefining the last of many',
      (n) =>
        cpy([
          '01 R.',
          ...many(n, (i) => `   05 F${i} PIC X.`),
          ...many(n, (i) => `   05 G${i} REDEFINES F${n - 1} PIC X.`),
        ]),
      1000,
    ],
    [
      'chains of groups nested to level 49',
      (n) =>
        cpy([
          '01 R.',
          ...many(n, (c) =>
            many(48, (k) => (k < 47 ? `   ${k + 2} G${c}-${k}.` : `   49 L${c} PIC X.`)).join('\n       '),
          ),
        ]),
      50,
    ],
    ['comment lines', (n) => [...many(n, () => '      * comment'), cpy(['01 R PIC X.'])].join('\n'), 5000],
    ['empty entries', (n) => cpy(['01 R.', '   05 F PIC X.', ...many(n, () => '. . . . . . . . . . .')]), 2000],
    [
      'KEY and INDEXED BY names',
      (n) => cpy(['01 R.', '   05 T OCCURS 2 ASCENDING KEY IS', ...many(n, () => 'K K K K K K K K K K'), '  PIC X.']),
      2000,
    ],
    // The picture was written out in full: PIC X(n) made a string of n characters.
    ['a repeat count', (n) => cpy([`01 R PIC X(${n}).`]), 1_000_000],
  ];
  for (const [shape, make, n] of shapes) {
    const figures = await doubling(make, parse, { n, maxN: n });
    t.ok(figures.ratio < LINEAR_RATIO, `${shape}: ${doublingText(figures)}`);
  }
});

t.test(
  'work in proportion to the record: a table and its JSON view twice as long, values of hostile length',
  async (t) => {
    const layout = parseCopybook(
      cpy([
        '01 R.',
        '   05 N PIC 9(5).',
        '   05 T OCCURS 1 TO 16000 DEPENDING ON N.',
        '      10 K PIC X(3).',
        '      10 V PIC S9(5)V99 COMP-3.',
      ]),
      't',
    );
    const view = (n: number) => ({ t: Array.from({ length: n }, (_, i) => ({ k: 'abc', v: i - 5 })) });
    const encode = await doubling(view, (v) => jsonToRecord(v, layout, cp037), { n: 4000, maxN: 4000 });
    t.ok(encode.ratio < LINEAR_RATIO, `encoding entries: ${doublingText(encode)}`);
    const decode = await doubling(
      (n) => jsonToRecord(view(n), layout, cp037).bytes,
      (b) => recordToJson(b, layout, cp037),
      { n: 4000, maxN: 4000 },
    );
    t.ok(decode.ratio < LINEAR_RATIO, `decoding entries: ${doublingText(decode)}`);
    const number = parseCopybook(cpy(['01 R.', '   05 N PIC 9(5)V9(5).', '   05 P PIC 9(3)PP.']), 't');
    const refused = (value: Record<string, string>) => () => thrown(() => jsonToRecord(value, number, cp037));
    const values: [string, (n: number) => Record<string, string>, number][] = [
      // /0+$/ on the fraction retried at every zero: quadratic.
      ['zeros in the fraction before a digit', (n) => ({ n: `1.${'0'.repeat(n)}1` }), 20_000],
      ['zeros ending the fraction', (n) => ({ n: `1.${'0'.repeat(n)}` }), 20_000],
      // BigInt() of a long digit string costs more than its length.
      ['a long whole number', (n) => ({ n: '7'.repeat(n) }), 20_000],
      ['leading zeros', (n) => ({ n: `${'0'.repeat(n)}1` }), 20_000],
      ['a long number for P scaling', (n) => ({ p: '7'.repeat(n) }), 20_000],
    ];
    for (const [shape, make, n] of values) {
      const figures = await doubling(make, (v) => refused(v)(), { n, maxN: n });
      t.ok(figures.ratio < LINEAR_RATIO, `${shape}: ${doublingText(figures)}`);
    }
  },
);

t.test('a number too long for its item is refused in a message of bounded length', async (t) => {
  const layout = parseCopybook(
    cpy(['01 R.', '   05 N PIC 9(3).', '   05 D PIC 9V99.', '   05 B PIC 9(4) COMP-5.']),
    't',
  );
  const err = (value: object) => (thrown(() => jsonToRecord(value, layout, cp037)) as FieldError).message;
  t.equal(err({ n: '7'.repeat(100_000) }), `N: ${'7'.repeat(40)}... has more digits than PIC 9(3)`);
  t.equal(err({ d: `1.${'0'.repeat(100_000)}1` }), `D: d 1.${'0'.repeat(38)}... has more decimals than PIC 9V99`);
  t.equal(err({ n: '1234' }), 'N: 1234 has more digits than PIC 9(3)', 'as before for a number of usual length');
  t.equal(err({ n: '-12' }), 'N: -12 is negative and PIC 9(3) has no sign');
  t.equal(err({ b: '65536' }), 'B: 65536 does not fit 2 bytes of binary', 'COMP-5 holds what its bytes hold');
  t.same(recordToJson(jsonToRecord({ b: '65535' }, layout, cp037).bytes, layout, cp037).b, 65535);
});

t.test('a picture is read as runs, never written out: PIC X(999999999) costs its text', async (t) => {
  const layout = parseCopybook(cpy(['01 R.', '   05 BIG PIC X(999999999).', '   05 N PIC S9(3)V9(2).']), 't');
  t.equal(layout.maxLength, 999_999_999 + 5, 'its size, counted');
  t.match(
    thrown(() => parseCopybook(cpy(['01 R PIC X(99999999999999999999).']), 't')),
    {
      message: 't:1:17: PIC X(99999999999999999999) is too long',
    },
  );
  t.equal(elementaryOf(parseCopybook(cpy(['01 R PIC XX(3)A.']), 't'), 'R').picture.length, 5, 'runs of X and A add up');
  t.match(
    thrown(() => parseCopybook(cpy(['01 R PIC S(2)9.']), 't')),
    {
      message: 't:1:17: PIC S(2)9: edited and mixed pictures are not supported',
    },
  );
});

t.test('a literal is a value, never a keyword', async (t) => {
  const layout = parseCopybook(
    cpy(['01 R.', '   05 A PIC X(8).', "      88 C VALUE 'A' 'THRU' 'C'.", "      88 D VALUE 'A' THRU 'C'."]),
    't',
  );
  t.same(
    elementaryOf(layout, 'A').conditions.map((c) => c.values),
    [['A', 'THRU', 'C'], [['A', 'C']]],
    "'THRU' in quotes is one of the values; THRU makes a range",
  );
  t.match(
    thrown(() => parseCopybook(cpy(["01 R PIC S9 SIGN 'LEADING'."]), 't')),
    {
      message: 't:1:25: SIGN needs LEADING or TRAILING',
    },
  );
  t.match(
    thrown(() => parseCopybook(cpy(["01 R PIC 9 USAGE 'COMP'."]), 't')),
    { message: /unsupported USAGE COMP$/ },
  );
  t.match(
    thrown(() => parseCopybook(cpy(['01 R PIC 9 USAGE constructor.']), 't')),
    {
      message: /unsupported USAGE CONSTRUCTOR$/,
    },
  );
  t.match(
    thrown(() => parseCopybook(cpy(["01 R PIC 9 USAGE 'toString'."]), 't')),
    {
      message: /unsupported USAGE toString$/,
    },
  );
});
