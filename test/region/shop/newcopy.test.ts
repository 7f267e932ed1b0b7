// CEMT SET PROGRAM(name) NEWCOPY under load: a module and a template program changed on
// disk and loaded again while tasks run. Tasks answered before the NEWCOPY ran the old copy,
// tasks sent after it the new one, and tasks that were running when it came (held on a
// latch) finish on the old one; each is counted. A NEWCOPY that cannot be used is refused
// and the old copy stays.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import t from 'tap';
import { simpleParser } from 'mailparser';
import { startRegion } from '../../helpers/region.js';
import { startRelay } from '../../helpers/relay.js';
import { PAY_VALUES, PAYS, PAYSLIP_FILES, shopFolder } from '../../helpers/shop.js';

const VERSIONCA = `       01  VERSIONCA.
           05  VR-LATCH                PIC X(200).
           05  VR-VERSION              PIC X(8).
`;

/** The module, as it answers in version `name`: a task with a latch waits for it first. */
const versionModule = (name: string) => `
import { existsSync, writeFileSync } from 'node:fs';
export default async function version(ctx) {
  const latch = ctx.commarea.vr_latch;
  if (latch) {
    writeFileSync(latch + '.' + ctx.eib.eibtaskn, '');
    while (!existsSync(latch)) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { vr_version: '${name}' };
}
`;

const relay = await startRelay(t);
const regionFile = (subject: string) => ({
  transactions: {
    VERS: { program: 'programs/version.mjs', copybook: 'copybooks/VERSIONCA.cpy' },
    PAYS: { ...PAYS, templates: { ...PAYS.templates, subject } },
  },
});
const shop = shopFolder(t, regionFile("Payslip {{ ps_period | pic: '9999/99' }}"), {
  ...PAYSLIP_FILES,
  'copybooks/VERSIONCA.cpy': VERSIONCA,
  'programs/version.mjs': versionModule('V1'),
});
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_CONFIG: shop.config });

const post = async (tranid: string, body: object) => {
  const res = await region.fetch(`/cics/${tranid}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { res, body: (await res.json()) as Record<string, unknown> };
};
const newcopy = (name: string) =>
  region.fetch(`/cemt/programs/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ newcopy: true }),
  });

interface Answered {
  readonly sentAt: number;
  readonly answeredAt: number;
  readonly version: string;
}

/** `lanes` tasks at a time, one after another in each lane, until `stop()`; what each answered. */
function load(
  lanes: number,
  task: () => Promise<string>,
): { until(n: number): Promise<void>; stop(): Promise<Answered[]> } {
  const answered: Answered[] = [];
  let going = true;
  const lane = async () => {
    while (going) {
      const sentAt = performance.now();
      const version = await task();
      answered.push({ sentAt, answeredAt: performance.now(), version });
    }
  };
  const running = Promise.all(Array.from({ length: lanes }, lane));
  return {
    /** Waits until `n` more tasks have answered. */
    async until(n: number) {
      const goal = answered.length + n;
      while (answered.length < goal) await new Promise((resolve) => setTimeout(resolve, 10));
    },
    async stop() {
      going = false;
      await running;
      return answered;
    },
  };
}

/** Answers by when they came against the NEWCOPY's call (from `from` to `to`). */
function counted(answers: readonly Answered[], from: number, to: number) {
  const before = answers.filter((a) => a.answeredAt < from);
  const after = answers.filter((a) => a.sentAt > to);
  const during = answers.filter((a) => a.answeredAt >= from && a.sentAt <= to);
  const versions = (list: readonly Answered[]) => [...new Set(list.map((a) => a.version))].sort();
  return {
    before: before.length,
    after: after.length,
    during: during.length,
    versions,
    beforeAll: versions(before),
    afterAll: versions(after),
  };
}

t.test(
  'a module: tasks before keep the old copy, tasks after get the new; running ones finish on the old',
  async (t) => {
    t.equal((await post('VERS', {})).body.vr_version, 'V1');
    const latchDir = t.testdir();
    const latch = join(latchDir, 'go');
    const background = load(4, async () => (await post('VERS', {})).body.vr_version as string);
    await background.until(20);
    // Five tasks running on version 1 when the NEWCOPY comes.
    const held = Array.from({ length: 5 }, () => post('VERS', { vr_latch: latch }));
    while (readdirSync(latchDir).length < 5) await new Promise((resolve) => setTimeout(resolve, 10));
    shop.write('programs/version.mjs', versionModule('V2'));
    const from = performance.now();
    const res = await newcopy('VERSION');
    const to = performance.now();
    t.equal(res.status, 200);
    t.same(await res.json(), {
      program: 'VERSION',
      kind: 'module',
      version: 2,
      file: join('programs', 'version.mjs'),
      transactions: ['VERS'],
    });
    await background.until(20);
    writeFileSync(latch, '');
    const heldVersions = (await Promise.all(held)).map((r) => r.body.vr_version);
    const c = counted(await background.stop(), from, to);
    t.same(heldVersions, ['V1', 'V1', 'V1', 'V1', 'V1'], 'the 5 tasks running at the NEWCOPY finished on version 1');
    t.same(c.beforeAll, ['V1'], `${c.before} tasks answered before the NEWCOPY: version 1`);
    t.same(c.afterAll, ['V2'], `${c.after} tasks sent after it: version 2`);
    t.ok(c.before > 0 && c.after > 0, `before ${c.before}, during ${c.during} (either), after ${c.after}`);
    t.ok(existsSync(latch));
  },
);

t.test('a template program: changed templates under load, a broken one refused, the old copy kept', async (t) => {
  const subjectOf = async () => {
    const { body } = await post('PAYS', PAY_VALUES);
    const message = region.journal().message(body.ps_journal_seq as number);
    return message ? ((await simpleParser(message)).subject ?? '') : `RC ${String(body.ps_rc)}`;
  };
  t.equal(await subjectOf(), 'Payslip 2026/01');
  const background = load(3, subjectOf);
  await background.until(10);
  writeFileSync(shop.config, JSON.stringify(regionFile("Your payslip {{ ps_period | pic: '9999/99' }}"), null, 2));
  shop.write('templates/payslip.txt.liquid', 'Net {{ ps_net | pic: "-(7)9.99" }}\n');
  const from = performance.now();
  const res = await newcopy('pays');
  const to = performance.now();
  t.same(await res.json(), { program: 'PAYS', kind: 'template', version: 2, transactions: ['PAYS'] });
  await background.until(10);
  const c = counted(await background.stop(), from, to);
  t.same(c.beforeAll, ['Payslip 2026/01'], `${c.before} mails before the NEWCOPY: the old templates`);
  t.same(c.afterAll, ['Your payslip 2026/01'], `${c.after} mails after it: the new ones`);
  t.ok(c.before > 0 && c.after > 0, `before ${c.before}, during ${c.during} (either), after ${c.after}`);
  const { body } = await post('PAYS', PAY_VALUES);
  const text = (await simpleParser(region.journal().message(body.ps_journal_seq as number)!)).text;
  t.equal(text, 'Net     -265.50\n', 'the text template read again too');

  // A template with a name the view lacks: refused with the file, the line and the name.
  writeFileSync(shop.config, JSON.stringify(regionFile('Payslip {{ ps_perod }}'), null, 2));
  const broken = await newcopy('PAYS');
  t.equal(broken.status, 409);
  t.equal(broken.headers.get('x-cics-resp'), 'INVREQ');
  t.same(await broken.json(), {
    resp: 'INVREQ',
    resp2: 6,
    abcode: null,
    message: `NEWCOPY of program PAYS refused, its copy kept: ${shop.config}:15: transactions.PAYS.templates.subject: column 12: ps_perod is not a field of PAYSLIP.cpy`,
  });
  t.equal(await subjectOf(), 'Your payslip 2026/01', 'version 2 runs on');
  // A changed copybook needs a restart: the COMMAREA's layout is the region's.
  writeFileSync(shop.config, JSON.stringify(regionFile('Payslip again'), null, 2));
  shop.write(
    'copybooks/PAYSLIP.cpy',
    `${Buffer.from(PAYSLIP_FILES['copybooks/PAYSLIP.cpy']!).toString('latin1')}      * changed\n`,
  );
  t.match(await (await newcopy('PAYS')).json(), {
    message: /^NEWCOPY of program PAYS refused, its copy kept: its copybook PAYSLIP\.cpy has changed/,
  });
  const programs = (await (await region.fetch('/cemt/programs')).json()) as { program: string; version: number }[];
  t.match(
    programs.find((p) => p.program === 'PAYS'),
    { kind: 'template', version: 2 },
  );
});

t.test('NEWCOPY of a built-in program or of none', async (t) => {
  const mail = await newcopy('MAIL');
  t.equal(mail.status, 409);
  t.match(await mail.json(), { message: /MAIL is built in: it changes with the region, not by NEWCOPY/ });
  const none = await newcopy('NOPE');
  t.equal(none.status, 404);
  t.match(await none.json(), { resp: 'PGMIDERR', message: "program 'NOPE' is not defined in this region" });
  const programs = (await (await region.fetch('/cemt/programs')).json()) as object[];
  t.match(programs, [
    { program: 'MAIL', kind: 'builtin', version: null, transactions: ['MAIL'] },
    { program: 'MINQ', kind: 'builtin', transactions: ['MINQ'] },
    { program: 'SEND', kind: 'builtin' },
    { program: 'SPOL', kind: 'builtin' },
    { program: 'VERSION', kind: 'module', version: 2, transactions: ['VERS'] },
    { program: 'PAYS', kind: 'template' },
  ]);
});
