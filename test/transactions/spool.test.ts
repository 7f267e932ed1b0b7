// SPOL end to end: the FAQ's SMTP datastream, written in EBCDIC by glibc iconv, relayed
// whole to a real SMTP relay: headers as written, only Message-ID added.
import t from 'tap';
import { simpleParser } from 'mailparser';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { ebcdicLines, fromEbcdic } from '../helpers/ebcdic.js';
import { parseWithPython } from '../helpers/mail-check.js';

const relay = await startRelay(t);
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });

// docs/spool-datastream.md, from the FAQ.
const FAQ = [
  'HELO BAR.COM',
  'MAIL FROM:<foo@bar.com>',
  'RCPT TO:<wayne@bar.com>',
  'DATA',
  'Date: Fri, 16 Jul 2010 13:41:30 -0400',
  'From: "Commissioner Gordon" <foo@bar.com>',
  'Subject: DAILY REPORT OF DISK UTILIZATION',
  'To: "Bruce Wayne" <wayne@bar.com>',
  '',
  'Please fix the bulb in the searchlight',
  '.',
  'QUIT',
];

async function spool(input: Buffer, ccsid = 37) {
  const res = await region.post('SPOL', input, { 'x-cics-ccsid': String(ccsid) });
  const body = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    rc: res.headers.get('x-mail-rc'),
    report: res.status === 200 ? fromEbcdic(body, ccsid).split('\u0085').slice(0, -1) : [],
  };
}

const SENT = /^RC=00 SEQ=(\d+) MSGID=(<[^>]+>) 250 Ok: queued as \d+$/;

for (const ccsid of [37, 273]) {
  t.test(`the FAQ's datastream in CCSID ${ccsid} arrives with its headers as written`, async (t) => {
    const input = ebcdicLines(FAQ, ccsid);
    if (ccsid === 273) t.ok(input.includes(0xb5) && !input.includes(0x7c), "273 writes @ as x'B5'");
    const before = relay.mails.length;
    const answer = await spool(input, ccsid);
    t.equal(answer.status, 200);
    t.equal(answer.rc, '0');
    const sent = SENT.exec(answer.report[0] ?? '');
    t.ok(sent, answer.report[0] ?? '');
    t.equal(relay.mails.length, before + 1);
    const got = relay.mails[before]!;
    t.equal(got.from, 'foo@bar.com');
    t.same(got.to, ['wayne@bar.com']);
    const expected = `Message-ID: ${sent?.[2]}\r\n${FAQ.slice(4, 10).join('\r\n')}\r\n`;
    t.equal(got.message.toString('latin1'), expected, 'the message as written, only a Message-ID added');
    t.match(sent?.[2] ?? '', /^<[0-9a-f-]{36}@region\.test>$/);
    const py = await parseWithPython(got.message);
    t.equal(py.from_name, 'Commissioner Gordon');
    t.equal(py.subject, 'DAILY REPORT OF DISK UTILIZATION');
    t.same(py.defects, []);
    const record = region.journal().get(Number(sent?.[1]))!;
    t.equal(record.tranid, 'SPOL');
    t.equal(record.subject, 'DAILY REPORT OF DISK UTILIZATION');
    t.equal(record.ccsid, ccsid);
    t.equal(record.state, 'SENT');
  });
}

t.test('three mails in one stream, the second broken: RC 8 with its line, the other two relayed', async (t) => {
  const mail = (from: string, to: string, subject: string) => [
    `MAIL FROM:<${from}>`,
    `RCPT TO:<${to}>`,
    'DATA',
    `Subject: ${subject}`,
    '',
    'body',
    '.',
  ];
  const lines = [
    'EHLO job.example',
    ...mail('a@corp.example', 'b@corp.example', 'one'),
    'RCPT TO:<x@corp.example>',
    'DATA',
    'Subject: two',
    '',
    '.',
    ...mail('c@corp.example', 'd@corp.example', 'three'),
    'QUIT',
  ];
  const before = relay.mails.length;
  const answer = await spool(ebcdicLines(lines, 1047), 1047);
  t.equal(answer.rc, '8');
  t.equal(answer.report.length, 3);
  t.match(answer.report[0] ?? '', SENT);
  t.equal(answer.report[1], 'RC=08 LINE=9 RCPT TO before MAIL FROM');
  t.match(answer.report[2] ?? '', SENT);
  const subjects = await Promise.all(
    relay.mails.slice(before).map(async (m) => (await simpleParser(m.message)).subject),
  );
  t.same(subjects, ['one', 'three']);
  t.ok(
    relay.mails
      .slice(before)
      .every((m) =>
        /\r\nDate: [A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000\r\n/.test(
          `\r\n${m.message.toString()}`,
        ),
      ),
    'a Date added where the stream had none',
  );
});

t.test('dot-stuffing, a Message-ID of its own, and text beyond ASCII', async (t) => {
  const lines = [
    'HELO x',
    'MAIL FROM:<a@corp.example>',
    'RCPT TO:<b@corp.example>',
    'DATA',
    'Message-ID: <own@corp.example>',
    'Date: Fri, 16 Jul 2010 13:41:30 -0400',
    'Subject: Größe',
    '',
    '..leading dot',
    '...',
    'Grüße aus Frankfurt',
    '.',
  ];
  const before = relay.mails.length;
  const answer = await spool(ebcdicLines(lines, 273), 273);
  t.match(answer.report[0] ?? '', /^RC=00 SEQ=\d+ MSGID=<own@corp\.example> 250/);
  const got = relay.mails[before]!;
  const text = got.message.toString('utf8');
  t.notMatch(text, /^Message-ID: <[0-9a-f-]{36}/m, 'no second Message-ID');
  t.match(text, /\r\n\r\n\.leading dot\r\n\.\.\r\nGrüße aus Frankfurt\r\n$/, 'unstuffed once, relayed in UTF-8');
  const parsed = await simpleParser(got.message);
  t.equal(parsed.text, '.leading dot\n..\nGrüße aus Frankfurt\n', 'declared as UTF-8, so a reader gets the letters');
  t.equal(parsed.messageId, '<own@corp.example>');
});

t.test('broken and hostile streams: each with its exact report line, nothing relayed', async (t) => {
  const cases: [string, string[], string][] = [
    [
      'DATA without the final dot',
      ['HELO x', 'MAIL FROM:<a@corp.example>', 'RCPT TO:<b@corp.example>', 'DATA', 'Subject: x', '', 'no end'],
      "RC=08 LINE=4 DATA at line 4 has no line holding a single '.': its data runs to the end of the input",
    ],
    [
      'RCPT before MAIL',
      ['HELO x', 'RCPT TO:<b@corp.example>', 'MAIL FROM:<a@corp.example>', 'DATA', 'x', '.'],
      'RC=08 LINE=2 RCPT TO before MAIL FROM',
    ],
    ['only QUIT', ['QUIT'], 'RC=08 LINE=1 the stream holds no MAIL FROM ... DATA: there is no mail to send'],
    ['unknown command', ['HELO x', 'VRFY root'], 'RC=08 LINE=2 unknown command VRFY'],
    [
      'null sender',
      ['HELO x', 'MAIL FROM:<>', 'RCPT TO:<b@corp.example>', 'DATA', 'x', '.'],
      "RC=08 LINE=2 MAIL FROM:<> is the null reverse-path of a bounce; a job's mail needs a sender address",
    ],
    [
      'NUL in a header line',
      [
        'HELO x',
        'MAIL FROM:<a@corp.example>',
        'RCPT TO:<b@corp.example>',
        'DATA',
        'Subject: a\u0000Bcc: evil@x.example',
        '',
        'x',
        '.',
      ],
      'RC=08 LINE=5 a control character, U+0000, in line 5',
    ],
    [
      'a line of 1,000 octets',
      ['HELO x', 'MAIL FROM:<a@corp.example>', 'RCPT TO:<b@corp.example>', 'DATA', '', 'x'.repeat(1000), '.'],
      'RC=08 LINE=6 line 6 is 1000 octets long; RFC 5322 2.1.1 allows 998',
    ],
  ];
  const before = relay.mails.length;
  for (const [name, lines, line] of cases) {
    const answer = await spool(ebcdicLines(lines, 37));
    t.equal(answer.status, 200, name);
    t.same(answer.report, [line], name);
    t.equal(answer.rc, '8', name);
  }
  const empty = await spool(Buffer.alloc(0));
  t.same(
    empty.report,
    ['RC=08 LINE=1 the stream holds no MAIL FROM ... DATA: there is no mail to send'],
    'an empty COMMAREA',
  );
  t.equal(relay.mails.length, before, 'nothing reached the relay');
});
