// The console end to end in a real browser: Playwright driving the system's Chromium
// (headless), against a real region on port 0 whose capture relay is the sink. An
// administrator signs in, tries a transaction, finds its mail in the journal and in the
// captured mail, opens it (its HTML loads nothing and runs nothing), redelivers it after a
// dry run, disables a transaction and sees its next call answered DISABLED; every page
// passes axe with no serious or critical violation; a user who is not an administrator,
// and nobody, see nothing of it. CONSOLE_SCREENSHOTS=write saves each page at 1280 px and
// at a phone's width into docs/images/ (the README shows some of them).
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { AxeBuilder } from '@axe-core/playwright';
import { startRegion } from '../helpers/region.js';

const CHROMIUM = process.env.TEST_CHROMIUM ?? '/usr/bin/chromium';
const WRITE = process.env.CONSOLE_SCREENSHOTS === 'write';
const IMAGES = new URL('../../docs/images/', import.meta.url);
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
// A wait here is for something the page does every two seconds: ten times that.
const WAIT = 20_000;

if (!existsSync(CHROMIUM)) {
  // CI installs it (.ci/run sets TEST_NEED_CHROMIUM): there, its absence is a failure, not a skip.
  if (process.env.TEST_NEED_CHROMIUM)
    t.fail(`no Chromium at ${CHROMIUM}: .ci/run installs the Debian package chromium`);
  else t.plan(0, `no Chromium at ${CHROMIUM} (apt-get install chromium): the console's browser tests are skipped`);
} else {
  await run();
}

async function run(): Promise<void> {
  // A server that counts what is asked of it: a mail's remote image or script would call it.
  const beaconHits: string[] = [];
  const beacon = createServer((req, res) => {
    beaconHits.push(req.url ?? '');
    res.end();
  });
  await new Promise<void>((resolve) => beacon.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => beacon.close(resolve)));
  const beaconUrl = `http://127.0.0.1:${(beacon.address() as AddressInfo).port}`;

  const OPER = { id: 'OPER1', password: 'oper1-password' };
  const region = await startRegion(t, {}, { users: [{ ...OPER, transactions: ['*'], senders: ['*'] }] });
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  t.teardown(() => browser.close());
  const admin = await browser.newContext({
    viewport: DESKTOP,
    httpCredentials: { username: 'TESTER', password: 'tester-password', origin: region.url },
  });
  const page = await admin.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  page.on('console', (m) => {
    // The mail's blocked image and script are the policy doing its work; anything else is not.
    if (m.type() === 'error' && !m.text().includes(beaconUrl.slice(7)) && !m.text().includes('/console/api/mail/'))
      pageErrors.push(m.text());
  });
  const shots: { name: string; hash: string }[] = [];

  async function open(hash: string, heading: string | RegExp): Promise<void> {
    await page.goto(`${region.url}/console#/${hash}`);
    await page.getByRole('heading', { level: 1, name: heading }).waitFor({ timeout: WAIT });
  }

  /** A request the test made fail: the browser logs it, expected there and only there. */
  function expectLogged(t: Test, text: string): void {
    const at = pageErrors.findIndex((e) => e.includes(text));
    t.ok(at >= 0, `the browser logged ${text}`);
    if (at >= 0) pageErrors.splice(at, 1);
  }

  async function axe(t: Test, name: string): Promise<void> {
    // The mail's own HTML is the sender's, not the console's: its frame is left out.
    const result = await new AxeBuilder({ page }).exclude('iframe.mail-html').analyze();
    const bad = result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    t.same(bad, [], `${name}: no serious or critical accessibility violation`);
  }

  async function shoot(name: string, hash: string): Promise<void> {
    shots.push({ name, hash });
    if (!WRITE) return;
    mkdirSync(IMAGES, { recursive: true });
    await page.screenshot({ path: new URL(`console-${name}-1280.png`, IMAGES).pathname, fullPage: false });
  }

  const subject = 'Console e2e: hello';
  // Markup in a subject is text on every page: the beacon would hear of an image made of it.
  const hostileSubject = `arrives while open <img src="${beaconUrl}/subject">`;
  const htmlBody =
    `<p id="hello">Hello <b>from the console</b></p>` +
    `<img alt="tracker" src="${beaconUrl}/pixel.png">` +
    `<script>new Image().src = "${beaconUrl}/script"; document.title = "ran";</script>` +
    `<link rel="stylesheet" href="${beaconUrl}/style.css">`;
  let seq = 0;

  await t.test('sign in and try MAIL: the answer field by field beside its EBCDIC bytes', async (t) => {
    await open('try', 'Try a transaction');
    await page.getByLabel(/^mc_subject/).fill(subject);
    await page.getByLabel(/^mc_body_format/).fill('H');
    await page.getByLabel(/^mc_body /).fill(htmlBody);
    await page.getByRole('button', { name: 'Run MAIL' }).click();
    await page.getByTestId('resp').filter({ hasText: 'NORMAL' }).waitFor({ timeout: WAIT });
    t.equal(await page.getByTestId('rc').textContent(), '0');
    const returned = page.getByRole('table', { name: /COMMAREA returned/ });
    const row = (name: string) => returned.getByRole('row', { name: new RegExp(`^${name} `) });
    t.match(await row('MC-VERSION').textContent(), /X\(2\)01F0F1/);
    t.match(await row('MC-REASON').innerText(), /SENT\s+E2C5D5E3 \+ 4 × 40/);
    t.match(await row('MC-RC').innerText(), /S9\(4\) BINARY\s+0\s+0000/);
    const link = page.getByRole('link', { name: /^record \d+$/ });
    seq = Number((await link.textContent())?.replace('record ', ''));
    t.ok(seq > 0, `journal record ${seq}`);
    await axe(t, 'try');
    await shoot('try', 'try');
  });

  await t.test('SEND from its statements: the answer a line at a time', async (t) => {
    await page.getByLabel('Transaction', { exact: true }).selectOption('SEND');
    await page.getByRole('button', { name: 'Run SEND' }).waitFor({ timeout: WAIT });
    await page.getByRole('button', { name: 'Run SEND' }).click();
    await page.getByTestId('resp').filter({ hasText: 'NORMAL' }).waitFor({ timeout: WAIT });
    const returned = page.getByRole('table', { name: /COMMAREA returned/ });
    t.match(await returned.getByRole('row', { name: /^LINE 1 / }).innerText(), /^LINE 1\s.*RC=00 SEQ=\d+ MSGID=/);
  });

  await t.test('its journal record, its mail: the HTML shown, nothing loaded, nothing run', async (t) => {
    await open(`journal/${seq}`, `Journal record ${seq}`);
    t.equal(await page.locator('dl.pairs dd .badge').first().textContent(), 'SENT');
    await page
      .getByRole('table', { name: /COMMAREA sent|Attempts/ })
      .first()
      .waitFor({ timeout: WAIT });
    const frame = page.frameLocator('iframe.mail-html');
    await frame.locator('#hello').waitFor({ timeout: WAIT });
    t.equal(await frame.locator('#hello').textContent(), 'Hello from the console');
    t.equal(await page.locator('iframe.mail-html').getAttribute('sandbox'), '');
    const inner = page.frames().find((f) => f.url().endsWith(`/console/api/mail/journal/${seq}/html`));
    t.ok(inner, 'the frame is the sandboxed route');
    t.not(await inner?.title(), 'ran', 'the script did not run');
    // The frame has loaded: the image and the script would have been asked for by now.
    await page.waitForLoadState('load');
    t.same(beaconHits, [], 'no remote load: no image, no script, no style');
    t.ok(await page.getByRole('link', { name: 'Download the raw bytes (.eml)' }).isVisible());
    await axe(t, 'journal record');
    await shoot('record', `journal/${seq}`);
  });

  await t.test("mail fate: the record's recipients, the suppression list managed from its page", async (t) => {
    await open(`journal/${seq}`, `Journal record ${seq}`);
    const fates = page.getByRole('table', { name: 'Fate' });
    await fates.waitFor({ timeout: WAIT });
    t.match(await fates.innerText(), /RELAYED/);
    await open('fate', 'Mail fate');
    await page.getByLabel('Address').fill('gone@corp.example');
    await page.getByRole('button', { name: 'Suppress' }).click();
    // The address names its row: a row header (table.js's rowHeader), not a plain cell.
    await page.getByRole('rowheader', { name: 'gone@corp.example' }).waitFor({ timeout: WAIT });
    t.match(region.app.journal.suppression.get('gone@corp.example'), { reason: 'MANUAL', by: 'TESTER' });
    await axe(t, 'mail fate');
    await page.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('rowheader', { name: 'gone@corp.example' }).waitFor({ state: 'detached', timeout: WAIT });
    t.equal(region.app.journal.suppression.get('gone@corp.example'), undefined);
    // Back where the next part starts.
    await open(`journal/${seq}`, `Journal record ${seq}`);
  });

  await t.test('redeliver: a dry run first, then for real', async (t) => {
    const redeliver = page.getByRole('button', { name: 'Redeliver now' });
    t.equal(await redeliver.isDisabled(), true, 'not before a preview');
    await page.getByRole('button', { name: 'Preview (dry run)' }).click();
    await page.getByRole('heading', { name: 'Dry run' }).waitFor({ timeout: WAIT });
    t.match(await page.locator('pre.code').last().textContent(), /"dryRun": true/);
    t.equal(region.journal().get(seq)?.replays?.length ?? 0, 0, 'a dry run sends nothing');
    await redeliver.click();
    await page.getByRole('heading', { name: 'Done' }).waitFor({ timeout: WAIT });
    t.match(await page.locator('pre.code').last().textContent(), /"dryRun": false/);
    t.equal(region.journal().get(seq)?.replays?.length, 1, 'one replay on record');
    await page.getByRole('heading', { name: 'Replays' }).waitFor({ timeout: WAIT });
    // Redrive: the task again as its user; only previewed here.
    await page.getByLabel(/^Redrive/).check();
    t.equal(await page.getByRole('button', { name: 'Redrive now' }).isDisabled(), true, 'a new preview first');
    await page.getByRole('button', { name: 'Preview (dry run)' }).click();
    await page.getByRole('heading', { name: 'Dry run' }).waitFor({ timeout: WAIT });
    t.match(await page.locator('pre.code').last().textContent(), /"mode": "redrive"/);
  });

  await t.test('a replay with the region out of reach says so, and its buttons work again', async (t) => {
    await page.route('**/journal/replay', (route) => route.abort());
    await page.getByRole('button', { name: 'Preview (dry run)' }).click();
    await page.getByRole('alert').filter({ hasText: 'Failed to fetch' }).waitFor({ timeout: WAIT });
    t.equal(await page.getByRole('button', { name: 'Preview (dry run)' }).isDisabled(), false, 'not left busy');
    await page.unroute('**/journal/replay');
    expectLogged(t, 'ERR_FAILED');
  });

  await t.test('the journal list: filters, and a new record appears while it is open', async (t) => {
    await open('journal', 'Journal');
    await page.getByRole('cell', { name: subject }).waitFor({ timeout: WAIT });
    const res = await region.fetch('/cics/MAIL', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        mc_version: '01',
        mc_from: 'a@corp.example',
        mc_to: 'b@corp.example',
        mc_subject: hostileSubject,
      }),
    });
    t.equal(res.status, 200);
    await page.getByRole('cell', { name: hostileSubject }).waitFor({ timeout: WAIT });
    t.pass('the new record appeared');
    await axe(t, 'journal');
    await shoot('journal', 'journal');
    await page.getByLabel('Transaction').fill('SPOL');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No record matches.').waitFor({ timeout: WAIT });
    t.match(page.url(), /#\/journal\?tranid=SPOL$/);
    // A time range: nothing was accepted in the year 2100.
    await page.getByLabel('Transaction').fill('');
    await page.getByLabel('Accepted since').fill('2100-01-01T00:00');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No record matches.').waitFor({ timeout: WAIT });
    t.match(decodeURIComponent(page.url()), /#\/journal\?since=2100-01-01T\d\d:\d\d:00\.000Z$/);
    await page.getByLabel('Accepted since').fill('');
    await page.getByLabel('Transaction').fill('SPOL');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/tranid=SPOL$/);
    const csv = page.getByRole('link', { name: 'CSV' });
    t.equal(await csv.getAttribute('href'), '/journal/export?tranid=SPOL&format=csv');
  });

  await t.test("the journal's table links each record to its page", async (t) => {
    await open('journal', 'Journal');
    await page.getByRole('link', { name: `Record ${seq}`, exact: true }).click();
    await page.getByRole('heading', { level: 1, name: `Journal record ${seq}` }).waitFor({ timeout: WAIT });
    await page.getByRole('heading', { name: 'Envelope and state' }).waitFor({ timeout: WAIT });
    t.match(page.url(), new RegExp(`#/journal/${seq}$`));
  });

  await t.test("a keyed request's record shows its key, linked to the journal filtered by it", async (t) => {
    const key = 'console-order-7';
    const res = await region.fetch('/cics/MAIL', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({
        mc_version: '01',
        mc_from: 'a@corp.example',
        mc_to: 'c@corp.example',
        mc_subject: 'keyed',
      }),
    });
    t.equal(res.status, 200);
    const keyed = Number(res.headers.get('x-journal-seq'));
    await open(`journal/${keyed}`, `Journal record ${keyed}`);
    const shown = page.locator('dt', { hasText: 'Request key' }).locator('xpath=following-sibling::dd[1]');
    t.equal(await shown.innerText(), key);
    await open(`journal/${seq}`, `Journal record ${seq}`);
    t.equal(
      await page.locator('dt', { hasText: 'Request key' }).locator('xpath=following-sibling::dd[1]').innerText(),
      '—',
      'an unkeyed record says so',
    );
    await open(`journal/${keyed}`, `Journal record ${keyed}`);
    await page.getByRole('link', { name: key }).click();
    await page.getByRole('heading', { level: 1, name: 'Journal' }).waitFor({ timeout: WAIT });
    t.match(page.url(), new RegExp(`#/journal\\?key=${key}$`));
    t.equal(await page.getByLabel('Request key').inputValue(), key, 'the filter shows the key');
    await page.getByRole('link', { name: `Record ${keyed}`, exact: true }).waitFor({ timeout: WAIT });
    t.equal(await page.getByRole('link', { name: /^Record \d+$/ }).count(), 1, 'only the keyed record');
  });

  await t.test('the keyboard: a skip link first, and it lands on the page', async (t) => {
    await open('journal', 'Journal');
    // A fresh load: focus starts at the top of the document.
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Journal' }).waitFor({ timeout: WAIT });
    await page.keyboard.press('Tab');
    t.equal(await page.evaluate('document.activeElement.textContent'), 'Skip to the page');
    await page.keyboard.press('Enter');
    t.equal(
      await page.evaluate('document.activeElement.tagName + " " + document.activeElement.textContent'),
      'H1 Journal',
    );
    await page.keyboard.press('Tab');
    t.equal(await page.evaluate('document.activeElement.id'), 'f-state', 'then the first filter');
  });

  await t.test('captured mail: the inbox, and the mail opened', async (t) => {
    await open('captured', 'Captured mail');
    const link = page.getByRole('link', { name: subject }).first();
    await link.waitFor({ timeout: WAIT });
    // The first mail and its redelivery, and the one sent while the journal was open.
    t.equal(await page.getByRole('link', { name: subject }).count(), 2, 'the mail and its redelivery');
    await axe(t, 'captured');
    await shoot('captured', 'captured');
    await link.click();
    await page.getByRole('heading', { level: 1, name: /^Captured mail \d+$/ }).waitFor({ timeout: WAIT });
    await page.frameLocator('iframe.mail-html').locator('#hello').waitFor({ timeout: WAIT });
    t.same(beaconHits, []);
    await axe(t, 'captured mail');
    await shoot('captured-mail', page.url().split('#/')[1] ?? '');
  });

  await t.test('region: disable MAIL, and its next call is answered DISABLED', async (t) => {
    await open('region', /^Region /);
    const disable = page.getByRole('button', { name: 'Disable MAIL' });
    await disable.waitFor({ timeout: WAIT });
    await page.locator('.charts figure').first().waitFor({ timeout: WAIT });
    if (WRITE) {
      // For the picture only: some tasks for the charts to draw.
      for (let i = 0; i < 30; i++) {
        await region.fetch('/cics/MAIL', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            mc_version: '01',
            mc_from: 'a@corp.example',
            mc_to: 'b@corp.example',
            mc_subject: `load ${i}`,
          }),
        });
        await page.waitForTimeout(150);
      }
      await page.waitForTimeout(2500);
    }
    await axe(t, 'region');
    await shoot('region', 'region');
    await disable.click();
    await page.getByRole('button', { name: 'Enable MAIL' }).waitFor({ timeout: WAIT });
    t.equal(region.app.definitions.get('MAIL')?.enabled, false);
    await open('try', 'Try a transaction');
    await page.getByRole('button', { name: 'Run MAIL' }).click();
    await page.getByTestId('resp').filter({ hasText: 'DISABLED' }).waitFor({ timeout: WAIT });
    t.match(await page.getByRole('alert').textContent(), /DISABLED: transaction 'MAIL' is disabled/);
    // The browser logs the 503 of that call: expected here, and only here.
    const disabled = pageErrors.findIndex((e) => e.includes('status of 503'));
    t.ok(disabled >= 0, 'the browser saw the 503');
    pageErrors.splice(disabled, 1);
    await open('region', /^Region /);
    await page.getByRole('button', { name: 'Enable MAIL' }).click();
    await page.getByRole('button', { name: 'Disable MAIL' }).waitFor({ timeout: WAIT });
    t.equal(region.app.definitions.get('MAIL')?.enabled, true);
  });

  await t.test('the STARTs waiting, and one cancelled from the page', async (t) => {
    const start = await region.fetch('/cics/MAIL', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-cics-start-interval': '020000', 'x-cics-reqid': 'LATER1' },
      body: JSON.stringify({
        mc_version: '01',
        mc_from: 'a@corp.example',
        mc_to: 'b@corp.example',
        mc_subject: 'later',
      }),
    });
    t.equal(start.status, 202);
    await open('region', /^Region /);
    const row = page.getByRole('row', { name: /LATER1 MAIL TESTER/ });
    await row.waitFor({ timeout: WAIT });
    await axe(t, 'region with a START');
    await page.getByRole('button', { name: 'Cancel LATER1' }).click();
    await page.getByText('No START is waiting.').waitFor({ timeout: WAIT });
    t.match(region.journal().starts.get('LATER1'), { state: 'CANCELLED', cancelledBy: 'TESTER' });
  });

  await t.test('MAXTASKS and the queue bound, set from the page', async (t) => {
    await page.getByLabel('MAXTASKS').fill('32');
    await page.getByLabel('Queue bound').fill('500');
    await page.getByRole('button', { name: 'Set limits' }).click();
    const until = Date.now() + WAIT;
    while (region.app.dispatcher.usage().region.maxActive !== 32 && Date.now() < until) await page.waitForTimeout(50);
    t.match(region.app.dispatcher.usage().region, { maxActive: 32, purgeThreshold: 500 });
  });

  await t.test('a class and a time limit, set from the page', async (t) => {
    await page.getByLabel('Class name').fill('BATCH');
    await page.getByLabel('MAXACTIVE').fill('2');
    await page.getByRole('button', { name: 'Set class' }).click();
    await page.getByRole('rowheader', { name: 'BATCH' }).waitFor({ timeout: WAIT });
    const form = page.getByRole('form', { name: 'Class and time limit of SEND' });
    await form.getByRole('option', { name: 'BATCH' }).waitFor({ state: 'attached', timeout: WAIT });
    await form.getByLabel('Class').selectOption('BATCH');
    await form.getByLabel('Time limit (ms)').fill('60000');
    await form.getByRole('button', { name: 'Save SEND' }).click();
    const until = Date.now() + WAIT;
    while (region.app.definitions.get('SEND')?.tranclass !== 'BATCH' && Date.now() < until)
      await page.waitForTimeout(50);
    t.match(region.app.definitions.get('SEND'), { tranclass: 'BATCH', timeLimitMs: 60000 });
  });

  await t.test('a CEMT change with the region out of reach says so', async (t) => {
    await page.route('**/cemt/transactions/MAIL', (route) => route.abort());
    await page.getByRole('button', { name: 'Disable MAIL' }).click();
    await page.getByRole('alert').filter({ hasText: 'Failed to fetch' }).waitFor({ timeout: WAIT });
    await page.unroute('**/cemt/transactions/MAIL');
    t.equal(region.app.definitions.get('MAIL')?.enabled, true, 'nothing changed');
    expectLogged(t, 'ERR_FAILED');
  });

  await t.test(
    'polling: again and again while shown, none while hidden or once left, slower after failures',
    async (t) => {
      const context = await browser.newContext({
        viewport: DESKTOP,
        httpCredentials: { username: 'TESTER', password: 'tester-password', origin: region.url },
      });
      t.teardown(() => context.close());
      const p = await context.newPage();
      // The page's clock is the test's: the verdicts count reads and waits, never real time.
      await p.clock.install();
      // What the page fetches (a URL, as the console's call() gives it, a string or a Request),
      // and every wait of a second or more it sets: usePoll's (the page's other timers, a
      // frame's, are shorter). Strings: the test's own types know no DOM.
      await p.addInitScript(`
      window.__reads = [];
      window.__waits = [];
      const realFetch = window.fetch.bind(window);
      window.fetch = (input, init) => {
        window.__reads.push(new URL(input instanceof Request ? input.url : String(input), location.href).pathname);
        return realFetch(input, init);
      };
      const realSetTimeout = window.setTimeout;
      window.setTimeout = (fn, ms, ...args) => {
        if (ms >= 1000) window.__waits.push(ms);
        return realSetTimeout(fn, ms, ...args);
      };
    `);
      const reads = () => p.evaluate<number>(`window.__reads.filter((r) => r === '/captured').length`);
      const waits = () => p.evaluate<number[]>('window.__waits');
      const lastWait = async () => (await waits()).at(-1) ?? 0;
      // The n-th wait is set once the read before it has ended.
      async function settled(n: number): Promise<void> {
        const end = Date.now() + WAIT;
        while ((await waits()).length < n) {
          if (Date.now() > end) throw new Error(`usePoll set no wait number ${n}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      const visibility = (hidden: boolean) =>
        p.evaluate(`
        Object.defineProperty(document, 'hidden', { value: ${hidden}, configurable: true });
        Object.defineProperty(document, 'visibilityState', { value: '${hidden ? 'hidden' : 'visible'}', configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      `);

      await p.goto(`${region.url}/console#/captured`);
      // Effects run after a frame: the page's clock moves for them.
      await p.clock.runFor(100);
      await p.getByRole('link', { name: subject }).first().waitFor({ timeout: WAIT });
      await settled(1);
      t.same([await reads(), await waits()], [1, [2000]], 'one read, the next in 2 s');
      await p.clock.runFor(2000);
      t.equal(await reads(), 2, 'read again after 2 s');
      await settled(2);

      await visibility(true);
      await p.clock.runFor(60_000);
      t.equal(await reads(), 2, 'no read while the tab is hidden');
      await visibility(false);
      t.equal(await reads(), 3, 'one at once when it shows again');
      await settled(3);

      await p.route('**/captured?limit=200', (route) =>
        route.fulfill({
          status: 503,
          contentType: 'application/json',
          body: JSON.stringify({ resp: 'NOTAVAIL', message: 'the relay is away' }),
        }),
      );
      const backoff: number[] = [];
      for (let n = 4; n <= 8; n++) {
        await p.clock.runFor(await lastWait());
        await settled(n);
        backoff.push(await lastWait());
      }
      t.same(backoff, [4000, 8000, 16000, 30000, 30000], 'twice as long after each failure, up to 30 s');
      t.equal(await reads(), 8);
      await p.getByRole('alert').filter({ hasText: 'NOTAVAIL: the relay is away' }).waitFor({ timeout: WAIT });
      t.ok(await p.getByRole('link', { name: subject }).first().isVisible(), 'the page keeps what it showed');
      await p.unroute('**/captured?limit=200');
      await p.clock.runFor(30_000);
      await settled(9);
      t.equal(await lastWait(), 2000, 'every 2 s again once a read works');
      await p.getByRole('alert').waitFor({ state: 'detached', timeout: WAIT });

      await p.getByRole('link', { name: 'Journal', exact: true }).click();
      await p.getByRole('heading', { level: 1, name: 'Journal' }).waitFor({ timeout: WAIT });
      const left = await reads();
      await p.clock.runFor(60_000);
      t.equal(await reads(), left, 'no read once the page is left');
    },
  );

  await t.test('a user who is not an administrator, and nobody, see nothing of it', async (t) => {
    for (const [who, credentials, status] of [
      ['OPER1', { username: OPER.id, password: OPER.password, origin: region.url }, 403],
      ['nobody', undefined, 401],
    ] as const) {
      const context = await browser.newContext(credentials ? { httpCredentials: credentials } : {});
      const other = await context.newPage();
      for (const path of ['/console#/journal', '/console/static/app.js']) {
        // Without credentials Chromium ends the navigation at the 401 (no prompt headless): the answer is what counts.
        const answer = other.waitForResponse((r) => r.url().startsWith(`${region.url}/console`));
        await other.goto(`${region.url}${path}`).catch(() => null);
        const res = await answer;
        t.equal(res.status(), status, `${who}: ${path}`);
        t.notMatch(await res.text(), /cicsmail console|importmap|app\.js|preact/, `${who}: nothing of ${path}`);
      }
      await context.close();
    }
  });

  await t.test('opened as http://user:password@host/console: its pages load what they show', async (t) => {
    // A common way to give Basic credentials; the page's address then holds them, and
    // fetch() refuses a URL that does: the console asks on its origin, never on its address.
    const context = await browser.newContext({ viewport: DESKTOP });
    t.teardown(() => context.close());
    const signed = await context.newPage();
    const errors: string[] = [];
    signed.on('pageerror', (err) => errors.push(err.message));
    const withCredentials = region.url.replace('http://', 'http://TESTER:tester-password@');
    await signed.goto(`${withCredentials}/console#/journal`);
    await signed.getByRole('cell', { name: subject }).waitFor({ timeout: WAIT });
    await signed.goto(`${withCredentials}/console#/journal/${seq}`);
    await signed.getByRole('heading', { level: 1, name: `Journal record ${seq}` }).waitFor({ timeout: WAIT });
    await signed.locator('dl.pairs dd .badge').first().waitFor({ timeout: WAIT });
    t.equal(await signed.getByRole('alert').count(), 0, 'no error shown');
    t.same(errors, [], 'no error in the page');
  });

  await t.test('on a phone: nothing wider than the screen', async (t) => {
    const phone: BrowserContext = await browser.newContext({
      viewport: PHONE,
      isMobile: true,
      hasTouch: true,
      httpCredentials: { username: 'TESTER', password: 'tester-password', origin: region.url },
    });
    t.teardown(() => phone.close());
    const small: Page = await phone.newPage();
    for (const { name, hash } of shots) {
      await small.goto(`${region.url}/console#/${hash}`);
      await small.getByRole('heading', { level: 1 }).waitFor({ timeout: WAIT });
      // Not 'networkidle': pages that poll every second or two may never leave the network
      // quiet for 500 ms on a busy machine. Their data is what the width depends on.
      await small
        .getByText(/^Loading/)
        .first()
        .waitFor({ state: 'detached', timeout: WAIT });
      // A string: the test's own types know no DOM.
      const width = await small.evaluate<number>('document.documentElement.scrollWidth');
      t.ok(width <= PHONE.width, `${name}: ${width} px wide`);
      // The charts draw from the second reading of /metrics on.
      if (WRITE && name === 'region') await small.waitForTimeout(4500);
      if (WRITE) await small.screenshot({ path: new URL(`console-${name}-phone.png`, IMAGES).pathname });
    }
  });

  t.same(pageErrors, [], 'no error on any page');
  t.same(beaconHits, [], 'nothing a mail or a subject holds was ever loaded');
}
