// The region definition file's transactions of the shop's own: a template program, a
// built-in program under a tranid of its own, a program module; each fault with the file,
// its line and the name (and the templates' own faults with their file and line).
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { readRegionFile, type DefinedTransaction } from '../../config/region-file.js';
import { loadConfig } from '../../config/settings.js';
import { compileTemplateProgram } from '../../transactions/template/compile.js';
import { createEngines } from '../../transactions/template/engine.js';

const fixture = (p: string) => new URL(`../fixtures/${p}`, import.meta.url);

/** A region folder: the region file, PAYSLIP.cpy, the payslip templates and a program module. */
function region(
  t: { testdir: (typeof import('tap'))['default']['testdir'] },
  transactions: unknown,
  extra: object = {},
): string {
  const dir = t.testdir({
    copybooks: {},
    templates: {},
    programs: { 'notify.mjs': 'export default async () => ({ kind: "normal" });\n', 'notes.txt': 'x' },
  });
  copyFileSync(fixture('cobol/PAYSLIP.cpy'), join(dir, 'copybooks', 'PAYSLIP.cpy'));
  for (const name of ['payslip.txt.liquid', 'payslip.html.liquid', 'payslip.csv.liquid'])
    copyFileSync(fixture(`templates/${name}`), join(dir, 'templates', name));
  const file = join(dir, 'region.json');
  writeFileSync(
    file,
    typeof transactions === 'string' ? transactions : `${JSON.stringify({ ...extra, transactions }, null, 2)}\n`,
  );
  return file;
}

const PAYS = {
  program: 'template',
  copybook: 'copybooks/PAYSLIP.cpy',
  class: 'BATCH',
  timeLimitMs: 30_000,
  description: 'payslip mail',
  templates: {
    from: 'Payroll <payroll@corp.example>',
    to: '"{{ ps_employee.ps_name | squish }}" <{{ ps_employee.ps_email }}>',
    bcc: 'payroll-archive@corp.example',
    subject: 'Payslip {{ ps_period | pic: "9999/99" }}',
    text: { file: 'templates/payslip.txt.liquid' },
    html: { file: 'templates/payslip.html.liquid' },
    attachments: [
      {
        name: 'payslip-{{ ps_employee.ps_emp_no }}.csv',
        body: { file: 'templates/payslip.csv.liquid' },
        contentType: 'text/CSV',
      },
    ],
  },
  output: { rc: 'ps-rc', reason: 'PS-REASON', messageId: 'PS-MESSAGE-ID', journalSeq: 'PS-JOURNAL-SEQ' },
};
const CLASSES = { classes: { BATCH: { maxActive: 4 } } };

/** The line of the file (1-based) of the first needle, from there of the next, and so on. */
function lineOf(text: string, ...needles: string[]): number {
  const lines = text.split('\n');
  let at = 0;
  for (const needle of needles) {
    while (at < lines.length && !(lines[at] ?? '').includes(needle)) at++;
    if (at === lines.length) throw new Error(`no line holds ${needle}`);
  }
  return at + 1;
}

/** The message of what `fn` throws. */
function thrown(fn: () => unknown): string {
  try {
    fn();
    return 'no error';
  } catch (err) {
    return (err as Error).message;
  }
}

t.test(
  'a template program, MAIL under a tranid of its own, a module; changes to the built-in ones stay apart',
  async (t) => {
    const file = region(
      t,
      {
        MAIL: { class: 'BATCH' },
        PAYS,
        PAYM: { program: 'MAIL', enabled: false },
        NOTE: { program: 'programs/notify.mjs', copybook: 'copybooks/PAYSLIP.cpy' },
      },
      CLASSES,
    );
    const r = readRegionFile(file);
    t.same(r.transactions, { MAIL: { class: 'BATCH' } }, 'a change to MAIL, as before');
    const byTranid = new Map(r.defined.map((d) => [d.tranid, d]));
    t.same([...byTranid.keys()], ['PAYS', 'PAYM', 'NOTE']);
    const pays = byTranid.get('PAYS') as DefinedTransaction;
    t.match(pays, {
      tranid: 'PAYS',
      enabled: true,
      tranclass: 'BATCH',
      timeLimitMs: 30_000,
      description: 'payslip mail',
      copybook: { file: join(file, '..', 'copybooks', 'PAYSLIP.cpy'), name: 'PAYSLIP.cpy' },
      line: lineOf(readFileSync(file, 'utf8'), '"PAYS"'),
    });
    if (pays.program.kind !== 'template') throw new Error('not a template program');
    t.same(pays.program.output, {
      rc: 'PS-RC',
      reason: 'PS-REASON',
      messageId: 'PS-MESSAGE-ID',
      journalSeq: 'PS-JOURNAL-SEQ',
    });
    const tpl = pays.program.templates;
    t.same(tpl.subject, {
      text: 'Payslip {{ ps_period | pic: "9999/99" }}',
      file,
      key: 'transactions.PAYS.templates.subject',
      inlineLine: lineOf(readFileSync(file, 'utf8'), '"PAYS"', '"subject"'),
    });
    t.equal(
      readFileSync(file, 'utf8').split('\n')[20]?.trim(),
      '"subject": "Payslip {{ ps_period | pic: \\"9999/99\\" }}",',
      'line 21 is it',
    );
    t.same(tpl.text, {
      text: readFileSync(fixture('templates/payslip.txt.liquid'), 'utf8'),
      file: join(file, '..', 'templates', 'payslip.txt.liquid'),
      key: 'transactions.PAYS.templates.text',
    });
    t.equal(tpl.attachments[0]?.contentType, 'text/csv');
    t.equal(tpl.attachments[0]?.name.key, 'transactions.PAYS.templates.attachments.0.name');
    t.match(byTranid.get('PAYM'), {
      program: { kind: 'builtin', name: 'MAIL' },
      enabled: false,
      timeLimitMs: 120_000,
      description: 'program MAIL',
    });
    t.match(byTranid.get('NOTE'), {
      program: { kind: 'module', file: join(file, '..', 'programs', 'notify.mjs'), name: 'NOTIFY' },
      copybook: { name: 'PAYSLIP.cpy' },
      description: 'program programs/notify.mjs',
    });
    // The templates check against the copybook's view, as the region will when it starts.
    const compiled = compileTemplateProgram(
      tpl,
      pays.copybook as NonNullable<DefinedTransaction['copybook']>,
      createEngines(),
    );
    t.same([...compiled.parts.keys()], ['from', 'to', 'bcc', 'subject', 'text', 'html']);
    t.equal(
      loadConfig({ CICSMAIL_CONFIG: file, CICSMAIL_DATA: join(file, '..', 'data') }).classes.BATCH?.maxActive,
      4,
      'the settings still load',
    );
  },
);

t.test(
  "a name a template reads that the copybook does not have: the template's file and line, or the region file's",
  async (t) => {
    const file = region(
      t,
      { PAYS: { ...PAYS, templates: { ...PAYS.templates, subject: 'Payslip {{ ps_perod }}' } } },
      CLASSES,
    );
    const pays = readRegionFile(file).defined[0] as DefinedTransaction;
    if (pays.program.kind !== 'template' || !pays.copybook) throw new Error('not a template program');
    const program = pays.program;
    const copybook = pays.copybook;
    t.equal(
      thrown(() => compileTemplateProgram(program.templates, copybook, createEngines())),
      `${file}:${lineOf(readFileSync(file, 'utf8'), '"subject"')}: transactions.PAYS.templates.subject: column 12: ps_perod is not a field of PAYSLIP.cpy`,
    );
    const dir = join(file, '..');
    writeFileSync(
      join(dir, 'templates', 'payslip.txt.liquid'),
      'Line one\n\n{% for l in ps_lines %}\n  {{ l.ps_line_txt }}\n{% endfor %}\n',
    );
    const again = readRegionFile(file).defined[0] as DefinedTransaction;
    if (again.program.kind !== 'template') throw new Error('not a template program');
    const templates = { ...again.program.templates, subject: again.program.templates.to };
    t.equal(
      thrown(() => compileTemplateProgram(templates, copybook, createEngines())),
      `${join(dir, 'templates', 'payslip.txt.liquid')}:4: transactions.PAYS.templates.text: column 6: l.ps_line_txt: ps_line_txt is not a field of PS-LINES in PAYSLIP.cpy`,
    );
  },
);

t.test('each fault of a definition stops the start with the file, the line and the name', async (t) => {
  // The message, with the region file's line written as @ where it is the line of `needles`.
  const fault = (transactions: unknown, needles: string[] = [], prepare?: (dir: string) => void) => {
    const file = region(t, transactions, CLASSES);
    prepare?.(join(file, '..'));
    const message = thrown(() => readRegionFile(file))
      .replace(file, 'region.json')
      .replace(join(file, '..'), '.');
    if (needles.length === 0) return message;
    return message.replace(`region.json:${lineOf(readFileSync(file, 'utf8'), ...needles)}:`, 'region.json:@:');
  };
  const pays = (change: object) => ({ PAYS: { ...PAYS, ...change } });
  const templates = (change: object) => pays({ templates: { ...PAYS.templates, ...change } });
  t.equal(
    fault(pays({ copybook: 'copybooks/NOPE.cpy' }), ['"PAYS"', '"copybook"']),
    `region.json:@: transactions.PAYS.copybook: no copybook copybooks/NOPE.cpy (./copybooks/NOPE.cpy)`,
  );
  t.equal(
    fault(pays({ copybook: 'copybooks' }), ['"PAYS"', '"copybook"']),
    'region.json:@: transactions.PAYS.copybook: copybooks is not a file',
  );
  t.equal(
    fault(pays({}), ['"PAYS"', '"copybook"'], (dir) =>
      writeFileSync(join(dir, 'copybooks', 'PAYSLIP.cpy'), '       01  PAYSLIP.\n           05  PS-A  PIC Q(3).\n'),
    ),
    'region.json:@: transactions.PAYS.copybook: ./copybooks/PAYSLIP.cpy:2:26: PIC Q(3) cannot be read',
  );
  t.equal(
    fault(templates({ text: { file: 'templates/nope.liquid' } }), ['"PAYS"', '"templates"', '"text"', '"file"']),
    `region.json:@: transactions.PAYS.templates.text.file: no template templates/nope.liquid (./templates/nope.liquid)`,
  );
  t.equal(
    fault(pays({}), ['"PAYS"', '"html"', '"file"'], (dir) =>
      writeFileSync(join(dir, 'templates', 'payslip.html.liquid'), Buffer.from([0x3c, 0x70, 0x3e, 0xe4, 0x3c])),
    ),
    'region.json:@: transactions.PAYS.templates.html.file: templates/payslip.html.liquid is not UTF-8',
  );
  t.equal(
    fault(templates({ text: undefined, html: undefined }), ['"PAYS"', '"templates"']),
    'region.json:@: transactions.PAYS.templates: give "text", "html" or both: the mail needs a body',
  );
  t.equal(
    fault(pays({ output: { rc: 'PS-RX' } }), ['"PAYS"', '"output"', '"rc"']),
    'region.json:@: transactions.PAYS.output.rc: PS-RX is not an item of PAYSLIP.cpy',
  );
  t.equal(
    fault(pays({ output: { rc: 'PS-REASON' } }), ['"PAYS"', '"output"', '"rc"']),
    'region.json:@: transactions.PAYS.output.rc: PS-REASON (PIC X(8)) cannot hold the return code: a numeric item of 2 digits or more',
  );
  t.equal(
    fault(pays({ output: { reason: 'PS-STATUS' } }), ['"PAYS"', '"output"', '"reason"']),
    'region.json:@: transactions.PAYS.output.reason: PS-STATUS (PIC X) cannot hold the 8-character reason: an alphanumeric item of 8 or more',
  );
  t.equal(
    fault(pays({ output: { journalSeq: 'PS-RC' } }), ['"PAYS"', '"output"', '"journalSeq"']),
    'region.json:@: transactions.PAYS.output.journalSeq: PS-RC (PIC S9(4)) cannot hold the journal sequence number: a numeric item of 9 digits or more',
  );
  t.equal(
    fault(pays({ output: { rc: 'PS-NET' } }), ['"PAYS"', '"output"', '"rc"']),
    'region.json:@: transactions.PAYS.output.rc: PS-NET (PIC S9(7)V99) cannot hold the return code: a numeric item of 2 digits or more',
    'decimals: no',
  );
  t.equal(
    fault(pays({ output: { messageId: 'PS-EMPLOYEE' } }), ['"PAYS"', '"output"', '"messageId"']),
    'region.json:@: transactions.PAYS.output.messageId: PS-EMPLOYEE is a group: give an elementary item',
  );
  t.equal(
    fault(pays({ output: { messageId: 'PS-LINE-TEXT' } }), ['"PAYS"', '"output"', '"messageId"']),
    'region.json:@: transactions.PAYS.output.messageId: PS-LINE-TEXT is in a table (OCCURS): give an item outside one',
  );
  t.equal(
    fault(pays({ output: { messageId: 'PS-MESSAGE-ID', relayReply: 'PS-MESSAGE-ID' } }), [
      '"PAYS"',
      '"output"',
      '"relayReply"',
    ]),
    'region.json:@: transactions.PAYS.output.relayReply: PS-MESSAGE-ID is the output field of messageId already',
  );
  t.equal(
    fault(pays({ copybook: undefined }), ['"PAYS"', '"program"']),
    'region.json:@: transactions.PAYS.program: a template program needs "copybook": the COMMAREA its templates read',
  );
  t.equal(
    fault({ PAYS: { program: 'template', copybook: 'copybooks/PAYSLIP.cpy' } }, ['"PAYS"', '"program"']),
    'region.json:@: transactions.PAYS.program: a template program needs "templates"',
  );
  t.equal(
    fault({ PAYM: { program: 'MAIL', templates: PAYS.templates } }, ['"PAYM"', '"templates"']),
    'region.json:@: transactions.PAYM.templates: only a template program has "templates"',
  );
  t.equal(
    fault({ PAYM: { program: 'MAIL', copybook: 'copybooks/PAYSLIP.cpy' } }, ['"PAYM"', '"copybook"']),
    'region.json:@: transactions.PAYM.copybook: MAIL reads its own COMMAREA: give no copybook',
  );
  t.equal(
    fault({ MAIL: { program: 'template' } }, ['"MAIL"', '"program"']),
    'region.json:@: transactions.MAIL.program: MAIL is built in: change it without "program"',
  );
  t.equal(
    fault({ MAIL: { templates: PAYS.templates } }, ['"MAIL"', '"templates"']),
    `region.json:@: transactions.MAIL.templates: a transaction of the shop's own needs "program" (a change to one the region has takes only enabled, class and timeLimitMs)`,
  );
  t.equal(
    fault({ NOTE: { program: '../elsewhere/x.mjs' } }, ['"NOTE"', '"program"']),
    `region.json:@: transactions.NOTE.program: "../elsewhere/x.mjs" is not template, MAIL, SEND, SPOL or a module in ./programs/`,
  );
  t.equal(
    fault({ NOTE: { program: 'programs/../../x.mjs' } }, ['"NOTE"', '"program"']),
    `region.json:@: transactions.NOTE.program: "programs/../../x.mjs" is not template, MAIL, SEND, SPOL or a module in ./programs/`,
  );
  t.equal(
    fault({ NOTE: { program: 'Mail' } }, ['"NOTE"', '"program"']),
    `region.json:@: transactions.NOTE.program: "Mail" is not template, MAIL, SEND, SPOL or a module in ./programs/`,
  );
  t.equal(
    fault({ NOTE: { program: 'programs/notes.txt' } }, ['"NOTE"', '"program"']),
    'region.json:@: transactions.NOTE.program: programs/notes.txt: a program module is a .js or .mjs file',
  );
  t.equal(
    fault({ NOTE: { program: 'programs/gone.mjs' } }, ['"NOTE"', '"program"']),
    'region.json:@: transactions.NOTE.program: no program module programs/gone.mjs (./programs/gone.mjs)',
  );
  t.equal(
    fault({ NOTE: { program: 'programs/notify-payroll.mjs' } }, ['"NOTE"', '"program"'], (dir) =>
      writeFileSync(join(dir, 'programs', 'notify-payroll.mjs'), 'export default () => undefined;\n'),
    ),
    "region.json:@: transactions.NOTE.program: programs/notify-payroll.mjs: a module's name is its program's name, 1 to 8 characters of A-Z 0-9 @ # $: NOTIFY-PAYROLL is not",
  );
  t.equal(
    fault({ NOTE: { program: 'programs/mail.mjs' } }, ['"NOTE"', '"program"'], (dir) =>
      writeFileSync(join(dir, 'programs', 'mail.mjs'), 'export default () => undefined;\n'),
    ),
    'region.json:@: transactions.NOTE.program: program name MAIL is the built-in program MAIL already',
  );
  t.equal(
    fault(
      {
        PAYS,
        NOTE: { program: 'programs/notify.mjs' },
        NOT2: { program: 'programs/sub/notify.mjs' },
      },
      ['"NOT2"', '"program"'],
      (dir) => {
        mkdirSync(join(dir, 'programs', 'sub'));
        writeFileSync(join(dir, 'programs', 'sub', 'notify.mjs'), 'export default () => undefined;\n');
      },
    ),
    'region.json:@: transactions.NOT2.program: program name NOTIFY is the module ./programs/notify.mjs already',
  );
  t.equal(
    fault({ PAYS, NOTE: { program: 'programs/pays.mjs' } }, ['"NOTE"', '"program"'], (dir) =>
      writeFileSync(join(dir, 'programs', 'pays.mjs'), 'export default () => undefined;\n'),
    ),
    'region.json:@: transactions.NOTE.program: program name PAYS is the template program of PAYS already',
  );
  t.equal(
    fault({ PAYS: { ...PAYS, class: 'NONE' } }),
    'region.json: transactions.PAYS.class: class NONE is not defined under classes',
  );
  t.equal(
    fault(templates({ to: undefined })),
    "region.json: transactions.PAYS.templates: must have required property 'to'",
  );
  t.equal(
    fault(templates({ subject: { path: 'x' } })),
    "region.json: transactions.PAYS.templates.subject: must have required property 'file'",
  );
  t.equal(fault(templates({ subject: 42 })), 'region.json: transactions.PAYS.templates.subject: must be string,object');
  t.equal(
    fault(pays({ output: { rc: 'PS RC' } })),
    'region.json: transactions.PAYS.output.rc: must match pattern "^[A-Za-z0-9][A-Za-z0-9-]{0,29}$"',
  );
  const twice = region(
    t,
    '{ "transactions": {\n  "PAYM": { "program": "MAIL" },\n  "PAYM": { "program": "SEND" }\n} }\n',
  );
  t.equal(
    thrown(() => readRegionFile(twice)).replace(twice, 'region.json'),
    'region.json:3: transactions.PAYM: is given twice',
  );
});
