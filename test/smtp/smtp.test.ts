// The SMTP client against real servers: smtp-server for the protocol, a scripted server
// for the faults, with exact replies asserted.
import t from 'tap';
import { startRelay, startScriptedSmtp, type ScriptedSession } from '../helpers/relay.js';
import { refusal, testPool, unreachable } from '../helpers/smtp.js';
import { type TestLike } from '../helpers/test-like.js';
import type { FailureKind } from '../../smtp/delivery.js';
import { SmtpPool, type PoolOptions } from '../../smtp/pool.js';
import { ReplyParser, formatReply, type SmtpReply } from '../../smtp/reply.js';
import { parseRelayUrl, parseRelayUrls } from '../../smtp/relay-url.js';

const pool = (t: TestLike, url: string, options: Partial<PoolOptions> = {}): SmtpPool => testPool(t, url, options);

const message = (body: string) => Buffer.from(`From: a@x.example\r\nTo: b@y.example\r\nSubject: t\r\n\r\n${body}`);

t.test('reply parser: multi-line, enhanced codes, bare LF, garbage', async (t) => {
  const replies: SmtpReply[] = [];
  const errors: string[] = [];
  const parser = new ReplyParser(
    (r) => replies.push(r),
    (e) => errors.push(e),
  );
  parser.push(Buffer.from('250-mx.example hello\r\n250-PIPELINING\r\n250 SIZE 1000\r\n'));
  parser.push(Buffer.from('550 5.1.1 <x@y>: user unknown\n45'));
  parser.push(Buffer.from('1 4.3.0 try\r\nlater\r\n'));
  t.same(replies.map(formatReply), [
    '250 mx.example hello PIPELINING SIZE 1000',
    '550 5.1.1 <x@y>: user unknown',
    '451 4.3.0 try',
  ]);
  t.same(replies[1], { code: 550, enhanced: '5.1.1', lines: ['<x@y>: user unknown'] });
  t.same(errors, ['not an SMTP reply: "later"']);
});

t.test('reply parser: RFC 3463 codes on every line of a multi-line reply are kept once, as given', async (t) => {
  const replies: SmtpReply[] = [];
  const errors: string[] = [];
  const parser = new ReplyParser(
    (r) => replies.push(r),
    (e) => errors.push(e),
  );
  parser.push(
    Buffer.from(
      '550-5.7.1 [192.0.2.2] Our system has detected\r\n550-5.7.1 that this message is\r\n550 5.7.1 likely unsolicited mail. - gsmtp\r\n',
    ),
  );
  parser.push(Buffer.from('451-4.3.0 first\r\n451-4.7.1 second says otherwise\r\n451 third\r\n250\r\n'));
  t.same(replies.map(formatReply), [
    '550 5.7.1 [192.0.2.2] Our system has detected that this message is likely unsolicited mail. - gsmtp',
    '451 4.3.0 first 4.7.1 second says otherwise third',
    '250',
  ]);
  t.same(replies[0], {
    code: 550,
    enhanced: '5.7.1',
    lines: ['[192.0.2.2] Our system has detected', 'that this message is', 'likely unsolicited mail. - gsmtp'],
  });
  t.same(errors, []);
});

t.test('relay URLs', async (t) => {
  t.match(parseRelayUrl('smtp://mx.example'), {
    host: 'mx.example',
    port: 25,
    secure: false,
    label: 'smtp://mx.example',
  });
  t.match(parseRelayUrl('smtps://u%40x:p%3Aw@mx.example:2465'), {
    host: 'mx.example',
    port: 2465,
    secure: true,
    user: 'u@x',
    pass: 'p:w',
    label: 'smtps://u%40x@mx.example:2465',
  });
  t.match(parseRelayUrl('smtp://[::1]:2525'), { host: '::1', port: 2525 });
  t.equal(parseRelayUrls(' smtp://a:1 , smtp://b:2 ').length, 2);
  for (const [bad, message] of [
    ['mx.example:25', /^relay scheme 'mx.example:' is not smtp: or smtps:$/],
    ['no url', /^relay 'no url' is not a URL like smtp:\/\/host:port$/],
    ['http://user:secret@mx.example', /^relay scheme 'http:' is not smtp: or smtps:$/],
    ['smtp://mx.example/path', /^relay 'smtp:\/\/mx\.example' has a path; give only host, port and \?settings$/],
    ['', /no relay URL given/],
  ] as const) {
    t.throws(() => parseRelayUrls(bad), { message }, bad);
  }
});

t.test('pipelined send; dot-stuffing keeps every byte', async (t) => {
  const relay = await startRelay(t);
  const p = pool(t, relay.url);
  const body = '.leading dot\r\n..two dots\r\n.\r\nmiddle . dot\r\n. \r\nlast line without CRLF';
  const delivery = await p.send('a@x.example', ['b@y.example', 'c@y.example'], message(body));
  t.same(delivery, {
    kind: 'sent',
    relay: relay.url,
    reply: '250 Ok: queued as 1',
    refused: [],
    accepted: ['b@y.example', 'c@y.example'],
  });
  t.equal(
    relay.mails[0]?.message.toString('latin1'),
    message(body).toString('latin1') + '\r\n',
    'unstuffed by the server to the exact bytes, CRLF added at the end',
  );
  t.same(relay.mails[0]?.to, ['b@y.example', 'c@y.example']);
});

t.test('a bounded pool: 60 mails at once over at most 3 connections, 10 mails a connection', async (t) => {
  const relay = await startRelay(t);
  const p = pool(t, relay.url, { maxConnections: 3, maxMailsPerConnection: 10 });
  const results = await Promise.all(
    Array.from({ length: 60 }, (_, i) => p.send('a@x.example', [`r${i}@y.example`], message(`mail ${i}`))),
  );
  t.equal(results.filter((r) => r.kind === 'sent').length, 60);
  t.equal(relay.mails.length, 60);
  t.ok(p.openConnections <= 3, `open now: ${p.openConnections}`);
  t.ok(
    relay.connections() >= 6 && relay.connections() <= 9,
    `connections made: ${relay.connections()} (60 mails / 10 a connection, at most 3 at once)`,
  );
});

t.test('a relay without EHLO: HELO and one command at a time', async (t) => {
  const seen: string[] = [];
  const server = await startScriptedSmtp(t, {
    onLine: (line) => {
      seen.push(line.split(' ')[0] ?? '');
      if (line.startsWith('EHLO')) return '502 5.5.1 EHLO not implemented';
      if (line.startsWith('HELO')) return '250 scripted';
      if (line.startsWith('MAIL') || line.startsWith('RCPT')) return '250 ok';
      if (line === 'DATA') return '354 go on';
      if (line === '.') return '250 2.0.0 queued';
      return '250 ok';
    },
  });
  const delivery = await pool(t, server.url).send('a@x.example', ['b@y.example'], message('hi\r\n'));
  t.same(delivery, {
    kind: 'sent',
    relay: server.url,
    reply: '250 2.0.0 queued',
    refused: [],
    accepted: ['b@y.example'],
  });
  t.same(seen, ['EHLO', 'HELO', 'MAIL', 'RCPT', 'DATA', '.']);
});

/** A server that greets, takes EHLO with PIPELINING, then acts as `fault` says. */
async function faulty(
  t: Parameters<typeof startScriptedSmtp>[0],
  fault: (line: string, s: ScriptedSession) => string | string[] | null | undefined,
  greet?: string | null,
) {
  return startScriptedSmtp(t, {
    ...(greet !== undefined ? { greet } : {}),
    onLine: (line, s) => {
      const r = fault(line, s);
      if (r !== undefined) return r;
      if (line.startsWith('EHLO')) return ['250-scripted', '250 PIPELINING'];
      if (line === 'DATA') return '354 go on';
      if (line === '.') return '250 2.0.0 queued';
      if (line === 'QUIT') return '221 bye';
      return '250 ok';
    },
  });
}

t.test('faults end in the right delivery, with the reason', async (t) => {
  const cases: Array<[string, Parameters<typeof faulty>[1], string | null | undefined, string, RegExp, FailureKind]> = [
    [
      '421 at greeting',
      () => undefined,
      '421 4.3.2 too busy',
      'deferred',
      /^no relay could be reached: smtp:\/\/127\.0\.0\.1:\d+ greeted with 421 4\.3\.2 too busy$/,
      'connect',
    ],
    [
      'no greeting in time',
      () => undefined,
      null,
      'deferred',
      /^no relay could be reached: no reply to greeting from smtp:\/\/127\.0\.0\.1:\d+ within 300 ms$/,
      'timeout',
    ],
    [
      'connection dropped mid-DATA',
      (line, s) => (line === 'DATA' ? (setTimeout(() => s.socket.destroy(), 20), '354 go on') : undefined),
      undefined,
      'deferred',
      /closed the connection$/,
      'broken',
    ],
    [
      'dropped after the dot, before the reply',
      (line, s) => (line === '.' ? (s.socket.destroy(), null) : undefined),
      undefined,
      'deferred',
      /closed the connection$/,
      'broken',
    ],
    [
      'no reply after the dot',
      (line) => (line === '.' ? null : undefined),
      undefined,
      'deferred',
      /^no reply to end of data from smtp:\/\/127\.0\.0\.1:\d+ within 300 ms$/,
      'timeout',
    ],
    [
      '421 at RCPT',
      (line) => (line.startsWith('RCPT') ? '421 4.3.0 closing' : undefined),
      undefined,
      'deferred',
      /^421 4\.3\.0 closing$/,
      'reply',
    ],
    [
      '503 for DATA',
      (line) => (line === 'DATA' ? '503 5.5.1 no valid recipients' : undefined),
      undefined,
      'failed',
      /^503 5\.5\.1 no valid recipients$/,
      'reply',
    ],
    [
      '421 at MAIL on a fresh connection',
      (line) => (line.startsWith('MAIL') ? '421 4.7.0 shutting down' : undefined),
      undefined,
      'deferred',
      /^421 4\.7\.0 shutting down$/,
      'reply',
    ],
    [
      '421 after the dot',
      (line) => (line === '.' ? '421 4.4.2 timeout' : undefined),
      undefined,
      'deferred',
      /^421 4\.4\.2 timeout$/,
      'reply',
    ],
    [
      '250 to DATA: the message never went, so it is not sent',
      (line) => (line === 'DATA' ? '250 2.0.0 odd' : undefined),
      undefined,
      'deferred',
      /^250 2\.0\.0 odd$/,
      'reply',
    ],
    [
      'not SMTP at all',
      () => undefined,
      'HTTP/1.1 400 Bad Request',
      'deferred',
      /^no relay could be reached: protocol error from smtp:\/\/127\.0\.0\.1:\d+: not an SMTP reply/,
      'protocol',
    ],
  ];
  for (const [name, fault, greet, kind, reply, failure] of cases) {
    await t.test(name, async (t) => {
      const server = await faulty(t, fault, greet);
      const p = pool(t, server.url, { timeouts: { connect: 300, command: 300, final: 300 } });
      const delivery = await p.send('a@x.example', ['b@y.example'], message('x\r\n'));
      t.equal(delivery.kind, kind);
      t.match(delivery.reply, reply);
      t.equal(refusal(delivery).failure?.kind, failure, 'the failure says what kind it is, not only in words');
      // A refusal (or an odd reply, then RSET) leaves the connection good; anything else breaks it.
      t.equal(
        p.openConnections,
        kind === 'failed' || name.startsWith('250 to DATA') ? 1 : 0,
        'only a sound connection is kept',
      );
    });
  }
});

t.test('a reused connection the relay quietly closed is replaced, not failed', async (t) => {
  let mails = 0;
  const server = await faulty(t, (line, s) => {
    if (line !== '.') return undefined;
    mails++;
    // Answer the first mail, then hang up as an idle-timeout would.
    setTimeout(() => s.socket.destroy(), 10);
    return `250 2.0.0 queued ${mails}`;
  });
  const p = pool(t, server.url);
  t.equal((await p.send('a@x.example', ['b@y.example'], message('1\r\n'))).reply, '250 2.0.0 queued 1');
  await new Promise((r) => setTimeout(r, 50));
  t.equal((await p.send('a@x.example', ['b@y.example'], message('2\r\n'))).reply, '250 2.0.0 queued 2');
  t.equal(server.connections(), 2);
});

t.test("a message over the relay's SIZE is refused before it is sent", async (t) => {
  const relay = await startRelay(t, { options: { size: 100 } });
  const delivery = await pool(t, relay.url).send('a@x.example', ['b@y.example'], message('x'.repeat(200)));
  const reply = "552 5.3.4 message of 250 bytes is over the relay's SIZE limit of 100";
  t.same(delivery, {
    kind: 'failed',
    relay: relay.url,
    reply,
    accepted: [],
    refused: [],
    failure: { kind: 'unsendable', message: reply },
  });
  t.equal(relay.mails.length, 0);
});

t.test('421 to MAIL on a reused connection (the relay timed it out): tried again on a fresh one', async (t) => {
  let connection = 0;
  const server = await startScriptedSmtp(t, {
    onLine: (line, s) => {
      if (line.startsWith('EHLO')) {
        connection++;
        (s as ScriptedSession & { n?: number }).n = connection;
        return ['250-scripted', '250 PIPELINING'];
      }
      if (
        line.startsWith('MAIL') &&
        (s as ScriptedSession & { n?: number; mails?: number }).n === 1 &&
        ((s as { mails?: number }).mails = ((s as { mails?: number }).mails ?? 0) + 1) === 2
      ) {
        setTimeout(() => s.socket.destroy(), 5);
        return '421 4.4.2 idle too long';
      }
      if (line === 'DATA') return '354 go on';
      if (line === '.') return `250 2.0.0 queued on ${(s as ScriptedSession & { n?: number }).n}`;
      return '250 ok';
    },
  });
  const p = pool(t, server.url, { maxConnections: 1 });
  t.equal((await p.send('a@x.example', ['b@y.example'], message('1\r\n'))).reply, '250 2.0.0 queued on 1');
  t.same(await p.send('a@x.example', ['b@y.example'], message('2\r\n')), {
    kind: 'sent',
    relay: server.url,
    reply: '250 2.0.0 queued on 2',
    refused: [],
    accepted: ['b@y.example'],
  });
});

t.test('recipients refused for now: the mail reaches the others and stays deferred for them', async (t) => {
  const relay = await startRelay(t, {
    rcptTo: (a) =>
      a.address.startsWith('full') ? Object.assign(new Error('mailbox full'), { responseCode: 452 }) : undefined,
  });
  const d = await pool(t, relay.url).send('a@x.example', ['ok@y.example', 'full@y.example'], message('x\r\n'));
  const { delivery, failure } = refusal(d);
  t.same(delivery, {
    kind: 'deferred',
    relay: relay.url,
    reply: '250 Ok: queued as 1',
    refused: [{ recipient: 'full@y.example', reply: '452 mailbox full' }],
    accepted: ['ok@y.example'],
  });
  t.match(
    failure,
    { kind: 'reply', message: '452 mailbox full', reply: { code: 452 } },
    'deferred for the recipient refused for now',
  );
  t.same(relay.mails[0]?.to, ['ok@y.example']);
});

t.test('a deadline ends a mail the relay does not finish, and a wait for a busy pool', async (t) => {
  // No 354: the message never went, so the mail is the retry spool's to send.
  const server = await faulty(t, (line) => (line === 'DATA' ? null : undefined));
  // The SMTP time-outs are a minute: the replies below can only come from the deadlines.
  const p = pool(t, server.url, { maxConnections: 1, timeouts: { connect: 60_000, command: 60_000, final: 60_000 } });
  const [first, second] = await Promise.all([
    p.send('a@x.example', ['b@y.example'], message('x\r\n'), Date.now() + 300),
    p.send('a@x.example', ['b@y.example'], message('y\r\n'), Date.now() + 200),
  ]);
  t.same(first, unreachable('timeout', server.url, "the relay did not finish the mail within the task's time limit"));
  t.same(
    second,
    unreachable('timeout', server.url, "no connection to the relay was free within the task's time limit"),
  );
  t.equal(p.openConnections, 0);
});

t.test('a deadline does not cut a mail after its final dot: the relay may have it', async (t) => {
  // The reply to the dot comes only once the deadline has passed (its timer came first):
  // cut then, the mail would be on record as not sent and go out a second time.
  let deadline = 0;
  const server = await faulty(t, (line, session) => {
    if (line !== '.') return undefined;
    setTimeout(() => session.socket.write('250 2.0.0 queued late\r\n'), Math.max(0, deadline - Date.now()) + 100);
    return null;
  });
  const p = pool(t, server.url, { timeouts: { connect: 60_000, command: 60_000, final: 60_000 } });
  deadline = Date.now() + 300;
  const d = await p.send('a@x.example', ['b@y.example'], message('x\r\n'), deadline);
  t.ok(Date.now() > deadline, 'answered after the deadline');
  t.match(d, { kind: 'sent', reply: '250 2.0.0 queued late', accepted: ['b@y.example'] });
});

t.test('a multi-line refusal with enhanced codes reaches the journal as one line', async (t) => {
  const server = await faulty(t, (line) =>
    line.startsWith('RCPT')
      ? [
          '550-5.1.1 The email account that you tried to reach does',
          '550-5.1.1 not exist. Please try double-checking the recipient',
          '550 5.1.1 address. - gsmtp',
        ]
      : undefined,
  );
  const reply =
    '550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient address. - gsmtp';
  const { delivery, failure } = refusal(
    await pool(t, server.url).send('a@x.example', ['b@y.example'], message('x\r\n')),
  );
  t.same(delivery, {
    kind: 'failed',
    relay: server.url,
    reply,
    accepted: [],
    refused: [{ recipient: 'b@y.example', reply }],
  });
  t.same(failure, {
    kind: 'reply',
    message: reply,
    reply: {
      code: 550,
      enhanced: '5.1.1',
      lines: [
        'The email account that you tried to reach does',
        'not exist. Please try double-checking the recipient',
        'address. - gsmtp',
      ],
    },
  });
});

// RFC 5321 4.5.3.2: the data block time-out, and the DATA termination one counted from the
// end of the data, not its start.
t.test('time-outs while the message goes out', async (t) => {
  const big = Buffer.alloc(16 * 1024 * 1024, 'x');
  for (let i = 76; i < big.length; i += 78) big.write('\r\n', i, 'latin1');
  const slowReader = (pauseMs: number | null) =>
    faulty(t, (line, s) => {
      if (line !== 'DATA') return undefined;
      // Read nothing for a while (or ever): the client's writes pile up unsent.
      s.socket.pause();
      if (pauseMs !== null) setTimeout(() => s.socket.resume(), pauseMs);
      return '354 go on';
    });

  await t.test('a relay that takes no data for the command time-out is given up', async (t) => {
    const server = await slowReader(null);
    const p = pool(t, server.url, { timeouts: { connect: 60_000, command: 400, final: 60_000 } });
    const d = await p.send('a@x.example', ['b@y.example'], big);
    t.equal(d.kind, 'deferred');
    const m = /^(.*) took none of the message for 400 ms \((\d+) bytes sent\)$/.exec(d.reply);
    t.equal(m?.[1], server.url, d.reply);
    t.ok(Number(m?.[2]) > 0 && Number(m?.[2]) < big.length, `some of it went: ${m?.[2]} bytes`);
    t.equal(p.openConnections, 0);
  });

  // (A relay that reads slowly but steadily is no stalled one: test/smtp/data.test.ts, on a clock of its own.)
  await t.test('a large mail that takes longer to send than the final time-out still gets its reply', async (t) => {
    // The relay reads nothing for 3 s, twice the final time-out: counted from the start of
    // the data, that time-out would end the mail.
    const server = await slowReader(3000);
    const p = pool(t, server.url, { timeouts: { connect: 60_000, command: 60_000, final: 1500 } });
    const d = await p.send('a@x.example', ['b@y.example'], big);
    t.same(d, { kind: 'sent', relay: server.url, reply: '250 2.0.0 queued', refused: [], accepted: ['b@y.example'] });
  });
});
