// The region's side of the front door: what a newcomer's first requests meet. A start that
// fails leaves no administrator nobody saw; the OpenAPI page needs a user as every other
// route; MAIL's answer carries its RC, reason and the reason's text in headers too, and a
// COMMAREA written in ASCII or UTF-8 is told so; a JSON body with an unknown key names it.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { elementaryOf } from '../../cics/copybook/layout.js';
import { copybook } from '../../cics/copybook/library.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import { loadConfig } from '../../config/settings.js';
import { startRegion as startRegionForReal } from '../../region/server.js';
import { USERS_FILE } from '../../users/users-file.js';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { freshDir } from '../helpers/test-like.js';
import { basicAuth } from '../helpers/users.js';

t.test('a start that fails makes no administrator; the next start makes one and says its password', async (t) => {
  const dataDir = freshDir(t);
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise((resolve) => taken.close(resolve)));
  const env = { CICSMAIL_DATA: dataDir, CICSMAIL_WORKERS: '1', CICSMAIL_LOG_LEVEL: 'silent' };
  const port = String((taken.address() as AddressInfo).port);
  await t.rejects(startRegionForReal(loadConfig({ ...env, CICSMAIL_PORT: port })), {
    code: 'CICSMAIL_CONFIG',
    key: 'CICSMAIL_PORT',
    message: new RegExp(`^CICSMAIL_PORT: port ${port} on 127\\.0\\.0\\.1 is taken \\(listen EADDRINUSE`),
  });
  t.notOk(existsSync(join(dataDir, USERS_FILE)), 'no users file: nobody was made whose password nobody saw');

  const first = await startRegionForReal(loadConfig({ ...env, CICSMAIL_PORT: '0' }));
  t.teardown(() => first.app.close());
  const admin = first.createdAdmin;
  if (!admin) throw new Error('the first start that listened made no administrator');
  t.equal(admin.id, 'ADMIN');
  const res = await fetch(`${first.url}/journal`, { headers: { authorization: basicAuth(admin.id, admin.password) } });
  t.equal(res.status, 200, 'the password it gives works');
  await first.app.close();

  const again = await startRegionForReal(loadConfig({ ...env, CICSMAIL_PORT: '0' }));
  t.teardown(() => again.app.close());
  t.equal(again.createdAdmin, null, 'a start with users makes none');
});

t.test('the OpenAPI page and document need a user, as every route but the health checks and metrics', async (t) => {
  const region = await startRegion(t);
  for (const path of ['/docs', '/docs/json', '/docs/static/index.html']) {
    const anonymous = await fetch(`${region.url}${path}`, { redirect: 'manual' });
    t.equal(anonymous.status, 401, `${path} without credentials`);
    t.equal(anonymous.headers.get('x-cics-resp'), 'NOTAUTH');
    await anonymous.arrayBuffer();
  }
  const doc = await region.fetch('/docs/json');
  t.equal(doc.status, 200);
  t.match(await doc.json(), { openapi: /^3\./ });
  const page = await region.fetch('/docs/static/index.html');
  t.equal(page.status, 200);
  await page.arrayBuffer();
  for (const path of ['/health', '/ready', '/metrics']) {
    const open = await fetch(`${region.url}${path}`);
    t.equal(open.status, 200, `${path} answers anyone`);
    await open.arrayBuffer();
  }
});

t.test('MAIL: RC, reason and its text in headers too; ASCII and UTF-8 COMMAREAs told so', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const sent = await region.post('MAIL', buildMailCommarea({ from: 'a@corp.example', to: 'b@corp.example' }, 37));
  t.equal(sent.status, 200);
  t.equal(sent.headers.get('x-mail-rc'), '0');
  t.equal(sent.headers.get('x-mail-reason'), 'SENT');
  const reply = readMailResponse(Buffer.from(await sent.arrayBuffer()), 37);
  t.equal(sent.headers.get('x-mail-reason-text'), reply.relayReply, "the text is MC-RELAY-REPLY's");
  t.match(reply.relayReply, /^250 /);

  const refused = await region.post('MAIL', buildMailCommarea({ from: 'a@corp.example', to: 'no address' }, 37));
  t.equal(refused.headers.get('x-mail-rc'), '8');
  t.equal(refused.headers.get('x-mail-reason'), 'BADTO');
  t.match(refused.headers.get('x-mail-reason-text'), /^MC-TO: /);
  await refused.arrayBuffer();

  // As a script writes one: the text in ASCII (or UTF-8), blank-padded; the binary fields
  // as bytes of its own (zeros, or ASCII blanks where the script padded everything).
  const layout = copybook('MAILCA');
  const ascii = (text: Record<string, string>, encoding: BufferEncoding, pad: number) => {
    const area = Buffer.alloc(layout.minLength, pad);
    for (const [name, value] of Object.entries(text)) area.write(value, elementaryOf(layout, name).offset, encoding);
    return area;
  };
  const fields = { 'MC-VERSION': '01', 'MC-FROM': 'batch@corp.example', 'MC-TO': 'ops@corp.example' };
  const cases: [string, Buffer, string][] = [
    [
      'ASCII, padded with blanks throughout',
      ascii({ ...fields, 'MC-SUBJECT': 'Disk report' }, 'latin1', 0x20),
      'ASCII',
    ],
    ['ASCII, binary fields zero', ascii({ ...fields, 'MC-SUBJECT': 'Disk report' }, 'latin1', 0x00), 'ASCII'],
    ['UTF-8', ascii({ ...fields, 'MC-SUBJECT': 'Plattenbelegung: über 97 %' }, 'utf8', 0x20), 'UTF-8'],
  ];
  for (const [name, area, looks] of cases) {
    const res = await region.post('MAIL', area);
    t.equal(res.status, 200, `${name}: the program ran`);
    t.equal(res.headers.get('x-mail-rc'), '8', name);
    t.equal(res.headers.get('x-mail-reason'), 'ASCII', name);
    const text = `the COMMAREA looks like ${looks} text, not EBCDIC: MC-VERSION is x'3031' ('01' in ASCII); send its text in CCSID 37 (or the code page X-CICS-CCSID names), or send the JSON view (Content-Type: application/json)`;
    t.equal(res.headers.get('x-mail-reason-text'), text, name);
    const out = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
    t.match(out, { rc: 8, reason: 'ASCII', relayReply: text }, `${name}: the COMMAREA says the same`);
  }
  // EBCDIC that only says the wrong version is told that, not ASCII.
  const wrongVersion = await region.post(
    'MAIL',
    buildMailCommarea({ version: '09', from: 'a@corp.example', to: 'b@corp.example' }, 37),
  );
  t.equal(wrongVersion.headers.get('x-mail-reason'), 'VERSION');
  t.equal(wrongVersion.headers.get('x-mail-reason-text'), "MC-VERSION is '09', not '01' or '02'");
  await wrongVersion.arrayBuffer();
  t.equal(relay.mails.length, 1, 'only the first was sent');
});

t.test('a header value holds printable ASCII only: the rest as ?', async (t) => {
  const region = await startRegion(t);
  const res = await region.post('MAIL', buildMailCommarea({ from: 'a@corp.example', to: 'Jürgen Müller' }, 37));
  const text = res.headers.get('x-mail-reason-text') ?? '';
  const reply = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
  t.match(reply.relayReply, /Jürgen/, 'the COMMAREA has the name as it came');
  t.equal(text, reply.relayReply.replace(/[^\x20-\x7e]/g, '?'), 'the header the same, ü as ?');
});
