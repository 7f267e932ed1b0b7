// docs/transactions.md followed block by block: its region file read as a region reads it,
// in a folder with the files it names (the page's own template, the copybook the page
// shows); the copybook the page shows is the one the record is made with, line for line;
// the page's template, filled from the page's payslip,
// makes exactly the text the page shows; and each fault the page shows at start is what
// the region says for that fault.
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { codePage } from '../../cics/codepages.js';
import { jsonToRecord } from '../../cics/copybook/json.js';
import { recordView } from '../../cics/copybook/view.js';
import { readRegionFile, type DefinedTransaction } from '../../config/region-file.js';
import { compileTemplateProgram } from '../../transactions/template/compile.js';
import { createEngines } from '../../transactions/template/engine.js';
import { renderMail } from '../../transactions/template/render.js';
import { fencedBlocks } from '../helpers/doc-examples.js';
import { PAY_VALUES } from '../helpers/shop.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const doc = readFileSync(join(root, 'docs/transactions.md'), 'utf8');
const fixture = (p: string) => join(root, 'test/fixtures', p);
const blocks = fencedBlocks(doc);
/** The one block of `lang` (of those that start with `first`, where given). */
const block = (lang: string, first?: string) => {
  const found = blocks.filter((b) => b.lang === lang && (first === undefined || b.lines[0] === first));
  if (found.length !== 1) throw new Error(`${found.length} ${lang} blocks`);
  return (found[0] as { lines: string[] }).lines;
};

// The payslip the page shows: Jane's, negative net pay.
const PAY = PAY_VALUES;

/** A region folder holding the page's region file, its template and the files it names. */
function regionFolder(): string {
  const dir = t.testdir({
    copybooks: {},
    templates: {},
    programs: { 'notify.mjs': 'export default async () => ({ kind: "normal" });\n' },
  });
  writeFileSync(join(dir, 'region.json'), `${block('json').join('\n')}\n`);
  copyFileSync(fixture('cobol/PAYSLIP.cpy'), join(dir, 'copybooks', 'PAYSLIP.cpy'));
  copyFileSync(fixture('cobol/PAYSLIP.cpy'), join(dir, 'copybooks', 'NOTICE.cpy'));
  writeFileSync(join(dir, 'templates', 'payslip.txt.liquid'), `${block('liquid').join('\n')}\n`);
  for (const name of ['payslip.html.liquid', 'payslip.csv.liquid'])
    copyFileSync(fixture(`templates/${name}`), join(dir, 'templates', name));
  return dir;
}

const dir = regionFolder();
const defined = readRegionFile(join(dir, 'region.json')).defined;
const pays = defined.find((d) => d.tranid === 'PAYS') as DefinedTransaction;

t.test("the page's region file: the transactions it says, as a region reads them", async (t) => {
  t.same(
    defined.map((d) => [d.tranid, d.program.kind, d.tranclass, d.timeLimitMs]),
    [
      ['PAYS', 'template', 'BATCH', 30_000],
      ['PAYM', 'builtin', 'BATCH', 120_000],
      ['NOTE', 'module', undefined, 120_000],
    ],
  );
  t.equal(pays.description, "one employee's payslip");
  if (pays.program.kind !== 'template') throw new Error('PAYS is a template program');
  t.same(pays.program.output, {
    rc: 'PS-RC',
    reason: 'PS-REASON',
    messageId: 'PS-MESSAGE-ID',
    journalSeq: 'PS-JOURNAL-SEQ',
  });
});

t.test('the copybook the page shows is the one the payslip is made with', async (t) => {
  const file = readFileSync(fixture('cobol/PAYSLIP.cpy'), 'latin1');
  t.same(
    block('cobol', '       01  PAYSLIP.'),
    file.slice(file.indexOf('       01  PAYSLIP.')).trimEnd().split('\n'),
    'line for line from its 01',
  );
});

t.test("the page's template, filled from the payslip, makes the text the page shows", async (t) => {
  if (pays.program.kind !== 'template' || !pays.copybook) throw new Error('PAYS is a template program');
  const engines = createEngines();
  const compiled = compileTemplateProgram(pays.program.templates, pays.copybook, engines);
  const cp = codePage(37);
  const view = recordView(jsonToRecord(PAY, pays.copybook.layout, cp).bytes, pays.copybook.layout, cp);
  const r = renderMail(compiled, view, engines);
  if (!r.ok) throw new Error(r.detail);
  t.equal(r.mail.text, `${block('text').join('\n')}\n`, 'the text part, byte for byte');
  t.equal(r.mail.text, readFileSync(fixture('templates/payslip.expected.txt'), 'utf8'), "and the render test's");
});

t.test('each fault the page shows at start is what the region says for it', async (t) => {
  // The page's three lines: a template file's line, and two of its region file's (line 15, the subject).
  const faults = [
    ...doc.matchAll(/^ {4}((?:templates\/|region\.json:)\S+: transactions\.PAYS\.templates\.\S+ .*)$/gm),
  ].map((m) => m[1] as string);
  t.equal(faults.length, 3);
  if (pays.program.kind !== 'template' || !pays.copybook) throw new Error('PAYS is a template program');
  const program = pays.program;
  const copybook = pays.copybook;
  const said = (templates: typeof program.templates) => {
    try {
      compileTemplateProgram(templates, copybook, createEngines());
      return 'no fault';
    } catch (error) {
      return (error as Error).message.replaceAll(`${dir}/`, '');
    }
  };
  const inline = (source: string) => ({ ...program.templates.subject, text: source });
  t.equal(
    said({
      ...program.templates,
      text: {
        ...program.templates.text!,
        text: (program.templates.text?.text ?? '').replace('l.ps_line_text', 'l.ps_line_txt'),
      },
    }),
    faults[0],
  );
  t.equal(said({ ...program.templates, subject: inline('Payslip {{ ps_perod }}') }), faults[1]);
  t.equal(said({ ...program.templates, subject: inline("Payslip {{ ps_period | pic: 'ZZ9.9.9' }}") }), faults[2]);
});

t.test("an output field that cannot hold its value: the page's region file, its line and the item", async (t) => {
  const [, shown] = /\(`(region\.json:\d+: transactions\.PAYS\.output\.rc: [^`]*)`\)/.exec(doc) ?? [];
  t.ok(shown, 'the page shows it');
  const file = join(dir, 'region.json');
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace('"rc": "PS-RC"', '"rc": "PS-REASON"'));
  try {
    t.throws(() => readRegionFile(file), { message: `${dir}/${(shown ?? '').replace(/\s+/g, ' ')}` });
  } finally {
    writeFileSync(file, text);
  }
});
