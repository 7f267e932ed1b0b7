// The console's routes and the region-wide cross-site check, in process: who may see the
// console (administrators only, the shell included), the headers of its pages, its files
// (served by name from a table, never from a path), the sandboxed HTML of a mail, and the
// COMMAREA helpers. Real region on port 0 with its capture relay, real tasks.
import { connect } from 'node:net';
import t from 'tap';
import { codePage } from '../../cics/codepages.js';
import { CONSOLE_CSP } from '../../region/routes/console.js';
import { MAIL_HTML_CSP } from '../../region/routes/console-mail.js';
import { startRegion } from '../helpers/region.js';
import { basicAuth } from '../helpers/users.js';

const OPER = { id: 'OPER1', password: 'oper1-password' };
const oper = basicAuth(OPER.id, OPER.password);
const users = [{ id: OPER.id, password: OPER.password, transactions: ['*'], senders: ['*'] }];

const HTML_BODY =
  '<p id="hello">Hello <b>HTML</b></p><img src="http://tracker.invalid/pixel.png"><script>document.title="ran"</script>';

/** A GET sent byte for byte as written (fetch and inject both resolve dots and re-encode). */
function rawGet(url: string, path: string, auth: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(text.slice(9, 12)), body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: ${auth}\r\nConnection: close\r\n\r\n`,
    );
  });
}

/** The task log is written as the task ends, just after its answer: read it once it is there. */
async function taskOf(region: Awaited<ReturnType<typeof startRegion>>, seq: number): Promise<Response> {
  for (let i = 0; i < 100; i++) {
    const res = await region.fetch(`/console/api/journal/${seq}/task`);
    if (res.status !== 404) return res;
    await new Promise((r) => setTimeout(r, 50));
  }
  return region.fetch(`/console/api/journal/${seq}/task`);
}

async function mailWithHtml(region: Awaited<ReturnType<typeof startRegion>>): Promise<number> {
  const res = await region.fetch('/cics/MAIL', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      mc_version: '01',
      mc_from: 'ops@corp.example',
      mc_to: 'you@corp.example',
      mc_subject: 'html inside',
      mc_body_format: 'H',
      mc_body: HTML_BODY,
    }),
  });
  if (res.status !== 200) throw new Error(`MAIL answered ${res.status}: ${await res.text()}`);
  return Number(res.headers.get('x-journal-seq'));
}

t.test('the console is for administrators: the shell and its files too', async (t) => {
  const region = await startRegion(t, {}, { users });
  for (const path of ['/console', '/console/static/app.js', '/console/static/vendor/preact.mjs']) {
    const anonymous = await fetch(`${region.url}${path}`);
    t.equal(anonymous.status, 401, `${path} anonymous`);
    t.equal(anonymous.headers.get('www-authenticate'), 'Basic realm="cicsmail", charset="UTF-8"');
    t.notMatch(await anonymous.text(), /cicsmail console|preact|import/i, 'nothing of the page in the refusal');
    const notAdmin = await region.fetch(path, { headers: { authorization: oper } });
    t.equal(notAdmin.status, 403, `${path} as a user who is not an administrator`);
    t.equal(notAdmin.headers.get('x-cics-resp'), 'NOTAUTH');
    t.notMatch(await notAdmin.text(), /<html|importmap|preact/i);
    t.equal((await region.fetch(path)).status, 200, `${path} as an administrator`);
  }
  for (const path of ['/console/api/transactions/MAIL/layout', '/console/api/mail/journal/1']) {
    t.equal((await region.fetch(path, { headers: { authorization: oper } })).status, 403, path);
  }
});

t.test('the shell: its policy, no frames, and scripts only from the region', async (t) => {
  const region = await startRegion(t);
  const res = await region.fetch('/console');
  t.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  t.equal(res.headers.get('content-security-policy'), CONSOLE_CSP);
  t.match(CONSOLE_CSP, /^default-src 'self'; script-src 'self' 'sha256-[A-Za-z0-9+/]{43}='; style-src 'self';/);
  t.match(CONSOLE_CSP, /frame-ancestors 'none'/);
  t.notMatch(CONSOLE_CSP, /unsafe-inline|unsafe-eval/);
  t.equal(res.headers.get('x-frame-options'), 'DENY');
  t.equal(res.headers.get('x-content-type-options'), 'nosniff');
  t.equal(res.headers.get('referrer-policy'), 'no-referrer');
  t.equal(res.headers.get('cache-control'), 'no-store');
  const page = await res.text();
  // The one inline script is the import map (data), allowed by its hash; every script has a src.
  const inline = [...page.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
  t.same(
    inline.map((m) => m[1]?.trim()),
    ['type="importmap"', 'type="module" src="/console/static/app.js"'],
  );
  const { createHash } = await import('node:crypto');
  const map = inline[0]?.[2] ?? '';
  t.ok(CONSOLE_CSP.includes(`'sha256-${createHash('sha256').update(map).digest('base64')}'`), 'the hash is the map');
  t.same(Object.keys((JSON.parse(map) as { imports: object }).imports), ['preact', 'preact/hooks', 'htm', 'uplot']);
  const slash = await region.fetch('/console/', { redirect: 'manual' });
  t.equal(slash.status, 302);
  t.equal(slash.headers.get('location'), '/console');
  // Refusals under /console carry the policy too.
  const refused = await fetch(`${region.url}/console`);
  t.equal(refused.headers.get('content-security-policy'), CONSOLE_CSP);
});

t.test('files by name from a table: no path reaches the file system', async (t) => {
  const region = await startRegion(t);
  const app = await region.fetch('/console/static/app.js');
  t.equal(app.status, 200);
  t.equal(app.headers.get('content-type'), 'text/javascript; charset=utf-8');
  t.match(await app.text(), /from 'preact'/);
  const css = await region.fetch('/console/static/vendor/uplot.css');
  t.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
  const etag = app.headers.get('etag') ?? '';
  t.match(etag, /^"[A-Za-z0-9_-]{22}"$/);
  const again = await region.fetch('/console/static/app.js', { headers: { 'if-none-match': etag } });
  t.equal(again.status, 304);
  t.equal(await again.text(), '');
  const hostile = [
    '../package.json',
    '../../package.json',
    '..%2f..%2fpackage.json',
    '%2e%2e/%2e%2e/package.json',
    '%2e%2e%2f%2e%2e%2fpackage.json',
    '%252e%252e%252fpackage.json',
    'vendor/../app.js',
    'vendor/..%2fapp.js',
    '/etc/passwd',
    '%2fetc%2fpasswd',
    '..\\..\\package.json',
    'app.js%00.css',
    'app.ts',
    'routes.ts',
    'vendor/',
    '',
    'a'.repeat(5000),
  ];
  for (const path of hostile) {
    const res = await rawGet(region.url, `/console/static/${path}`, region.auth);
    t.ok(res.status === 404 || res.status === 400, `${path.slice(0, 40)}: ${res.status}`);
    t.notMatch(res.body, /"name": "cicsmail"|root:x:0|from 'preact'/, `${path.slice(0, 40)}: nothing of a file`);
  }
  const found = await region.app.inject({
    url: '/console/static/../package.json',
    headers: { authorization: region.auth },
  });
  t.equal(found.statusCode, 404);
  t.match(found.json(), { resp: 'NOTFND' });
});

t.test('cross-site requests that change state are refused, region-wide; programs are not', async (t) => {
  const region = await startRegion(t);
  const own = region.url;
  const put = (headers: Record<string, string>) =>
    region.fetch('/cemt/transactions/MAIL', {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ enabled: false }),
    });
  const hostile: Record<string, string>[] = [
    { origin: 'http://evil.example' },
    { origin: 'null' },
    { origin: `${own}.evil.example` },
    { origin: own.replace('127.0.0.1', 'localhost') },
    { origin: own.replace(/:(\d+)$/, (_m, p: string) => `:${Number(p) + 1}`) },
    { origin: own.replace('http:', 'https:') },
    { origin: '' },
    { 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
    { 'sec-fetch-site': 'cross-site', origin: own },
  ];
  for (const headers of hostile) {
    const res = await put(headers);
    t.equal(res.status, 403, JSON.stringify(headers));
    t.equal(res.headers.get('x-cics-resp'), 'NOTAUTH');
    const body = (await res.json()) as { resp2: number; message: string };
    t.equal(body.resp2, 104);
    t.match(body.message, /not another site's page/);
  }
  t.equal(region.app.definitions.get('MAIL')?.enabled, true, 'still enabled');

  // A cross-site HTML form posting a channel: refused before the body is read, no task, no mail.
  const form = new FormData();
  form.append('DFHCOMMAREA', new Blob([new Uint8Array(10)]), 'commarea');
  const channel = await region.fetch('/cics/MAIL', {
    method: 'POST',
    headers: { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    body: form,
  });
  t.equal(channel.status, 403);
  t.equal(region.journal().tasks.scan().next().done, true, 'no task ran');
  const replay = await region.fetch('/journal/replay', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://evil.example' },
    body: JSON.stringify({ mode: 'redeliver' }),
  });
  t.equal(replay.status, 403);

  // Reading is not refused (another site cannot read the answer anyway).
  t.equal(
    (await region.fetch('/journal', { headers: { origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' } }))
      .status,
    200,
  );
  // The region's own pages, a typed URL, and programs that say nothing pass.
  const friendly: Record<string, string>[] = [
    { origin: own },
    { origin: own.toUpperCase() },
    { 'sec-fetch-site': 'same-origin', origin: own },
    { 'sec-fetch-site': 'none' },
    {},
  ];
  for (const headers of friendly) {
    const res = await put(headers);
    t.equal(res.status, 200, JSON.stringify(headers));
  }
});

t.test('a mail taken apart; its HTML only under a policy with no script and no remote load', async (t) => {
  const region = await startRegion(t);
  const seq = await mailWithHtml(region);
  const view = await region.fetch(`/console/api/mail/journal/${seq}`);
  t.equal(view.status, 200);
  const mail = (await view.json()) as { subject: string; hasHtml: boolean; headers: { name: string }[] };
  t.equal(mail.subject, 'html inside');
  t.equal(mail.hasHtml, true);
  t.ok(mail.headers.some((h) => h.name === 'Message-ID'));
  const html = await region.fetch(`/console/api/mail/journal/${seq}/html`);
  t.equal(html.status, 200);
  t.equal(html.headers.get('content-security-policy'), MAIL_HTML_CSP);
  t.equal(
    MAIL_HTML_CSP,
    "sandbox; default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'; frame-ancestors 'self'",
  );
  t.equal(html.headers.get('x-frame-options'), 'SAMEORIGIN');
  t.equal(html.headers.get('content-type'), 'text/html; charset=utf-8');
  t.match(await html.text(), '<p id="hello">Hello <b>HTML</b></p>');
  // The same mail as the capture relay received it.
  const captured = (await (await region.fetch('/captured')).json()) as { id: number }[];
  const id = captured[0]?.id;
  t.equal((await region.fetch(`/console/api/mail/captured/${id}`)).status, 200);
  t.equal(
    (await region.fetch(`/console/api/mail/captured/${id}/html`)).headers.get('content-security-policy'),
    MAIL_HTML_CSP,
  );
  // What is not there, and what is no id.
  for (const [path, status] of [
    ['/console/api/mail/journal/999', 404],
    ['/console/api/mail/captured/999/html', 404],
    [`/console/api/mail/journal/${seq}/attachments/0`, 404],
    ['/console/api/mail/elsewhere/1', 400],
    ['/console/api/mail/journal/-1', 400],
    ['/console/api/mail/journal/1e3', 400],
    [`/console/api/mail/journal/${'9'.repeat(16)}`, 400],
  ] as const) {
    t.equal((await region.fetch(path)).status, status, path);
  }
});

t.test('attachments download under a safe name, whatever the sender called them', async (t) => {
  const region = await startRegion(t);
  const cp = codePage(37);
  const text = [
    'FROM ops@corp.example',
    'TO you@corp.example',
    'SUBJECT with a file',
    'TEXT',
    'see the file',
    'ENDTEXT',
    'ATTACH NAME=../../etc/"evil";.html TYPE=text/html',
    '<script>alert(1)</script>',
    'ENDATTACH',
  ].join('\n');
  const res = await region.post('SEND', cp.encode(text));
  t.equal(res.status, 200, await res.clone().text());
  const seq = Number(res.headers.get('x-journal-seq'));
  const mail = (await (await region.fetch(`/console/api/mail/journal/${seq}`)).json()) as {
    attachments: { filename: string; mimeType: string }[];
  };
  t.equal(mail.attachments.length, 1);
  const file = await region.fetch(`/console/api/mail/journal/${seq}/attachments/0`);
  t.equal(file.status, 200);
  t.equal(file.headers.get('content-type'), 'application/octet-stream');
  t.match(file.headers.get('content-disposition') ?? '', /^attachment; filename="[^"/\\;%]+"$/);
  t.equal(file.headers.get('content-security-policy'), "sandbox; default-src 'none'");
  t.match(await file.text(), '<script>alert(1)</script>');
});

t.test('COMMAREA helpers: a JSON view to bytes and bytes field by field; SEND text by lines', async (t) => {
  const region = await startRegion(t);
  const layout = (await (await region.fetch('/console/api/transactions/mail/layout')).json()) as {
    tranid: string;
    ccsid: number;
    minLength: number;
    schema: { properties: object };
  };
  t.equal(layout.tranid, 'MAIL');
  t.equal(layout.ccsid, 37);
  t.equal(layout.minLength, 4378);
  t.ok('mc_subject' in layout.schema.properties);
  t.match(await (await region.fetch('/console/api/transactions/SEND/layout')).json(), {
    tranid: 'SEND',
    copybook: null,
  });
  t.equal((await region.fetch('/console/api/transactions/NOPE/layout')).status, 404);

  const post = (tranid: string, body: unknown) =>
    region.fetch(`/console/api/commarea/${tranid}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const made = (await (await post('MAIL', { json: { mc_version: '01', mc_subject: 'Hi', mc_body: 'AB' } })).json()) as {
    hex: string;
    length: number;
    fields: { name: string; offset: number; size: number; value: unknown; hex: string; picture: string }[];
  };
  t.equal(made.length, 4380);
  t.equal(made.hex.slice(0, 4), 'F0F1');
  const subject = made.fields.find((f) => f.name === 'MC-SUBJECT');
  t.match(subject, { offset: 3586, size: 256, value: 'Hi', picture: 'X(256)' });
  t.equal(subject?.hex, 'C889' + '40'.repeat(254));
  t.match(
    made.fields.find((f) => f.name === 'MC-BODY'),
    { offset: 4378, size: 2, value: 'AB', hex: 'C1C2' },
  );
  t.match(
    made.fields.find((f) => f.name === 'MC-BODY-LEN'),
    { value: 2, hex: '00000002' },
  );
  const read = (await (await post('MAIL', { hex: made.hex })).json()) as { fields: unknown[] };
  t.same(read.fields, made.fields, 'bytes read back as they were made');
  // In another code page: the same text, other bytes.
  const german = (await (await post('MAIL', { json: { mc_subject: '@' }, ccsid: '273' })).json()) as {
    fields: { name: string; hex: string }[];
  };
  t.equal(german.fields.find((f) => f.name === 'MC-SUBJECT')?.hex.slice(0, 2), 'B5');

  const lines = (await (await post('SEND', { text: 'FROM a@b.example\nTO c@d.example' })).json()) as {
    fields: { name: string; value: string; hex: string }[];
  };
  t.same(
    lines.fields.map((f) => [f.name, f.value]),
    [
      ['LINE 1', 'FROM a@b.example'],
      ['LINE 2', 'TO c@d.example'],
    ],
  );
  t.match(lines.fields[0]?.hex, /25$/, 'a line shown with its end');

  for (const [body, why] of [
    [{ json: {}, hex: '' }, /one of json, text or hex/],
    [{}, /must NOT have fewer than 1 properties/],
    [{ hex: 'F0F' }, /must match pattern/],
    [{ hex: 'zz' }, /must match pattern/],
    [{ json: { mc_subject: 'x'.repeat(257) } }, /MC-SUBJECT|mc_subject/],
    [{ json: { nope: 1 } }, /nope/],
    [{ hex: 'F0F1' }, /ends at byte 2|short/],
    [{ text: 'x' }, /takes its copybook's JSON view/],
    [{ json: {}, ccsid: '99999' }, /not a supported code page/],
  ] as const) {
    const res = await post('MAIL', body);
    t.equal(res.status, 400, JSON.stringify(body).slice(0, 60));
    t.match(((await res.json()) as { message: string }).message, why);
  }
  t.equal((await post('SEND', { json: {} })).status, 400);
  t.equal((await post('NOPE', { json: {} })).status, 404);
});

t.test("a record's task: its request as the task log keeps it", async (t) => {
  const region = await startRegion(t);
  const seq = await mailWithHtml(region);
  const task = (await (await taskOf(region, seq)).json()) as {
    tranid: string;
    userid: string;
    commarea: { form: string; json: { mc_subject: string } };
    journalSeqs: number[];
  };
  t.match(task, { tranid: 'MAIL', userid: 'TESTER', journalSeqs: [seq] });
  t.equal(task.commarea.form, 'json');
  t.equal(task.commarea.json.mc_subject, 'html inside');
  const bytes = await region.post('SEND', codePage(37).encode('FROM a@corp.example\nTO b@corp.example\nSUBJECT s'));
  const sendSeq = Number(bytes.headers.get('x-journal-seq'));
  const sent = (await (await taskOf(region, sendSeq)).json()) as {
    commarea: { form: string; hex: string };
  };
  t.equal(sent.commarea.form, 'bytes');
  t.equal(sent.commarea.hex.slice(0, 8), 'C6D9D6D4', 'FROM in EBCDIC');
  t.equal((await region.fetch('/console/api/journal/999/task')).status, 404);
});
