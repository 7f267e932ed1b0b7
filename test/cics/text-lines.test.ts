// Lines of decoded EBCDIC text: every line end EBCDIC records use, trailing blanks dropped.
import t from 'tap';
import { textLines } from '../../cics/text-lines.js';
import { doubling, doublingText, LINEAR_RATIO } from '../helpers/doubling.js';

t.test('NL, LF, CR LF and a lone CR all end a line; trailing blanks go, leading ones stay', async (t) => {
  t.same(textLines('a  \u0085 b\nc \r\nd\re'), ['a', ' b', 'c', 'd', 'e']);
  t.same(textLines('x\r\u0085y'), ['x', 'y'], 'CR NL is one line end');
  t.same(textLines(''), ['']);
  t.same(textLines('last\n'), ['last', '']);
});

t.test('a hostile run of blanks inside a line is kept and costs one pass', async (t) => {
  // 200,000 blanks between two letters: a backtracking / +$/ needed seconds for this.
  const line = `x${' '.repeat(200_000)}y${' '.repeat(200_000)}`;
  const [out] = textLines(line);
  t.equal(out?.length, 200_002);
  t.ok(out?.endsWith('y'));
});

t.test('work in proportion to the text: doubling it about doubles the time, hostile shapes too', async (t) => {
  const shapes: [string, (n: number) => string, number][] = [
    ['short lines', (n) => 'x'.repeat(10).concat('\n').repeat(n), 20_000],
    ['one line of blanks between two letters', (n) => `x${' '.repeat(n)}y`, 100_000],
    ['lines of trailing blanks', (n) => `x${' '.repeat(n)}\n`.repeat(10), 50_000],
    ['lone CRs', (n) => '\r'.repeat(n), 50_000],
    ['CR NL pairs', (n) => '\r\u0085'.repeat(n), 50_000],
    ['blank lines', (n) => ' \n'.repeat(n), 50_000],
  ];
  for (const [shape, make, n] of shapes) {
    const figures = await doubling(make, textLines, { n, maxN: n });
    t.ok(figures.ratio < LINEAR_RATIO, `${shape}: ${doublingText(figures)}`);
  }
});
