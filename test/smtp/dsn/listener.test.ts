// The bounce listener against real clients (the project's SMTP client, and a raw socket for
// what that client would never send): only this region's return paths, no relay, the size
// and rate limits, STARTTLS, the owner's verdicts, and every refusal counted with its reason.
import { connect } from 'node:net';
import t from 'tap';
import FakeTimers from '@sinonjs/fake-timers';
import type { Clock } from '../../../cics/clock.js';
import { BounceListener, type BounceListenerOptions, type ReceivedBounce } from '../../../smtp/dsn/listener.js';
import { parseReturnPath } from '../../../smtp/dsn/return-path.js';
import { testPool } from '../../helpers/smtp.js';
import { freshDir, type TestLike } from '../../helpers/test-like.js';
import { makeCerts } from '../../helpers/certs.js';
import { QMAIL_BOUNCE, reportMail, textMail } from './samples.js';

const template = parseReturnPath('bounce+{sysid}.{seq}@bounce.example');
if (!template.ok) throw new Error(template.reason);
const TO = 'bounce+prd1.42@bounce.example';
const NOBODY = {
  final: 'rfc822; nobody@example.test',
  action: 'failed',
  status: '5.1.1',
  diagnostic: 'X-Postfix; unknown user: "nobody@example.test"',
};

async function startListener(t: TestLike, options: Partial<BounceListenerOptions> = {}) {
  const bounces: ReceivedBounce[] = [];
  const listener = await BounceListener.start({
    host: '127.0.0.1',
    port: 0,
    name: 'bounces.test',
    returnPath: template.ok ? template.template : (undefined as never),
    sysid: 'PRD1',
    maxBytes: 64 * 1024,
    ratePerMinute: 0,
    maxClients: 10,
    onBounce: (bounce) => {
      bounces.push(bounce);
      return { accept: true };
    },
    ...options,
  });
  t.teardown(() => listener.close());
  return { listener, bounces, url: `smtp://127.0.0.1:${listener.port}` };
}

/** Says each command on a fresh connection and collects the replies, the greeting first; a Buffer is sent as it is. */
async function talk(port: number, commands: readonly (string | Buffer)[]): Promise<string[]> {
  const socket = connect(port, '127.0.0.1');
  let pending = '';
  let lines: string[] = [];
  const replies: string[] = [];
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    pending += chunk.toString('latin1');
    let nl: number;
    while ((nl = pending.indexOf('\r\n')) !== -1) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 2);
      lines.push(line);
      if (/^\d{3} /.test(line) || /^\d{3}$/.test(line)) {
        replies.push(lines.join('\n'));
        lines = [];
        wake?.();
      }
    }
  });
  const reply = async (n: number) => {
    while (replies.length < n) await new Promise<void>((resolve) => (wake = resolve));
  };
  await reply(1);
  for (const [i, command] of commands.entries()) {
    socket.write(typeof command === 'string' ? `${command}\r\n` : command);
    await reply(i + 2);
  }
  socket.destroy();
  return replies;
}

t.test('a DSN to a return path: read, handed over with its bytes, taken', async (t) => {
  const { listener, bounces, url } = await startListener(t);
  const raw = reportMail({ recipients: [NOBODY] });
  const delivery = await testPool(t, url).send('', [TO], raw);
  t.same(delivery, {
    kind: 'sent',
    relay: url,
    reply: '250 2.0.0 bounce for PRD1.42 taken',
    refused: [],
    accepted: [TO],
  });
  t.equal(bounces.length, 1);
  const [bounce] = bounces;
  t.match(bounce, { to: TO, from: '', remote: '127.0.0.1' });
  t.equal(Buffer.from(bounce?.raw ?? []).toString('latin1'), raw.toString('latin1'), 'the bytes as sent');
  t.match(bounce?.reading, {
    kind: 'dsn',
    sysid: 'PRD1',
    seq: 42,
    recipients: [{ finalRecipient: { value: 'nobody@example.test' }, action: 'failed', status: '5.1.1' }],
  });
  const guess = await testPool(t, url).send('', ['BOUNCE+PRD1.43@bounce.example'], QMAIL_BOUNCE);
  t.equal(guess.kind, 'sent');
  t.match(bounces[1]?.reading, { kind: 'guess', seq: 43, rule: 'reply-line', status: '5.1.1' });
  t.same(listener.counts(), { accepted: 2, refused: {} });
});

t.test('no relay: any other recipient is refused at RCPT, and counted', async (t) => {
  const { listener, bounces } = await startListener(t);
  const replies = await talk(listener.port, [
    'EHLO client.test',
    'MAIL FROM:<>',
    'RCPT TO:<someone@elsewhere.example>',
    'RCPT TO:<postmaster@bounce.example>',
    'RCPT TO:<bounce+prd1.042@bounce.example>',
    'RCPT TO:<bounce+prd2.42@bounce.example>',
    `RCPT TO:<${TO}>`,
    `RCPT TO:<bounce+prd1.43@bounce.example>`,
    'QUIT',
  ]);
  t.match(replies[0], /^220 bounces\.test ESMTP bounces only$/);
  t.match(replies[1], /^250-bounces\.test Nice to meet you, \[127\.0\.0\.1\]\n/, 'no reverse DNS lookup');
  t.notMatch(replies[1], /STARTTLS|AUTH|DSN/, 'no STARTTLS without a certificate, no AUTH, no DSN');
  t.match(replies[1], /^250[ -]SIZE 65536$/m);
  t.same(replies.slice(2), [
    '250 Accepted',
    '550 5.1.1 <someone@elsewhere.example> is no return path here, and this host relays nothing',
    '550 5.1.1 <postmaster@bounce.example> is no return path here, and this host relays nothing',
    '550 5.1.1 <bounce+prd1.042@bounce.example> is no return path here, and this host relays nothing',
    '550 5.1.1 <bounce+prd2.42@bounce.example> is a return path of PRD2, not of this region (PRD1)',
    '250 Accepted',
    '452 4.5.3 one return path a bounce; send the next in a transaction of its own',
    '221 Bye',
  ]);
  t.equal(bounces.length, 0);
  t.same(listener.counts(), { accepted: 0, refused: { NOTOURS: 3, OTHERREGION: 1, TOOMANYRCPT: 1 } });
});

t.test('size: SIZE in EHLO, a larger MAIL refused, a larger message refused after the dot', async (t) => {
  const { listener, bounces } = await startListener(t, { maxBytes: 2000 });
  const big = Buffer.from(`From: MAILER-DAEMON@x.example\r\n\r\n${'x'.repeat(70)}\r\n`.repeat(60));
  const replies = await talk(listener.port, [
    'EHLO client.test',
    'MAIL FROM:<> SIZE=5000',
    'MAIL FROM:<>',
    `RCPT TO:<${TO}>`,
    'DATA',
    Buffer.concat([big, Buffer.from('.\r\n')]),
  ]);
  t.same(replies.slice(2), [
    '552 Error: message exceeds fixed maximum message size 2000',
    '250 Accepted',
    '250 Accepted',
    '354 End data with <CR><LF>.<CR><LF>',
    '552 Error: message exceeds fixed maximum message size 2000',
  ]);
  t.equal(bounces.length, 0);
  t.same(listener.counts().refused, { TOOLARGE: 1 });
});

t.test('rate: past the bounces a minute of one address, 451 until the next minute', async (t) => {
  const fake = FakeTimers.createClock(Date.UTC(2026, 11, 5, 12, 0, 0));
  const clock: Clock = {
    now: () => fake.now,
    setTimeout: (fn, ms) => fake.setTimeout(fn, ms),
    clearTimeout: (id) => fake.clearTimeout(id as never),
  };
  const { listener, bounces, url } = await startListener(t, { ratePerMinute: 2, clock });
  const p = testPool(t, url, { maxConnections: 1 });
  const raw = reportMail({ recipients: [NOBODY] });
  const kinds = [];
  for (let i = 0; i < 3; i++) kinds.push((await p.send('', [TO], raw)).reply);
  fake.tick(60_000);
  kinds.push((await p.send('', [TO], raw)).reply);
  t.same(kinds, [
    '250 2.0.0 bounce for PRD1.42 taken',
    '250 2.0.0 bounce for PRD1.42 taken',
    '451 4.7.1 127.0.0.1 has sent 2 bounces this minute; try again later',
    '250 2.0.0 bounce for PRD1.42 taken',
  ]);
  t.equal(bounces.length, 3);
  t.same(listener.counts(), { accepted: 3, refused: { RATE: 1 } });
});

t.test("what the reader refuses, and the owner's own verdicts, each answered and counted", async (t) => {
  let verdict: 'accept' | 'refuse' | 'throw' = 'refuse';
  const { listener, url } = await startListener(t, {
    onBounce: () => {
      if (verdict === 'throw') throw new Error('journal full');
      return verdict === 'accept'
        ? { accept: true }
        : { accept: false, reason: 'UNKNOWNMAIL', detail: 'PRD1.42 was never sent' };
    },
  });
  const p = testPool(t, url);
  const replyTo = async (raw: Buffer) => (await p.send('', [TO], raw)).reply;
  t.equal(
    await replyTo(textMail('Jane <jane@far.example>', 'Out of office', 'Away until Monday')),
    '554 5.6.0 NOSTATUS: no delivery-status part, and From "jane@far.example" is no mailer daemon',
  );
  t.equal(
    await replyTo(reportMail({ envid: 'PRD1.7', recipients: [NOBODY] })),
    '554 5.6.0 ENVIDMISMATCH: Original-Envelope-Id "PRD1.7" is not PRD1.42, the mail its return path names',
  );
  t.equal(await replyTo(reportMail({ recipients: [NOBODY] })), '550 5.7.1 UNKNOWNMAIL: PRD1.42 was never sent');
  verdict = 'throw';
  t.equal(
    await replyTo(reportMail({ recipients: [NOBODY] })),
    '451 4.3.0 the bounce could not be recorded now; try again later',
  );
  verdict = 'accept';
  t.equal(await replyTo(reportMail({ recipients: [NOBODY] })), '250 2.0.0 bounce for PRD1.42 taken');
  t.same(listener.counts(), {
    accepted: 1,
    refused: { NOSTATUS: 1, ENVIDMISMATCH: 1, UNKNOWNMAIL: 1, CALLBACK: 1 },
  });
});

t.test('STARTTLS with the given certificate: offered, and a bounce taken over TLS', async (t) => {
  const certs = makeCerts(freshDir(t));
  const { listener, bounces } = await startListener(t, { tls: certs.server });
  const replies = await talk(listener.port, ['EHLO client.test']);
  t.match(replies[1], /^250-STARTTLS$/m);
  const url = `smtp://127.0.0.1:${listener.port}?starttls=required&ca=${certs.ca}`;
  const delivery = await testPool(t, url).send('', [TO], reportMail({ recipients: [NOBODY] }));
  t.equal(delivery.reply, '250 2.0.0 bounce for PRD1.42 taken');
  t.equal(bounces.length, 1);
});
