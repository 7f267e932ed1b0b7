// 8BITMIME (RFC 6152) and SMTPUTF8 (RFC 6531) against Postfix's smtp-sink (which offers
// 8BITMIME unless -8, and never SMTPUTF8) and smtp-server (which offers both), with the
// MAIL FROM parameters as the servers saw them.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { connect, createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { startRelay } from '../helpers/relay.js';
import { refusal } from '../helpers/smtp.js';
import { freshDir, type TestLike } from '../helpers/test-like.js';
import { SmtpPool } from '../../smtp/pool.js';
import { parseRelayUrls } from '../../smtp/relay-url.js';

const SINK = '/usr/sbin/smtp-sink';
const skip = existsSync(SINK) ? false : 'Postfix smtp-sink is not installed (Debian postfix)';

function pool(t: TestLike, url: string): SmtpPool {
  const p = new SmtpPool({
    relays: parseRelayUrls(url),
    clientName: 'client.test',
    maxConnections: 1,
    maxMailsPerConnection: 100,
    idleTimeout: 5000,
    timeouts: { connect: 2000, command: 2000, final: 2000 },
  });
  t.teardown(() => p.close());
  return p;
}

interface Dump {
  readonly mailArgs: string;
  readonly rcptArgs: readonly string[];
  /** The message as smtp-sink wrote it (LF line ends, an empty line after). */
  readonly message: string;
}

/** smtp-sink on a free loopback port, dumping each mail into a folder of its own. */
async function startSink(t: TestLike, flags: readonly string[] = []) {
  const dir = freshDir(t);
  chmodSync(dir, 0o777); // smtp-sink writes as nobody
  const free = createServer();
  await new Promise<void>((resolve) => free.listen(0, '127.0.0.1', resolve));
  const port = (free.address() as AddressInfo).port;
  await new Promise((resolve) => free.close(resolve));
  const asRoot = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
  const child = spawn(SINK, [...asRoot, ...flags, '-d', `${dir}/%M.`, `127.0.0.1:${port}`, '16'], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  t.teardown(() => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill();
    return exited;
  });
  for (let i = 0; ; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => resolve(true)).on('error', () => resolve(false));
      s.once('connect', () => s.destroy());
    });
    if (up) break;
    if (i === 100) throw new Error(`smtp-sink did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const dumps = (): Dump[] =>
    readdirSync(dir).map((name) => {
      const text = readFileSync(join(dir, name), 'utf8');
      const head = text.slice(0, text.indexOf('\nReceived: '));
      return {
        mailArgs: /^X-Mail-Args: (.*)$/m.exec(head)?.[1] ?? '',
        rcptArgs: [...head.matchAll(/^X-Rcpt-Args: (.*)$/gm)].map((m) => m[1] ?? ''),
        message: text.replace(/^[\s\S]*?\nReceived: .*\n\t.*\n\t.*\n/, ''),
      };
    });
  return { url: `smtp://127.0.0.1:${port}`, dumps };
}

const ascii = Buffer.from('From: a@x.example\r\nSubject: plain\r\n\r\nhello\r\n');
const eightBitBody = Buffer.from(
  'From: a@x.example\r\nSubject: plain\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße aus Köln\r\n',
);
const utf8Header = Buffer.from('From: "Kommissar Grün" <a@x.example>\r\nSubject: Größe\r\n\r\nhello\r\n');
/** The message as smtp-sink dumps it. */
const lf = (b: Buffer) => `${b.toString('utf8').replace(/\r\n/g, '\n')}\n`;

t.test('BODY=8BITMIME with a message of 8-bit octets, and only then', { skip }, async (t) => {
  const sink = await startSink(t);
  const p = pool(t, sink.url);
  t.same(await p.send('a@x.example', ['b@y.example'], ascii), {
    kind: 'sent',
    relay: sink.url,
    reply: '250 2.0.0 Ok',
    refused: [],
    accepted: ['b@y.example'],
  });
  t.same(await p.send('a@x.example', ['b@y.example'], eightBitBody), {
    kind: 'sent',
    relay: sink.url,
    reply: '250 2.0.0 Ok',
    refused: [],
    accepted: ['b@y.example'],
  });
  // UTF-8 in the header: no SMTPUTF8 to ask for, the header goes as 8-bit data.
  t.equal((await p.send('a@x.example', ['b@y.example'], utf8Header)).kind, 'sent');
  t.same(
    sink
      .dumps()
      .map((d) => [d.mailArgs, d.message])
      .sort(),
    [
      ['<a@x.example>', lf(ascii)],
      ['<a@x.example> BODY=8BITMIME', lf(eightBitBody)],
      ['<a@x.example> BODY=8BITMIME', lf(utf8Header)],
    ].sort(),
  );
});

t.test(
  'a relay without 8BITMIME (smtp-sink -8): an 8-bit message fails for good, unsent (RFC 6152 3)',
  { skip },
  async (t) => {
    const sink = await startSink(t, ['-8']);
    const p = pool(t, sink.url);
    const reply = `554 5.6.3 the message has 8-bit octets and ${sink.url} does not offer 8BITMIME (RFC 6152)`;
    t.same(await p.send('a@x.example', ['b@y.example'], eightBitBody), {
      kind: 'failed',
      relay: sink.url,
      reply,
      accepted: [],
      refused: [],
      failure: { kind: 'unsendable', message: reply },
    });
    // The connection was not touched: the next mail goes over it.
    t.equal(p.openConnections, 1);
    t.equal((await p.send('a@x.example', ['b@y.example'], ascii)).reply, '250 2.0.0 Ok');
    t.same(
      sink.dumps().map((d) => d.mailArgs),
      ['<a@x.example>'],
    );
  },
);

t.test('enhanced status codes as the relay gives them (smtp-sink -E gives none)', { skip }, async (t) => {
  const plain = await startSink(t, ['-E', '-B', '550 mailbox unavailable', '-f', 'RCPT']);
  const { delivery, failure } = refusal(await pool(t, plain.url).send('a@x.example', ['b@y.example'], ascii));
  t.same(delivery, {
    kind: 'failed',
    relay: plain.url,
    reply: '550 mailbox unavailable',
    accepted: [],
    refused: [{ recipient: 'b@y.example', reply: '550 mailbox unavailable' }],
  });
  t.same(failure, {
    kind: 'reply',
    message: '550 mailbox unavailable',
    reply: { code: 550, enhanced: null, lines: ['mailbox unavailable'] },
  });
  const enhanced = await startSink(t, ['-B', '550 5.1.1 <b@y.example>: Recipient address rejected', '-f', 'RCPT']);
  t.equal(
    (await pool(t, enhanced.url).send('a@x.example', ['b@y.example'], ascii)).reply,
    '550 5.1.1 <b@y.example>: Recipient address rejected',
  );
});

t.test(
  'a non-ASCII address to a relay without SMTPUTF8: refused for good, the others still get the mail',
  { skip },
  async (t) => {
    const sink = await startSink(t);
    const p = pool(t, sink.url);
    const no = (a: string) => `553 5.6.7 <${a}> is not ASCII and ${sink.url} does not offer SMTPUTF8 (RFC 6531)`;
    const unsendable = (reply: string, refused: { recipient: string; reply: string }[]) => ({
      kind: 'failed',
      relay: sink.url,
      reply,
      accepted: [],
      refused,
      failure: { kind: 'unsendable', message: reply },
    });
    t.same(
      await p.send('a@x.example', ['jörg@y.example'], ascii),
      unsendable(no('jörg@y.example'), [{ recipient: 'jörg@y.example', reply: no('jörg@y.example') }]),
    );
    t.same(await p.send('grün@x.example', ['b@y.example'], ascii), unsendable(no('grün@x.example'), []));
    t.same(await p.send('a@x.example', ['b@y.example', 'jörg@y.example', 'c@y.example'], ascii), {
      kind: 'sent',
      relay: sink.url,
      reply: '250 2.0.0 Ok',
      refused: [{ recipient: 'jörg@y.example', reply: no('jörg@y.example') }],
      accepted: ['b@y.example', 'c@y.example'],
    });
    t.same(
      sink.dumps().map((d) => d.rcptArgs),
      [['<b@y.example>', '<c@y.example>']],
    );
    t.equal(p.openConnections, 1, 'no crash, no broken connection');
  },
);

t.test('SMTPUTF8 where the relay offers it: for a UTF-8 address or header, not otherwise', async (t) => {
  const seen: Array<{ body: string | undefined; utf8: boolean | undefined }> = [];
  const relay = await startRelay(t, {
    data: (_m, session) => void seen.push({ body: session.envelope.bodyType, utf8: session.envelope.smtpUtf8 }),
  });
  const p = pool(t, relay.url);
  for (const [from, to, msg] of [
    ['a@x.example', 'jörg@y.example', ascii],
    ['grün@x.example', 'b@y.example', ascii],
    ['a@x.example', 'b@y.example', utf8Header],
    ['a@x.example', 'b@y.example', eightBitBody],
    ['a@x.example', 'b@y.example', ascii],
  ] as const) {
    t.equal((await p.send(from, [to], msg)).kind, 'sent', `${from} to ${to}`);
  }
  t.same(seen, [
    { body: '7bit', utf8: true },
    { body: '7bit', utf8: true },
    { body: '8bitmime', utf8: true },
    { body: '8bitmime', utf8: false },
    { body: '7bit', utf8: false },
  ]);
  t.same(
    relay.mails.slice(0, 2).map((m) => [m.from, m.to]),
    [
      ['a@x.example', ['jörg@y.example']],
      ['grün@x.example', ['b@y.example']],
    ],
    'the addresses went in UTF-8',
  );
});

t.test('an address with a CR or LF is refused, not written: no command injection', async (t) => {
  const relay = await startRelay(t);
  const p = pool(t, relay.url);
  const evil = 'b@y.example>\r\nRCPT TO:<evil@z.example';
  t.same(await p.send('a@x.example', [evil, 'c@y.example'], ascii), {
    kind: 'sent',
    relay: relay.url,
    reply: '250 Ok: queued as 1',
    refused: [
      { recipient: evil, reply: '553 5.1.3 "b@y.example>\\r\\nRCPT TO:<evil@z.example" has a control character' },
    ],
    accepted: ['c@y.example'],
  });
  t.same(
    relay.mails.map((m) => m.to),
    [['c@y.example']],
  );
  const reply = '553 5.1.7 "a@x.example\\n" has a control character';
  t.same(await p.send('a@x.example\n', ['c@y.example'], ascii), {
    kind: 'failed',
    relay: relay.url,
    reply,
    accepted: [],
    refused: [],
    failure: { kind: 'unsendable', message: reply },
  });
});
