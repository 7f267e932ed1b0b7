// Numeric-edited pictures: the editing rules, case by case (GnuCOBOL checks them wholesale in
// gnucobol-pic.test.ts), the pictures refused, and the values refused where MOVE would lose
// what a reader needs.
import t from 'tap';
import { decimalOf, editNumber, parseEditPicture, type Decimal } from '../../../transactions/template/edit-picture.js';
import { doubling, doublingText, LINEAR_RATIO } from '../../helpers/doubling.js';

function edited(pic: string, value: number | string, move = false): string {
  const d = decimalOf(value);
  if (!d) throw new Error(`not a number: ${value}`);
  const r = editNumber(d, parseEditPicture(pic), { move });
  return r.ok ? r.text : `refused: ${r.reason}`;
}

t.test('the pictures of a COBOL report, as MOVE edits them', async (t) => {
  const cases: [string, number | string, string][] = [
    // Zero suppression, insertion commas replaced while suppressing, trailing minus.
    ['ZZ,ZZ9.99-', -1234.56, ' 1,234.56-'],
    ['ZZ,ZZ9.99-', 1234.56, ' 1,234.56 '],
    ['ZZ,ZZ9.99-', 5, '     5.00 '],
    ['ZZ,ZZ9.99-', 0, '     0.00 '],
    // Floating currency: the $ lands just left of the first digit shown.
    ['$$$,$$9.99', 1234.5, ' $1,234.50'],
    ['$$$,$$9.99', 0.5, '     $0.50'],
    ['$$$,$$9.99', 45678, '$45,678.00'],
    ['$$,$$9', 234, '  $234'],
    // Fixed leading sign.
    ['-ZZZ9', -5, '-   5'],
    ['-ZZZ9', 5, '    5'],
    ['+ZZZ9', 5, '+   5'],
    ['+ZZZ9', -5, '-   5'],
    // Check protection.
    ['***,**9.99', 12.5, '*****12.50'],
    ['***,**9.99', 0, '******0.00'],
    ['***B**9', 5, '******5'],
    // All digits shown.
    ['9(5)', 42, '00042'],
    ['9(3)V99', 1.5, '00150'],
    // Credit and debit.
    ['ZZ9.99CR', -3.5, '  3.50CR'],
    ['ZZ9.99CR', 3.5, '  3.50  '],
    ['ZZ9.99DB', -3.5, '  3.50DB'],
    ['**,**9.99CR', -12, '****12.00CR'],
    // Floating signs.
    ['++++9', -12, '  -12'],
    ['++++9', 12, '  +12'],
    ['----9', -12, '  -12'],
    ['----9', 12, '   12'],
    ['--,---,--9.99', -1234567.891, '-1,234,567.89'],
    ['+++,+++', -1234, ' -1,234'],
    // Simple insertion: B, 0 and / print once significance has begun, or outside suppression.
    ['99B99B99', 123456, '12 34 56'],
    ['99/99/99', 311226, '31/12/26'],
    ['9990', 12, '0120'],
    ['0ZZ9', 5, '0  5'],
    ['ZZ0ZZ9', 5000, ' 50000'],
    ['ZZ/ZZ/ZZ', 5, '       5'],
    // Fixed currency, then suppression.
    ['$ZZ9.99', 5, '$  5.00'],
    ['$999', 5, '$005'],
    ['-$$$9.99', -5, '-  $5.00'],
    ['$$$9.99-', -5, '  $5.00-'],
    ['$+++9', -5, '$  -5'],
    // A zero value where every digit may be suppressed: all blanks, or asterisks but the point.
    ['ZZZ.ZZ', 0, '      '],
    ['ZZZ.ZZ', 0.01, '   .01'],
    ['Z,ZZZ', 0, '     '],
    ['+ZZ.ZZ', 0, '      '],
    ['ZZ.ZZCR', 0, '       '],
    ['***.**', 0, '***.**'],
    ['**.**CR', 0, '**.****'],
    ['$$$.$$', 0, '      '],
    ['$$$.$$', 0.05, '  $.05'],
    ['$$$9', 0, '  $0'],
    ['ZZ.99', 0, '  .00'],
    ['ZZV99', 0.5, '  50'],
    // Lower-case symbols read as upper case; repeat counts.
    ['z(3)9.9(2)', 42.5, '  42.50'],
    ['zz9.99cr', -1, '  1.00CR'],
    // Decimal text as the JSON view gives numbers past 2^53.
    ['ZZZ,ZZZ,ZZZ,ZZZ,ZZZ,ZZ9.99', '123456789012345678.99', '123,456,789,012,345,678.99'],
  ];
  for (const [pic, value, want] of cases) t.equal(edited(pic, value), want, `${pic} ${value}`);
});

t.test('MOVE truncates, it does not round: low-order digits go; a value truncated to zero has no sign', async (t) => {
  t.equal(edited('ZZ9.99', 1.999), '  1.99');
  t.equal(edited('ZZ9.99-', -1.999), '  1.99-');
  t.equal(edited('ZZ9', 0.99), '  0');
  t.equal(
    edited('ZZ9.99-', -0.001),
    '  0.00 ',
    'zero after truncation: no minus (GnuCOBOL 3.1 shows one, see gnucobol-pic.test.ts)',
  );
  t.equal(edited('ZZ9.99CR', -0.001), '  0.00  ');
  t.equal(edited('+ZZ9', -0.5), '+  0');
  t.equal(edited('Z.ZZ', 0.001), '    ', 'all Z and zero once truncated: blank');
  t.equal(edited('***.**-', -0.001), '***.***');
  t.equal(edited('ZZ9.99', -5), 'refused: -5 is negative and PIC ZZ9.99 has no +, -, CR or DB to show it');
  t.equal(edited('ZZ9.99', -0.001), '  0.00', 'a value truncated to zero is not negative');
});

t.test('high-order digits: refused by default, dropped as MOVE drops them when asked', async (t) => {
  t.equal(edited('ZZ9', 1234), 'refused: 1234 has more than the 3 integer digit(s) PIC ZZ9 shows');
  t.equal(edited('ZZ9', 1234, true), '234');
  t.equal(edited('$$$,$$9.99', 12345678, true), '$45,678.00');
  t.equal(edited('9999-', -12345, true), '2345-');
  t.equal(edited('ZZ9', 1000, true), '  0');
  t.equal(edited('ZZ9.99', -5, true), '  5.00', 'MOVE loses the sign a picture cannot show');
  t.equal(edited('ZZ9', '000123'), '123', 'leading zeros are no overflow');
});

t.test('values: JSON numbers, decimal text, nothing else', async (t) => {
  const d = (v: unknown): Decimal | null => decimalOf(v);
  t.same(d(-12.5), { negative: true, int: '12', frac: '5' });
  t.same(d('  +0012.500 '), { negative: false, int: '12', frac: '5' });
  t.same(d('-0.000'), { negative: false, int: '', frac: '' }, 'minus zero is zero');
  t.same(d(1e21), { negative: false, int: '1000000000000000000000', frac: '' });
  t.same(d(1.5e-7), { negative: false, int: '', frac: '00000015' });
  t.same(d('.5'), { negative: false, int: '', frac: '5' });
  t.same(d(12n), { negative: false, int: '12', frac: '' });
  for (const bad of ['', ' ', '.', '1e5', '12a', '1.2.3', '--1', 'NaN', NaN, Infinity, null, true, [], {}, undefined])
    t.equal(d(bad), null, `not a number: ${JSON.stringify(bad) ?? typeof bad}`);
});

t.test('pictures that are not numeric-edited pictures: the reason', async (t) => {
  const reason = (pic: string) => {
    try {
      parseEditPicture(pic);
      return 'accepted';
    } catch (err) {
      return (err as Error).message;
    }
  };
  t.equal(reason(''), 'PIC : empty');
  t.equal(reason('XX9'), "PIC XX9: 'X' at position 1 is not a numeric-edited symbol");
  t.equal(reason('S9(3)'), 'PIC S9(3): S has no place in an edited picture: show the sign with +, -, CR or DB');
  t.equal(reason('99PP'), 'PIC 99PP: P (decimal scaling) is not supported in an edited picture');
  t.equal(reason('9(0)'), 'PIC 9(0): a repeat count must be at least 1');
  t.equal(reason('(3)9'), 'PIC (3)9: a repeat count must follow a symbol, at position 1');
  t.equal(reason('Z(200)'), 'PIC Z(200): longer than 160 characters');
  t.equal(reason('9(32)'), 'PIC 9(32): more than 31 digit positions');
  t.equal(reason('ZZ.99.9'), 'PIC ZZ.99.9: more than one decimal point (. or V)');
  t.equal(reason('Z9V.9'), 'PIC Z9V.9: more than one decimal point (. or V)');
  t.equal(reason('CRZZ9'), 'PIC CRZZ9: CR and DB must be the rightmost symbol');
  t.equal(reason('ZZ9CRDB'), 'PIC ZZ9CRDB: CR or DB may appear once');
  t.equal(reason('+ZZ9-'), 'PIC +ZZ9-: + and - cannot both appear');
  t.equal(reason('-ZZ9CR'), 'PIC -ZZ9CR: + or - cannot appear with CR or DB');
  t.equal(reason('$$$+++9'), 'PIC $$$+++9: only one of $ and + or - may float');
  t.equal(reason('ZZ**9'), 'PIC ZZ**9: Z and * cannot both appear');
  t.equal(reason('$$$ZZ9'), 'PIC $$$ZZ9: Z or * cannot appear with a floating $ string');
  t.equal(reason('$$9$$'), 'PIC $$9$$: the floating $ string is broken by 9');
  t.equal(reason('9ZZ'), 'PIC 9ZZ: Z cannot follow 9');
  t.equal(reason('ZZ.Z9'), 'PIC ZZ.Z9: 9 cannot follow a Z, * or floating symbol after the decimal point');
  t.equal(reason('99.ZZ'), 'PIC 99.ZZ: Z cannot follow 9');
  t.equal(
    reason('$$.$9'),
    'PIC $$.$9: the floating $ string may pass the decimal point only where it holds every digit',
  );
  t.equal(reason('9$'), 'PIC 9$: a single $ must be leftmost (or follow a leading + or -)');
  t.equal(reason('9-9'), 'PIC 9-9: a single - must be leftmost or rightmost');
  t.equal(reason('B.'), 'PIC B.: no digit positions (9, Z, * or a floating string)');
  t.equal(reason('9(3)CR(2)'), 'PIC 9(3)CR(2): CR cannot be repeated');
  t.equal(reason('ZZ,ZZ9.99-'), 'accepted');
  t.equal(reason('$$$.$$'), 'accepted');
});

t.test('work grows in proportion to the value: a value twice as long takes about twice as long', async (t) => {
  const pic = parseEditPicture('Z(20)9.9(9)-');
  const figures = await doubling(
    (n) => `-${'7'.repeat(n)}.${'3'.repeat(n)}`,
    (value) => {
      const d = decimalOf(value);
      if (d) editNumber(d, pic, { move: true });
    },
    { n: 20_000, maxN: 20_000 },
  );
  t.ok(figures.ratio < LINEAR_RATIO, `digits: ${doublingText(figures)}`);
});
