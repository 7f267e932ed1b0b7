// Security, refusal by refusal, each with its exact answer: who calls (Basic credentials),
// what they may run, whom they may send as (verify, replace, the exit), the limits, and
// the audit trail of refused attempts (DENIED records).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { simpleParser } from 'mailparser';
import { startRegion } from '../../helpers/region.js';
import { startRelay } from '../../helpers/relay.js';
import { freshDir } from '../../helpers/test-like.js';
import { basicAuth } from '../../helpers/users.js';
import { ebcdicLines, fromEbcdic } from '../../helpers/ebcdic.js';
import { buildMailCommarea, readMailResponse } from '../../../client/mailca.js';
import type { JournalRecord } from '../../../journal/record.js';

const EXIT = fileURLToPath(new URL('../../fixtures/exits/sender-exit.mjs', import.meta.url));
const relay = await startRelay(t);
const users = [
  // May run MAIL only, send as batch or anyone at jobs.corp.example; verify.
  {
    id: 'BATCH1',
    password: 'batch1-password',
    transactions: ['MAIL'],
    senders: ['batch@corp.example', '*@jobs.corp.example'],
    defaultSender: 'batch@corp.example',
  },
  // replace: whatever it asks, its default sender goes out.
  {
    id: 'REPL1',
    password: 'repl1-password',
    transactions: ['MAIL', 'SEND', 'SPOL'],
    senders: ['repl@corp.example'],
    defaultSender: '"Replaced Sender" <repl@corp.example>',
    policy: 'replace' as const,
  },
  { id: 'RATE1', password: 'rate1-password', transactions: ['M*'], senders: ['*'], rateLimit: 3 },
  { id: 'SPOOL1', password: 'spool1-password', transactions: ['S???'], senders: ['batch@corp.example'] },
];
const region = await startRegion(
  t,
  {
    CICSMAIL_RELAY: relay.url,
    CICSMAIL_SENDER_EXIT: EXIT,
    CICSMAIL_MAX_RECIPIENTS: '3',
    CICSMAIL_RECIPIENT_DOMAINS: 'corp.example,*.corp.example',
    CICSMAIL_MAX_MESSAGE_MB: '1',
  },
  { users },
);
const as = (id: string, password: string) => ({ authorization: basicAuth(id, password) });
const BATCH1 = as('BATCH1', 'batch1-password');

const mail = (from: string, to: string, subject = 'security') =>
  buildMailCommarea({ from, to, subject, body: 'hello' }, 37);

async function answer(res: Response) {
  return {
    status: res.status,
    resp: res.headers.get('x-cics-resp'),
    abcode: res.headers.get('x-cics-abcode'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

/** The DENIED records written since `after`, once the (unawaited) audit writes are in. */
async function deniedAfter(after: number): Promise<JournalRecord[]> {
  await region.app.security.trail.flush(false);
  return region
    .journal()
    .list({ after, limit: 1000 })
    .filter((r) => r.state === 'DENIED');
}

const lastSeq = () => region.journal().list({ limit: 100_000 }).at(-1)?.seq ?? 0;

t.test('no credentials: 401 NOTAUTH AEY7 with a Basic challenge; not journaled', async (t) => {
  const before = lastSeq();
  const res = await fetch(`${region.url}/cics/MAIL`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: mail('batch@corp.example', 'ops@corp.example'),
  });
  t.equal(res.headers.get('www-authenticate'), 'Basic realm="cicsmail", charset="UTF-8"');
  t.same(await answer(res), {
    status: 401,
    resp: 'NOTAUTH',
    abcode: 'AEY7',
    body: {
      resp: 'NOTAUTH',
      resp2: 1,
      abcode: 'AEY7',
      message: 'this region needs a user id and password (HTTP Basic)',
    },
  });
  const bearer = await fetch(`${region.url}/cics/MAIL`, {
    method: 'POST',
    headers: { authorization: 'Bearer abc' },
    body: '',
  });
  t.equal(bearer.status, 401, 'a scheme other than Basic');
  t.same(await deniedAfter(before), [], 'an anonymous knock is no attempt of anyone');
});

t.test('wrong password and unknown user: the same 401, and each on record as DENIED', async (t) => {
  const before = lastSeq();
  const expected = {
    status: 401,
    resp: 'NOTAUTH',
    abcode: 'AEY7',
    body: { resp: 'NOTAUTH', resp2: 2, abcode: 'AEY7', message: 'user id or password not valid' },
  };
  t.same(
    await answer(
      await region.post('MAIL', mail('batch@corp.example', 'ops@corp.example'), as('BATCH1', 'wrong-password')),
    ),
    expected,
    'wrong password',
  );
  t.same(
    await answer(
      await region.post('MAIL', mail('batch@corp.example', 'ops@corp.example'), as('NOBODY', 'batch1-password')),
    ),
    expected,
    'unknown user',
  );
  t.same(
    await answer(
      await region.post('MAIL', mail('batch@corp.example', 'ops@corp.example'), { authorization: 'Basic !!!' }),
    ),
    {
      ...expected,
      status: 401,
      body: {
        resp: 'NOTAUTH',
        resp2: 1,
        abcode: 'AEY7',
        message: 'this region needs a user id and password (HTTP Basic)',
      },
    },
    'not base64',
  );
  const denied = await deniedAfter(before);
  t.match(denied, [
    {
      state: 'DENIED',
      userid: 'BATCH1',
      tranid: 'MAIL',
      denial: { reason: 'BADCREDS', detail: 'wrong password', remote: '127.0.0.1' },
    },
    {
      state: 'DENIED',
      userid: 'NOBODY',
      tranid: 'MAIL',
      denial: { reason: 'BADCREDS', detail: 'unknown user', remote: '127.0.0.1' },
    },
  ]);
  t.equal(denied.length, 2);
  t.equal(region.journal().message(denied[0]!.seq), undefined, 'a DENIED record holds no mail');
});

t.test('a transaction the user may not run: 403 NOTAUTH AEY7; the journal is for administrators', async (t) => {
  const before = lastSeq();
  t.same(
    await answer(
      await region.post('SEND', ebcdicLines(['FROM batch@corp.example', 'TO ops@corp.example'], 37), BATCH1),
    ),
    {
      status: 403,
      resp: 'NOTAUTH',
      abcode: 'AEY7',
      body: { resp: 'NOTAUTH', resp2: 101, abcode: 'AEY7', message: "user BATCH1 may not run transaction 'SEND'" },
    },
  );
  t.same(await answer(await region.fetch('/journal', { headers: BATCH1 })), {
    status: 403,
    resp: 'NOTAUTH',
    abcode: 'AEY7',
    body: {
      resp: 'NOTAUTH',
      resp2: 102,
      abcode: 'AEY7',
      message: 'user BATCH1 is not an administrator of this region',
    },
  });
  t.equal(
    (
      await region.fetch('/journal/replay', {
        method: 'POST',
        headers: { ...BATCH1, 'content-type': 'application/json' },
        body: '{"mode":"redeliver"}',
      })
    ).status,
    403,
    'replay too',
  );
  t.equal((await region.fetch('/captured', { headers: BATCH1 })).status, 403, 'captured mail too');
  t.match(await deniedAfter(before), [
    {
      userid: 'BATCH1',
      tranid: 'SEND',
      denial: { reason: 'NOTALLOWED', detail: "transaction SEND is not in the user's list" },
    },
    { userid: 'BATCH1', tranid: '', denial: { reason: 'NOTADMIN', detail: 'GET /journal' } },
  ]);
  // Patterns: SPOOL1 may run S??? (SEND, SPOL) but not MAIL.
  t.equal(
    (await region.post('MAIL', mail('batch@corp.example', 'ops@corp.example'), as('SPOOL1', 'spool1-password'))).status,
    403,
  );
  t.equal((await region.post('SPOL', ebcdicLines(['QUIT'], 37), as('SPOOL1', 'spool1-password'))).status, 200);
});

t.test('verify: a sender the user may not use is RC 16 SENDER, on record, and never sent', async (t) => {
  const before = lastSeq();
  const mails = relay.mails.length;
  const res = await region.post('MAIL', mail('ceo@corp.example', 'ops@corp.example', 'urgent wire transfer'), {
    ...BATCH1,
    'x-cics-jobname': 'PAYROLL',
  });
  t.equal(res.status, 200);
  t.equal(res.headers.get('x-mail-rc'), '16');
  const r = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
  t.same(
    [r.rc, r.reason, r.relayReply, r.journalSeq],
    [16, 'SENDER', 'user BATCH1 may not send as ceo@corp.example', 0],
  );
  t.match(await deniedAfter(before), [
    {
      userid: 'BATCH1',
      jobname: 'PAYROLL',
      tranid: 'MAIL',
      envelope: { from: 'ceo@corp.example', to: ['ops@corp.example'] },
      subject: 'urgent wire transfer',
      denial: { reason: 'SENDER', remote: '127.0.0.1' },
    },
  ]);
  const ok = readMailResponse(
    Buffer.from(
      await (await region.post('MAIL', mail('night@jobs.corp.example', 'ops@corp.example'), BATCH1)).arrayBuffer(),
    ),
    37,
  );
  t.equal(ok.rc, 0, 'a sender that matches a pattern');
  const blank = readMailResponse(
    Buffer.from(await (await region.post('MAIL', mail('', 'ops@corp.example'), BATCH1)).arrayBuffer()),
    37,
  );
  t.equal(blank.rc, 0, 'a blank FROM takes the default sender');
  t.same(
    relay.mails.slice(mails).map((m) => m.from),
    ['night@jobs.corp.example', 'batch@corp.example'],
  );
});

t.test("replace: the user's default sender goes out, the asked one becomes Reply-To", async (t) => {
  const REPL1 = as('REPL1', 'repl1-password');
  const mails = relay.mails.length;
  const r = readMailResponse(
    Buffer.from(
      await (await region.post('MAIL', mail('"Big Boss" <ceo@corp.example>', 'ops@corp.example'), REPL1)).arrayBuffer(),
    ),
    37,
  );
  t.same([r.rc, r.reason], [0, 'SENT']);
  const got = relay.mails[mails]!;
  t.equal(got.from, 'repl@corp.example', 'the envelope sender is replaced');
  const parsed = await simpleParser(got.message);
  t.same(parsed.from?.value, [{ name: 'Replaced Sender', address: 'repl@corp.example' }]);
  t.same(parsed.replyTo?.value, [{ name: 'Big Boss', address: 'ceo@corp.example' }]);

  // SPOL: the From header is written anew, the old one is gone.
  const report = await region.post(
    'SPOL',
    ebcdicLines(
      [
        'HELO x',
        'MAIL FROM:<ceo@corp.example>',
        'RCPT TO:<ops@corp.example>',
        'DATA',
        'From: "Big Boss"',
        ' <ceo@corp.example>',
        'Subject: spooled',
        '',
        'body',
        '.',
      ],
      37,
    ),
    REPL1,
  );
  t.match(fromEbcdic(Buffer.from(await report.arrayBuffer()), 37), /^RC=00 /);
  const spooled = relay.mails[mails + 1]!;
  t.equal(spooled.from, 'repl@corp.example');
  t.match(
    spooled.message.toString('latin1'),
    /\r\nFrom: Replaced Sender <repl@corp\.example>\r\nReply-To: Big Boss <ceo@corp\.example>\r\nSubject: spooled\r\n\r\nbody\r\n$/,
  );
  t.notMatch(
    spooled.message.toString('latin1'),
    /Big Boss"\r\n <ceo/,
    'the folded old From is gone with its continuation',
  );
});

t.test('SPOL: the From header must pass too, not only the envelope', async (t) => {
  const SPOOL1 = as('SPOOL1', 'spool1-password');
  const report = fromEbcdic(
    Buffer.from(
      await (
        await region.post(
          'SPOL',
          ebcdicLines(
            [
              'HELO x',
              'MAIL FROM:<batch@corp.example>',
              'RCPT TO:<ops@corp.example>',
              'DATA',
              'From: ceo@corp.example',
              '',
              'x',
              '.',
            ],
            37,
          ),
          SPOOL1,
        )
      ).arrayBuffer(),
    ),
    37,
  );
  t.equal(report, 'RC=16 LINE=2 user SPOOL1 may not send as ceo@corp.example\u0085');
  const send = fromEbcdic(
    Buffer.from(
      await (
        await region.post('SEND', ebcdicLines(['FROM ceo@corp.example', 'TO ops@corp.example'], 37), SPOOL1)
      ).arrayBuffer(),
    ),
    37,
  );
  t.equal(send, 'RC=16 LINE=1 user SPOOL1 may not send as ceo@corp.example\u0085');
});

t.test('SPOL: Sender, Resent-From and Resent-Sender must pass as From does', async (t) => {
  const SPOOL1 = as('SPOOL1', 'spool1-password');
  const spool = async (header: string[]) =>
    fromEbcdic(
      Buffer.from(
        await (
          await region.post(
            'SPOL',
            ebcdicLines(
              [
                'MAIL FROM:<batch@corp.example>',
                'RCPT TO:<ops@corp.example>',
                'DATA',
                'From: batch@corp.example',
                ...header,
                '',
                'x',
                '.',
              ],
              37,
            ),
            SPOOL1,
          )
        ).arrayBuffer(),
      ),
      37,
    );
  const mails = relay.mails.length;
  for (const field of ['Sender', 'Resent-From', 'resent-sender', 'SENDER']) {
    t.equal(
      await spool([`${field}: "The Boss" <ceo@corp.example>`]),
      'RC=16 LINE=1 user SPOOL1 may not send as ceo@corp.example\u0085',
      field,
    );
  }
  t.equal(
    await spool(['Sender: Boss', ' <ceo@corp.example>']),
    'RC=16 LINE=1 user SPOOL1 may not send as ceo@corp.example\u0085',
    'folded',
  );
  t.equal(
    await spool(['Sender: the boss']),
    "RC=08 LINE=1 the Sender header is not a list of valid addresses ('the' is not an address), so it cannot be verified\u0085",
  );
  t.equal(relay.mails.length, mails, 'none went out');
  t.equal(await spool(['Sender: batch@corp.example']).then((r) => r.slice(0, 6)), 'RC=00 ', 'an allowed Sender goes');
  t.equal(relay.mails.length, mails + 1);
  const denied = region
    .journal()
    .list({ state: 'DENIED', limit: 1000 })
    .filter(
      (r: JournalRecord) =>
        r.userid === 'SPOOL1' && r.denial?.detail === 'user SPOOL1 may not send as ceo@corp.example',
    );
  t.ok(denied.length >= 1, 'on record as DENIED');
});

t.test('replace: Sender and Resent- fields go with the From they stood beside', async (t) => {
  const REPL1 = as('REPL1', 'repl1-password');
  const mails = relay.mails.length;
  const report = await region.post(
    'SPOL',
    ebcdicLines(
      [
        'MAIL FROM:<ceo@corp.example>',
        'RCPT TO:<ops@corp.example>',
        'DATA',
        'Resent-From: ceo@corp.example',
        'Resent-Date: Fri, 16 Jul 2010 13:41:30 -0400',
        'From: ceo@corp.example',
        'Sender: "Big Boss"',
        ' <ceo@corp.example>',
        'Subject: spooled',
        '',
        'body',
        '.',
      ],
      37,
    ),
    REPL1,
  );
  t.match(fromEbcdic(Buffer.from(await report.arrayBuffer()), 37), /^RC=00 /);
  const spooled = relay.mails[mails]!.message.toString('latin1');
  t.match(
    spooled,
    /\r\nFrom: Replaced Sender <repl@corp\.example>\r\nReply-To: Big Boss <ceo@corp\.example>\r\nSubject: spooled\r\n\r\nbody\r\n$/,
  );
  t.notMatch(spooled, /^(?:Sender|Resent-|\s<ceo)/im, 'no Sender, no Resent- block, no continuation');
});

t.test('the sender exit: deny, replace, a throw and nonsense (both refused, safely), allow', async (t) => {
  const run = async (to: string) =>
    readMailResponse(
      Buffer.from(
        await (
          await region.post('MAIL', mail('batch@corp.example', to), { ...BATCH1, 'x-cics-jobname': 'EXITJOB' })
        ).arrayBuffer(),
      ),
      37,
    );
  const mails = relay.mails.length;
  t.same(await run('deny@corp.example').then((r) => [r.rc, r.reason, r.relayReply]), [
    16,
    'EXITDENY',
    'the sender exit refused batch@corp.example: jobs of EXITJOB may not mail deny@corp.example',
  ]);
  t.same(await run('throw@corp.example').then((r) => [r.rc, r.reason, r.relayReply]), [
    16,
    'EXITFAIL',
    'the sender exit failed: the exit broke',
  ]);
  t.same(await run('nonsense@corp.example').then((r) => [r.rc, r.reason, r.relayReply]), [
    16,
    'EXITFAIL',
    'the sender exit answered neither allow, replace nor deny',
  ]);
  t.same(
    await run('slow@corp.example').then((r) => [r.rc, r.reason]),
    [0, 'SENT'],
    'the region is unharmed by the throw',
  );
  t.same(await run('replace@corp.example').then((r) => [r.rc, r.reason]), [0, 'SENT']);
  const sent = relay.mails.slice(mails);
  t.same(
    sent.map((m) => [m.from, m.to[0]]),
    [
      ['batch@corp.example', 'slow@corp.example'],
      ['exit@corp.example', 'replace@corp.example'],
    ],
  );
  const replaced = await simpleParser(sent[1]!.message);
  t.same(replaced.from?.value, [{ name: 'Exit Sender', address: 'exit@corp.example' }]);
  t.same(replaced.replyTo?.value, [{ name: '', address: 'batch@corp.example' }]);
});

t.test('limits: too many recipients, a domain outside the list, too large', async (t) => {
  const before = lastSeq();
  const mails = relay.mails.length;
  const r1 = readMailResponse(
    Buffer.from(
      await (
        await region.post(
          'MAIL',
          mail('batch@corp.example', 'a@corp.example b@corp.example c@corp.example d@corp.example'),
          BATCH1,
        )
      ).arrayBuffer(),
    ),
    37,
  );
  t.same([r1.rc, r1.reason, r1.relayReply], [8, 'TOOMANY', '4 recipients; this region allows 3 a mail']);
  const r2 = readMailResponse(
    Buffer.from(
      await (
        await region.post('MAIL', mail('batch@corp.example', 'a@corp.example x@gmail.example'), BATCH1)
      ).arrayBuffer(),
    ),
    37,
  );
  t.same(
    [r2.rc, r2.reason, r2.relayReply],
    [8, 'RCPTDOM', 'x@gmail.example is outside the domains this region sends to'],
  );
  const sub = readMailResponse(
    Buffer.from(
      await (await region.post('MAIL', mail('batch@corp.example', 'a@eu.corp.example'), BATCH1)).arrayBuffer(),
    ),
    37,
  );
  t.equal(sub.rc, 0, 'a subdomain by pattern');
  const form = new FormData();
  form.append(
    'DFHCOMMAREA',
    new Blob([mail('batch@corp.example', 'a@corp.example')], { type: 'application/octet-stream' }),
  );
  form.append('DUMP', new Blob([randomBytes(800_000)], { type: 'application/octet-stream' }), 'dump.bin');
  const big = await region.fetch('/cics/MAIL', { method: 'POST', body: form, headers: BATCH1 });
  const r3 = readMailResponse(Buffer.from(await big.arrayBuffer()), 37);
  t.equal(r3.reason, 'TOOBIG');
  t.match(r3.relayReply, /^the mail is \d+ bytes; this region sends at most 1048576$/);
  t.equal(relay.mails.length, mails + 1, 'only the subdomain mail went');
  t.same(
    (await deniedAfter(before)).map((d) => d.denial?.reason),
    ['TOOMANY', 'RCPTDOM', 'TOOBIG'],
  );
});

t.test("rate limit: 429 with Retry-After past the user's tasks a minute", async (t) => {
  const before = lastSeq();
  const RATE1 = as('RATE1', 'rate1-password');
  const statuses: number[] = [];
  let last: Response | undefined;
  for (let i = 0; i < 4; i++) {
    last = await region.post('MAIL', mail('batch@corp.example', 'ops@corp.example'), RATE1);
    statuses.push(last.status);
    if (i < 3) await last.arrayBuffer();
  }
  t.same(statuses, [200, 200, 200, 429]);
  const retryAfter = Number(last!.headers.get('retry-after'));
  t.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${retryAfter}`);
  t.match(await answer(last!), {
    status: 429,
    resp: 'INVREQ',
    abcode: null,
    body: {
      resp: 'INVREQ',
      resp2: 5,
      message:
        /^user RATE1 has made 3 tasks and mails this minute, the most allowed; retry in (\d+ seconds?|1 minute)$/,
    },
  });
  t.equal(
    (await region.post('MAIL', mail('batch@corp.example', 'ops@corp.example'), BATCH1)).status,
    200,
    'other users are not held back',
  );
  t.match(await deniedAfter(before), [
    { userid: 'RATE1', tranid: 'MAIL', denial: { reason: 'RATE', detail: 'more than 3 tasks and mails a minute' } },
  ]);
});

t.test('the journal export shows who was refused and why', async (t) => {
  const csv = await (await region.fetch('/journal/export?state=DENIED')).text();
  t.match(
    csv,
    /,BATCH1,PAYROLL,MAIL,ceo@corp\.example,1,0,urgent wire transfer,0,DENIED,denied: SENDER user BATCH1 may not send as ceo@corp\.example,,CICSMAIL,,,\r\n/,
  );
});

t.test('HTTPS: with CICSMAIL_TLS_CERT and _KEY the region speaks TLS', async (t) => {
  const dir = freshDir(t);
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { stdio: 'pipe' },
  );
  const secure = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_TLS_CERT: cert, CICSMAIL_TLS_KEY: key });
  const port = new URL(secure.url).port;
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: '/cics/MAIL',
        method: 'POST',
        ca: readFileSync(cert),
        headers: { authorization: secure.auth, 'content-type': 'application/octet-stream' },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(mail('batch@corp.example', 'ops@corp.example'));
  });
  t.equal(status, 200);
  await t.rejects(fetch(`http://127.0.0.1:${port}/cics/MAIL`, { method: 'POST' }), 'plain HTTP is not spoken');
});

t.test('a burst of first requests with the same new credentials runs scrypt once', async (t) => {
  const fresh = await startRegion(
    t,
    { CICSMAIL_RELAY: relay.url },
    { users: [{ id: 'BURST1', password: 'burst1-password', transactions: ['*'], senders: ['*'] }] },
  );
  const before = fresh.app.security.passwordChecks;
  const answers = await Promise.all(
    Array.from({ length: 40 }, () => fresh.post('NOPE', Buffer.alloc(1), as('BURST1', 'burst1-password'))),
  );
  t.same([...new Set(answers.map((r) => r.status))], [404], 'all authenticated (an unknown tranid, so nothing runs)');
  t.equal(fresh.app.security.passwordChecks - before, 1, 'one scrypt run for the 40');
  await fresh.post('NOPE', Buffer.alloc(1), as('BURST1', 'wrong-password'));
  t.equal(fresh.app.security.passwordChecks - before, 2, 'a wrong password is checked on its own');
});

t.test(
  'a keep-alive connection: other credentials on it are checked in full, and a changed password ends the old one',
  async (t) => {
    const { Agent, request } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    t.teardown(() => agent.destroy());
    const ports = new Set<number>();
    const send = (authorization: string) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          `${region.url}/cics/MAIL`,
          { method: 'POST', agent, headers: { authorization, 'content-type': 'application/octet-stream' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('socket', (s) => s.once('connect', () => ports.add(s.localPort ?? 0)));
        req.on('error', reject);
        req.end(mail('batch@corp.example', 'ops@corp.example', 'keep-alive'));
      });
    const right = basicAuth('BATCH1', 'batch1-password');
    t.equal(await send(right), 200);
    t.equal(await send(basicAuth('BATCH1', 'batch1-passwore')), 401, 'a wrong password on the proven connection');
    t.equal(await send(basicAuth('NOBODY', 'batch1-password')), 401, 'another user id on it');
    t.equal(await send(right), 200);
    const { UserStore, newUser } = await import('../../../users/users-file.js');
    const batch1 = users[0]!;
    const store = new UserStore(region.config.dataDir);
    store.put(newUser({ ...batch1, password: 'changed-password' }));
    t.teardown(() => store.put(newUser(batch1)));
    await new Promise((r) => setTimeout(r, 1100)); // the region reads the users file again at most once a second
    t.equal(await send(right), 401, 'the old password no longer opens the same connection');
    t.equal(await send(basicAuth('BATCH1', 'changed-password')), 200);
    t.equal(ports.size, 1, 'all on one connection');
  },
);

t.test(
  "an address that keeps guessing is slowed, never refused; another user's right credentials from it still pass",
  async (t) => {
    // Before: past CICSMAIL_AUTH_FAILURES wrong credentials an address got 429 for any
    // credentials it had not proved, a batch host's other users' included.
    const guarded = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_AUTH_FAILURES: '3' }, { users });
    const post = (id: string, password: string) =>
      guarded.post('MAIL', mail('batch@corp.example', 'ops@corp.example', 'guess'), as(id, password));
    for (const guess of ['guess-one', 'guess-two', 'guess-three', 'guess-four'])
      t.equal((await post('NOSUCH', guess)).status, 401);
    const checks = guarded.app.security.passwordChecks;
    t.equal((await post('REPL1', 'repl1-password')).status, 200, 'right credentials of another user pass');
    t.equal((await post('BATCH1', 'batch1-password')).status, 200);
    t.equal(guarded.app.security.passwordChecks, checks + 2, 'each checked, as any other');
    await guarded.app.security.trail.flush(false);
    const denied = guarded
      .journal()
      .list({ limit: 1000 })
      .filter((r) => r.state === 'DENIED');
    t.same(
      denied.map((r) => [r.userid, r.denial?.reason, r.denial?.detail, r.denial?.count]),
      [['NOSUCH', 'BADCREDS', 'unknown user (counted with every unknown id from 127.0.0.0/24 in the minute)', 4]],
      'on record once, with its count',
    );
  },
);

t.test(
  "surrogates: an administrator runs a task as another user with that user's rights; no one else may",
  async (t) => {
    const before = lastSeq();
    const asBatch1 = await answer(
      await region.post('MAIL', mail('batch@corp.example', 'ops@corp.example'), {
        ...BATCH1,
        'x-cics-userid': 'REPL1',
      }),
    );
    t.same(asBatch1, {
      status: 403,
      resp: 'NOTAUTH',
      abcode: 'AEY7',
      body: {
        resp: 'NOTAUTH',
        resp2: 103,
        abcode: 'AEY7',
        message: 'user BATCH1 may not run tasks as REPL1: only an administrator may name another user (X-CICS-Userid)',
      },
    });
    t.same(
      (
        await region.post('MAIL', mail('batch@corp.example', 'ops@corp.example'), {
          ...BATCH1,
          'x-cics-userid': 'batch1',
        })
      ).status,
      200,
      'naming oneself is no surrogate',
    );

    // TESTER (an administrator, senders *) as BATCH1: BATCH1's senders apply.
    const refused = readMailResponse(
      Buffer.from(
        await (
          await region.post('MAIL', mail('someone@corp.example', 'ops@corp.example', 'surrogate'), {
            'x-cics-userid': 'BATCH1',
          })
        ).arrayBuffer(),
      ),
      37,
    );
    t.match(refused, { rc: 16, reason: 'SENDER' });
    const sent = readMailResponse(
      Buffer.from(
        await (
          await region.post('MAIL', mail('batch@corp.example', 'ops@corp.example', 'surrogate'), {
            'x-cics-userid': 'BATCH1',
          })
        ).arrayBuffer(),
      ),
      37,
    );
    t.equal(sent.rc, 0);
    t.equal(region.journal().get(sent.journalSeq)?.userid, 'BATCH1', "the mail is BATCH1's");

    t.same(
      await answer(
        await region.post('MAIL', mail('batch@corp.example', 'ops@corp.example'), { 'x-cics-userid': 'NOBODY' }),
      ),
      {
        status: 400,
        resp: 'USERIDERR',
        abcode: null,
        body: {
          resp: 'USERIDERR',
          resp2: 8,
          abcode: null,
          message: "X-CICS-Userid names no user of this region: 'NOBODY'",
        },
      },
    );
    const denied = await deniedAfter(before);
    t.same(
      denied.filter((r) => r.denial?.reason === 'NOTSURROGATE').map((r) => r.userid),
      ['BATCH1'],
    );
    t.same(
      denied.filter((r) => r.userid !== 'BATCH1'),
      [],
      "the surrogate's refusals are BATCH1's, none TESTER's",
    );
    // A worker keeps one DENIED record a user, reason and tranid a minute: the surrogate's
    // SENDER refusal may be counted on the export test's record rather than written anew.
    t.ok(
      region
        .journal()
        .list({ limit: 100_000 })
        .some((r) => r.state === 'DENIED' && r.userid === 'BATCH1' && r.denial?.reason === 'SENDER'),
      "the sender refusal is on record as BATCH1's",
    );

    // Redrive runs BATCH1's recorded tasks as BATCH1: the refused sender stays refused.
    const res = await region.fetch('/journal/replay', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ mode: 'redrive', filter: { user: 'BATCH1', tranid: 'MAIL' }, limit: 1000 }),
    });
    const report = (await res.json()) as { tasks: number; same: number; transitions: Record<string, number> };
    t.equal(res.status, 200, JSON.stringify(report));
    t.ok(report.tasks >= 3, `${report.tasks} tasks of BATCH1`);
    t.equal(report.same, report.tasks, `every outcome as before: ${JSON.stringify(report.transitions)}`);
    t.ok((report.transitions['RC 16 -> RC 16'] ?? 0) >= 2, "RC 16 stays RC 16, not RC 0 with the operator's rights");
  },
);
