// Interop with a real MTA: a private Postfix on loopback is the region's smart host and
// delivers into maildirs; what arrives is read back with mailparser and with Python's
// email package. Postfix may only prepend its trace headers (Return-Path, X-Original-To,
// Delivered-To, Received) and store LF line ends: every other byte is what the journal
// holds, so a header Postfix had to rewrite or a line it had to fold fails here.
import { createHash, randomBytes } from 'node:crypto';
import { execFile, execFileSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { channelBody, type ChannelPart } from '../helpers/channel.js';
import { startRegion, type TestRegion } from '../helpers/region.js';
import { startPostfix, postfixUnavailable, type Postfix } from '../helpers/postfix.js';
import { parseWithPython } from '../helpers/mail-check.js';
import { ebcdicLines, fromEbcdic } from '../helpers/ebcdic.js';
import { buildMailCommarea, readMailResponse, type MailResponse } from '../../client/mailca.js';
import { pdfInfo, pdfPages, unzipOne } from './report/report-check.js';
import { PYTHON } from '../helpers/python.js';

const unavailable = postfixUnavailable();
let mta!: Postfix;
let region!: TestRegion;
if (!unavailable) {
  const started = Date.now();
  mta = await startPostfix(t);
  region = await startRegion(t, { CICSMAIL_RELAY: mta.url });
  t.comment(`Postfix started on ${mta.url} in ${Date.now() - started} ms (with the region)`);
}
const skip = unavailable ?? false;

const addressesOf = (a: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value.map((v) => v.address));

// Postfix's reply to the end of DATA, with its queue id.
const QUEUED = /^250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+)$/;

const channel = (parts: ChannelPart[], boundary?: string) => channelBody(parts, boundary);

async function mail(area: Buffer, ccsid: number, containers: ChannelPart[] = []): Promise<MailResponse> {
  const form = containers.length
    ? channel([{ name: 'DFHCOMMAREA', type: 'application/octet-stream', data: area }, ...containers])
    : null;
  const res = await region.post('MAIL', form?.body ?? area, {
    'x-cics-ccsid': String(ccsid),
    ...(form ? { 'content-type': form.type } : {}),
  });
  if (res.status !== 200) throw new Error(`MAIL answered ${res.status}: ${await res.text()}`);
  return readMailResponse(Buffer.from(await res.arrayBuffer()), ccsid);
}

const TRACE = ['Return-Path', 'X-Original-To', 'Delivered-To', 'Received'];

/**
 * Splits a delivered message into what Postfix prepended and the rest; checks that the
 * rest is the journaled message byte for byte (its CRLF stored as LF by virtual(8)).
 */
function checkAsJournaled(t: Test, delivered: Buffer, journaled: Buffer | undefined, label: string): void {
  const text = delivered.toString('latin1');
  const lines = text.split('\n');
  const added: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    const name = /^([!-9;-~]+):/.exec(line)?.[1];
    if (name && TRACE.includes(name)) added.push(name);
    else if (!/^[ \t]/.test(line) || added.length === 0) break;
    i++;
  }
  t.same(added, TRACE, `${label}: Postfix prepended ${added.join(', ')}`);
  t.ok(journaled, `${label}: the journal holds the message`);
  const rest = lines.slice(i).join('\n');
  const expected = (journaled ?? Buffer.alloc(0)).toString('latin1').replaceAll('\r\n', '\n');
  t.ok(rest === expected, `${label}: the rest is the journaled message, byte for byte`);
  if (rest !== expected) {
    const at = [...rest].findIndex((c, k) => c !== expected[k]);
    t.comment(
      `first difference at ${at}:\n delivered: ${JSON.stringify(rest.slice(Math.max(0, at - 80), at + 80))}\n journaled: ${JSON.stringify(expected.slice(Math.max(0, at - 80), at + 80))}`,
    );
  }
}

/** Postfix's log says the queue id went to each recipient, status=sent. */
async function checkLogged(t: Test, queueId: string | undefined, recipients: readonly string[]): Promise<void> {
  for (const r of recipients) {
    const line = new RegExp(
      `postfix/virtual\\[\\d+\\]: ${queueId}: to=<${r.replace(/[.+]/g, '\\$&')}>, .*status=sent \\(delivered to maildir\\)`,
    );
    t.match(await mta.logged(line), line, `Postfix logged ${r} as delivered`);
  }
}

interface PyAttachment {
  filename: string | null;
  content_type: string;
  size: number;
  sha256: string;
  /** The decoded text of a text/* part. */
  text: string | null;
}

/** The attachments as Python's email package sees them (iter_attachments, policy.default). */
function pythonAttachments(message: Buffer): Promise<PyAttachment[]> {
  const script = [
    'import email, hashlib, json, sys',
    'from email import policy',
    'msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)',
    'out = []',
    'for p in msg.iter_attachments():',
    '    data = p.get_payload(decode=True) or b""',
    '    out.append({"filename": p.get_filename(), "content_type": p.get_content_type(), "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "text": data.decode("utf-8") if p.get_content_maintype() == "text" else None})',
    'print(json.dumps(out))',
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, ['-c', script], { maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`python3 failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as PyAttachment[]);
    });
    child.stdin?.end(message);
  });
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The header section of a delivered message (up to its first empty line). */
const headOf = (m: Buffer) => m.subarray(0, m.indexOf('\n\n')).toString('latin1');

t.test('plain text: delivered to To and Cc, parsed alike by mailparser and Python', { skip }, async (t) => {
  const response = await mail(
    buildMailCommarea(
      {
        from: '"Batch Report" <batch@corp.example>',
        to: 'ops@example.test',
        cc: 'audit@corp.example',
        subject: 'DAILY REPORT OF DISK UTILIZATION',
        importance: 'H',
        body: 'Volume SYSRES is 97% full.\nPlease act.',
      },
      37,
    ),
    37,
  );
  t.equal(response.rc, 0);
  t.equal(response.reason, 'SENT');
  const queueId = QUEUED.exec(response.relayReply)?.[1];
  t.ok(queueId, `Postfix's reply: ${response.relayReply}`);
  const record = region.journal().get(response.journalSeq);
  t.match(record, {
    state: 'SENT',
    relayReply: response.relayReply,
    envelope: { from: 'batch@corp.example', to: ['ops@example.test', 'audit@corp.example'] },
  });

  const [toCopy] = await mta.mailbox('ops@example.test');
  const [ccCopy] = await mta.mailbox('audit@corp.example');
  await checkLogged(t, queueId, ['ops@example.test', 'audit@corp.example']);
  checkAsJournaled(t, toCopy!, region.journal().message(response.journalSeq), 'To copy');
  checkAsJournaled(t, ccCopy!, region.journal().message(response.journalSeq), 'Cc copy');
  t.match(headOf(toCopy!), /^Return-Path: <batch@corp\.example>$/m, 'the envelope sender as Return-Path');

  const parsed = await simpleParser(toCopy!);
  t.same(parsed.from?.value, [{ address: 'batch@corp.example', name: 'Batch Report' }]);
  t.same(addressesOf(parsed.to), ['ops@example.test']);
  t.same(addressesOf(parsed.cc), ['audit@corp.example']);
  t.equal(parsed.subject, 'DAILY REPORT OF DISK UTILIZATION');
  t.equal(parsed.messageId, response.messageId);
  t.equal(parsed.text, 'Volume SYSRES is 97% full.\nPlease act.\n');
  t.equal(parsed.headers.get('priority'), 'high');
  t.equal(parsed.attachments.length, 0);

  const py = await parseWithPython(toCopy!);
  t.equal(py.from_name, 'Batch Report');
  t.same(py.to, ['ops@example.test']);
  t.same(py.cc, ['audit@corp.example']);
  t.equal(py.subject, 'DAILY REPORT OF DISK UTILIZATION');
  t.equal(py.message_id, response.messageId);
  t.equal(py.importance, 'High');
  t.equal(py.content_type, 'text/plain');
  t.equal(py.body, 'Volume SYSRES is 97% full.\nPlease act.\n');
  t.same(py.defects, [], 'Python finds no defect');
});

t.test('a binary attachment (BIT container) comes back byte-identical', { skip }, async (t) => {
  const binary = Buffer.concat([Buffer.from('\0\r\n.\r\n\n\r.\r\nFrom \x00\xff'), randomBytes(300_000)]);
  const response = await mail(
    buildMailCommarea(
      {
        from: 'batch@corp.example',
        to: 'binary@example.test',
        subject: 'Dump attached',
        body: 'The dump is attached.',
      },
      37,
    ),
    37,
    [{ name: 'DUMP', filename: 'sysres.dump', type: 'application/octet-stream', data: binary }],
  );
  t.equal(response.rc, 0, response.relayReply);
  const [copy] = await mta.mailbox('binary@example.test');
  checkAsJournaled(t, copy!, region.journal().message(response.journalSeq), 'delivered');
  const parsed = await simpleParser(copy!);
  t.equal(parsed.text, 'The dump is attached.\n');
  t.equal(parsed.attachments.length, 1);
  t.equal(parsed.attachments[0]?.filename, 'sysres.dump');
  t.equal(parsed.attachments[0]?.contentType, 'application/octet-stream');
  t.ok(parsed.attachments[0]?.content.equals(binary), `mailparser: ${binary.length} bytes, byte for byte`);
  t.same(
    await pythonAttachments(copy!),
    [
      {
        filename: 'sysres.dump',
        content_type: 'application/octet-stream',
        size: binary.length,
        sha256: sha256(binary),
        text: null,
      },
    ],
    'Python: the same bytes',
  );
  const py = await parseWithPython(copy!);
  t.equal(py.body, 'The dump is attached.\n');
  t.same(py.defects, []);
});

t.test('a UTF-8 subject and display name, from CCSID 273', { skip }, async (t) => {
  const subject =
    'Prüfbericht für Jörg Größe: Übersicht der Plattenbelegung aller Volumes, SYSRES zu 97 % voll, bitte schnellstmöglich prüfen & löschen';
  const area = buildMailCommarea(
    {
      from: '"Jörg Größe" <joerg@corp.example>',
      to: '"Åse Ærø" <aase@example.test>',
      subject: 'Grüße aus Köln: Größe 97 %',
      body: 'Schöne Grüße\nJörg',
    },
    273,
  );
  t.ok(area.includes(0xb5) && !area.includes(0x7c), "273 writes @ as x'B5'");
  const response = await mail(area, 273);
  t.equal(response.rc, 0, response.relayReply);
  const [copy] = await mta.mailbox('aase@example.test');
  checkAsJournaled(t, copy!, region.journal().message(response.journalSeq), 'delivered');
  t.ok(/^[\x00-\x7f]*$/.test(headOf(copy!)), 'the header section is ASCII (RFC 2047), as no SMTPUTF8 was asked for');
  const parsed = await simpleParser(copy!);
  t.same(parsed.from?.value, [{ address: 'joerg@corp.example', name: 'Jörg Größe' }]);
  t.same((parsed.to as AddressObject).value, [{ address: 'aase@example.test', name: 'Åse Ærø' }]);
  t.equal(parsed.subject, 'Grüße aus Köln: Größe 97 %');
  t.equal(parsed.text, 'Schöne Grüße\nJörg\n');
  const py = await parseWithPython(copy!);
  t.equal(py.from_name, 'Jörg Größe');
  t.equal(py.subject, 'Grüße aus Köln: Größe 97 %');
  t.equal(py.body, 'Schöne Grüße\nJörg\n');
  t.same(py.defects, []);
  // A subject long enough to be folded into several encoded words, each split where
  // Postfix, mailparser and Python must put it back together.
  const long = await mail(
    buildMailCommarea({ from: '"Jörg Größe" <joerg@corp.example>', to: 'long@example.test', subject, body: 'x' }, 273),
    273,
  );
  t.equal(long.rc, 0, long.relayReply);
  const [longCopy] = await mta.mailbox('long@example.test');
  checkAsJournaled(t, longCopy!, region.journal().message(long.journalSeq), 'long subject');
  t.ok(
    headOf(longCopy!)
      .split('\n')
      .every((l) => l.length <= 78),
    'header lines folded within 78 characters',
  );
  t.equal((await simpleParser(longCopy!)).subject, subject, 'mailparser: the long subject');
  t.equal((await parseWithPython(longCopy!)).subject, subject, 'Python: the long subject');
});

t.test('a non-ASCII file name: Prüfbericht ä.pdf', { skip }, async (t) => {
  const pdf = Buffer.concat([
    Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1'),
    randomBytes(5000),
    Buffer.from('\n%%EOF\n'),
  ]);
  const name = 'Prüfbericht ä.pdf';
  const response = await mail(
    buildMailCommarea(
      { from: 'batch@corp.example', to: 'files@example.test', subject: 'Prüfbericht', body: 'Anbei der Bericht.' },
      273,
    ),
    273,
    [{ name: 'BERICHT', filename: name, data: pdf }],
  );
  t.equal(response.rc, 0, response.relayReply);
  const [copy] = await mta.mailbox('files@example.test');
  checkAsJournaled(t, copy!, region.journal().message(response.journalSeq), 'delivered');
  t.ok(
    /^[\x00-\x7f]*$/.test(copy!.toString('latin1')),
    'the whole message is ASCII (RFC 2231 / RFC 2047 for the name)',
  );
  const parsed = await simpleParser(copy!);
  t.equal(parsed.attachments.length, 1);
  t.equal(parsed.attachments[0]?.filename, name, 'mailparser: the file name');
  t.equal(parsed.attachments[0]?.contentType, 'application/pdf');
  t.ok(parsed.attachments[0]?.content.equals(pdf), 'mailparser: the bytes');
  t.same(
    await pythonAttachments(copy!),
    [{ filename: name, content_type: 'application/pdf', size: pdf.length, sha256: sha256(pdf), text: null }],
    'Python: the file name and bytes',
  );
  t.same((await parseWithPython(copy!)).defects, []);
});

t.test('a Bcc recipient gets the mail; no copy names it', { skip }, async (t) => {
  const response = await mail(
    buildMailCommarea(
      {
        from: 'batch@corp.example',
        to: 'seen@example.test',
        bcc: 'hidden@example.test secret@corp.example',
        subject: 'with Bcc',
        body: 'x',
      },
      37,
    ),
    37,
  );
  t.equal(response.rc, 0, response.relayReply);
  t.same(region.journal().get(response.journalSeq)?.envelope.to, [
    'seen@example.test',
    'hidden@example.test',
    'secret@corp.example',
  ]);
  const journaled = region.journal().message(response.journalSeq)!;
  // Postfix's cleanup(8) drops Bcc headers itself, so the region's own bytes are the proof.
  t.notMatch(journaled.toString('latin1'), /^Bcc:/im, 'no Bcc header in what the region sent');
  const queueId = QUEUED.exec(response.relayReply)?.[1];
  const copies = [
    ...(await mta.mailbox('seen@example.test')),
    ...(await mta.mailbox('hidden@example.test')),
    ...(await mta.mailbox('secret@corp.example')),
  ];
  t.equal(copies.length, 3, 'one copy each');
  await checkLogged(t, queueId, ['seen@example.test', 'hidden@example.test', 'secret@corp.example']);
  for (const [k, copy] of copies.entries()) {
    checkAsJournaled(t, copy, journaled, `copy ${k + 1}`);
    const parsed = await simpleParser(copy);
    t.equal(parsed.headers.get('bcc'), undefined);
    t.same(addressesOf(parsed.to), ['seen@example.test']);
    const head = headOf(copy)
      .split('\n')
      .filter((l) => !/^(X-Original-To|Delivered-To|Received|\s)/i.test(l))
      .join('\n');
    t.notMatch(head, /hidden|secret/, `copy ${k + 1}: the Bcc addresses appear only in Postfix's trace headers`);
    t.equal((await parseWithPython(copy)).bcc, null);
  }
});

t.test(
  'HTML: multipart/alternative with a text part, both read by mailparser and Python',
  unavailable ? { skip } : {},
  async (t) => {
    const html = '<p>Job <b>PAY01</b> ended with <i>RC=0</i>.</p>\n<p>Gr&uuml;&szlig;e</p>';
    const response = await mail(
      buildMailCommarea(
        { from: 'ops@corp.example', to: 'html@example.test', subject: 'HTML report', bodyFormat: 'H', body: html },
        37,
      ),
      37,
    );
    t.equal(response.rc, 0, response.relayReply);
    const [copy] = await mta.mailbox('html@example.test');
    checkAsJournaled(t, copy!, region.journal().message(response.journalSeq), 'delivered');
    t.match(headOf(copy!), /^Content-Type: multipart\/alternative;/im);
    const parsed: ParsedMail = await simpleParser(copy!);
    t.ok(parsed.html, 'mailparser finds the HTML');
    t.ok(parsed.text, 'mailparser finds the text');
    t.match(parsed.text ?? '', /Job PAY01 ended with RC=0\./);
    const py = await parseWithPython(copy!);
    t.equal(py.content_type, 'text/plain', 'Python prefers the text part');
    t.match(py.body ?? '', /PAY01/);
    t.same(py.defects, []);
  },
);

t.test('SEND: statements in CCSID 273 with a text and a base64 attachment', { skip }, async (t) => {
  const binary = randomBytes(4000);
  const b64 = binary.toString('base64').match(/.{1,76}/g) ?? [];
  const res = await region.post(
    'SEND',
    ebcdicLines(
      [
        'FROM "Operations Größe" <ops@corp.example>',
        'TO send@example.test',
        'BCC send-bcc@corp.example',
        'SUBJECT Bericht für &SYSID',
        'TEXT',
        'Grüße vom Batch.',
        '.a line with a leading dot',
        'ENDTEXT',
        'ATTACH NAME="bericht ä.txt"',
        'Zeile 1',
        'ENDATTACH',
        'ATTACH NAME=data.bin ENCODING=BASE64',
        ...b64,
        'ENDATTACH',
      ],
      273,
    ),
    { 'x-cics-ccsid': '273' },
  );
  t.equal(res.status, 200);
  t.equal(res.headers.get('x-mail-rc'), '0');
  const report = fromEbcdic(Buffer.from(await res.arrayBuffer()), 273)
    .split('\u0085')
    .slice(0, -1);
  const sent = /^RC=00 SEQ=(\d+) MSGID=(<[^>]+>) (250 2\.0\.0 Ok: queued as [0-9A-Za-z]+)$/.exec(report[0] ?? '');
  t.ok(sent, report[0] ?? '');
  const [copy] = await mta.mailbox('send@example.test');
  t.equal((await mta.mailbox('send-bcc@corp.example')).length, 1, 'the Bcc recipient has it too');
  checkAsJournaled(t, copy!, region.journal().message(Number(sent?.[1])), 'delivered');
  const parsed = await simpleParser(copy!);
  t.equal(parsed.messageId, sent?.[2]);
  t.equal(parsed.subject, 'Bericht für CICSMAIL');
  t.same(parsed.from?.value, [{ address: 'ops@corp.example', name: 'Operations Größe' }]);
  t.equal(parsed.text, 'Grüße vom Batch.\n.a line with a leading dot\n');
  t.same(
    parsed.attachments.map((a) => a.filename),
    ['bericht ä.txt', 'data.bin'],
  );
  // Text went out with CRLF; a maildir holds LF (unless the part was base64).
  t.equal(parsed.attachments[0]?.content.toString('utf8').replaceAll('\r\n', '\n'), 'Zeile 1\n');
  t.ok(parsed.attachments[1]?.content.equals(binary), 'the BASE64 attachment arrives byte-identical');
  const py = await parseWithPython(copy!);
  t.equal(py.from_name, 'Operations Größe');
  t.equal(py.body, 'Grüße vom Batch.\n.a line with a leading dot\n');
  t.same(py.defects, []);
  t.same(
    (await pythonAttachments(copy!)).map((a) => [
      a.filename,
      a.content_type,
      a.text?.replaceAll('\r\n', '\n') ?? a.sha256,
    ]),
    [
      ['bericht ä.txt', 'text/plain', 'Zeile 1\n'],
      ['data.bin', 'application/octet-stream', sha256(binary)],
    ],
  );
});

t.test('SEND: an FBA report as a landscape PDF inside a ZIP, through Postfix', { skip }, async (t) => {
  const records: string[] = [];
  for (let p = 1; p <= 2; p++) {
    records.push(`1${'WEEKLY PAYROLL'.padEnd(119)}PAGE ${String(p).padStart(5)}`);
    for (let i = 1; i <= 40; i++) records.push(` ${String((p - 1) * 40 + i).padStart(8, '0')}    EMPLOYEE`);
  }
  const res = await region.post(
    'SEND',
    ebcdicLines(
      [
        'FROM batch@corp.example',
        'TO report@example.test',
        'SUBJECT Payroll',
        'ATTACH NAME=PAYROLL.LST RECFM=FBA LRECL=133 FORMAT=ZIP/PDF ORIENTATION=LANDSCAPE PAPER=A4',
        ...records,
        'ENDATTACH',
      ],
      37,
    ),
    { 'x-cics-ccsid': '37' },
  );
  t.equal(res.status, 200);
  t.equal(res.headers.get('x-mail-rc'), '0');
  const [copy] = await mta.mailbox('report@example.test');
  const parsed = await simpleParser(copy!);
  const [zip] = parsed.attachments;
  t.same([zip?.filename, zip?.contentType], ['PAYROLL.zip', 'application/zip']);
  const inner = unzipOne(zip?.content ?? Buffer.alloc(0));
  t.match(inner.tested, /No errors detected/);
  t.equal(inner.name, 'PAYROLL.pdf');
  const info = pdfInfo(inner.data);
  t.equal(info.Pages, '2', 'a page a channel-1 skip');
  t.match(info['Page size'], /^841\.89 x 595\.28 pts \(A4\)/, 'A4 landscape');
  const pages = pdfPages(inner.data);
  t.match(pages[1]?.[0], /^WEEKLY PAYROLL\s+PAGE\s+2$/, 'page 2 starts with its title');
  t.match(pages[1]?.filter((l) => l !== '').at(-1), /^00000080\s+EMPLOYEE$/, 'the last record last');
});

t.test("SPOL: the FAQ's datastream in CCSID 037, relayed with its headers as written", { skip }, async (t) => {
  const lines = [
    'HELO BAR.COM',
    'MAIL FROM:<foo@corp.example>',
    'RCPT TO:<wayne@example.test>',
    'RCPT TO:<robin@corp.example>',
    'DATA',
    'Date: Fri, 16 Jul 2010 13:41:30 -0400',
    'From: "Commissioner Gordon" <foo@corp.example>',
    'Subject: DAILY REPORT OF DISK UTILIZATION',
    'To: "Bruce Wayne" <wayne@example.test>',
    '',
    'Please fix the bulb in the searchlight',
    '..and the dot',
    '.',
    'QUIT',
  ];
  const res = await region.post('SPOL', ebcdicLines(lines, 37), { 'x-cics-ccsid': '37' });
  t.equal(res.status, 200);
  t.equal(res.headers.get('x-mail-rc'), '0');
  const report = fromEbcdic(Buffer.from(await res.arrayBuffer()), 37)
    .split('\u0085')
    .slice(0, -1);
  const sent = /^RC=00 SEQ=(\d+) MSGID=(<[^>]+>) 250 2\.0\.0 Ok: queued as ([0-9A-Za-z]+)$/.exec(report[0] ?? '');
  t.ok(sent, report[0] ?? '');
  const [wayne] = await mta.mailbox('wayne@example.test');
  const [robin] = await mta.mailbox('robin@corp.example');
  await checkLogged(t, sent?.[3], ['wayne@example.test', 'robin@corp.example']);
  const journaled = region.journal().message(Number(sent?.[1]));
  checkAsJournaled(t, wayne!, journaled, 'wayne');
  checkAsJournaled(t, robin!, journaled, 'robin');
  t.match(headOf(wayne!), /^Return-Path: <foo@corp\.example>$/m);
  t.ok(
    wayne!.toString('latin1').endsWith(`Message-ID: ${sent?.[2]}\n${lines.slice(5, 11).join('\n')}\n.and the dot\n`),
    'the stream as written, a Message-ID added, unstuffed once',
  );
  const parsed = await simpleParser(wayne!);
  t.equal(parsed.subject, 'DAILY REPORT OF DISK UTILIZATION');
  t.equal(parsed.text, 'Please fix the bulb in the searchlight\n.and the dot\n');
  t.equal(parsed.messageId, sent?.[2]);
  const py = await parseWithPython(wayne!);
  t.equal(py.from_name, 'Commissioner Gordon');
  t.same(py.to, ['wayne@example.test']);
  t.same(py.defects, []);
});

t.test('SPOL: 8-bit UTF-8 in headers and body, as written in CCSID 273', { skip }, async (t) => {
  const lines = [
    'HELO x',
    'MAIL FROM:<gruen@corp.example>',
    'RCPT TO:<umlaut@example.test>',
    'DATA',
    'Subject: Größe',
    'From: "Kommissar Grün" <gruen@corp.example>',
    '',
    'Grüße aus Köln',
    '.',
  ];
  const res = await region.post('SPOL', ebcdicLines(lines, 273), { 'x-cics-ccsid': '273' });
  const report = fromEbcdic(Buffer.from(await res.arrayBuffer()), 273)
    .split('\u0085')
    .slice(0, -1);
  const sent = /^RC=00 SEQ=(\d+) MSGID=(<[^>]+>) 250 2\.0\.0 Ok: queued as [0-9A-Za-z]+$/.exec(report[0] ?? '');
  t.ok(sent, report[0] ?? '');
  const [copy] = await mta.mailbox('umlaut@example.test');
  checkAsJournaled(t, copy!, region.journal().message(Number(sent?.[1])), 'delivered');
  const parsed = await simpleParser(copy!);
  t.equal(parsed.subject, 'Größe');
  t.same(parsed.from?.value, [{ address: 'gruen@corp.example', name: 'Kommissar Grün' }]);
  t.equal(parsed.text, 'Grüße aus Köln\n');
  const py = await parseWithPython(copy!);
  t.equal(py.subject, 'Größe');
  t.same(py.defects, []);
  // SPOL writes header text beyond ASCII in RFC 2047 encoded words: the header section is
  // ASCII, so no SMTPUTF8 is asked for, and every reader gets the display name.
  t.match(headOf(copy!), /^\tby mta\.test \(Postfix\) with ESMTPS? id /m, 'Postfix saw a plain ESMTP transaction');
  t.match(headOf(copy!), /^Subject: =\?UTF-8\?[BQ]\?/im, 'the Subject in an encoded word');
  t.equal(py.from_name, 'Kommissar Grün', 'Python reads the display name');
});

t.test('Postfix logged no warning about what it was sent', { skip }, async (t) => {
  const log = mta.log();
  const trouble = log.split('\n').filter((l) => /\b(warning|error|fatal|panic|reject|bounced|deferred)\b/i.test(l));
  t.same(trouble, [], 'no warning, reject, bounce or deferral in the log');
  t.notMatch(log, /Postfix is using backwards-compatible default settings/, 'compatibility_level set');
  // What this Postfix is, for the record.
  t.comment(
    execFileSync('/usr/sbin/postconf', ['-c', `${mta.dir}/etc`, '-h', 'mail_version'], { encoding: 'utf8' }).trim(),
  );
});
