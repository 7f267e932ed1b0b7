// Lines of decoded EBCDIC text: every line end EBCDIC records use, trailing blanks dropped.
import t from 'tap';
import { textLines } from '../../cics/text-lines.js';

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
