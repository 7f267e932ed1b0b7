// SPOL's datastream parser: the FAQ's example, every reason with its line, error recovery,
// dot-unstuffing, and properties over random streams.
import fc from 'fast-check';
import t from 'tap';
import { textLines } from '../../cics/text-lines.js';
import { parseDatastream, type SpoolItem, type SpoolMail } from '../../transactions/spool/datastream.js';
import { doubling, doublingText, LINEAR_RATIO } from '../helpers/doubling.js';

// contract/spool-datastream.md, as a job writes it.
const FAQ = `HELO BAR.COM
MAIL FROM:<foo@bar.com>
RCPT TO:<wayne@bar.com>
DATA
Date: Fri, 16 Jul 2010 13:41:30 -0400
From: "Commissioner Gordon" <foo@bar.com>
Subject: DAILY REPORT OF DISK UTILIZATION
To: "Bruce Wayne" <wayne@bar.com>

Please fix the bulb in the searchlight
.
QUIT
`;

/** One mail's commands around its data lines (already stuffed). */
const mail = (from: string, to: string[], data: string[]) => [
  `MAIL FROM:<${from}>`,
  ...to.map((a) => `RCPT TO:<${a}>`),
  'DATA',
  ...data,
  '.',
];

function mailOf(item: SpoolItem | undefined): SpoolMail {
  if (!item?.ok) throw new Error(`expected a mail, got ${JSON.stringify(item)}`);
  return item.mail;
}

t.test("the FAQ's example is one mail, relayed as written", async (t) => {
  const items = parseDatastream(textLines(FAQ));
  t.equal(items.length, 1);
  t.equal(items[0]?.line, 2, 'the MAIL FROM line');
  const m = mailOf(items[0]);
  t.equal(m.from, 'foo@bar.com');
  t.same(m.to, ['wayne@bar.com']);
  t.equal(
    m.message,
    'Date: Fri, 16 Jul 2010 13:41:30 -0400\r\n' +
      'From: "Commissioner Gordon" <foo@bar.com>\r\n' +
      'Subject: DAILY REPORT OF DISK UTILIZATION\r\n' +
      'To: "Bruce Wayne" <wayne@bar.com>\r\n' +
      '\r\n' +
      'Please fix the bulb in the searchlight\r\n',
  );
  t.strictSame(m.authors, [{ name: 'Commissioner Gordon', address: 'foo@bar.com' }]);
  t.equal(m.hasDate, true);
  t.equal(m.messageId, null);
  t.equal(m.subject, 'DAILY REPORT OF DISK UTILIZATION');
});

t.test('several mails in one stream, with and without HELO between them', async (t) => {
  const lines = [
    'EHLO host.example',
    ...mail('a@x.example', ['b@y.example', 'c@y.example'], ['Subject: one', '', 'body 1']),
    ...mail('d@x.example', ['e@y.example'], ['Message-ID: <1@x.example>', '', 'body 2']),
    'HELO host.example',
    ...mail('f@x.example', ['g@y.example'], []),
    'QUIT',
  ];
  const items = parseDatastream(lines);
  t.same(
    items.map((i) => [i.ok, i.line]),
    [
      [true, 2],
      [true, 10],
      [true, 18],
    ],
  );
  const [one, two, three] = items.map((i) => mailOf(i));
  t.same(one?.to, ['b@y.example', 'c@y.example']);
  t.equal(one?.message, 'Subject: one\r\n\r\nbody 1\r\n');
  t.strictSame(one?.authors, [], 'no From: header');
  t.equal(two?.messageId, '<1@x.example>');
  t.equal(one?.subject, 'one');
  t.equal(two?.subject, '');
  t.equal(two?.hasDate, false);
  t.equal(three?.from, 'f@x.example');
  t.equal(three?.message, '', 'empty DATA');
});

t.test('a broken mail between two good ones: [ok, its error, ok]', async (t) => {
  const lines = [
    'HELO host.example',
    ...mail('a@x.example', ['b@y.example'], ['Subject: 1', '', 'x']), // 2-8
    'MAIL FROM:<a@x.example>', // 9
    'RCPT TO:<not an address>', // 10
    'RCPT TO:<b@y.example>',
    'DATA',
    // read as data, not as commands: no item of their own
    'MAIL FROM:<evil@x.example>',
    'VRFY root',
    '.',
    ...mail('c@x.example', ['d@y.example'], ['Subject: 3', '', 'z']), // 16-22
    'QUIT',
  ];
  const items = parseDatastream(lines);
  t.equal(items.length, 3);
  t.match(items[0], { ok: true, line: 2 });
  t.same(items[1], {
    ok: false,
    line: 10,
    reason: 'BADTO',
    message: "RCPT TO: 'not an address' is not local-part@domain",
  });
  t.match(items[2], { ok: true, line: 16 });
  t.equal(mailOf(items[2]).from, 'c@x.example');
});

/** The one item of a stream that must fail. */
t.test(
  'Idempotency-Key header lines: each value, unfolded and trimmed, in any case; a body line is none',
  async (t) => {
    const keysOf = (data: string[]) =>
      mailOf(parseDatastream(mail('a@b.example', ['c@d.example'], data))[0]).requestKeys;
    t.same(keysOf(['Subject: s', 'Idempotency-Key: k-1', '', 'body']), ['k-1']);
    t.same(keysOf(['IDEMPOTENCY-key :\t k-2 ', 'Subject: s']), ['k-2'], 'blanks before the colon and around the value');
    t.same(keysOf(['Idempotency-Key:', ' k-3']), ['k-3'], 'folded');
    t.same(keysOf(['Idempotency-Key: a', 'Idempotency-Key: b']), ['a', 'b'], 'each line, for the region to judge');
    t.same(keysOf(['Subject: s', '', 'Idempotency-Key: in-the-body']), [], 'after the blank line it is body text');
    t.same(keysOf(['X-Idempotency-Key: x', 'Idempotency-Keys: y']), [], 'other names');
    t.same(keysOf(['Idempotency-Key: two words']), ['two words'], "as written: the key rule is the region's");
  },
);

function failure(lines: string[]) {
  const items = parseDatastream(lines);
  return items.length === 1 && items[0] && !items[0].ok
    ? { line: items[0].line, reason: items[0].reason, message: items[0].message }
    : items;
}

t.test('NOMAIL: a stream with no MAIL FROM … DATA', async (t) => {
  const nomail = {
    line: 1,
    reason: 'NOMAIL',
    message: 'the stream holds no MAIL FROM ... DATA: there is no mail to send',
  };
  t.same(failure([]), nomail, 'no lines');
  t.same(failure(['']), nomail, 'one empty line');
  t.same(failure(textLines('')), nomail, 'empty input through textLines');
  t.same(failure(['QUIT']), nomail, 'only QUIT');
  t.same(failure(['HELO bar.com', 'QUIT', '', '']), nomail, 'HELO and QUIT');
  t.same(
    failure(['HELO bar.com', 'NOOP', 'MAIL FROM:<a@b.example>', 'RCPT TO:<c@d.example>', 'RSET', 'QUIT']),
    nomail,
    'a mail abandoned by RSET',
  );
});

t.test('BADCMD: unknown commands, HELO without a domain, operands where none belong', async (t) => {
  t.same(failure(['HELO x.example', 'VRFY root', 'QUIT']), {
    line: 2,
    reason: 'BADCMD',
    message: 'unknown command VRFY',
  });
  t.same(failure(['helo']), { line: 1, reason: 'BADCMD', message: 'HELO without a domain' });
  t.same(failure(['NOOP', '  EHLO']), { line: 2, reason: 'BADCMD', message: 'EHLO without a domain' });
  t.same(failure(['QUIT now']), { line: 1, reason: 'BADCMD', message: "QUIT takes no operand: 'QUIT now'" });
  t.same(
    failure(['X'.repeat(100)]),
    { line: 1, reason: 'BADCMD', message: `unknown command ${'X'.repeat(40)}...` },
    'long names are cut',
  );
  // inside a mail: the mail fails, its DATA is consumed, the next mail is read
  const items = parseDatastream([
    'MAIL FROM:<a@b.example>',
    'EXPN staff',
    'RCPT TO:<c@d.example>',
    'DATA x',
    'body',
    '.',
    ...mail('a@b.example', ['c@d.example'], ['hi']),
  ]);
  t.same(items, [
    { ok: false, line: 2, reason: 'BADCMD', message: 'unknown command EXPN' },
    {
      ok: true,
      line: 7,
      mail: {
        from: 'a@b.example',
        to: ['c@d.example'],
        message: 'hi\r\n',
        authors: [],
        badAuthor: null,
        messageId: null,
        hasDate: false,
        subject: '',
        requestKeys: [],
      },
    },
  ]);
  t.same(failure(['MAIL FROM:<a@b.example>', 'RCPT TO:<c@d.example>', 'DATA now', 'x', '.']), {
    line: 3,
    reason: 'BADCMD',
    message: "DATA takes no operand: 'DATA now'",
  });
});

t.test('BADSEQ: commands out of order', async (t) => {
  t.same(failure(['HELO x.example', 'RCPT TO:<c@d.example>', 'DATA', 'MAIL FROM:<a@b.example>', '.', 'QUIT']), {
    line: 2,
    reason: 'BADSEQ',
    message: 'RCPT TO before MAIL FROM',
  });
  t.same(failure(['DATA', 'hello', '.']), { line: 1, reason: 'BADSEQ', message: 'DATA before MAIL FROM' });
  t.same(failure(['HELO x.example', 'MAIL FROM:<a@b.example>', 'DATA', 'hello', '.']), {
    line: 3,
    reason: 'BADSEQ',
    message: 'DATA before any RCPT TO (MAIL FROM at line 2)',
  });
  t.same(failure(['MAIL FROM:<a@b.example>', 'RCPT TO:<c@d.example>', 'MAIL FROM:<e@b.example>', 'DATA', 'x', '.']), {
    line: 3,
    reason: 'BADSEQ',
    message: 'MAIL FROM inside the mail begun at line 1; RSET first',
  });
  const afterQuit = parseDatastream([
    ...mail('a@b.example', ['c@d.example'], ['x']),
    'QUIT',
    '',
    'NOOP',
    ...mail('a@b.example', ['c@d.example'], ['y']),
  ]);
  t.same(
    afterQuit.map((i) => i.ok),
    [true, false],
    'the mail before QUIT, then one item',
  );
  t.same(afterQuit[1], { ok: false, line: 8, reason: 'BADSEQ', message: 'line 8 follows QUIT at line 6; nothing may' });
  t.same(
    failure(['QUIT', '', '  ', '']),
    { line: 1, reason: 'NOMAIL', message: 'the stream holds no MAIL FROM ... DATA: there is no mail to send' },
    'blank lines after QUIT are fine',
  );
  t.same(failure(['MAIL FROM:<a@b.example>', 'RCPT TO:<c@d.example>', 'QUIT']), {
    line: 1,
    reason: 'BADSEQ',
    message: 'MAIL FROM at line 1 has no DATA before QUIT at line 3',
  });
  t.same(failure(['HELO x', 'MAIL FROM:<a@b.example>', 'RCPT TO:<c@d.example>', '']), {
    line: 2,
    reason: 'BADSEQ',
    message: 'MAIL FROM at line 2 has no DATA before the end of the input',
  });
});

t.test('BADFROM: MAIL FROM that is not MAIL FROM:<address>', async (t) => {
  const badfrom = (line: string) => failure([line, 'RCPT TO:<c@d.example>', 'DATA', 'x', '.']);
  t.same(badfrom('MAIL FROM:<>'), {
    line: 1,
    reason: 'BADFROM',
    message: "MAIL FROM:<> is the null reverse-path of a bounce; a job's mail needs a sender address",
  });
  t.same(badfrom('MAIL FROM:<> SIZE=10'), {
    line: 1,
    reason: 'BADFROM',
    message: "MAIL FROM:<> is the null reverse-path of a bounce; a job's mail needs a sender address",
  });
  t.same(badfrom('MAIL FROM:foo@bar.com'), {
    line: 1,
    reason: 'BADFROM',
    message: "'MAIL FROM:foo@bar.com' is not MAIL FROM:<address>, optionally followed by parameters",
  });
  t.same(badfrom('MAIL'), {
    line: 1,
    reason: 'BADFROM',
    message: "'MAIL' is not MAIL FROM:<address>, optionally followed by parameters",
  });
  t.same(badfrom('MAIL FROM:<a@b.example>SIZE=1'), {
    line: 1,
    reason: 'BADFROM',
    message: "'MAIL FROM:<a@b.example>SIZE=1' is not MAIL FROM:<address>, optionally followed by parameters",
  });
  t.same(badfrom('MAIL FROM:<a@b.example> SIZE=1=2'), {
    line: 1,
    reason: 'BADFROM',
    message: "'MAIL FROM:<a@b.example> SIZE=1=2' is not MAIL FROM:<address>, optionally followed by parameters",
  });
  t.same(badfrom('MAIL FROM:<foo>'), {
    line: 1,
    reason: 'BADFROM',
    message: "MAIL FROM: 'foo' is not local-part@domain",
  });
  t.same(badfrom('MAIL FROM:<foo@bar..com>'), {
    line: 1,
    reason: 'BADFROM',
    message: "MAIL FROM: 'foo@bar..com': the domain is not valid",
  });
  // a refused MAIL FROM fails its mail only
  const items = parseDatastream([
    'MAIL FROM:<>',
    'RCPT TO:<c@d.example>',
    'DATA',
    'x',
    '.',
    ...mail('a@b.example', ['c@d.example'], ['y']),
  ]);
  t.same(
    items.map((i) => [i.ok, i.line]),
    [
      [false, 1],
      [true, 6],
    ],
  );
});

t.test('BADTO: RCPT TO that is not RCPT TO:<address>', async (t) => {
  const badto = (line: string) => failure(['MAIL FROM:<a@b.example>', 'RCPT TO:<c@d.example>', line, 'DATA', 'x', '.']);
  t.same(badto('RCPT TO:<>'), { line: 3, reason: 'BADTO', message: "RCPT TO: '' is not local-part@domain" });
  t.same(badto('RCPT TO:c@d.example'), {
    line: 3,
    reason: 'BADTO',
    message: "'RCPT TO:c@d.example' is not RCPT TO:<address>, optionally followed by parameters",
  });
  t.same(badto('RCPT TO:<j rg@d.example>'), {
    line: 3,
    reason: 'BADTO',
    message: "RCPT TO: 'j rg@d.example': the local part is not valid",
  });
  t.equal(
    mailOf(parseDatastream(mail('a@b.example', ['jörg@d.example'], ['x']))[0]).to[0],
    'jörg@d.example',
    'UTF-8 (RFC 6531)',
  );
  t.same(badto('RCPT FROM:<c@d.example>'), {
    line: 3,
    reason: 'BADTO',
    message: "'RCPT FROM:<c@d.example>' is not RCPT TO:<address>, optionally followed by parameters",
  });
  // the first error of a mail is its item; later ones are not reported
  t.same(failure(['MAIL FROM:<a@b.example>', 'RCPT TO:<x>', 'RCPT TO:<y>', 'VRFY', 'DATA', '.']), {
    line: 2,
    reason: 'BADTO',
    message: "RCPT TO: 'x' is not local-part@domain",
  });
});

t.test('NODOT: DATA that runs to the end of the input', async (t) => {
  const nodot = {
    reason: 'NODOT',
    message: "DATA at line 4 has no line holding a single '.': its data runs to the end of the input",
  };
  t.same(
    failure(['HELO x', 'MAIL FROM:<a@b.example>', 'RCPT TO:<c@d.example>', 'DATA', 'hi', '. ', '..', 'QUIT', '']),
    { line: 4, ...nodot },
    "'. ' and '..' do not end DATA",
  );
  t.same(
    failure(['HELO x', 'MAIL FROM:<a@b.example>', 'RCPT TO:<x>', 'DATA', 'hi']),
    { line: 4, ...nodot },
    'even where the mail failed before',
  );
  const items = parseDatastream([
    ...mail('a@b.example', ['c@d.example'], ['x']),
    'MAIL FROM:<a@b.example>',
    'RCPT TO:<c@d.example>',
    'DATA',
  ]);
  t.same(
    items.map((i) => [i.ok, i.line]),
    [
      [true, 1],
      [false, 8],
    ],
  );
});

t.test('LONGLINE: a data line over 998 octets in UTF-8', async (t) => {
  const ok = parseDatastream(
    mail('a@b.example', ['c@d.example'], ['Subject: x', '', 'a'.repeat(998), 'é'.repeat(499), '.' + 'b'.repeat(998)]),
  );
  t.equal(ok[0]?.ok, true, '998 octets, 998 in two-octet characters, 998 after unstuffing');
  t.same(failure(mail('a@b.example', ['c@d.example'], ['Subject: x', '', 'a'.repeat(999)])), {
    line: 6,
    reason: 'LONGLINE',
    message: 'line 6 is 999 octets long; RFC 5322 2.1.1 allows 998',
  });
  t.same(failure(mail('a@b.example', ['c@d.example'], ['', 'é'.repeat(500)])), {
    line: 5,
    reason: 'LONGLINE',
    message: 'line 5 is 1000 octets long; RFC 5322 2.1.1 allows 998',
  });
  t.same(failure(mail('a@b.example', ['c@d.example'], ['😀'.repeat(250)])), {
    line: 4,
    reason: 'LONGLINE',
    message: 'line 4 is 1000 octets long; RFC 5322 2.1.1 allows 998',
  });
});

t.test('CTLCHAR: control characters in commands and header lines', async (t) => {
  t.same(failure(mail('a@b.example', ['c@d.example'], ['Subject: a\x07b', '', 'x'])), {
    line: 4,
    reason: 'CTLCHAR',
    message: 'a control character, U+0007, in line 4',
  });
  t.same(failure(mail('a@b.example', ['c@d.example'], ['Subject: x', ' folded\x85', '', 'x'])), {
    line: 5,
    reason: 'CTLCHAR',
    message: 'a control character, U+0085, in line 5',
  });
  t.same(failure(['HELO x', 'MAIL FROM:<a@b.example>\x00', 'RCPT TO:<c@d.example>', 'DATA', 'x', '.']), {
    line: 2,
    reason: 'CTLCHAR',
    message: 'a control character, U+0000, in line 2',
  });
  t.same(failure(['HELO\x1bx']), { line: 1, reason: 'CTLCHAR', message: 'a control character, U+001B, in line 1' });
  t.equal(
    parseDatastream(
      mail('a@b.example', ['c@d.example'], ['Subject:\tx', '', 'body\x0c with a form feed and\ta tab']),
    )[0]?.ok,
    true,
    'HT anywhere, other controls in the body are fine',
  );
  t.same(
    failure(mail('a@b.example', ['c@d.example'], ['', 'body', 'smuggled\r\n.\r\nMAIL FROM:<x@y.example>'])),
    {
      line: 6,
      reason: 'CTLCHAR',
      message: 'a control character, U+000D, in line 6',
    },
    'never a bare CR or LF, even in the body',
  );
});

t.test('dot-unstuffing (RFC 5321 4.5.2)', async (t) => {
  const m = mailOf(parseDatastream(mail('a@b.example', ['c@d.example'], ['', '..', '...x', '.x', 'a.b', ' .']))[0]);
  t.equal(m.message, '\r\n.\r\n..x\r\nx\r\na.b\r\n .\r\n');
});

t.test('RSET, NOOP and repeated EHLO', async (t) => {
  const items = parseDatastream([
    'EHLO one.example',
    'NOOP',
    'MAIL FROM:<a@b.example>',
    'RCPT TO:<c@d.example>',
    'RSET', // abandons the mail above, no item
    'NOOP keep alive',
    'MAIL FROM:<e@b.example>',
    'EHLO two.example', // resets too
    'MAIL FROM:<f@b.example>',
    'RCPT TO:<g@d.example>',
    'NOOP',
    'DATA',
    'x',
    '.',
    'EHLO three.example',
    'QUIT',
  ]);
  t.same(
    items.map((i) => [i.ok, i.line]),
    [[true, 9]],
  );
  t.equal(mailOf(items[0]).from, 'f@b.example');
  // RSET after an error does not hide it
  t.same(failure(['MAIL FROM:<a@b.example>', 'RCPT TO:<x>', 'RSET', 'QUIT']), {
    line: 2,
    reason: 'BADTO',
    message: "RCPT TO: 'x' is not local-part@domain",
  });
});

t.test('commands in any case, with leading blanks, parameters and duplicate recipients', async (t) => {
  const items = parseDatastream([
    '  helo bar.com',
    'mail from:<Foo@Bar.com> SIZE=123 BODY=8BITMIME',
    'Rcpt To: <wayne@bar.com> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;wayne@bar.com',
    'rcpt to:<WAYNE@BAR.COM>',
    '\trcpt to:<robin@bar.com>',
    'rcpt to:<wayne@bar.com>',
    'data',
    'x',
    '.',
    'quit',
  ]);
  const m = mailOf(items[0]);
  t.equal(m.from, 'Foo@Bar.com');
  t.same(m.to, ['wayne@bar.com', 'robin@bar.com'], 'duplicates removed whatever their case; the first spelling kept');
});

t.test('From:, Message-ID: and Date: headers', async (t) => {
  const headers = (lines: string[]) => mailOf(parseDatastream(mail('a@b.example', ['c@d.example'], lines))[0]);
  const folded = headers([
    'from: "Commissioner',
    '\t Gordon" <foo@bar.com>,',
    '  robin@bar.com',
    'MESSAGE-ID : <1@bar.com>',
    'DATE: today',
    '',
    'From: body@bar.com',
  ]);
  t.strictSame(folded.authors, [
    { name: 'Commissioner\t Gordon', address: 'foo@bar.com' },
    { name: '', address: 'robin@bar.com' },
  ]);
  t.equal(folded.messageId, '<1@bar.com>');
  t.equal(folded.hasDate, true);
  t.equal(folded.message.split('\r\n')[1], '\t Gordon" <foo@bar.com>,', 'relayed as written, still folded');
  t.strictSame(
    headers(['From: foo@bar.com (Gordon)', '', 'x']).authors,
    [{ name: 'Gordon', address: 'foo@bar.com' }],
    'the old form with a comment for the name',
  );
  t.strictSame(headers(['From: foo@bar.com Gordon', '', 'x']).badAuthor, {
    field: 'From',
    reason: "'Gordon' is not an address",
  });
  t.strictSame(headers(['Sender: ', 'From: foo@bar.com', '', 'x']).badAuthor, {
    field: 'Sender',
    reason: 'it names no address',
  });
  t.strictSame(
    headers(['From: foo@bar.com', 'Subject: x', 'From: ceo@bar.com']).authors,
    [
      { name: '', address: 'foo@bar.com' },
      { name: '', address: 'ceo@bar.com' },
    ],
    'every From: header counts',
  );
  t.strictSame(
    headers([
      'From: foo@bar.com',
      'SENDER: Boss <ceo@bar.com>',
      'Resent-From: cfo@bar.com',
      'resent-sender: cto@bar.com',
      'Reply-To: any@where.example',
    ]).authors.map((a) => a.address),
    ['foo@bar.com', 'ceo@bar.com', 'cfo@bar.com', 'cto@bar.com'],
    'Sender, Resent-From and Resent-Sender name senders too; Reply-To does not',
  );
  t.strictSame(
    headers(['Subject: x', '', 'From: foo@bar.com', 'Date: x', 'Message-ID: <x@y>']).authors,
    [],
    'fields in the body are no headers',
  );
  const none = headers(['', 'From: foo@bar.com']);
  t.strictSame(none.authors, []);
  t.equal(none.hasDate, false);
});

t.test('5 MB of data lines', async (t) => {
  const body = Array.from({ length: 70_000 }, (_, i) => `${i % 10 === 0 ? '.' : ''}${'x'.repeat(70)}${i}`);
  const items = parseDatastream([
    'HELO x',
    ...mail('a@b.example', ['c@d.example'], ['Subject: big', '', ...body]),
    'QUIT',
  ]);
  const m = mailOf(items[0]);
  t.ok(m.message.length > 5_000_000);
  t.equal(m.message.split('\r\n').length, 70_003);
});

// Lines from the command words, with and without operands, among arbitrary strings.
const WORDS = [
  'HELO x',
  'EHLO',
  'MAIL FROM:<a@b.example>',
  'MAIL FROM:<>',
  'mail from:<x>',
  'RCPT TO:<c@d.example>',
  'RCPT TO:<>',
  'DATA',
  '.',
  '..',
  '',
  'RSET',
  'NOOP',
  'QUIT',
  'VRFY',
];
const anyLine = fc.oneof(
  fc.constantFrom(...WORDS),
  fc.tuple(fc.constantFrom(...WORDS), fc.string({ maxLength: 20 })).map(([w, s]) => w + s),
  fc.string({ unit: 'binary', maxLength: 30 }),
);

t.test('property: any stream is read without a throw, and every line is in range', async (t) => {
  fc.assert(
    fc.property(fc.array(anyLine, { maxLength: 40 }), (lines) => {
      const items = parseDatastream(lines);
      if (items.length === 0) return false;
      return items.every((i) => Number.isInteger(i.line) && i.line >= 1 && i.line <= Math.max(1, lines.length));
    }),
    { numRuns: 2000 },
  );
  t.pass('held');
});

t.test('property: stuffing a valid message and parsing it gives it back', async (t) => {
  const CONTROLS = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/g;
  const messageLine = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 80 }),
    fc.constantFrom('.', '..', '.x', ''),
    fc.constantFrom(...WORDS),
  );
  fc.assert(
    fc.property(
      fc.array(
        messageLine.map((s) => s.replace(CONTROLS, '')),
        { maxLength: 30 },
      ),
      (message) => {
        const stuffed = message.map((l) => (l.startsWith('.') ? `.${l}` : l));
        const items = parseDatastream(['HELO x', ...mail('a@b.example', ['c@d.example'], stuffed), 'QUIT']);
        return (
          items.length === 1 &&
          items[0]?.ok === true &&
          items[0].mail.message === message.map((l) => `${l}\r\n`).join('')
        );
      },
    ),
    { numRuns: 1000 },
  );
  t.pass('held');
});

t.test('work in proportion to the stream: doubling it about doubles the time, hostile shapes too', async (t) => {
  const many = <T>(n: number, one: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => one(i));
  const envelope = ['MAIL FROM:<a@b.example>', 'RCPT TO:<r@b.example>', 'DATA'];
  const shapes: [string, (n: number) => string[], number][] = [
    [
      'mails',
      (n) =>
        many(n, (i) => [
          'MAIL FROM:<a@b.example>',
          `RCPT TO:<r${i}@b.example>`,
          'DATA',
          'From: a@b.example',
          'Subject: x',
          '',
          'hi',
          '.',
        ]).flat(),
      500,
    ],
    [
      'recipients',
      (n) => ['MAIL FROM:<a@b.example>', ...many(n, (i) => `RCPT TO:<r${i}@b.example>`), 'DATA', '.'],
      2000,
    ],
    [
      'one recipient again and again',
      (n) => ['MAIL FROM:<a@b.example>', ...many(n, () => 'RCPT TO:<R@b.example>'), 'DATA', '.'],
      2000,
    ],
    ['data lines', (n) => [...envelope, 'Subject: x', '', ...many(n, () => 'x'.repeat(60)), '.'], 10_000],
    ['header lines', (n) => [...envelope, ...many(n, (i) => `X-H${i}: v`), '', 'x', '.'], 5000],
    [
      'a From folded over many lines',
      (n) => [...envelope, 'From: a@b.example', ...many(n, (i) => ` , a${i}@b.example`), '', '.'],
      2000,
    ],
    [
      // Folded: a line of its own would be over 998 octets.
      'a From whose name has many words',
      (n) => [...envelope, 'From: w', ...many(n, () => ' w w w w w w w w w w'), ' <a@b.example>', '', '.'],
      200,
    ],
    ['From headers', (n) => [...envelope, ...many(n, (i) => `From: a${i}@b.example`), '', '.'], 2000],
    ['DATA that never ends', (n) => [...envelope, ...many(n, () => 'x')], 10_000],
    ['DATA before MAIL, again and again', (n) => many(n, () => 'DATA'), 2000],
    ['DATA and a dot, again and again', (n) => many(n, () => ['DATA', '.']).flat(), 2000],
    ['unknown commands', (n) => many(n, () => 'FOO'), 5000],
    ['MAIL FROM again and again', (n) => many(n, () => 'MAIL FROM:<a@b.example>'), 5000],
    ['a run of blanks after MAIL FROM', (n) => [`MAIL FROM:<a@b.example>${' '.repeat(n)}!`], 50_000],
    ['many parameters', (n) => [`MAIL FROM:<a@b.example>${' A'.repeat(n)}!`], 20_000],
    ['a long field name', (n) => [...envelope, `${'X'.repeat(n)} `, '.'], 50_000],
    ['blanks before a colon', (n) => [...envelope, `X${' '.repeat(n)}y`, '.'], 50_000],
    ['a line too long', (n) => [...envelope, '', 'x'.repeat(n), '.'], 50_000],
    ['lines after QUIT', (n) => ['QUIT', ...many(n, () => '')], 5000],
  ];
  for (const [shape, make, n] of shapes) {
    const figures = await doubling(make, parseDatastream, { n, maxN: n });
    t.ok(figures.ratio < LINEAR_RATIO, `${shape}: ${doublingText(figures)}`);
  }
});
