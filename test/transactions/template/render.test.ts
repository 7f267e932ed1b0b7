// A mail from a COMMAREA's view and a transaction's templates: the payslip byte for byte,
// then hostile values and templates: CR/LF in a field, HTML in a field, reads outside the
// data, loops without end, values that do not fit, addresses that are not.
import { readFileSync } from 'node:fs';
import FakeTimers from '@sinonjs/fake-timers';
import t from 'tap';
import { codePage } from '../../../cics/codepages.js';
import { jsonToRecord } from '../../../cics/copybook/json.js';
import { parseCopybook } from '../../../cics/copybook/parse.js';
import { recordView, viewShape } from '../../../cics/copybook/view.js';
import type { MailTemplates, TemplateSource } from '../../../cics/mail-templates.js';
import { compileMail } from '../../../transactions/template/compile.js';
import { createEngines, TEMPLATE_LIMITS, type Engines } from '../../../transactions/template/engine.js';
import { renderMail, type RenderOutcome } from '../../../transactions/template/render.js';
import { doubling, doublingText, LINEAR_RATIO } from '../../helpers/doubling.js';
import { PAY_VALUES } from '../../helpers/shop.js';

const cp = codePage(37);
const fixture = (p: string) => new URL(`../../fixtures/${p}`, import.meta.url);
const payslip = parseCopybook(readFileSync(fixture('cobol/PAYSLIP.cpy'), 'latin1'), 'PAYSLIP.cpy');
const shape = viewShape(payslip, 'PAYSLIP.cpy');
const engines = createEngines();

const file = (name: string, key: string): TemplateSource => ({
  text: readFileSync(fixture(`templates/${name}`), 'utf8'),
  file: `templates/${name}`,
  key: `transactions.PAYS.templates.${key}`,
});
const inline = (key: string, text: string): TemplateSource => ({
  text,
  file: 'region.json',
  key: `transactions.PAYS.templates.${key}`,
  inlineLine: 9,
});

const PAYSLIP_TEMPLATES: MailTemplates = {
  from: inline('from', 'Payroll <payroll@corp.example>'),
  to: inline('to', '"{{ ps_employee.ps_name | squish }}" <{{ ps_employee.ps_email }}>'),
  subject: inline('subject', 'Payslip {{ ps_period | pic: "9999/99" }}'),
  text: file('payslip.txt.liquid', 'text'),
  html: file('payslip.html.liquid', 'html'),
  attachments: [
    {
      name: inline('attachments.0.name', 'payslip-{{ ps_employee.ps_emp_no }}.csv'),
      body: file('payslip.csv.liquid', 'attachments.0.body'),
    },
  ],
};

const PAY = PAY_VALUES;

/** The view of a PAYSLIP record made from JSON values, through its EBCDIC bytes. */
const viewOf = (values: object) => recordView(jsonToRecord({ ...PAY, ...values }, payslip, cp).bytes, payslip, cp);

function render(templates: Partial<MailTemplates>, values: object = {}, with_: Engines = engines): RenderOutcome {
  const set: MailTemplates = {
    to: inline('to', 'jane@corp.example'),
    subject: inline('subject', 'Payslip'),
    attachments: [],
    ...templates,
  };
  return renderMail(compileMail(set, shape, 'PAYSLIP.cpy', with_), viewOf(values), with_);
}

t.test('the payslip: text and HTML parts byte for byte, headers, an attachment', async (t) => {
  const r = renderMail(compileMail(PAYSLIP_TEMPLATES, shape, 'PAYSLIP.cpy', engines), viewOf({}), engines);
  if (!r.ok) throw new Error(r.detail);
  t.equal(r.mail.text, readFileSync(fixture('templates/payslip.expected.txt'), 'utf8'));
  t.equal(r.mail.html, readFileSync(fixture('templates/payslip.expected.html'), 'utf8'));
  t.same(r.mail.from, { name: 'Payroll', address: 'payroll@corp.example' });
  t.same(r.mail.to, [{ name: 'JANE Q. <PUBLIC> & CO', address: 'jane@corp.example' }]);
  t.same([r.mail.cc, r.mail.bcc], [[], []]);
  t.equal(r.mail.subject, 'Payslip 2026/01');
  t.same(r.mail.attachments, [
    {
      filename: 'payslip-4711.csv',
      contentType: '',
      content: { text: 'line,text,amount\n1,SALARY,1234.5\n2,ADVANCE REPAID,-1500\n' },
    },
  ]);
  t.match(r.mail.html, '<p>JANE Q. &lt;PUBLIC&gt; &amp; CO, no. 4711</p>', 'HTML in a field is escaped');
  const provisional = renderMail(
    compileMail(PAYSLIP_TEMPLATES, shape, 'PAYSLIP.cpy', engines),
    viewOf({ ps_status: 'P', ps_net: 1234.5 }),
    engines,
  );
  if (!provisional.ok) throw new Error(provisional.detail);
  t.match(provisional.mail.text, /^Paid on .*\nPROVISIONAL: this payslip may still change\.\n\n/m, '88 PS-PROVISIONAL');
  t.ok(
    provisional.mail.text?.endsWith(`\nNet pay${' '.repeat(22)}$1,234.50  \n`),
    'no CR, no warning where PS-NET-NEGATIVE is false',
  );
});

t.test('CR, LF or another control character from a field never reaches a header: CTLCHAR naming it', async (t) => {
  const hostile = { ps_employee: { ...PAY.ps_employee, ps_name: 'JANE\r\nBcc: all@corp.example' } };
  const r = render({ to: PAYSLIP_TEMPLATES.to }, hostile);
  t.match(r, {
    ok: false,
    rc: 8,
    reason: 'CTLCHAR',
    field: 'PS-NAME',
    template: 'transactions.PAYS.templates.to',
    detail:
      /^PS-NAME \(ps_employee\.ps_name, transactions\.PAYS\.templates\.to line 1\): 'JANE\?\?Bcc: all@corp\.example' holds control character U\+000D at position 5$/,
  });
  for (const [name, code] of [
    ['A\u0085B', '0085'], // EBCDIC NL (x'15')
    ['A\u0000B', '0000'],
    ['A\tB', '0009'],
  ]) {
    const one = render(
      { subject: inline('subject', 'Payslip for {{ ps_employee.ps_name }}') },
      { ps_employee: { ...PAY.ps_employee, ps_name: name } },
    );
    t.match(one, { ok: false, reason: 'CTLCHAR', field: 'PS-NAME', detail: new RegExp(`U\\+${code}`) }, `U+${code}`);
  }
  const attachmentName = render(
    {
      attachments: [{ name: inline('attachments.0.name', '{{ ps_employee.ps_name }}.txt'), body: inline('b', 'x') }],
    },
    hostile,
  );
  t.match(attachmentName, { ok: false, reason: 'CTLCHAR', field: 'PS-NAME' }, "an attachment's name is a header too");
  const inText = render({ text: inline('text', 'Dear {{ ps_employee.ps_name }}') }, hostile);
  t.match(
    inText,
    { ok: true, mail: { text: 'Dear JANE\nBcc: all@corp.example' } },
    'the text part takes it (CRLF as LF)',
  );
  const lines = render({ to: inline('to', 'a@corp.example,\n  b@corp.example\r\n') });
  t.match(
    lines,
    { ok: true, mail: { to: [{ address: 'a@corp.example' }, { address: 'b@corp.example' }] } },
    "a header template's own line ends are blanks",
  );
});

t.test('HTML from a field is escaped in the HTML part, and raw cannot undo it', async (t) => {
  const r = render(
    { html: inline('html', '<p title="{{ ps_employee.ps_name }}">{{ ps_employee.ps_name | upcase }}</p>') },
    { ps_employee: { ...PAY.ps_employee, ps_name: `<script>alert("x")</script>'&` } },
  );
  t.match(r, {
    ok: true,
    mail: {
      html: '<p title="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&#39;&amp;">&lt;SCRIPT&gt;ALERT(&#34;X&#34;)&lt;/SCRIPT&gt;&#39;&amp;</p>',
    },
  });
  t.throws(() => render({ html: inline('html', '{{ ps_employee.ps_name | raw }}') }), {
    name: 'TemplateDefinitionError',
    message:
      'region.json:9: transactions.PAYS.templates.html: column 1: raw is not allowed in the HTML part: every value is escaped',
  });
  t.match(
    render(
      { text: inline('text', '{{ ps_employee.ps_name }}') },
      { ps_employee: { ...PAY.ps_employee, ps_name: '<b>' } },
    ),
    {
      ok: true,
      mail: { text: '<b>' },
    },
    'the text part shows text as it is',
  );
});

t.test(
  'a template that reads outside its data: refused when it loads, or TMPLFAIL when a name is made at run time',
  async (t) => {
    const load = (text: string) => {
      try {
        compileMail(
          { to: inline('to', 'a@corp.example'), subject: inline('subject', text), attachments: [] },
          shape,
          'PAYSLIP.cpy',
          engines,
        );
        return 'loaded';
      } catch (err) {
        return (err as Error).message;
      }
    };
    const at = 'region.json:9: transactions.PAYS.templates.subject: ';
    t.equal(load('{{ constructor }}'), `${at}column 4: constructor is not a field of PAYSLIP.cpy`);
    t.equal(
      load('{{ ps_employee.constructor.name }}'),
      `${at}column 4: ps_employee.constructor.name: constructor is not a field of PS-EMPLOYEE in PAYSLIP.cpy`,
    );
    t.equal(
      load('{{ ps_lines.__proto__ }}'),
      `${at}column 4: ps_lines.__proto__: PS-LINES is a table (OCCURS 12): .__proto__ reads nothing; use [n], first, last or size`,
    );
    t.equal(load('{{ process.env.HOME }}'), `${at}column 4: process is not a field of PAYSLIP.cpy`);
    t.equal(load('{% include "/etc/passwd" %}'), `${at}column 1: tag "include" not found`);
    t.equal(load('{% render "x" %}'), `${at}column 1: tag "render" not found`);
    t.equal(load("{{ ps_net | pic: 'ZZ9.9.9' }}"), `${at}column 1: PIC ZZ9.9.9: more than one decimal point (. or V)`);
    t.equal(load('{{ ps_net | no_such_filter }}'), `${at}column 1: undefined filter: no_such_filter`);
    t.equal(
      load('{% for l in ps_lines %}{{ l.ps_line_amout }}{% endfor %}'),
      `${at}column 27: l.ps_line_amout: ps_line_amout is not a field of PS-LINES in PAYSLIP.cpy`,
    );
    t.equal(
      load('{% for l in ps_net %}{% endfor %}'),
      `${at}column 13: ps_net is not a table (OCCURS): nothing to loop over`,
    );
    t.equal(
      load('{{ ps_lines[12].ps_line_text }}'),
      `${at}column 4: ps_lines[12].ps_line_text: PS-LINES has 12 entries (OCCURS): [12] reads nothing`,
    );
    t.equal(load('{{ ps_final.x }}'), `${at}column 4: ps_final.x: PS-FINAL is a condition (88): .x reads nothing`);
    t.equal(load('{% if ps_net > 0 %}'), `${at}column 1: tag {% if ps_net > 0 %} not closed`);
    t.equal(
      load('{% assign n = ps_net %}{{ n }}{% for l in ps_lines %}{{ n }}{{ forloop.index }}{% endfor %}'),
      'loaded',
      'names it assigns, and forloop',
    );
    t.equal(
      load(
        '{{ ps_lines[0].ps_line_text }}{{ ps_lines.size }}{{ ps_lines.first.ps_earning }}{{ ps_employee.ps_name.size }}',
      ),
      'loaded',
    );
    t.equal(
      load(
        '{% for i in (1..3) %}{{ i }}{% endfor %}{% for c in ps_lines %}{% for d in ps_lines %}{{ c.ps_line_text }}{{ d.ps_line_kind }}{% endfor %}{% endfor %}',
      ),
      'loaded',
    );

    // Names a template makes at run time: the engine reads own properties only, strictly.
    for (const key of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const r = render({ text: inline('text', `{% assign k = "${key}" %}{{ ps_employee[k] }}`) });
      t.match(
        r,
        { ok: false, rc: 8, reason: 'TMPLFAIL', detail: /the record does not hold ps_employee\./ },
        `ps_employee["${key}"]`,
      );
    }
    const past = render({
      text: file('payslip.txt.liquid', 'text'),
      subject: inline('subject', '{{ ps_lines[5].ps_line_text }}'),
    });
    t.match(
      past,
      {
        ok: false,
        reason: 'TMPLFAIL',
        field: 'PS-LINES',
        detail:
          "PS-LINES (ps_lines[5].ps_line_text, transactions.PAYS.templates.subject line 1): the record does not hold ps_lines.5 (an entry past its table's count?)",
      },
      'OCCURS 12 DEPENDING ON PS-LINE-COUNT = 2: entry 6 is not there',
    );
  },
);

t.test(
  'a template that loops without end or blows up is stopped by its memory limit, whatever the clock says',
  async (t) => {
    // A render limit far off: the memory limit, which counts, stops each of these first.
    const patient = createEngines({ ...TEMPLATE_LIMITS, renderMs: 600_000 });
    const stopped = (text: string, values: object = {}, with_ = patient) =>
      render({ text: inline('text', text) }, values, with_);
    t.match(stopped('{% for i in (1..1000000000) %}x{% endfor %}'), {
      ok: false,
      rc: 8,
      reason: 'TMPLFAIL',
      detail: 'transactions.PAYS.templates.text line 1: memory alloc limit exceeded',
    });
    t.match(
      stopped('{% for i in (1..5000) %}{% for j in (1..5000) %}{% endfor %}{% endfor %}'),
      {
        ok: false,
        reason: 'TMPLFAIL',
        detail: /memory alloc limit exceeded$/,
      },
      'nested loops: their turns count',
    );
    t.match(
      stopped('{% assign s = "xxxxxxxxxx" %}{% for i in (1..40) %}{% assign s = s | append: s %}{% endfor %}{{ s }}'),
      { ok: false, reason: 'TMPLFAIL', detail: /memory alloc limit exceeded$/ },
      'a string doubled 40 times',
    );
    t.match(
      stopped('{% for i in (1..2000) %}{{ ps_employee.ps_name | pic: "X(9999)" }}{% endfor %}'),
      { ok: false, reason: 'TMPLFAIL', detail: /memory alloc limit exceeded$/ },
      'the values a part writes count',
    );
    // Loops over the record's own tables: twelve entries nested four deep is 20,736 turns.
    const small = createEngines({ ...TEMPLATE_LIMITS, renderMs: 600_000, memory: 10_000 });
    const deep =
      '{% for a in ps_lines %}{% for b in ps_lines %}{% for c in ps_lines %}{% for d in ps_lines %}.{% endfor %}{% endfor %}{% endfor %}{% endfor %}';
    const twelve = { ps_lines: Array.from({ length: 12 }, () => PAY.ps_lines[0]) };
    t.match(stopped(deep, twelve, small), { ok: false, reason: 'TMPLFAIL', detail: /memory alloc limit exceeded$/ });
    t.match(stopped(deep, {}, small), { ok: true, mail: { text: '.'.repeat(16) } }, 'two entries: 16 turns');
    t.throws(
      () =>
        compileMail(
          { to: inline('to', 'a@corp.example'), subject: inline('subject', 'x'.repeat(1_000_001)), attachments: [] },
          shape,
          'PAYSLIP.cpy',
          engines,
        ),
      {
        name: 'TemplateDefinitionError',
        message: /transactions\.PAYS\.templates\.subject: column 1: parse length limit exceeded$/,
      },
    );
  },
);

t.test('the render limit, on a clock the test moves: a part past it is stopped, TMPLFAIL', async (t) => {
  const clock = FakeTimers.install({ toFake: ['performance'] });
  t.teardown(() => clock.uninstall());
  const slow = createEngines({ parseChars: 1000, renderMs: 1000, memory: 1_000_000 });
  // A filter that takes 400 ms of the test's clock each time.
  slow.text.registerFilter('slowly', (v: unknown) => {
    clock.tick(400);
    return v;
  });
  const text = inline('text', '{% for l in ps_lines %}{{ l.ps_line_text | slowly }}{% endfor %}.');
  t.match(render({ text }, {}, slow), { ok: true, mail: { text: 'SALARYADVANCE REPAID.' } }, 'two entries, 800 ms');
  const three = render({ text }, { ps_lines: [...PAY.ps_lines, PAY.ps_lines[0]] }, slow);
  t.match(
    three,
    { ok: false, rc: 8, reason: 'TMPLFAIL', detail: /template render limit exceeded$/ },
    'three entries, 1200 ms',
  );
});

t.test('values that do not fit, addresses that are not: RC 8 with the field or template named', async (t) => {
  const big = render({ text: inline('text', "Net: {{ ps_net | pic: '$$$9.99CR' }}") }, { ps_net: -1234567.89 });
  t.match(big, {
    ok: false,
    rc: 8,
    reason: 'TMPLVAL',
    field: 'PS-NET',
    template: 'transactions.PAYS.templates.text',
    detail:
      'PS-NET (ps_net, transactions.PAYS.templates.text line 1): -1234567.89 has more than the 3 integer digit(s) PIC $$$9.99CR shows',
  });
  const inLoop = render({
    text: inline('text', "{% for l in ps_lines %}{{ l.ps_line_amount | pic: 'ZZ9.99' }}{% endfor %}"),
  });
  t.match(inLoop, {
    ok: false,
    reason: 'TMPLVAL',
    field: 'PS-LINE-AMOUNT',
    detail: /^PS-LINE-AMOUNT \(l\.ps_line_amount, .*: 1234\.5 has more than/,
  });
  const date = render({ subject: inline('subject', '{{ ps_pay_date | yyyymmdd }}') }, { ps_pay_date: 20260231 });
  t.match(date, {
    ok: false,
    reason: 'TMPLVAL',
    field: 'PS-PAY-DATE',
    detail: /20260231 is not a YYYYMMDD date: day 31 of month 2 of 2026$/,
  });
  t.match(render({ to: inline('to', '{{ ps_employee.ps_name }}') }), {
    ok: false,
    reason: 'BADTO',
    template: 'transactions.PAYS.templates.to',
    detail: /^transactions\.PAYS\.templates\.to: /,
  });
  t.match(render({ from: inline('from', 'a@corp.example, b@corp.example') }), {
    ok: false,
    reason: 'BADFROM',
    detail: 'transactions.PAYS.templates.from holds 2 addresses; give one',
  });
  t.match(render({ to: inline('to', '{% if ps_final %}{% else %}x@corp.example{% endif %}') }), {
    ok: false,
    reason: 'NORCPT',
  });
  t.match(
    render({
      to: inline('to', '{{ ps_employee.ps_email }}'),
      cc: inline('cc', ' '),
      bcc: inline('bcc', 'audit@corp.example'),
    }),
    {
      ok: true,
      mail: { to: [{ address: 'jane@corp.example' }], cc: [], bcc: [{ address: 'audit@corp.example' }] },
    },
  );
  t.match(
    render({ from: inline('from', '{% if ps_final %}{% endif %}') }),
    { ok: true, mail: { from: null } },
    "From blank: the user's default sender",
  );
});

t.test('work grows in proportion to the record: a table twice as long renders in about twice the time', async (t) => {
  const layout = parseCopybook(
    [
      '       01  R.',
      '           05  N            PIC S9(4) COMP.',
      '           05  L OCCURS 0 TO 8000 TIMES DEPENDING ON N.',
      '               10  L-TEXT   PIC X(20).',
      '               10  L-AMT    PIC S9(7)V99 COMP-3.',
      '                   88  L-NEG    VALUE -9999999.99 THRU -0.01.',
    ].join('\n'),
    'R.cpy',
  );
  const compiled = compileMail(
    {
      to: inline('to', 'a@corp.example'),
      subject: inline('subject', '{{ n }} lines'),
      text: inline(
        'text',
        "{% for x in l %}{{ x.l_text | pic: 'X(20)' }} {{ x.l_amt | pic: '--,---,--9.99' }}{% if x.l_neg %}!{% endif %}\n{% endfor %}",
      ),
      html: inline(
        'html',
        '<table>{% for x in l %}<tr><td>{{ x.l_text }}</td><td>{{ x.l_amt }}</td></tr>{% endfor %}</table>',
      ),
      attachments: [],
    },
    viewShape(layout, 'R.cpy'),
    'R.cpy',
    engines,
  );
  const views = new Map(
    [600, 1200].map((n) => [
      n,
      recordView(
        jsonToRecord(
          { l: Array.from({ length: n }, (_, i) => ({ l_text: `LINE <${i}>`, l_amt: i - 1000.5 })) },
          layout,
          cp,
        ).bytes,
        layout,
        cp,
      ),
    ]),
  );
  const first = renderMail(compiled, views.get(600) ?? {}, engines);
  t.match(first, { ok: true, mail: { subject: '600 lines' } });
  // 1,200 entries of 25 bytes fill a COMMAREA (32,763 bytes).
  const figures = await doubling(
    (n) => views.get(n) ?? {},
    (view) => renderMail(compiled, view, engines),
    {
      n: 600,
      maxN: 600,
    },
  );
  t.ok(figures.ratio < LINEAR_RATIO, `entries: ${doublingText(figures)}`);
});
