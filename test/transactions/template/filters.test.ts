// The COBOL filters as templates use them, through the engine: pic (numbers and PIC X),
// the date forms, trim and squish; short, long, malformed and hostile values.
import t from 'tap';
import { cobolDate } from '../../../transactions/template/cobol-dates.js';
import { createEngines } from '../../../transactions/template/engine.js';
import { squishBlanks, trimBlanks } from '../../../transactions/template/filters.js';
import { doubling, doublingText, LINEAR_RATIO } from '../../helpers/doubling.js';

const { text } = createEngines();
const render = (template: string, scope: object = {}): string => {
  try {
    return text.parseAndRenderSync(template, scope) as string;
  } catch (err) {
    const e = err as Error & { originalError?: Error };
    return `error: ${(e.originalError ?? e).message}`;
  }
};

t.test('pic: numbers as a numeric-edited item shows them, text as PIC X(n) holds it', async (t) => {
  t.equal(render("{{ v | pic: 'ZZ,ZZ9.99-' }}", { v: -1234.5 }), ' 1,234.50-');
  t.equal(
    render("{{ v | pic: '$$$,$$9.99' }}", { v: '1234.5' }),
    ' $1,234.50',
    'decimal text, as the JSON view gives big numbers',
  );
  t.equal(
    render("{{ v | pic: 'ZZ9.99' }}", { v: 1234 }),
    'error: 1234 has more than the 3 integer digit(s) PIC ZZ9.99 shows',
  );
  t.equal(
    render("{{ v | pic: 'ZZ9.99' }}", { v: -1 }),
    'error: -1 is negative and PIC ZZ9.99 has no +, -, CR or DB to show it',
  );
  t.equal(render("{{ v | abs | pic: 'ZZ9.99' }}", { v: -1 }), '  1.00', 'abs, where the sign is shown otherwise');
  t.equal(render("{{ v | pic: 'ZZ9' }}", { v: 'ABC' }), "error: 'ABC' is not a number for PIC ZZ9");
  t.equal(render("{{ v | pic: 'ZZ9' }}", { v: [1] }), 'error: [1] is not a number for PIC ZZ9');
  t.equal(
    render("{{ v | pic: 'ZZ9Q' }}", { v: 1 }),
    "error: PIC ZZ9Q: 'Q' at position 4 is not a numeric-edited symbol",
  );
  t.equal(render('{{ v | pic: 5 }}', { v: 1 }), 'error: pic needs a picture string, not 5');
  t.equal(render("[{{ v | pic: 'X(8)' }}]", { v: 'SALARY' }), '[SALARY  ]');
  t.equal(render("[{{ v | pic: 'X(3)' }}]", { v: 'SALARY' }), '[SAL]', 'cut on the right, as MOVE cuts');
  t.equal(render("[{{ v | pic: 'XXX' }}]", { v: 'Größe' }), '[Grö]', 'characters, not bytes');
  t.equal(render("[{{ v | pic: 'A(2)X' }}]", { v: 42 }), '[42 ]');
  t.equal(render("{{ v | pic: 'X(0)' }}", { v: 'a' }), 'error: PIC X(0): a repeat count must be at least 1');
  t.equal(render("{{ v | pic: 'X(9999)' }}", { v: 'a' }).length, 9999);
  t.equal(render("{{ v | pic: 'X(40000)' }}", { v: 'a' }), 'error: PIC X(40000): longer than 32763 characters');
});

t.test('dates: each form to an ISO date, Liquid date formats it further', async (t) => {
  const cases: [string, unknown, string][] = [
    ['yyyymmdd', 20260130, '2026-01-30'],
    ['yyyymmdd', '20240229', '2024-02-29'],
    ['yyyymmdd', 20230229, 'error: 20230229 is not a YYYYMMDD date: day 29 of month 2 of 2023'],
    ['yyyymmdd', 20261301, 'error: 20261301 is not a YYYYMMDD date: month 13'],
    ['yyyymmdd', 0, 'error: 0 is not a YYYYMMDD date: month 0'],
    ['yyyymmdd', '', "error: '' is not a YYYYMMDD date: 8 digits or fewer expected"],
    ['yyyymmdd', '2026-01-30', "error: '2026-01-30' is not a YYYYMMDD date: 8 digits or fewer expected"],
    ['yyyymmdd', 202601301, 'error: 202601301 is not a YYYYMMDD date: 8 digits or fewer expected'],
    ['yyyymmdd', -20260130, 'error: -20260130 is not a YYYYMMDD date: 8 digits or fewer expected'],
    ['yyyymmdd', 2026013.5, 'error: 2026013.5 is not a YYYYMMDD date: 8 digits or fewer expected'],
    ['yymmdd', 260130, '2026-01-30'],
    ['yymmdd', 991231, '1999-12-31'],
    ['yymmdd', 101, '2000-01-01', 'a number loses its leading zeros: 000101'],
    ['yyddd', 26001, '2026-01-01'],
    ['yyddd', 24366, '2024-12-31'],
    ['yyddd', 25366, 'error: 25366 is not a YYDDD date: day 366 of 2025, which has 365'],
    ['yyddd', 50060, '1950-03-01'],
    ['yyddd', 49060, '2049-03-01'],
    ['yyyyddd', 2026032, '2026-02-01'],
    ['yyyyddd', 2000060, '2000-02-29', '2000 is a leap year'],
    ['yyyyddd', 1900060, '1900-03-01', '1900 is not'],
    ['yyyyddd', 2026000, 'error: 2026000 is not a YYYYDDD date: day 0 of 2026, which has 365'],
    ['cyyddd', 126030, '2026-01-30', 'EIBDATE 0CYYDDD, C = 1: 20xx'],
    ['cyyddd', '0126030', '2026-01-30'],
    ['cyyddd', 99365, '1999-12-31', 'C = 0: 19xx'],
  ].map(([f, v, want]) => [f as string, v, want as string]);
  for (const [filter, value, want] of cases)
    t.equal(render(`{{ v | ${filter} }}`, { v: value }), want, `${filter} ${JSON.stringify(value)}`);
  t.equal(
    render("{{ v | yyyymmdd | date: '%d %B %Y' }}", { v: 20260130 }),
    '30 January 2026',
    'the day stays the day (UTC)',
  );
  t.equal(render("{{ v | yyddd | date: '%a %d.%m.%Y' }}", { v: 26059 }), 'Sat 28.02.2026');
  t.equal(render('{{ v | yymmdd: 1960 }}', { v: 591231 }), '2059-12-31', 'a window from 1960: 59 is 2059');
  t.equal(render('{{ v | yymmdd: 1960 }}', { v: 601231 }), '1960-12-31');
  t.equal(
    render('{{ v | yymmdd: 19 }}', { v: 601231 }),
    'error: yymmdd: the first year of the century window must be a whole number from 1000 to 9900, not 19',
  );
  t.same(cobolDate({}, 'YYYYMMDD'), {
    ok: false,
    reason: '[object Object] is not a YYYYMMDD date: 8 digits or fewer expected',
  });
});

t.test('trim and squish: blanks and LOW-VALUES at the ends, runs of blanks inside', async (t) => {
  t.equal(render('[{{ v | trim }}]', { v: '  JANE Q.  PUBLIC \u0000\u0000' }), '[JANE Q.  PUBLIC]');
  t.equal(render('[{{ v | squish }}]', { v: '\u0000 JANE   Q.  PUBLIC   ' }), '[JANE Q. PUBLIC]');
  t.equal(render('[{{ v | squish }}]', { v: 'A\u0000\u0000B' }), '[A B]', 'LOW-VALUES inside count as blanks');
  t.equal(render('[{{ v | trim }}]', { v: '\tTAB\t' }), '[\tTAB\t]', 'only blanks and LOW-VALUES: a tab is data');
  t.equal(render('[{{ v | trim }}]', { v: '' }), '[]');
  t.equal(render('[{{ v | trim }}]', { v: '     ' }), '[]');
  t.equal(render('[{{ v | squish }}]', { v: 42 }), '[42]', 'a number passes');
});

t.test('work grows in proportion to the value: trim, squish and dates on values twice as long', async (t) => {
  // The worst case for a pattern like / +$/: one long run of blanks before the end.
  const trim = await doubling((n) => `${' '.repeat(n)}x${' '.repeat(n)}y`, trimBlanks, { n: 100_000, maxN: 100_000 });
  t.ok(trim.ratio < LINEAR_RATIO, `trim, blanks: ${doublingText(trim)}`);
  const squish = await doubling((n) => 'a  '.repeat(n), squishBlanks, { n: 50_000, maxN: 50_000 });
  t.ok(squish.ratio < LINEAR_RATIO, `squish, runs: ${doublingText(squish)}`);
  const date = await doubling(
    (n) => '9'.repeat(n),
    (v) => cobolDate(v, 'YYYYMMDD'),
    { n: 100_000, maxN: 100_000 },
  );
  t.ok(date.ratio < LINEAR_RATIO, `a date of many digits (refused): ${doublingText(date)}`);
});
