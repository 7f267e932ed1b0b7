// The view programs and templates read: the JSON view with each level-88 condition name as
// true or false beside its item, in tables as lists; and the shape that names what is there.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { codePage } from '../../cics/codepages.js';
import { CopybookError } from '../../cics/copybook/errors.js';
import { jsonToRecord } from '../../cics/copybook/json.js';
import { parseCopybook } from '../../cics/copybook/parse.js';
import { fieldsOf, recordView, viewShape, type ViewShape } from '../../cics/copybook/view.js';
import { doubling, doublingText, LINEAR_RATIO } from '../helpers/doubling.js';
import { PAY_VALUES } from '../helpers/shop.js';

const cp = codePage(37);
const cpy = (lines: string[]) => lines.map((l) => `       ${l}`).join('\n');
const payslip = parseCopybook(
  readFileSync(new URL('../fixtures/cobol/PAYSLIP.cpy', import.meta.url), 'latin1'),
  'PAYSLIP.cpy',
);

const PAY = { ...PAY_VALUES, ps_employee: { ...PAY_VALUES.ps_employee, ps_name: 'JANE Q. PUBLIC' } };

t.test('PAYSLIP: conditions beside their items, in the table as lists of the entries', async (t) => {
  const record = jsonToRecord(PAY, payslip, cp).bytes;
  const view = recordView(record, payslip, cp);
  t.same(Object.keys(view), [
    'ps_employee',
    'ps_period',
    'ps_pay_date',
    'ps_hire_date',
    'ps_status',
    'ps_final',
    'ps_provisional',
    'ps_gross',
    'ps_deductions',
    'ps_net',
    'ps_net_negative',
    'ps_rc',
    'ps_reason',
    'ps_message_id',
    'ps_journal_seq',
    'ps_line_count',
    'ps_lines',
  ]);
  t.match(view, {
    ps_status: 'F',
    ps_final: true,
    ps_provisional: false,
    ps_net: -265.5,
    ps_net_negative: true,
    ps_line_count: 2,
  });
  t.same(view.ps_lines, [
    { ps_line_kind: 'E', ps_earning: true, ps_deduction: false, ps_line_text: 'SALARY', ps_line_amount: 1234.5 },
    {
      ps_line_kind: 'D',
      ps_earning: false,
      ps_deduction: true,
      ps_line_text: 'ADVANCE REPAID',
      ps_line_amount: -1500,
    },
  ]);
  const blank = recordView(jsonToRecord({ ...PAY, ps_status: '', ps_net: 0 }, payslip, cp).bytes, payslip, cp);
  t.match(blank, { ps_final: false, ps_provisional: true, ps_net_negative: false }, "VALUE 'P' ' ' holds blanks");
  const edge = recordView(jsonToRecord({ ...PAY, ps_net: -0.01 }, payslip, cp).bytes, payslip, cp);
  t.equal(edge.ps_net_negative, true, 'THRU includes its end');
});

t.test('comparisons as COBOL makes them: EBCDIC order, blanks padding, ZERO, groups, numbers exactly', async (t) => {
  const layout = parseCopybook(
    cpy([
      '01  REC.',
      '    05  LETTER           PIC X.',
      "        88  UPPER        VALUE 'A' THRU 'Z'.",
      "        88  BRACE        VALUE '}'.",
      '    05  CODE             PIC X(4).',
      "        88  CODE-AB      VALUE 'AB'.",
      '        88  CODE-NONE    VALUE SPACES.',
      '        88  CODE-ZERO    VALUE ZERO.',
      '    05  PAIR.',
      "        88  PAIR-XY      VALUE 'XY'.",
      '        10  P1           PIC X.',
      '        10  P2           PIC X.',
      '    05  AMOUNT           PIC S9(17)V99 COMP-3.',
      '        88  BIG          VALUE 100000000000000.01',
      '                         THRU 99999999999999999.99.',
      '        88  SMALL        VALUE -1 THRU 1.',
      '    05  FLAGS            PIC X OCCURS 3 TIMES.',
      "        88  FLAG-ON      VALUE 'Y'.",
    ]),
    'REC.cpy',
  );
  const view = (json: object) => recordView(jsonToRecord(json, layout, cp).bytes, layout, cp);
  t.match(
    view({ letter: '}' }),
    { upper: true, brace: true },
    "'}' is x'D0', between 'I' (x'C9') and 'J' (x'D1') in EBCDIC",
  );
  t.match(view({ letter: 'a' }), { upper: false }, "'a' is x'81', below 'A'");
  t.match(view({ letter: '5' }), { upper: false }, 'digits sort after letters in EBCDIC');
  t.match(view({ code: 'AB' }), { code_ab: true, code_none: false, code_zero: false }, "'AB' pads with blanks");
  t.match(view({ code: 'ABC' }), { code_ab: false });
  t.match(view({ code: '' }), { code_none: true });
  t.match(view({ code: '0000' }), { code_zero: true, code_none: false });
  t.match(
    view({ pair: { p1: 'X', p2: 'Y' } }),
    { pair: { p1: 'X', p2: 'Y' }, pair_xy: true },
    'a group compares its bytes',
  );
  t.match(view({ pair: { p1: 'X', p2: 'Z' } }), { pair_xy: false });
  t.match(view({ amount: '100000000000000.01' }), { big: true, small: false }, 'past 2^53: exact');
  t.match(view({ amount: '100000000000000.00' }), { big: false });
  t.match(view({ amount: -1 }), { small: true });
  t.match(view({ amount: -1.01 }), { small: false });
  t.same(
    view({ flags: ['Y', 'N', 'Y'] }).flag_on,
    [true, false, true],
    'an elementary table: a list of its conditions',
  );
});

t.test('the shape: every name of the view, and a name two items would share is a copybook error', async (t) => {
  const shape = viewShape(payslip, 'PAYSLIP.cpy');
  const names = (s: ViewShape): unknown =>
    s.kind === 'object'
      ? Object.fromEntries([...s.fields].map(([k, v]) => [k, names(v)]))
      : s.kind === 'list'
        ? [names(s.of), s.max]
        : s.kind;
  t.same(names(shape), {
    ps_employee: { ps_emp_no: 'number', ps_name: 'text', ps_email: 'text' },
    ps_period: 'number',
    ps_pay_date: 'number',
    ps_hire_date: 'number',
    ps_status: 'text',
    ps_final: 'condition',
    ps_provisional: 'condition',
    ps_gross: 'number',
    ps_deductions: 'number',
    ps_net: 'number',
    ps_net_negative: 'condition',
    ps_rc: 'number',
    ps_reason: 'text',
    ps_message_id: 'text',
    ps_journal_seq: 'number',
    ps_line_count: 'number',
    ps_lines: [
      {
        ps_line_kind: 'text',
        ps_earning: 'condition',
        ps_deduction: 'condition',
        ps_line_text: 'text',
        ps_line_amount: 'number',
      },
      12,
    ],
  });
  const clash = (lines: string[]) => {
    try {
      viewShape(parseCopybook(cpy(lines), 'X.cpy'), 'X.cpy');
      return 'no error';
    } catch (err) {
      return err instanceof CopybookError ? err.message : String(err);
    }
  };
  t.equal(
    clash(['01  R.', '    05  A-B  PIC X.', '        88  C  VALUE "Y".', '    05  C  PIC X.']),
    'X.cpy:3:1: C is declared twice',
    'the parser: a condition has the name of an item',
  );
  t.equal(
    clash([
      '01  R.',
      '    05  A  PIC X.',
      '        88  F  VALUE "Y".',
      '    05  B  PIC X.',
      '        88  F  VALUE "N".',
    ]),
    'X.cpy:5:1: F is declared twice',
  );
});

t.test('work grows in proportion to the record: a table twice as long takes about twice as long', async (t) => {
  const layout = parseCopybook(
    cpy([
      '01  R.',
      '    05  N       PIC S9(4) COMP.',
      '    05  T OCCURS 0 TO 8000 TIMES DEPENDING ON N.',
      '        10  K   PIC X.',
      "            88  K-ON  VALUE 'Y'.",
      '        10  V   PIC S9(5)V99 COMP-3.',
      '            88  V-NEG VALUE -99999.99 THRU -0.01.',
    ]),
    'R.cpy',
  );
  const record = (n: number) =>
    jsonToRecord({ t: Array.from({ length: n }, (_, i) => ({ k: i % 2 ? 'Y' : 'N', v: i - 5 })) }, layout, cp).bytes;
  const figures = await doubling(record, (bytes) => recordView(bytes, layout, cp), { n: 2000, maxN: 2000 });
  t.ok(figures.ratio < LINEAR_RATIO, `entries: ${doublingText(figures)}`);
});

t.test("fieldsOf: a program's answer less its condition names, ready for the encoder", async (t) => {
  const shape = viewShape(payslip, 'PAYSLIP.cpy');
  const view = recordView(jsonToRecord(PAY, payslip, cp).bytes, payslip, cp);
  const answer = { ...view, ps_rc: 4, ps_final: false, extra: 1 };
  const fields = fieldsOf(answer, shape) as Record<string, unknown>;
  t.notOk('ps_final' in fields || 'ps_provisional' in fields || 'ps_net_negative' in fields, 'conditions dropped');
  t.same(
    (fields.ps_lines as object[]).map((l) => Object.keys(l)),
    [
      ['ps_line_kind', 'ps_line_text', 'ps_line_amount'],
      ['ps_line_kind', 'ps_line_text', 'ps_line_amount'],
    ],
    "a table's entries lose theirs too",
  );
  t.equal(fields.extra, 1, 'a name the view lacks is kept for the encoder to refuse');
  t.throws(() => jsonToRecord(fields, payslip, cp), { message: 'PAYSLIP: extra is not an item of PAYSLIP' });
  const { extra: _extra, ...known } = fields;
  t.equal(jsonToRecord(known, payslip, cp).bytes.length, 291, 'the rest encodes');
  t.equal(fieldsOf('text', shape), 'text', 'not an object: as it is');
  // Twice the entries, about twice the time.
  const layout = parseCopybook(
    cpy([
      '01  R.',
      '    05  N       PIC S9(4) COMP.',
      '    05  T OCCURS 0 TO 8000 TIMES DEPENDING ON N.',
      '        10  K   PIC X.',
      "            88  K-ON  VALUE 'Y'.",
    ]),
    'R.cpy',
  );
  const rShape = viewShape(layout, 'R.cpy');
  const figures = await doubling(
    (n) => ({ n, t: Array.from({ length: n }, (_, i) => ({ k: i % 2 ? 'Y' : 'N' })), k_on: [] }),
    (view) => fieldsOf(view, rShape),
    { n: 2000, maxN: 4000 },
  );
  t.ok(figures.ratio < LINEAR_RATIO, `entries doubled: ${doublingText(figures)}`);
});
