// STARTTLS (RFC 3207), certificate checks, a CA file, and AUTH PLAIN / LOGIN (RFC 4954)
// against real servers: smtp-server, and a scripted server that can do TLS, with a CA and
// certificates made by openssl (test/certs.ts).
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { TLSSocket } from 'node:tls';
import t from 'tap';
import type { SMTPServerAuthentication, SMTPServerOptions } from 'smtp-server';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { testPool, unreachable } from '../helpers/smtp.js';
import { freshDir, type TestLike } from '../helpers/test-like.js';
import { makeCerts } from '../helpers/certs.js';
import { SmtpPool, type PoolOptions } from '../../smtp/pool.js';
import { parseRelayUrls } from '../../smtp/relay-url.js';
import { loadConfig } from '../../config/settings.js';

// Two connections, as these tests have always used.
const pool = (t: TestLike, url: string, options: Partial<PoolOptions> = {}): SmtpPool =>
  testPool(t, url, { maxConnections: 2, ...options });

const message = Buffer.from('From: a@x.example\r\nTo: b@y.example\r\nSubject: t\r\n\r\nhello\r\n');
const send = (p: SmtpPool) => p.send('a@x.example', ['b@y.example'], message);

const certs = makeCerts(freshDir(t));

/** smtp-server with STARTTLS (and AUTH where `options` say), recording whether each MAIL came over TLS. */
async function tlsRelay(t: TestLike, options: Partial<SMTPServerOptions> = {}) {
  const secure: boolean[] = [];
  const relay = await startRelay(t, {
    mailFrom: (_a, session) => void secure.push(session.secure),
    options: { disabledCommands: ['AUTH'], ...certs.server, ...options },
  });
  return Object.assign(relay, { secure });
}

/**
 * A scripted server that can take STARTTLS: `onLine` answers each line; where it answers
 * STARTTLS with a 220, the socket becomes TLS (with `extra` written in clear after the 220).
 * Each chunk's lines are kept, prefixed `tls:` once encrypted.
 */
async function scriptedTls(
  t: TestLike,
  onLine: (line: string, secure: boolean) => string | string[] | null,
  options: { host?: string; extra?: string } = {},
) {
  const chunks: string[][] = [];
  const sockets = new Set<Socket>();
  const server = createServer((raw) => {
    sockets.add(raw);
    raw.on('error', () => {});
    let secure = false;
    let inData = false;
    const listen = (socket: Socket) => {
      let pending = '';
      const onData = (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        const lines: string[] = [];
        let nl: number;
        while ((nl = pending.indexOf('\r\n')) !== -1) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 2);
          if (inData && line !== '.') continue;
          inData = false;
          lines.push(`${secure ? 'tls:' : ''}${line}`);
          const reply = onLine(line, secure);
          if (reply === null) continue;
          const text = (Array.isArray(reply) ? reply : [reply]).map((r) => `${r}\r\n`).join('');
          if (line === 'DATA' && text.startsWith('354')) inData = true;
          if (line === 'STARTTLS' && text.startsWith('220')) {
            socket.off('data', onData);
            socket.write(text + (options.extra ?? ''));
            const tls = new TLSSocket(socket, { isServer: true, ...certs.server });
            tls.on('error', () => {});
            secure = true;
            listen(tls);
            break;
          }
          socket.write(text);
        }
        if (lines.length > 0) chunks.push(lines);
      };
      socket.on('data', onData);
    };
    listen(raw);
    raw.write('220 scripted ESMTP\r\n');
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `smtp://${host}:${port}`, label: `smtp://${host}:${port}`, chunks, lines: () => chunks.flat() };
}

/** The usual answers; `ehlo` lists the keywords (before and after TLS). */
const answer =
  (ehlo: (secure: boolean) => string[]) =>
  (line: string, secure: boolean): string | string[] => {
    if (line.startsWith('EHLO')) {
      const lines = ['scripted', ...ehlo(secure)];
      return lines.map((l, i) => `250${i === lines.length - 1 ? ' ' : '-'}${l}`);
    }
    if (line === 'STARTTLS') return '220 2.0.0 go ahead';
    if (line === 'DATA') return '354 go on';
    if (line === '.') return `250 2.0.0 queued${secure ? ' over TLS' : ''}`;
    return '250 2.1.0 ok';
  };

t.test('STARTTLS required: a relay that does not offer it is not used', async (t) => {
  const relay = await startRelay(t); // STARTTLS disabled
  const d = await send(pool(t, `${relay.url}?starttls=required`));
  t.same(
    d,
    unreachable(
      'tls',
      relay.url,
      `no relay could be reached: STARTTLS required by starttls=required in the relay URL but not offered by ${relay.url}`,
    ),
  );
  t.equal(relay.mails.length, 0);
  // The region-wide default says so where the URL does not; the next relay in the list is tried.
  const good = await tlsRelay(t);
  const p = pool(t, `${relay.url},${good.url}`, { starttls: 'required', ca: certs.ca });
  t.same(await send(p), {
    kind: 'sent',
    relay: good.url,
    reply: '250 Ok: queued as 1',
    refused: [],
    accepted: ['b@y.example'],
  });
  t.same(good.secure, [true]);
  const alone = await send(pool(t, relay.url, { starttls: 'required' }));
  t.equal(
    alone.reply,
    `no relay could be reached: STARTTLS required by CICSMAIL_SMTP_STARTTLS=required but not offered by ${relay.url}`,
  );
});

t.test('opportunistic (the default): the session is really encrypted, with the CA from the URL', async (t) => {
  const relay = await tlsRelay(t);
  const d = await send(pool(t, `${relay.url}?ca=${encodeURIComponent(certs.ca)}`));
  t.same(d, { kind: 'sent', relay: relay.url, reply: '250 Ok: queued as 1', refused: [], accepted: ['b@y.example'] });
  t.same(relay.secure, [true], 'smtp-server saw the MAIL over TLS');
  t.equal(relay.mails[0]?.message.toString('latin1'), message.toString('latin1'));
  // Not offered: plain, as opportunistic means.
  const plain = await startRelay(t);
  t.equal((await send(pool(t, plain.url, { ca: certs.ca }))).kind, 'sent');
  // A CA file gone since the start: the relay is not used.
  const gone = await send(pool(t, relay.url, { ca: '/nonexistent/ca.pem' }));
  t.equal(
    gone.reply,
    `no relay could be reached: TLS to ${relay.url}: cannot read the CA file /nonexistent/ca.pem: ENOENT`,
  );
});

t.test('starttls=none stays in clear though the relay offers it', async (t) => {
  const relay = await tlsRelay(t);
  t.equal((await send(pool(t, `${relay.url}?starttls=none`))).kind, 'sent');
  t.same(relay.secure, [false]);
});

t.test('after STARTTLS the keywords said in clear are forgotten; EHLO is asked again', async (t) => {
  const server = await scriptedTls(
    t,
    answer((secure) => (secure ? ['SIZE 100000'] : ['PIPELINING', 'SIZE 10', 'STARTTLS'])),
  );
  const d = await send(pool(t, server.url, { ca: certs.ca }));
  t.same(d, {
    kind: 'sent',
    relay: server.label,
    reply: '250 2.0.0 queued over TLS',
    refused: [],
    accepted: ['b@y.example'],
  });
  // SIZE 10 would have refused the mail; without PIPELINING each command waits for its reply.
  t.same(server.chunks.slice(0, 7), [
    ['EHLO client.test'],
    ['STARTTLS'],
    ['tls:EHLO client.test'],
    [`tls:MAIL FROM:<a@x.example> SIZE=${message.length}`],
    ['tls:RCPT TO:<b@y.example>'],
    ['tls:DATA'],
    ['tls:.'],
  ]);
});

t.test('STARTTLS refused (454): opportunistic goes on in clear, required does not use the relay', async (t) => {
  const refusing = (line: string, secure: boolean) =>
    line === 'STARTTLS' ? '454 4.7.0 TLS not available' : answer(() => ['STARTTLS'])(line, secure);
  const server = await scriptedTls(t, refusing);
  t.same(await send(pool(t, server.url)), {
    kind: 'sent',
    relay: server.label,
    reply: '250 2.0.0 queued',
    refused: [],
    accepted: ['b@y.example'],
  });
  const d = await send(pool(t, `${server.url}?starttls=required`));
  t.equal(
    d.reply,
    `no relay could be reached: STARTTLS required by starttls=required in the relay URL but ${server.label} refused it: 454 4.7.0 TLS not available`,
  );
});

t.test('bytes sent in clear after the 220 to STARTTLS: the relay is not used', async (t) => {
  for (const [extra, reason, kind] of [
    ['250 2.0.0 injected\r\n', 'said 250 2.0.0 injected unasked', 'protocol'],
    ['250 2.0.0 inj', 'sent more after its 220 to STARTTLS', 'tls'],
  ] as const) {
    const server = await scriptedTls(
      t,
      answer(() => ['STARTTLS']),
      { extra },
    );
    const d = await send(pool(t, server.url, { ca: certs.ca }));
    t.same(d, unreachable(kind, server.label, `no relay could be reached: ${server.label} ${reason}`));
    t.notOk(
      server.lines().some((l) => l.startsWith('tls:')),
      'no TLS session was used',
    );
  }
});

t.test('a certificate that does not check out: the relay is not used, in any mode', async (t) => {
  const cases = [
    [
      'self-signed, not from the CA',
      { ...certs.self },
      certs.ca,
      'self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)',
    ],
    [
      "signed by the CA, another host's name",
      { ...certs.elsewhere },
      certs.ca,
      "Hostname/IP does not match certificate's altnames: IP: 127.0.0.1 is not in the cert's list:  (ERR_TLS_CERT_ALTNAME_INVALID)",
    ],
    [
      'a private CA without the CA file: the system CAs do not know it',
      { ...certs.server },
      null,
      'unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)',
    ],
  ] as const;
  for (const [name, pair, ca, reason] of cases) {
    await t.test(name, async (t) => {
      const relay = await tlsRelay(t, pair);
      for (const mode of ['opportunistic', 'required'] as const) {
        const d = await send(pool(t, relay.url, { starttls: mode, ca }));
        t.same(
          d,
          unreachable('tls', relay.url, `no relay could be reached: STARTTLS with ${relay.url} failed: ${reason}`),
          mode,
        );
      }
      t.equal(relay.mails.length, 0, 'nothing went in clear instead');
    });
  }
});

t.test('smtps with the CA file', async (t) => {
  const relay = await tlsRelay(t, { secure: true });
  const url = relay.url.replace('smtp:', 'smtps:');
  t.same(await send(pool(t, url, { ca: certs.ca })), {
    kind: 'sent',
    relay: url,
    reply: '250 Ok: queued as 1',
    refused: [],
    accepted: ['b@y.example'],
  });
  t.same(relay.secure, [true]);
  t.equal(
    (await send(pool(t, url))).reply,
    `no relay could be reached: connect to ${url} failed: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
  );
});

/** smtp-server that offers `methods` after STARTTLS and knows one account. */
async function authRelay(t: TestLike, methods: string[]) {
  const logins: Array<{ method: string; username: string | undefined }> = [];
  const relay = await tlsRelay(t, {
    disabledCommands: [],
    authMethods: methods,
    authOptional: false,
    onAuth(auth: SMTPServerAuthentication, _session, cb) {
      logins.push({ method: auth.method, username: auth.username });
      if (auth.username === 'région' && auth.password === 's3cret:pass') cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Error: authentication failed'), { responseCode: 535 }));
    },
  });
  const at = relay.url.replace('smtp://', '');
  return Object.assign(relay, {
    logins,
    as: (pass: string) => `smtp://r%C3%A9gion:${encodeURIComponent(pass)}@${at}`,
    label: `smtp://r%C3%A9gion@${at}`,
  });
}

t.test('AUTH LOGIN where only LOGIN is offered; PLAIN where both are', async (t) => {
  const login = await authRelay(t, ['LOGIN']);
  t.same(await send(pool(t, login.as('s3cret:pass'), { ca: certs.ca })), {
    kind: 'sent',
    relay: login.label,
    reply: '250 Ok: queued as 1',
    refused: [],
    accepted: ['b@y.example'],
  });
  t.same(login.logins, [{ method: 'LOGIN', username: 'région' }]);
  t.same(login.secure, [true]);
  const both = await authRelay(t, ['LOGIN', 'PLAIN']);
  t.equal((await send(pool(t, both.as('s3cret:pass'), { ca: certs.ca }))).kind, 'sent');
  t.same(both.logins, [{ method: 'PLAIN', username: 'région' }]);
  const neither = await authRelay(t, ['XOAUTH2']);
  t.equal(
    (await send(pool(t, neither.as('s3cret:pass'), { ca: certs.ca }))).reply,
    `no relay could be reached: ${neither.label} offers neither AUTH PLAIN nor LOGIN (offers: XOAUTH2)`,
  );
});

t.test('a wrong password (535) defers the mail, and says no password', async (t) => {
  for (const methods of [['LOGIN'], ['PLAIN']]) {
    const relay = await authRelay(t, methods);
    const d = await send(pool(t, relay.as('wrong-Pa55word'), { ca: certs.ca }));
    t.same(
      d,
      unreachable(
        'auth',
        relay.label,
        `no relay could be reached: ${relay.label} refused the credentials: 535 Error: authentication failed`,
      ),
      methods.join(),
    );
    t.notMatch(JSON.stringify(d), /wrong-Pa55word|d3JvbmctUGE1NXdvcmQ/, 'neither the password nor its base64');
    t.equal(relay.mails.length, 0);
  }
});

t.test('credentials over a connection without TLS: only to loopback, or where the URL allows it', async (t) => {
  const external = Object.values(networkInterfaces())
    .flat()
    .find((i) => i?.family === 'IPv4' && !i.internal)?.address;
  const auth = (line: string, secure: boolean) => {
    if (line === 'AUTH LOGIN') return '334 VXNlcm5hbWU6';
    if (line === Buffer.from('batch').toString('base64')) return '334 UGFzc3dvcmQ6';
    if (line === Buffer.from('pw').toString('base64')) return '235 2.7.0 Authentication successful';
    return answer(() => ['AUTH LOGIN'])(line, secure);
  };
  const local = await scriptedTls(t, auth);
  t.equal((await send(pool(t, local.url.replace('//', '//batch:pw@')))).reply, '250 2.0.0 queued', 'loopback: sent');
  await t.test(
    'a relay on another address',
    { skip: external ? false : 'no IPv4 address but loopback here' },
    async (t) => {
      const server = await scriptedTls(t, auth, { host: external });
      const d = await send(pool(t, server.url.replace('//', '//batch:pw@')));
      const label = server.label.replace('//', '//batch@');
      const reason = `${label}: the credentials are not sent over a connection without TLS; use smtps:// or STARTTLS, or add ?auth=plain-text-ok to the relay URL to allow it`;
      t.same(d, unreachable('auth', label, `no relay could be reached: ${reason}`));
      t.notOk(
        server.lines().some((l) => l.startsWith('AUTH')),
        'no AUTH was sent',
      );
      const allowed = await send(pool(t, `${server.url.replace('//', '//batch:pw@')}?auth=plain-text-ok`));
      t.equal(allowed.reply, '250 2.0.0 queued');
      // The first connection's QUIT may come in anywhere.
      t.same(
        server
          .lines()
          .filter((l) => l !== 'QUIT')
          .slice(1, 5),
        ['EHLO client.test', 'AUTH LOGIN', 'YmF0Y2g=', 'cHc='],
      );
    },
  );
});

t.test('relay URL settings', async (t) => {
  t.same(
    parseRelayUrls(
      'smtp://mx.example:587?starttls=required&ca=/etc/ssl/corp-ca.pem,smtp://u:p@mx2.example?auth=plain-text-ok&starttls=none',
    ),
    [
      {
        host: 'mx.example',
        port: 587,
        secure: false,
        label: 'smtp://mx.example:587',
        starttls: 'required',
        ca: '/etc/ssl/corp-ca.pem',
      },
      {
        host: 'mx2.example',
        port: 25,
        secure: false,
        label: 'smtp://u@mx2.example',
        user: 'u',
        pass: 'p',
        starttls: 'none',
        authInClear: true,
      },
    ],
  );
  for (const [bad, reason] of [
    [
      'smtp://mx.example?starttls=yes',
      "relay 'smtp://mx.example': starttls='yes' is not one of required, opportunistic, none",
    ],
    [
      'smtps://mx.example?starttls=required',
      "relay 'smtps://mx.example': starttls= is for smtp://; smtps:// is TLS from the start",
    ],
    ['smtp://mx.example?tls=insecure', "relay 'smtp://mx.example': unknown setting 'tls' (known: starttls, ca, auth)"],
    ['smtp://mx.example?ca=', "relay 'smtp://mx.example': ca= names no file"],
    ['smtp://mx.example?ca=/a&ca=/b', "relay 'smtp://mx.example' names ca= twice"],
    ['smtp://mx.example?auth=yes', "relay 'smtp://mx.example': auth='yes' is not plain-text-ok"],
    ['smtp://mx.example/x?starttls=none', "relay 'smtp://mx.example' has a path; give only host, port and ?settings"],
    ['smtp://batch:s3cret@bad host', "relay 'smtp://batch:***@bad host' is not a URL like smtp://host:port"],
  ] as const) {
    t.throws(() => parseRelayUrls(bad), { message: reason, code: 'CICSMAIL_RELAY_URL' }, bad);
  }
});

t.test('CICSMAIL_SMTP_STARTTLS and CICSMAIL_SMTP_CA reach the pool the workers make', async (t) => {
  const dir = freshDir(t);
  const base = { CICSMAIL_DATA: dir };
  t.match(loadConfig(base).smtp, { starttls: 'opportunistic', ca: null });
  t.throws(() => loadConfig({ ...base, CICSMAIL_SMTP_STARTTLS: 'always' }), {
    message: "CICSMAIL_SMTP_STARTTLS: 'always' is not one of required, opportunistic, none",
  });
  t.throws(() => loadConfig({ ...base, CICSMAIL_SMTP_CA: join(dir, 'none.pem') }), {
    message: `CICSMAIL_SMTP_CA: cannot read the CA file ${join(dir, 'none.pem')}: ENOENT`,
  });
  writeFileSync(join(dir, 'not.pem'), 'hello');
  t.throws(() => loadConfig({ ...base, CICSMAIL_SMTP_CA: join(dir, 'not.pem') }), {
    message: `CICSMAIL_SMTP_CA: ${join(dir, 'not.pem')} holds no PEM certificate`,
  });
  t.throws(() => loadConfig({ ...base, CICSMAIL_RELAY: `smtp://mx.example?ca=${join(dir, 'none.pem')}` }), {
    message: `CICSMAIL_RELAY: smtp://mx.example: cannot read the CA file ${join(dir, 'none.pem')}: ENOENT`,
  });

  const relay = await tlsRelay(t);
  const config = loadConfig({
    ...base,
    CICSMAIL_RELAY: relay.url,
    CICSMAIL_SMTP_STARTTLS: 'REQUIRED',
    CICSMAIL_SMTP_CA: certs.ca,
  });
  t.match(config.smtp, { starttls: 'required', ca: certs.ca });
  // As transactions/services.ts makes it.
  const p = new SmtpPool({ ...config.smtp, relays: config.relays, clientName: config.hostname });
  t.teardown(() => p.close());
  t.equal((await send(p)).kind, 'sent');
  t.same(relay.secure, [true]);
});

t.test(
  'the embedded capture relay (loopback, no TLS) is used in clear whatever CICSMAIL_SMTP_STARTTLS says',
  async (t) => {
    const region = await startRegion(t, { CICSMAIL_SMTP_STARTTLS: 'required' });
    t.match(region.app.relays, [{ host: '127.0.0.1', starttls: 'none' }]);
    t.equal(region.config.smtp.starttls, 'required');
  },
);
