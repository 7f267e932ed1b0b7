// Carriage control interpreted: ASA before the write, machine code after it or at once;
// pages, spacing and overprint, and what is no carriage control at all.
import t from 'tap';
import { merged, paginate, MAX_LINES, type Page } from '../../../transactions/report/carriage.js';
import type { ReportRecord } from '../../../transactions/report/records.js';

const asa = (line: string): ReportRecord => ({
  control:
    { ' ': 0x40, '0': 0xf0, '-': 0x60, '+': 0x4e, '1': 0xf1, '2': 0xf2, C: 0xc3, X: 0xe7 }[line[0] as string] ?? 0,
  text: line.slice(1),
});
const texts = (pages: unknown) => (pages as Page[]).map((p) => p.map(merged));

t.test('ASA: new page, single, double and triple space, overprint', async (t) => {
  const pages = paginate(['1TITLE', ' one', '0two', '-three', '+_____', '1NEXT', '2chan', 'Cnel'].map(asa), 'asa');
  t.same(texts(pages), [
    ['TITLE', 'one', '', 'two', '', '', 'three'],
    ['NEXT', 'chan', 'nel'],
  ]);
  t.same((pages as Page[])[0]?.[6], { text: 'three', over: ['_____'] }, 'the overprint kept with its line');
});

t.test('ASA: the first record spaces from above the first line; no empty pages', async (t) => {
  t.same(texts(paginate(['0a', ' b'].map(asa), 'asa')), [['', 'a', 'b']]);
  t.same(texts(paginate(['+a', '1b', '1c'].map(asa), 'asa')), [['a'], ['b'], ['c']]);
  t.same(texts(paginate([], 'asa')), [[]], 'no records: one empty page');
});

t.test('ASA: a byte that is no ASA control is refused with its record', async (t) => {
  t.same(paginate(['1a', 'Xb'].map(asa), 'asa'), {
    code: 'BADCTL',
    message: "record 2: x'E7' is no ASA control character (blank 0 - + 1-9 A B C)",
  });
});

t.test('machine: write then space, space at once, skip to a new page, overprint', async (t) => {
  const m = (control: number, text = ''): ReportRecord => ({ control, text });
  const pages = paginate(
    [
      m(0x09, 'one'),
      m(0x11, 'two'),
      m(0x01, 'three'),
      m(0x19, '___'),
      m(0x0b),
      m(0x89, 'last'),
      m(0x8b),
      m(0x03, 'no'),
      m(0x09, 'top'),
      m(0x91, 'c2'),
      m(0x0b, 'ignored'),
    ],
    'machine',
  );
  t.same(texts(pages), [
    ['one', 'two', '', 'three', '', '', '', 'last'],
    ['top', 'c2'],
  ]);
  t.same(paginate([m(0x09), m(0x42)], 'machine'), {
    code: 'BADCTL',
    message: "record 2: x'42' is no machine control code",
  });
});

t.test('no carriage control: a line a record, one page', async (t) => {
  t.same(
    texts(
      paginate(
        [
          { control: -1, text: 'a' },
          { control: -1, text: 'b' },
        ],
        'none',
      ),
    ),
    [['a', 'b']],
  );
});

t.test('controls in a record print as blanks, SUB as U+FFFD; an overprint fills blanks only', async (t) => {
  t.same(texts(paginate([{ control: -1, text: 'a\u0000b\u0085c\u001ad' }], 'none')), [['a b c\ufffdd']]);
  t.equal(merged({ text: 'AB  D', over: ['__ x', '     yz'] }), 'AB xDyz');
});

t.test('hostile: triple spaces past the line limit are refused', async (t) => {
  const records = Array.from({ length: Math.ceil(MAX_LINES / 3) + 1 }, () => asa('-'));
  t.match(paginate(records, 'asa'), { code: 'BADRECS', message: /more than 2,000,000 lines/ });
});

t.test('hostile: overprints count toward the line limit, though they add no line', async (t) => {
  const over = asa('+_____');
  const records = Array<ReportRecord>(MAX_LINES + 1).fill(over);
  t.match(paginate(records, 'asa'), {
    code: 'BADRECS',
    message: 'more than 2,000,000 lines once spaced, overprints counted',
  });
  const pages = paginate(Array<ReportRecord>(1000).fill(over), 'asa') as Page[];
  t.equal(pages[0]?.length, 1, 'a thousand overprints are one line');
  t.equal(pages[0]?.[0]?.over?.length, 999, 'with all the others over it');
});
