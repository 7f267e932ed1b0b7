// A template program end to end: a PAYSLIP record written by a real COBOL program (GnuCOBOL),
// posted to the region as EBCDIC, becomes a mail whose text and HTML parts are the expected
// ones byte for byte, journaled and sent; its answer has the outcome in the output fields.
// Then hostile records and templates through the region: CR/LF in a field, reads outside
// the data, a template that would loop without end, a name the view does not have.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { simpleParser } from 'mailparser';
import { codePage } from '../../../cics/codepages.js';
import { jsonToRecord, recordToJson } from '../../../cics/copybook/json.js';
import { parseCopybook } from '../../../cics/copybook/parse.js';
import { asIbm, NO_COBC, runCobol } from '../../helpers/gnucobol.js';
import { parseWithPython } from '../../helpers/mail-check.js';
import { startRegion } from '../../helpers/region.js';
import { startRelay } from '../../helpers/relay.js';
import { PAY_VALUES, PAYS, PAYSLIP_FILES, shopFolder } from '../../helpers/shop.js';

const fixture = (p: string) => fileURLToPath(new URL(`../../fixtures/${p}`, import.meta.url));
const cp = codePage(37);
const payslip = parseCopybook(readFileSync(fixture('cobol/PAYSLIP.cpy'), 'latin1'), 'PAYSLIP.cpy');
const expectedText = readFileSync(fixture('templates/payslip.expected.txt'), 'utf8');
const expectedHtml = readFileSync(fixture('templates/payslip.expected.html'), 'utf8');

/** The output fields of an answer, read through the copybook. */
const answerOf = (bytes: Buffer) => {
  const v = recordToJson(bytes, payslip, cp) as Record<string, unknown>;
  return {
    rc: v.ps_rc as number,
    reason: v.ps_reason as string,
    messageId: v.ps_message_id as string,
    seq: v.ps_journal_seq as number,
  };
};

/** A PAYSLIP record in EBCDIC 037 from JSON values. */
const record = (values: object = {}) => jsonToRecord({ ...PAY_VALUES, ...values }, payslip, cp).bytes;

const relay = await startRelay(t);
const shop = shopFolder(
  t,
  {
    transactions: {
      PAYS,
      // Reads an entry past the table's count, and loops without end: both stopped.
      PAYX: {
        program: 'template',
        copybook: 'copybooks/PAYSLIP.cpy',
        templates: {
          to: '{{ ps_employee.ps_email }}',
          subject: 'Line 6',
          text: '{{ ps_lines[5].ps_line_text }}',
        },
        output: { rc: 'PS-RC', reason: 'PS-REASON' },
      },
      LOOP: {
        program: 'template',
        copybook: 'copybooks/PAYSLIP.cpy',
        templates: {
          to: '{{ ps_employee.ps_email }}',
          subject: 'Forever',
          text: '{% for i in (1..1000000000) %}{% for j in (1..1000000000) %}x{% endfor %}{% endfor %}',
        },
        output: { rc: 'PS-RC', reason: 'PS-REASON' },
      },
      PAYM: { program: 'MAIL', description: 'MAIL for the payroll jobs' },
    },
  },
  PAYSLIP_FILES,
);
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_CONFIG: shop.config });

t.test('a payslip GnuCOBOL wrote becomes the expected mail, byte for byte, and the answer says so', async (t) => {
  let written = readFileSync(fixture('cobol/payslip.bin'));
  if (!NO_COBC) {
    const dir = t.testdir();
    const out = runCobol(dir, fixture('cobol/payslip.cbl'), [fixture('cobol')], { PAYFILE: `${dir}/payslip.bin` });
    t.match(out, /^PAYSLIP 0*291$/m, 'GnuCOBOL: FUNCTION LENGTH(PAYSLIP) with 2 lines');
    written = readFileSync(`${dir}/payslip.bin`);
    t.same(written, readFileSync(fixture('cobol/payslip.bin')), 'GnuCOBOL still writes the fixture');
  }
  const commarea = asIbm(written, payslip);
  t.same(
    recordToJson(commarea, payslip, cp),
    { ...PAY_VALUES, ps_rc: 0, ps_reason: '', ps_message_id: '', ps_journal_seq: 0, ps_line_count: 2 },
    'the values COBOL moved, net computed negative',
  );
  const before = relay.mails.length;
  const res = await region.post('PAYS', commarea);
  t.equal(res.status, 200);
  t.equal(res.headers.get('x-cics-resp'), 'NORMAL');
  t.equal(res.headers.get('x-mail-rc'), '0');
  const out = Buffer.from(await res.arrayBuffer());
  t.equal(out.length, commarea.length, 'the COMMAREA comes back at the length it went');
  const answer = answerOf(out);
  t.match(answer, { rc: 0, reason: 'SENT', messageId: /^<[0-9a-f-]{36}@region\.test>$/ });
  t.equal(String(answer.seq), res.headers.get('x-journal-seq'));
  // Only the output fields changed: PS-RC through PS-JOURNAL-SEQ (bytes 131 to 229).
  t.same(out.subarray(0, 131), commarea.subarray(0, 131));
  t.same(out.subarray(229), commarea.subarray(229));

  t.equal(relay.mails.length, before + 1);
  const mail = relay.mails.at(-1)!;
  t.same(mail.to, ['jane@corp.example', 'payroll-archive@corp.example'], 'Bcc in the envelope only');
  t.notMatch(mail.message.toString('latin1'), /^Bcc:/im);
  const parsed = await simpleParser(mail.message);
  t.equal(parsed.messageId, answer.messageId);
  t.equal(parsed.subject, 'Payslip 2026/01');
  t.same(parsed.from?.value, [{ address: 'payroll@corp.example', name: 'Payroll' }]);
  t.same(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : null, [
    { address: 'jane@corp.example', name: 'JANE Q. <PUBLIC> & CO' },
  ]);
  const py = await parseWithPython(mail.message);
  t.same(py.multiparts, ['multipart/mixed', 'multipart/alternative']);
  t.equal(py.text, expectedText, 'the text part, byte for byte (Python)');
  t.equal(py.html, expectedHtml, 'the HTML part, byte for byte (Python)');
  t.equal(parsed.html, expectedHtml, 'the HTML part (mailparser)');
  t.match(py.html, '<p>JANE Q. &lt;PUBLIC&gt; &amp; CO, no. 4711</p>', 'HTML in a field escaped in the HTML part');
  t.same(
    py.attachments.map((a) => [a.content_type, a.filename]),
    [['text/csv', 'payslip-4711.csv']],
  );
  t.equal(
    parsed.attachments[0]?.content.toString('utf8'),
    'line,text,amount\r\n1,SALARY,1234.5\r\n2,ADVANCE REPAID,-1500\r\n',
  );
  const journaled = region.journal().get(answer.seq);
  t.match(journaled, { tranid: 'PAYS', state: 'SENT', subject: 'Payslip 2026/01', messageId: answer.messageId });
  t.same(region.journal().message(answer.seq), mail.message, 'the journal holds the bytes the relay got');
});

t.test('the JSON view in and out, the OpenAPI document and CEMT show PAYS from its copybook', async (t) => {
  const res = await region.fetch('/cics/PAYS', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(PAY_VALUES),
  });
  t.equal(res.status, 200);
  t.match(await res.json(), { ...PAY_VALUES, ps_rc: 0, ps_reason: 'SENT', ps_line_count: 2 });
  const bad = await region.fetch('/cics/PAYS', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...PAY_VALUES, ps_nett: 1 }),
  });
  t.equal(bad.status, 400, 'a name its copybook does not have is refused by the schema');

  const openapi = (await (await region.fetch('/docs/json')).json()) as { paths: Record<string, unknown> };
  t.match(openapi.paths['/cics/PAYS'], {
    post: {
      summary: "run PAYS: one employee's payslip",
      description: /PAYSLIP\.cpy in the request's CCSID/,
      requestBody: { content: { 'application/json': { schema: { properties: { ps_net: {}, ps_lines: {} } } } } },
    },
  });
  const transactions = (await (await region.fetch('/cemt/transactions')).json()) as { tranid: string }[];
  t.same(
    transactions.filter((d) => ['MAIL', 'PAYS', 'PAYM'].includes(d.tranid)),
    [
      {
        tranid: 'MAIL',
        enabled: true,
        class: null,
        timeLimitMs: 120000,
        program: 'MAIL',
        copybook: 'MAILCA',
        description: 'compose and send one mail (copybooks/MAILCA.cpy)',
      },
      {
        tranid: 'PAYS',
        enabled: true,
        class: null,
        timeLimitMs: 120000,
        program: 'PAYS',
        copybook: 'PAYSLIP.cpy',
        description: "one employee's payslip",
      },
      {
        tranid: 'PAYM',
        enabled: true,
        class: null,
        timeLimitMs: 120000,
        program: 'MAIL',
        copybook: 'MAILCA',
        description: 'MAIL for the payroll jobs',
      },
    ],
  );
  const disabled = await region.fetch('/cemt/transactions/PAYS', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ enabled: false }),
  });
  t.equal(disabled.status, 200);
  t.equal((await region.post('PAYS', record())).status, 503, 'CEMT SET TRANSACTION disables it');
  await region.fetch('/cemt/transactions/PAYS', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ enabled: true }),
  });
  const layout = (await (await region.fetch('/console/api/transactions/PAYS/layout')).json()) as object;
  t.match(layout, { tranid: 'PAYS', copybook: 'PAYSLIP.cpy', minLength: 231, maxLength: 591 });
});

t.test('CR, LF or NL in a field never reaches a header: RC 8 CTLCHAR, no mail, nothing journaled', async (t) => {
  const before = { mails: relay.mails.length, records: region.journal().list({ limit: 1000 }).length };
  for (const [name, hex] of [
    ['CR LF', '0d25'],
    ['NL', '15'],
  ] as const) {
    const area = record();
    // PS-NAME at bytes 6 to 36: 'JANE' then the control bytes, then 'Bcc: all@corp.example'.
    Buffer.concat([cp.encode('JANE'), Buffer.from(hex, 'hex'), cp.encode('Bcc: all@corp.example')]).copy(area, 6);
    const res = await region.post('PAYS', area);
    t.equal(res.status, 200, name);
    t.equal(res.headers.get('x-mail-rc'), '8');
    t.equal(res.headers.get('x-journal-seq'), null);
    const answer = answerOf(Buffer.from(await res.arrayBuffer()));
    t.same(answer, { rc: 8, reason: 'CTLCHAR', messageId: '', seq: 0 }, name);
  }
  t.equal(relay.mails.length, before.mails, 'no mail went');
  t.equal(region.journal().list({ limit: 1000 }).length, before.records, 'nothing was journaled');
});

t.test('a read past the table and a loop without end are RC 8 TMPLFAIL, answered at once', async (t) => {
  const past = await region.post('PAYX', record());
  t.equal(past.headers.get('x-mail-rc'), '8');
  t.match(answerOf(Buffer.from(await past.arrayBuffer())), { rc: 8, reason: 'TMPLFAIL' });
  const started = Date.now();
  const loop = await region.post('LOOP', record());
  t.equal(loop.status, 200);
  t.equal(loop.headers.get('x-mail-rc'), '8');
  t.match(answerOf(Buffer.from(await loop.arrayBuffer())), { rc: 8, reason: 'TMPLFAIL' });
  t.ok(Date.now() - started < 60_000, 'stopped by its limit, not by the task time limit of 120 s');
});

t.test('a built-in program under a tranid of the shop: PAYM is MAIL, journaled as PAYM', async (t) => {
  const res = await region.fetch('/cics/PAYM', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      mc_version: '01',
      mc_from: 'payroll@corp.example',
      mc_to: 'ops@corp.example',
      mc_subject: 'run',
    }),
  });
  t.equal(res.status, 200);
  const body = (await res.json()) as { mc_rc: number; mc_journal_seq: number };
  t.equal(body.mc_rc, 0);
  t.match(region.journal().get(body.mc_journal_seq), { tranid: 'PAYM', state: 'SENT', subject: 'run' });
});

t.test('a name the view does not have stops the start with the file, the line and the name', async (t) => {
  const bad = shopFolder(
    t,
    { transactions: { PAYS: { ...PAYS, templates: { ...PAYS.templates, subject: 'Payslip {{ ps_perod }}' } } } },
    PAYSLIP_FILES,
  );
  await t.rejects(startRegion(t, { CICSMAIL_CONFIG: bad.config }), {
    name: 'TemplateDefinitionError',
    message: `${bad.config}:11: transactions.PAYS.templates.subject: column 12: ps_perod is not a field of PAYSLIP.cpy`,
  });
  const file = shopFolder(
    t,
    { transactions: { PAYS } },
    {
      ...PAYSLIP_FILES,
      'templates/payslip.txt.liquid': 'Hello\n{{ constructor }}\n',
    },
  );
  await t.rejects(startRegion(t, { CICSMAIL_CONFIG: file.config }), {
    message: `${file.dir}/templates/payslip.txt.liquid:2: transactions.PAYS.templates.text: column 4: constructor is not a field of PAYSLIP.cpy`,
  });
});

t.test('redrive runs the recorded PAYS tasks again, RC by RC, as it runs MAIL', async (t) => {
  const before = relay.mails.length;
  const res = await region.fetch('/journal/replay', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'redrive', filter: { tranid: 'PAYS' }, concurrency: 1 }),
  });
  t.equal(res.status, 200);
  const report = (await res.json()) as { tasks: number; different: number; transitions: object };
  // The payslip from GnuCOBOL and the one as JSON sent again; the two CTLCHAR refused again.
  t.same(report.transitions, { 'RC 0 -> RC 0': 2, 'RC 8 -> RC 8': 2 });
  t.equal(report.different, 0);
  const again = relay.mails.slice(before);
  t.equal(again.length, 2);
  for (const m of again) t.equal((await parseWithPython(m.message)).text, expectedText);
});
