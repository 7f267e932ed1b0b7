// Program modules of the shop's own through the region: one that LINKs to MAIL twice (two
// mails, each journaled, both in the answer), one that sends with sendMail (its own text and
// HTML parts), one that throws (ASRA for its task only, naming the mail it sent first), one
// that loops (AICA, its worker replaced), one that awaits for ever (AICA), and what a module
// can reach: a frozen context with the contract, nothing of the worker, nothing after its task.
import t from 'tap';
import { simpleParser } from 'mailparser';
import { parseWithPython } from '../../helpers/mail-check.js';
import { startRegion } from '../../helpers/region.js';
import { startRelay } from '../../helpers/relay.js';
import { shopFolder } from '../../helpers/shop.js';

const NOTICE = `       01  NOTICE.
           05  NT-TO                   PIC X(60).
           05  NT-TEXT                 PIC X(80).
           05  NT-KIND                 PIC X.
               88  NT-URGENT               VALUE 'U'.
           05  NT-RC                   PIC S9(4) COMP.
           05  NT-SEQS                 PIC 9(9) OCCURS 2.
           05  NT-NOTE                 PIC X(400).
`;

const PROGRAMS: Record<string, string> = {
  // LINKs to MAIL twice: the notice, and a copy for the operators when it is urgent.
  'programs/notify.mjs': `
export default async function notify(ctx) {
  const v = ctx.commarea;
  const mail = (to, subject) => ({ mc_version: '01', mc_from: 'notices@corp.example', mc_to: to, mc_subject: subject, mc_body: v.nt_text });
  const first = await ctx.link('MAIL', mail(v.nt_to, 'Notice'));
  const second = v.nt_urgent ? await ctx.link('MAIL', mail('ops@corp.example', 'Urgent notice')) : null;
  return { ...v, nt_rc: Math.max(first.mc_rc, second?.mc_rc ?? 0), nt_seqs: [first.mc_journal_seq, second?.mc_journal_seq ?? 0], nt_note: first.mc_reason };
}`,
  // sendMail with a text part and an HTML part of its own.
  'programs/letter.mjs': `
export default async function letter(ctx) {
  const v = ctx.commarea;
  const sent = await ctx.sendMail({
    from: 'Letters <letters@corp.example>',
    to: [v.nt_to],
    subject: 'A letter',
    text: 'Dear reader,\\n' + v.nt_text + '\\n',
    html: '<p>Dear reader,</p><p>' + v.nt_text.replaceAll('&', '&amp;').replaceAll('<', '&lt;') + '</p>',
    attachments: [{ filename: 'note.txt', content: 'one\\ntwo\\n' }],
  });
  return { nt_rc: sent.rc, nt_seqs: [sent.journalSeq, 0], nt_note: sent.reason + ' ' + sent.messageId };
}`,
  // Sends a mail, then fails.
  'programs/boom.mjs': `
export default async function boom(ctx) {
  await ctx.link('MAIL', { mc_version: '01', mc_from: 'boom@corp.example', mc_to: 'ops@corp.example', mc_subject: 'before the fall' });
  throw new Error('the ledger does not balance');
}`,
  'programs/spin.mjs': `
export default async function spin() {
  for (;;) {}
}`,
  'programs/wait.mjs': `
export default function wait() {
  return new Promise(() => {});
}`,
  // What a module can reach, as JSON in NT-NOTE; and the context of the task before it.
  'programs/peek.mjs': `
export default async function peek(ctx) {
  let assigned = 'no';
  try { ctx.eib.eibtrnid = 'XXXX'; assigned = 'yes'; } catch { assigned = 'refused'; }
  let late = 'no earlier task';
  if (globalThis.__peekEarlier) {
    try { await globalThis.__peekEarlier.sendMail({ to: 'ops@corp.example', subject: 'late', text: 'x' }); late = 'sent'; }
    catch (err) { late = err.message; }
  }
  globalThis.__peekEarlier = ctx;
  return { nt_note: JSON.stringify({
    keys: Object.keys(ctx).sort(), frozen: Object.isFrozen(ctx), eibFrozen: Object.isFrozen(ctx.eib), assigned,
    services: typeof ctx.services, journal: typeof ctx.journal, late, tranid: ctx.eib.eibtrnid,
  }) };
}`,
};

const module = (file: string, more: object = {}) => ({ program: file, copybook: 'copybooks/NOTICE.cpy', ...more });

const relay = await startRelay(t);
const shop = shopFolder(
  t,
  {
    transactions: {
      NOTE: module('programs/notify.mjs'),
      // A second transaction on the same module: one program.
      NOT2: module('programs/notify.mjs', { description: 'notices for the night shift' }),
      LETR: module('programs/letter.mjs'),
      BOOM: module('programs/boom.mjs'),
      SPIN: module('programs/spin.mjs', { timeLimitMs: 300 }),
      WAIT: module('programs/wait.mjs', { timeLimitMs: 300 }),
      PEEK: module('programs/peek.mjs'),
    },
  },
  { 'copybooks/NOTICE.cpy': NOTICE, ...PROGRAMS },
);
const region = await startRegion(t, {
  CICSMAIL_RELAY: relay.url,
  CICSMAIL_CONFIG: shop.config,
  CICSMAIL_HARD_STOP_GRACE_MS: '100',
});

const run = async (tranid: string, body: object) => {
  const res = await region.fetch(`/cics/${tranid}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { res, body: (await res.json()) as Record<string, unknown> };
};

t.test('a module that LINKs to MAIL twice: two mails, each journaled, both in its answer', async (t) => {
  const before = relay.mails.length;
  const { res, body } = await run('NOTE', {
    nt_to: 'jane@corp.example',
    nt_text: 'The boiler is on fire.',
    nt_kind: 'U',
  });
  t.equal(res.status, 200);
  t.equal(res.headers.get('x-cics-resp'), 'NORMAL');
  t.equal(res.headers.get('x-mail-rc'), '0');
  const seqs = body.nt_seqs as number[];
  t.equal(res.headers.get('x-journal-seq'), seqs.join(','), 'both mails in X-Journal-Seq');
  t.match(body, { nt_to: 'jane@corp.example', nt_kind: 'U', nt_rc: 0, nt_note: 'SENT' });
  t.equal(relay.mails.length, before + 2);
  for (const [seq, to, subject] of [
    [seqs[0], 'jane@corp.example', 'Notice'],
    [seqs[1], 'ops@corp.example', 'Urgent notice'],
  ] as const) {
    const record = region.journal().get(seq!);
    t.match(record, { tranid: 'NOTE', state: 'SENT', subject, envelope: { from: 'notices@corp.example', to: [to] } });
    t.equal(record?.taskn, Number(res.headers.get('x-cics-taskn')), 'journaled under the module task');
    t.ok(
      relay.mails.some((m) => m.message.equals(region.journal().message(seq!)!)),
      `${subject} reached the relay`,
    );
  }
  const one = await run('NOT2', { nt_to: 'joe@corp.example', nt_text: 'Quiet night.' });
  t.match(one.body, { nt_rc: 0, nt_seqs: [Number, 0] });
  t.match(region.journal().get((one.body.nt_seqs as number[])[0]!), { tranid: 'NOT2', subject: 'Notice' });
});

t.test('sendMail: the module gives the text part and the HTML part; MAIL guarantees hold', async (t) => {
  const { body } = await run('LETR', { nt_to: 'jane@corp.example', nt_text: 'Rates <up> & away' });
  const [seq] = body.nt_seqs as number[];
  t.match(body, { nt_rc: 0, nt_note: /^SENT <[0-9a-f-]{36}@region\.test>$/ });
  const message = region.journal().message(seq!)!;
  const py = await parseWithPython(message);
  t.equal(py.text, 'Dear reader,\nRates <up> & away\n');
  t.equal(py.html, '<p>Dear reader,</p><p>Rates &lt;up> &amp; away</p>\n');
  t.same(
    py.attachments.map((a) => a.filename),
    ['note.txt'],
  );
  const parsed = await simpleParser(message);
  t.equal(parsed.subject, 'A letter');
  // A sender the user may not use is refused as MAIL refuses it: RC 16, journaled DENIED.
  const limited = await startRegion(
    t,
    { CICSMAIL_RELAY: relay.url, CICSMAIL_CONFIG: shop.config },
    { users: [{ id: 'CLERK', password: 'clerk-password', transactions: ['LETR'], senders: ['clerk@corp.example'] }] },
  );
  const res = await limited.fetch('/cics/LETR', {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from('CLERK:clerk-password').toString('base64')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ nt_to: 'jane@corp.example', nt_text: 'hi' }),
  });
  t.equal(res.headers.get('x-mail-rc'), '16');
  t.match(await res.json(), { nt_rc: 16, nt_note: 'SENDER' });
});

t.test('a module that throws is ASRA for its task only, naming the mail it sent first', async (t) => {
  const [boom, other] = await Promise.all([
    run('BOOM', {}),
    run('NOTE', { nt_to: 'jane@corp.example', nt_text: 'meanwhile' }),
  ]);
  t.equal(boom.res.status, 500);
  t.equal(boom.res.headers.get('x-cics-abcode'), 'ASRA');
  t.match(
    boom.body.message,
    /^program BOOM version 1 failed: the ledger does not balance \(after journal record\(s\) \d+, which stay on their way\)$/,
  );
  const seq = Number(/record\(s\) (\d+)/.exec(boom.body.message as string)?.[1]);
  t.match(region.journal().get(seq), { tranid: 'BOOM', subject: 'before the fall' });
  t.equal(other.res.status, 200);
  t.match(other.body, { nt_rc: 0 });
});

t.test('a module that loops is ended AICA and its worker replaced; one that awaits for ever is AICA', async (t) => {
  const spin = await run('SPIN', {});
  t.equal(spin.res.status, 500);
  t.equal(spin.res.headers.get('x-cics-abcode'), 'AICA');
  t.match(spin.body.message, /ran past its time limit of 300 ms and did not yield; its worker was ended/);
  const after = await run('NOTE', { nt_to: 'jane@corp.example', nt_text: 'after' });
  t.match(after.body, { nt_rc: 0 }, 'the region runs on, in a new worker');
  const wait = await run('WAIT', {});
  t.equal(wait.res.headers.get('x-cics-abcode'), 'AICA');
  t.match(wait.body.message, /ran past its time limit of 300 ms$/);
});

t.test('what a module can reach: a frozen contract, nothing of the worker, nothing after its task', async (t) => {
  const peek = await run('PEEK', {});
  t.equal(peek.res.status, 200, JSON.stringify(peek.body));
  const first = JSON.parse(peek.body.nt_note as string) as Record<string, unknown>;
  t.same(first, {
    keys: ['bytes', 'ccsid', 'commarea', 'containers', 'deadline', 'eib', 'link', 'sendMail'],
    frozen: true,
    eibFrozen: true,
    assigned: 'refused',
    services: 'undefined',
    journal: 'undefined',
    late: 'no earlier task',
    tranid: 'PEEK',
  });
  const before = relay.mails.length;
  const second = JSON.parse((await run('PEEK', {})).body.nt_note as string) as Record<string, unknown>;
  t.match(second.late, /^sendMail: task \d+ has ended$/, "a task's context sends nothing once it has answered");
  t.equal(relay.mails.length, before);
});

t.test('a module whose answer does not fit its copybook is ASRA naming the field', async (t) => {
  const other = shopFolder(
    t,
    {
      transactions: {
        WRNG: module('programs/wrong.mjs'),
        NODF: module('programs/nodflt.mjs'),
      },
    },
    {
      'copybooks/NOTICE.cpy': NOTICE,
      'programs/wrong.mjs': 'export default async () => ({ nt_rc: 123456 });\n',
      'programs/nodflt.mjs': 'export const x = 1;\n',
    },
  );
  const r = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_CONFIG: other.config });
  const wrong = await r.fetch('/cics/WRNG', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  t.equal(wrong.headers.get('x-cics-abcode'), 'ASRA');
  t.match(await wrong.json(), {
    message: /^program WRONG version 1 returned a COMMAREA that does not fit NOTICE\.cpy: NT-RC: /,
  });
  const none = await r.fetch('/cics/NODF', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  t.match(await none.json(), {
    abcode: 'ASRA',
    message:
      'program NODFLT version 1 cannot be loaded: NODFLT version 1 has no default export function: export default async function (ctx) {…}',
  });
});

t.test(
  "a module's link to MAIL is MAILCA version 01: mc_version '02' is a LinkError INVREQ, nothing sent",
  async (t) => {
    const other = shopFolder(
      t,
      { transactions: { VER2: module('programs/ver2.mjs') } },
      {
        'copybooks/NOTICE.cpy': NOTICE,
        'programs/ver2.mjs': `
export default async function ver2(ctx) {
  try {
    await ctx.link('MAIL', { mc_version: '02', mc_from: 'a@corp.example', mc_to: 'ops@corp.example' });
    return { nt_note: 'sent' };
  } catch (err) {
    return { nt_note: err.resp + ' ' + err.field + ' ' + err.message };
  }
}`,
      },
    );
    const r = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_CONFIG: other.config });
    const before = relay.mails.length;
    const res = await r.fetch('/cics/VER2', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    t.equal(res.status, 200);
    t.match(await res.json(), {
      nt_note:
        "INVREQ MC-VERSION link: MAIL: mc_version '02' in MAILCA's JSON view: the view is version 01, which has no MC-KEY; send mc_version '01' and the request key as the Idempotency-Key header",
    });
    t.equal(relay.mails.length, before, 'nothing sent');
  },
);
