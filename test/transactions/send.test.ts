// SEND end to end: EBCDIC control statements (made by glibc iconv) over HTTP → region →
// worker → journal → a real SMTP relay; the report and X-Mail-RC checked to the byte.
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { simpleParser } from 'mailparser';
import { startRegion } from '../helpers/region.js';
import { startRelay, smtpError } from '../helpers/relay.js';
import { ebcdicLines, fromEbcdic } from '../helpers/ebcdic.js';
import { parseWithPython } from '../helpers/mail-check.js';

let refuseData = false;
const relay = await startRelay(t, {
  rcptTo: (a) => (a.address.startsWith('gone@') ? smtpError(550, '5.1.1 no such user') : undefined),
  data: () => (refuseData ? smtpError(554, '5.7.1 refused for good') : undefined),
});
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_SYSID: 'CICSPROD' });

interface Answer {
  status: number;
  rc: string | null;
  seqs: string | null;
  report: string[];
  body: Buffer;
}

async function send(lines: readonly string[], ccsid = 37, headers: Record<string, string> = {}): Promise<Answer> {
  return answerOf(
    await region.post('SEND', ebcdicLines(lines, ccsid), { 'x-cics-ccsid': String(ccsid), ...headers }),
    ccsid,
  );
}

async function answerOf(res: Response, ccsid: number): Promise<Answer> {
  const body = Buffer.from(await res.arrayBuffer());
  const report = res.status === 200 ? fromEbcdic(body, ccsid).split('\u0085').slice(0, -1) : [];
  return { status: res.status, rc: res.headers.get('x-mail-rc'), seqs: res.headers.get('x-journal-seq'), report, body };
}

const SENT = /^RC=00 SEQ=(\d+) MSGID=(<[0-9a-f-]{36}@region\.test>) 250 Ok: queued as \d+$/;

t.test('three mails, the second broken: RC 8 with its line, the other two sent', async (t) => {
  const before = relay.mails.length;
  const answer = await send([
    '* first mail',
    'FROM "Batch Report" <batch@corp.example>',
    'TO ops@corp.example',
    'SUBJECT one',
    'SEND',
    'FROM batch@corp.example',
    'TO ops@corp.example',
    'FRMO nobody',
    'SEND',
    'FROM batch@corp.example',
    'TO ops@corp.example',
    'SUBJECT three',
  ]);
  t.equal(answer.status, 200);
  t.equal(answer.rc, '8', 'X-Mail-RC is the highest RC');
  t.equal(answer.report.length, 3);
  const [one, two, three] = answer.report;
  const first = SENT.exec(one ?? '');
  const third = SENT.exec(three ?? '');
  t.ok(first, one ?? '');
  t.equal(two, 'RC=08 LINE=8 unknown statement FRMO');
  t.ok(third, three ?? '');
  t.equal(answer.seqs, `${first?.[1]},${third?.[1]}`);
  t.equal(relay.mails.length, before + 2);
  const subjects = await Promise.all(
    relay.mails.slice(before).map(async (m) => (await simpleParser(m.message)).subject),
  );
  t.same(subjects, ['one', 'three']);
  t.equal(region.journal().get(Number(first?.[1]))?.messageId, first?.[2], 'the report names the journaled Message-ID');
  t.equal(region.journal().get(Number(first?.[1]))?.tranid, 'SEND');
});

t.test('every statement: the mail the relay gets, read by mailparser and by Python', async (t) => {
  const binary = randomBytes(3000);
  const b64 = binary.toString('base64').match(/.{1,76}/g) ?? [];
  const before = relay.mails.length;
  const answer = await send(
    [
      '  from "Operations Größe" <ops@corp.example>',
      'TO a@corp.example, "B Person" <b@corp.example>',
      'TO c@corp.example',
      'CC d@corp.example',
      'BCC hidden@corp.example',
      'REPLYTO help@corp.example',
      'SUBJECT Report &DATE for &USERID on &SYSID (&TRANID) &&x &UNKNOWN',
      'IMPORTANCE HIGH',
      'PRIORITY URGENT',
      'SENSITIVITY CONFIDENTIAL',
      'RECEIPT ops@corp.example',
      'FORMAT TEXT',
      'TEXT',
      'Dear all,',
      '',
      '* not a comment inside TEXT',
      'SEND',
      'job &JOBNAME task &TASKN',
      'ENDTEXT',
      'ATTACH NAME="report ä.txt"',
      'line 1',
      'line 2',
      'ENDATTACH',
      'ATTACH NAME=data.bin ENCODING=BASE64',
      ...b64,
      'ENDATTACH',
    ],
    273,
    { 'x-cics-jobname': 'PAYROLL1' },
  );
  t.equal(answer.rc, '0');
  t.match(answer.report[0] ?? '', SENT);
  t.equal(relay.mails.length, before + 1);
  const got = relay.mails[before]!;
  t.same(got.to, ['a@corp.example', 'b@corp.example', 'c@corp.example', 'd@corp.example', 'hidden@corp.example']);
  t.equal(got.from, 'ops@corp.example');
  const parsed = await simpleParser(got.message);
  const today = new Date();
  const date = `${today.getFullYear()}-${String(today.getMonth() + 1).padStart(2, '0')}-${String(today.getDate()).padStart(2, '0')}`;
  t.equal(parsed.subject, `Report ${date} for TESTER on CICSPROD (SEND) &x &UNKNOWN`);
  const head = got.message.toString('latin1').split('\r\n\r\n')[0] ?? '';
  for (const field of [
    'Importance: High',
    'Priority: urgent',
    'Sensitivity: Company-Confidential',
    'Disposition-Notification-To: ops@corp.example',
  ]) {
    t.ok(head.split('\r\n').includes(field), field);
  }
  t.equal(parsed.headers.get('bcc'), undefined, 'Bcc only in the envelope');
  const taskn = region.journal().get(Number(SENT.exec(answer.report[0] ?? '')?.[1]))?.taskn;
  t.equal(parsed.text, `Dear all,\n\n* not a comment inside TEXT\nSEND\njob PAYROLL1 task ${taskn}\n`);
  t.equal(parsed.attachments.length, 2);
  t.equal(parsed.attachments[0]?.filename, 'report ä.txt');
  t.equal(parsed.attachments[0]?.content.toString('utf8'), 'line 1\r\nline 2\r\n');
  t.equal(parsed.attachments[1]?.filename, 'data.bin');
  t.equal(parsed.attachments[1]?.contentType, 'application/octet-stream');
  t.ok(parsed.attachments[1]?.content.equals(binary), 'the BASE64 attachment arrives byte-identical');

  const py = await parseWithPython(got.message);
  t.equal(py.from_name, 'Operations Größe');
  t.equal(py.reply_to, 'help@corp.example');
  t.same(py.defects, []);
});

t.test('broken and hostile input: each with its exact report line, nothing sent', async (t) => {
  const cases: [string, string[], string][] = [
    [
      'unknown statement',
      ['FROM a@corp.example', 'TO b@corp.example', 'SUBJEKT x'],
      'RC=08 LINE=3 unknown statement SUBJEKT',
    ],
    [
      'TEXT without ENDTEXT',
      ['FROM a@corp.example', 'TO b@corp.example', 'TEXT', 'hello', 'SEND'],
      'RC=08 LINE=3 TEXT without ENDTEXT',
    ],
    [
      'ATTACH without NAME',
      ['FROM a@corp.example', 'TO b@corp.example', 'ATTACH TYPE=text/plain', 'x', 'ENDATTACH'],
      'RC=08 LINE=3 ATTACH without NAME=',
    ],
    [
      'bad base64',
      ['FROM a@corp.example', 'TO b@corp.example', 'ATTACH NAME=a.bin ENCODING=BASE64', 'AAAA', 'AA*A', 'ENDATTACH'],
      "RC=08 LINE=5 ATTACH a.bin, line 5: '*' at column 3 is not base64",
    ],
    ['no recipient', ['FROM a@corp.example', 'SUBJECT x'], 'RC=08 LINE=1 the mail has no TO, CC or BCC'],
    [
      'no FROM',
      ['TO b@corp.example', 'SUBJECT x'],
      'RC=08 LINE=1 the sender is blank and user TESTER has no default sender',
    ],
    [
      'bad address',
      ['FROM a@corp.example', 'TO b@@corp.example'],
      "RC=08 LINE=2 TO: 'b@@corp.example': the local part is not valid",
    ],
    [
      'bad IMPORTANCE',
      ['FROM a@corp.example', 'TO b@corp.example', 'IMPORTANCE URGENT'],
      "RC=08 LINE=3 IMPORTANCE is LOW, NORMAL, HIGH, not 'URGENT'",
    ],
    ['only comments', ['* nothing', '', '*'], 'RC=08 LINE=1 the input holds no mail'],
  ];
  const before = relay.mails.length;
  for (const [name, lines, line] of cases) {
    const answer = await send(lines);
    t.equal(answer.status, 200, name);
    t.same(answer.report, [line], name);
    t.equal(answer.rc, '8', name);
    t.equal(answer.seqs, null, `${name}: nothing journaled`);
  }
  t.equal(relay.mails.length, before, 'nothing reached the relay');
});

t.test('header injection through EBCDIC control characters in every header statement', async (t) => {
  const before = relay.mails.length;
  // x'00' NUL, x'05' HT, x'3F' SUB (a character the page lacks), x'07' DEL: none may reach a header.
  for (const [statement, operand] of [
    ['FROM', 'a@corp.example'],
    ['TO', 'b@corp.example'],
    ['CC', 'c@corp.example'],
    ['BCC', 'd@corp.example'],
    ['REPLYTO', 'e@corp.example'],
    ['SUBJECT', 'hello'],
    ['RECEIPT', 'f@corp.example'],
  ]) {
    for (const byte of [0x00, 0x05, 0x3f, 0x07]) {
      const base = ['FROM a@corp.example', 'TO b@corp.example'].filter((l) => !l.startsWith(`${statement} `));
      const stmt = Buffer.concat([
        ebcdicLines([`${statement} ${operand}`], 37).subarray(0, -1),
        Buffer.of(byte),
        ebcdicLines(['Bcc: x@evil.example'], 37),
      ]);
      const body = Buffer.concat([ebcdicLines(base, 37), stmt]);
      const answer = await answerOf(await region.post('SEND', body), 37);
      t.equal(answer.rc, '8', `${statement} with x'${byte.toString(16).padStart(2, '0')}'`);
      t.match(
        answer.report[0] ?? '',
        new RegExp(`^RC=08 LINE=${base.length + 1} control character U\\+00`),
        `${statement} x'${byte.toString(16)}'`,
      );
    }
  }
  t.equal(relay.mails.length, before);
});

t.test('an empty COMMAREA, JSON, and a channel holding more than INPUT', async (t) => {
  const empty = await answerOf(await region.post('SEND', Buffer.alloc(0)), 37);
  t.same(empty.report, ['RC=08 LINE=1 the input holds no mail']);
  t.equal(empty.rc, '8');

  const json = await region.fetch(`/cics/SEND`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  t.equal(json.status, 400);
  t.equal(json.headers.get('x-cics-resp'), 'INVREQ');
  t.match(((await json.json()) as { message: string }).message, /SEND has no copybook/);

  const form = new FormData();
  form.append(
    'INPUT',
    new Blob([ebcdicLines(['FROM a@corp.example', 'TO b@corp.example'], 37)], { type: 'text/plain; charset=ibm-037' }),
  );
  form.append('OTHER', new Blob([Buffer.from('x')], { type: 'application/octet-stream' }));
  const both = await region.fetch(`/cics/SEND`, { method: 'POST', body: form });
  t.equal(both.status, 400);
  t.equal(
    ((await both.json()) as { message: string }).message,
    'SEND reads one container, INPUT; the channel also holds OTHER',
  );
});

t.test('5 MB of statements through container INPUT: one mail with a 5 MB body', async (t) => {
  const lines = ['FROM batch@corp.example', 'TO ops@corp.example', 'SUBJECT big', 'TEXT'];
  const row = 'The quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  for (let i = 0; i < 62_000; i++) lines.push(`${String(i).padStart(6, '0')} ${row}`);
  lines.push('ENDTEXT');
  const input = ebcdicLines(lines, 1047);
  t.ok(input.length > 5_000_000, `${input.length} bytes of input`);
  const form = new FormData();
  form.append('INPUT', new Blob([input], { type: 'text/plain; charset=ibm-1047' }));
  const res = await region.fetch(`/cics/SEND`, { method: 'POST', body: form, headers: { 'x-cics-ccsid': '1047' } });
  const answer = await answerOf(res, 1047);
  t.equal(answer.status, 200);
  t.match(answer.report[0] ?? '', SENT);
  const got = relay.mails.at(-1)!;
  const parsed = await simpleParser(got.message);
  t.equal(parsed.subject, 'big');
  const text = parsed.text ?? '';
  t.equal(text.split('\n').length - 1, 62_000, 'every line arrives');
  t.ok(text.startsWith(`000000 ${row}\n`));
  t.ok(text.endsWith(`061999 ${row}\n`));
});

t.test('RC 12 where the relay refuses for good, RC 0 with the refusal where it refuses some', async (t) => {
  const some = await send(['FROM a@corp.example', 'TO b@corp.example gone@corp.example']);
  t.match(
    some.report[0] ?? '',
    /^RC=00 SEQ=\d+ MSGID=<[^>]+> 250 Ok: queued as \d+; refused: gone@corp\.example 550 5\.1\.1 no such user$/,
  );
  refuseData = true;
  t.teardown(() => {
    refuseData = false;
  });
  const refused = await send(['FROM a@corp.example', 'TO b@corp.example']);
  t.equal(refused.rc, '12');
  t.match(refused.report[0] ?? '', /^RC=12 SEQ=(\d+) MSGID=<[^>]+> 554 5\.7\.1 refused for good$/);
  t.equal(region.journal().get(Number(/SEQ=(\d+)/.exec(refused.report[0] ?? '')?.[1]))?.state, 'FAILED');
});
