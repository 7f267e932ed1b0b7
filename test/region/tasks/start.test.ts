// START: a transaction later, on a clock the test moves (the region's STARTs, journal and
// retry spool read it; the tasks run for real in the workers, to a real SMTP relay). A
// START is journaled and answered 202 with its REQID, runs when it falls due and not
// before, once, with its user's authority as it is then; CEMT inquires and cancels it; one
// due while the region was down runs when it comes back, once, and one a crash left
// running is not run again.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import FakeTimers from '@sinonjs/fake-timers';
import t, { type Test } from 'tap';
import type { Clock } from '../../../cics/clock.js';
import { Journal } from '../../../journal/journal.js';
import { parseCopybook } from '../../../cics/copybook/parse.js';
import { asIbm } from '../../helpers/gnucobol.js';
import { parseWithPython } from '../../helpers/mail-check.js';
import { startRegion, type TestRegion } from '../../helpers/region.js';
import { startRelay } from '../../helpers/relay.js';
import { PAYS, PAYSLIP_FILES, shopFolder } from '../../helpers/shop.js';
import { freshDir } from '../../helpers/test-like.js';
import { basicAuth } from '../../helpers/users.js';

const T0 = Date.parse('2026-12-01T09:00:00Z');
const MINUTE = 60_000;
const CLERK = { id: 'CLERK', password: 'clerk-password-1', transactions: ['MAIL', 'PAYS'], senders: ['*'] };
const clerk = basicAuth(CLERK.id, CLERK.password);
const fixture = (p: string) => fileURLToPath(new URL(`../../fixtures/${p}`, import.meta.url));
const payslip = parseCopybook(readFileSync(fixture('cobol/PAYSLIP.cpy'), 'latin1'), 'PAYSLIP.cpy');

function fakeClock(at: number) {
  const fake = FakeTimers.createClock(at);
  const clock: Clock = {
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
    clearTimeout: (id) => fake.clearTimeout(id as never),
  };
  return { fake, clock };
}

const relay = await startRelay(t);
const shop = shopFolder(t, { transactions: { PAYS } }, PAYSLIP_FILES);

async function regionAt(t: Test, at: number, dataDir = freshDir(t)) {
  const { fake, clock } = fakeClock(at);
  const region = await startRegion(
    t,
    { CICSMAIL_RELAY: relay.url, CICSMAIL_CONFIG: shop.config, CICSMAIL_DATA: dataDir },
    { clock, users: [CLERK] },
  );
  /** Moves the clock; resolves once the STARTs it made due have run. */
  const advance = async (ms: number) => {
    await fake.tickAsync(ms);
    await region.app.starts.whenIdle();
  };
  return { region, fake, advance, dataDir };
}

const mailView = (subject: string) =>
  JSON.stringify({ mc_version: '01', mc_from: 'clerk@corp.example', mc_to: 'ops@corp.example', mc_subject: subject });

function startMail(region: TestRegion, subject: string, headers: Record<string, string>, auth = clerk) {
  return region.fetch('/cics/MAIL', {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json', ...headers },
    body: mailView(subject),
  });
}

const subjects = () => relay.mails.map((m) => /^Subject: (.*)$/m.exec(m.message.toString('latin1'))?.[1]);

t.test('due: each START runs when its interval is over, not before, once, as its user', async (t) => {
  const { region, advance } = await regionAt(t, T0);
  const before = relay.mails.length;
  const res = await startMail(region, 'later', { 'x-cics-start-interval': '000130', 'x-cics-jobname': 'PAYROLL' });
  t.equal(res.status, 202);
  t.equal(res.headers.get('x-cics-resp'), 'NORMAL');
  const reqid = res.headers.get('x-cics-reqid');
  t.same(await res.json(), {
    reqid,
    tranid: 'MAIL',
    state: 'WAITING',
    dueAt: '2026-12-01T09:01:30.000Z',
    requestedAt: '2026-12-01T09:00:00.000Z',
  });
  t.match(reqid, /^S\d{7}$/, 'a REQID of the region');
  // The payslip GnuCOBOL wrote, as EBCDIC bytes, for PAYS (a transaction of the shop's own).
  const pay = await region.fetch('/cics/PAYS', {
    method: 'POST',
    headers: { authorization: clerk, 'content-type': 'application/octet-stream', 'x-cics-start-interval': '200' },
    body: asIbm(readFileSync(fixture('cobol/payslip.bin')), payslip),
  });
  t.equal(pay.status, 202);
  const payReqid = pay.headers.get('x-cics-reqid') as string;
  t.equal(region.journal().starts.get(payReqid)?.commareaBytes, 291);

  const waiting = (await (await region.fetch('/cemt/starts')).json()) as { reqid: string; user: string }[];
  t.same(
    waiting.map((s) => [s.reqid, s.user]),
    [
      [reqid, 'CLERK'],
      [payReqid, 'CLERK'],
    ],
    'CEMT: the two waiting, earliest due first',
  );

  await advance(89_999);
  t.equal(relay.mails.length, before, 'nothing a millisecond before its time');
  t.equal(region.journal().starts.get(reqid as string)?.state, 'WAITING');
  await advance(1);
  t.same(subjects().slice(before), ['later'], 'the MAIL START ran at its time');
  const ran = region.journal().starts.get(reqid as string);
  t.match(ran, { state: 'RAN', outcome: { kind: 'normal', rc: 0 }, endedAt: '2026-12-01T09:01:30.000Z' });
  t.equal(ran?.request, undefined, 'its COMMAREA is not kept once it ran');
  const record = region.journal().get(ran?.journalSeqs?.[0] as number);
  t.match(record, { tranid: 'MAIL', userid: 'CLERK', jobname: 'PAYROLL', taskn: ran?.taskn, state: 'SENT' });

  await advance(30_000);
  t.equal(relay.mails.length, before + 2, 'PAYS at 000200');
  const payMail = relay.mails.at(-1) as { message: Buffer };
  t.equal(
    (await parseWithPython(payMail.message)).text,
    readFileSync(fixture('templates/payslip.expected.txt'), 'utf8'),
    "the payslip's text part byte for byte, as when PAYS runs at once",
  );
  const view = (await (await region.fetch(`/cemt/starts/${payReqid.toLowerCase()}`)).json()) as object;
  t.match(view, { reqid: payReqid, tranid: 'PAYS', state: 'RAN', outcome: 'RC 0', containers: 0, commareaBytes: 291 });

  await advance(60 * MINUTE);
  t.equal(relay.mails.length, before + 2, 'each once');
  await region.journal().tasks.flush();
  const logged = [...region.journal().tasks.scan()].filter((e) => e.userid === 'CLERK');
  t.same(
    logged.map((e) => [e.tranid, e.jobname]),
    [
      ['MAIL', 'PAYROLL'],
      ['PAYS', ''],
    ],
    'in the task log, for redrive',
  );
  t.same(await (await region.fetch('/cemt/starts')).json(), [], 'none waits');
});

t.test('TIME: a time of day later today, one just past at once, one long past tomorrow', async (t) => {
  const { region, advance } = await regionAt(t, T0);
  const local = new Date(T0);
  const hhmmss = (d: Date) =>
    [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join('');
  const at = (ms: number) => hhmmss(new Date(T0 + ms));
  const before = relay.mails.length;
  const later = await startMail(region, 'at two hours', { 'x-cics-start-time': at(2 * 60 * MINUTE) });
  const past = await startMail(region, 'an hour ago', { 'x-cics-start-time': at(-60 * MINUTE) });
  const long = await startMail(region, 'seven hours ago', { 'x-cics-start-time': at(-7 * 60 * MINUTE) });
  const due = async (res: Response) => Date.parse(((await res.json()) as { dueAt: string }).dueAt);
  t.equal(await due(later), T0 + 2 * 60 * MINUTE);
  t.equal(await due(past), T0, 'up to six hours past: due at once');
  const tomorrow = new Date(local);
  tomorrow.setDate(tomorrow.getDate() + 1);
  tomorrow.setTime(tomorrow.getTime() - 7 * 60 * MINUTE);
  t.equal(await due(long), tomorrow.getTime(), 'more than six hours past: the same time tomorrow');
  await advance(0);
  t.same(subjects().slice(before), ['an hour ago']);
  await advance(2 * 60 * MINUTE);
  t.same(subjects().slice(before), ['an hour ago', 'at two hours']);
});

t.test('cancelled: CEMT cancels a START by its REQID, which then never runs', async (t) => {
  const { region, advance } = await regionAt(t, T0);
  const before = relay.mails.length;
  const first = await startMail(region, 'payrun', { 'x-cics-start-interval': '010000', 'x-cics-reqid': 'payrun1' });
  t.equal(first.status, 202);
  t.equal(first.headers.get('x-cics-reqid'), 'PAYRUN1', 'the REQID asked for, upper case');
  const twice = await startMail(region, 'payrun again', { 'x-cics-start-interval': '1', 'x-cics-reqid': 'PAYRUN1' });
  t.equal(twice.status, 409);
  t.match(await twice.json(), { resp: 'INVREQ', resp2: 8, message: /REQID PAYRUN1 waits or runs already/ });

  // CEMT is for administrators: the clerk who started it cannot cancel it there.
  t.equal(
    (await region.fetch('/cemt/starts/PAYRUN1', { method: 'DELETE', headers: { authorization: clerk } })).status,
    403,
  );
  const cancel = await region.fetch('/cemt/starts/payrun1', { method: 'DELETE' });
  t.equal(cancel.status, 200);
  t.match(await cancel.json(), { reqid: 'PAYRUN1', state: 'CANCELLED', cancelledBy: 'TESTER' });
  const again = await region.fetch('/cemt/starts/PAYRUN1', { method: 'DELETE' });
  t.equal(again.status, 404);
  t.match(await again.json(), { resp: 'NOTFND', message: 'START PAYRUN1 does not wait: it is CANCELLED' });
  const none = await region.fetch('/cemt/starts/NOSUCH', { method: 'DELETE' });
  t.match(await none.json(), { resp: 'NOTFND', message: 'no START of REQID NOSUCH' });

  await advance(2 * 60 * MINUTE);
  t.equal(relay.mails.length, before, 'never ran');
  t.same(await (await region.fetch('/cemt/starts')).json(), []);
  const all = (await (await region.fetch('/cemt/starts?all=true')).json()) as { reqid: string; state: string }[];
  t.same(
    all.map((s) => [s.reqid, s.state]),
    [['PAYRUN1', 'CANCELLED']],
  );
  const reused = await startMail(region, 'payrun', { 'x-cics-start-interval': '0', 'x-cics-reqid': 'PAYRUN1' });
  t.equal(reused.status, 202, 'a REQID that no longer waits may be given again');
  await advance(0);
  t.same(subjects().slice(before), ['payrun']);
});

t.test('due while the region was stopped: it runs when the region is back, once', async (t) => {
  const dataDir = freshDir(t);
  const before = relay.mails.length;
  const first = await regionAt(t, T0, dataDir);
  t.equal((await startMail(first.region, 'in an hour', { 'x-cics-start-interval': '010000' })).status, 202);
  t.equal((await startMail(first.region, 'in three hours', { 'x-cics-start-interval': '030000' })).status, 202);
  await first.region.app.close();

  // Back two hours later: the first is past due and runs at once; the second still waits.
  const second = await regionAt(t, T0 + 120 * MINUTE, dataDir);
  await second.advance(0);
  t.same(subjects().slice(before), ['in an hour']);
  const [ran] = second.region
    .journal()
    .starts.all(10)
    .filter((s) => s.state === 'RAN');
  t.match(ran, { dueAt: T0 + 60 * MINUTE, endedAt: '2026-12-01T11:00:00.000Z' });
  await second.region.app.close();

  // Back again at the same time: nothing runs twice. A START left RUNNING (its region died
  // under its task) is INTERRUPTED, not run again: the mail its task accepted is the retry
  // spool's to deliver.
  const journal = Journal.open(dataDir);
  const lost = await journal.starts.add(
    {
      tranid: 'MAIL',
      userid: 'CLERK',
      jobname: '',
      ccsid: 37,
      remote: '127.0.0.1',
      commarea: { form: 'json', json: JSON.parse(mailView('lost')) },
      containers: [],
    },
    T0,
    new Date(T0),
  );
  await journal.starts.claim((lost as { reqid: string }).reqid);
  await journal.close();
  const third = await regionAt(t, T0 + 120 * MINUTE, dataDir);
  await third.advance(0);
  t.same(subjects().slice(before), ['in an hour'], 'neither the one that ran nor the one interrupted');
  t.match(third.region.journal().starts.get((lost as { reqid: string }).reqid), {
    state: 'INTERRUPTED',
    endedAt: '2026-12-01T11:00:00.000Z',
  });
  await third.advance(60 * MINUTE);
  t.same(subjects().slice(before), ['in an hour', 'in three hours']);
});

t.test("with its user's authority as it is when due: a right taken away in between ends it NOTAUTH", async (t) => {
  const { region, advance } = await regionAt(t, T0);
  const before = relay.mails.length;
  const res = await startMail(region, 'not any more', { 'x-cics-start-interval': '000100' });
  const reqid = res.headers.get('x-cics-reqid') as string;
  const users = region.app.security.users;
  users.put({ ...(users.get('CLERK') as NonNullable<ReturnType<typeof users.get>>), transactions: ['PAYS'] });
  await advance(MINUTE);
  t.equal(relay.mails.length, before, 'no mail');
  t.match(region.journal().starts.get(reqid), { state: 'RAN', taskn: 0, outcome: { resp: 'NOTAUTH', abcode: 'AEY7' } });
  await region.app.security.trail.flush(false);
  const denied = region
    .journal()
    .list({ state: 'DENIED' })
    .filter((r) => r.userid === 'CLERK');
  t.match(denied, [
    {
      tranid: 'MAIL',
      denial: { reason: 'NOTALLOWED', detail: `START ${reqid}: transaction MAIL is not in the user's list` },
    },
  ]);
  // And a user who may not run the transaction cannot START it either: refused at once.
  const refused = await startMail(region, 'no', { 'x-cics-start-interval': '000100' });
  t.equal(refused.status, 403);
});

t.test('a START asked wrongly is refused with what is wrong, and nothing is kept', async (t) => {
  const { region } = await regionAt(t, T0);
  const cases: [Record<string, string>, RegExp][] = [
    [{ 'x-cics-start-interval': 'soon' }, /X-CICS-Start-Interval 'soon' is not hhmmss: 1 to 6 digits/],
    [{ 'x-cics-start-interval': '1000000' }, /is not hhmmss/],
    [{ 'x-cics-start-interval': '006000' }, /006000: minutes and seconds are 00 to 59/],
    [{ 'x-cics-start-interval': '-1' }, /is not hhmmss/],
    [{ 'x-cics-start-time': '240000' }, /240000: a time of day's hours are 00 to 23/],
    [{ 'x-cics-start-time': '120000', 'x-cics-start-interval': '1' }, /not both/],
    [{ 'x-cics-reqid': 'R1' }, /X-CICS-Reqid names a START/],
    [{ 'x-cics-start-interval': '1', 'x-cics-reqid': 'TOO-LONG' }, /X-CICS-Reqid 'TOO-LONG' is not 1 to 8/],
    [{ 'x-cics-start-interval': '1', 'x-cics-reqid': '' }, /X-CICS-Reqid '' is not 1 to 8/],
    [{ 'x-cics-start-interval': '9'.repeat(8000) }, /X-CICS-Start-Interval '9{20}' is not hhmmss/],
  ];
  for (const [headers, message] of cases) {
    const res = await startMail(region, 'wrong', headers);
    t.equal(res.status, 400, JSON.stringify(headers).slice(0, 80));
    t.match(await res.json(), { resp: 'INVREQ', resp2: 7, message });
  }
  t.same(region.journal().starts.all(100), [], 'nothing kept');
  // 99 hours is the longest interval, as in CICS.
  const far = await startMail(region, 'far', { 'x-cics-start-interval': '995959' });
  t.equal(Date.parse(((await far.json()) as { dueAt: string }).dueAt), T0 + (99 * 3600 + 59 * 60 + 59) * 1000);
});
