// The composer: headers folded and encoded so that strict parsers read them back exactly.
import { execFile } from 'node:child_process';
import crypto, { createHash, randomBytes } from 'node:crypto';
import { syncBuiltinESMExports } from 'node:module';
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { decode as qpDecode } from 'libqp';
import { simpleParser } from 'mailparser';
import {
  composedMessage,
  composeMessage,
  rfc5322Date,
  type ComposedMessage,
  type MailContent,
} from '../../transactions/mail/compose.js';
import {
  base64Size,
  binaryBody,
  textBody,
  textEncoding,
  textShape,
  type Body,
} from '../../transactions/mail/compose-body.js';
import { parseAddressList } from '../../cics/addresses.js';
import { parseWithPython } from '../helpers/mail-check.js';
import { safeFileName } from '../../transactions/mail/file-name.js';
import { doubling, doublingText, LINEAR_RATIO } from '../helpers/doubling.js';

const base: MailContent = {
  from: { name: '', address: 'a@x.example' },
  to: [{ name: '', address: 'b@y.example' }],
  cc: [],
  subject: 'hello',
  importance: 'normal',
  body: 'body',
  bodyFormat: 'text',
  messageId: '<id-1@region.test>',
  date: new Date(Date.UTC(2010, 6, 16, 17, 41, 30)),
};

function lines(message: Buffer): string[] {
  return message.toString('latin1').split('\r\n');
}

t.test('RFC 5322 date', async (t) => {
  t.equal(rfc5322Date(new Date(Date.UTC(2010, 6, 16, 17, 41, 30))), 'Fri, 16 Jul 2010 17:41:30 +0000');
  t.equal(rfc5322Date(new Date(Date.UTC(2026, 0, 1, 0, 0, 5))), 'Thu, 1 Jan 2026 00:00:05 +0000');
});

t.test('long, non-ASCII and special-character headers read back exactly', async (t) => {
  const subject =
    'Plattenbelegung für SYSRES, SYSDA und WORK: Grüße aus Köln — bitte bis Freitag prüfen und löschen, was nicht mehr gebraucht wird (Auftrag 4711)';
  const to = Array.from({ length: 12 }, (_, i) => ({
    name: i % 2 ? `Empfänger Nummer ${i}` : `Smith, John ${i}`,
    address: `user${i}@very-long-domain-name-for-testing.example`,
  }));
  const mail: MailContent = {
    ...base,
    subject,
    to,
    from: { name: 'Kommissar "Jim" Gordon', address: 'gordon@gcpd.example' },
    body: 'x'.repeat(1200) + '\nzweite Zeile: Größe',
  };
  const message = composeMessage(mail);
  for (const line of lines(message)) t.ok(line.length <= 998, `line of ${line.length}`);
  const headLines = lines(message).slice(0, lines(message).indexOf(''));
  for (const line of headLines)
    t.ok(line.length <= 78 || !/\s/.test(line.trim()), `header line within 78: ${line.slice(0, 30)}…`);
  t.notOk(/[^\x00-\x7f]/.test(message.toString('latin1')), 'all 7-bit on the wire');
  const parsed = await simpleParser(message);
  t.equal(parsed.subject, subject);
  t.same(parsed.from?.value, [{ address: 'gordon@gcpd.example', name: 'Kommissar "Jim" Gordon' }]);
  const parsedTo = (Array.isArray(parsed.to) ? parsed.to[0] : parsed.to)?.value ?? [];
  t.same(
    parsedTo.map((a) => [a.name, a.address]),
    to.map((a) => [a.name, a.address]),
  );
  t.equal(parsed.text, 'x'.repeat(1200) + '\nzweite Zeile: Größe\n');
  t.match(message.toString('latin1'), /^Content-Transfer-Encoding: quoted-printable\r$/m, 'a line over 998 forces QP');
  const py = await parseWithPython(message);
  t.equal(py.subject, subject);
  t.equal(py.from_name, 'Kommissar "Jim" Gordon');
  t.same(
    py.to,
    to.map((a) => a.address),
  );
  t.same(py.defects, []);
});

t.test('plain ASCII bodies go as 7bit; a dot line is just text here', async (t) => {
  const message = composeMessage({ ...base, body: 'line 1\n.\nline 3' });
  t.match(message.toString('latin1'), /^Content-Transfer-Encoding: 7bit\r$/m);
  t.ok(message.toString('latin1').endsWith('\r\n\r\nline 1\r\n.\r\nline 3\r\n'));
});

t.test('address lists as callers write them', async (t) => {
  const ok = (text: string) => {
    const r = parseAddressList(text);
    return r.ok ? r.addresses.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)) : r.reason;
  };
  t.same(ok('a@x.example b@y.example,c@z.example ; d@w.example'), [
    'a@x.example',
    'b@y.example',
    'c@z.example',
    'd@w.example',
  ]);
  t.same(ok('"Bruce Wayne" <wayne@bar.com>, Robin <robin@bar.com> alfred@bar.com'), [
    'Bruce Wayne <wayne@bar.com>',
    'Robin <robin@bar.com>',
    'alfred@bar.com',
  ]);
  t.same(ok('"Wayne, Bruce" <wayne@bar.com>'), ['Wayne, Bruce <wayne@bar.com>']);
  t.same(ok('ops@[192.168.0.1]'), ['ops@[192.168.0.1]']);
  // A word with @ is an address of its own, never part of the next one's name.
  t.same(ok('x@y.example "Bruce Wayne" <wayne@bar.com>'), ['x@y.example', 'Bruce Wayne <wayne@bar.com>']);
  t.same(ok('a@b.example c@d.example <e@f.example>'), ['a@b.example', 'c@d.example', 'e@f.example']);
  t.equal(ok('Bruce x@y.example <z@w.example>'), "'Bruce' is not an address");
  t.same(ok(''), []);
  t.same(ok('   ,  , '), []);
  t.equal(ok('a@-x.example'), "'a@-x.example': the domain is not valid");
  t.equal(ok('a.@x.example'), "'a.@x.example': the local part is not valid");
  t.equal(ok('a@x.example>'), "'>' without '<' at character 12");
  t.equal(ok(`a@${'d'.repeat(250)}.example`), `'a@${'d'.repeat(38)}…' is longer than 254 octets`);
});

t.test('a display name that looks like an address stays a name', async (t) => {
  const message = composeMessage({ ...base, from: { name: 'Jörg <boss@corp.example>', address: 'j@x.example' } });
  const py = await parseWithPython(message);
  t.match(py.from, /<j@x\.example>$/);
  t.equal(py.from_name, 'Jörg <boss@corp.example>');
  const parsed = await simpleParser(message);
  t.same(parsed.from?.value, [{ address: 'j@x.example', name: 'Jörg <boss@corp.example>' }]);
});

// ---- MIME structure, transfer encodings, boundaries, size ------------------------------

/** The message with each boundary replaced by B1, B2… in order of first appearance. */
function withBoundaries(message: Buffer): { text: string; boundaries: string[] } {
  const boundaries = [...message.toString('latin1').matchAll(/boundary="([^"]+)"/g)].map((m) => m[1] as string);
  let text = message.toString('latin1');
  boundaries.forEach((b, i) => (text = text.replaceAll(b, `B${i + 1}`)));
  return { text, boundaries };
}

/** What every composed message must be: 7-bit, CRLF only, no line over 998, delimiters only where they belong. */
function checkWire(t: Test, message: Buffer, expect?: { delimiters: number }): void {
  const wire = message.toString('latin1');
  t.notOk(/[^\x00-\x7f]/.test(wire), 'all 7-bit on the wire');
  t.notOk(/\r(?!\n)|(?<!\r)\n/.test(wire), 'CRLF line ends only');
  t.ok(wire.endsWith('\r\n'), 'ends with a line end');
  const long = wire.split('\r\n').filter((l) => l.length > 998);
  t.same(
    long.map((l) => l.length),
    [],
    'no line over 998 octets',
  );
  const { boundaries } = withBoundaries(message);
  t.equal(new Set(boundaries).size, boundaries.length, 'a boundary for each multipart');
  let delimiters = 0;
  for (const line of wire.split('\r\n')) {
    for (const b of boundaries) {
      if (line.startsWith(`--${b}`)) {
        t.ok(line === `--${b}` || line === `--${b}--`, `a delimiter line, nothing else: ${line.slice(0, 60)}`);
        delimiters++;
      }
    }
  }
  if (expect) t.equal(delimiters, expect.delimiters, 'delimiters');
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

t.test('an HTML body: multipart/alternative, the text made from it first, then the HTML', async (t) => {
  const html = [
    '<html><head><title>Not text</title><style>p { color: red }</style></head><body>',
    '<script>alert("no")</script>',
    '<h1>Job report</h1>',
    '<p>PAYROLL1 ended &amp; the volume is 97&nbsp;% full &lt;see below&gt;.</p>',
    '<ul><li>SYSRES</li><li>WORK01</li></ul>',
    '<ol><li>first</li><li>second</li></ol>',
    '<p>Details: <a href="https://ops.example/job/1">the job page</a>, <a href="https://ops.example">https://ops.example</a></p>',
    '</body></html>',
  ].join('\n');
  const message = composeMessage({ ...base, body: html, bodyFormat: 'html' });
  checkWire(t, message, { delimiters: 3 });
  const text =
    'JOB REPORT\n\nPAYROLL1 ended & the volume is 97\u00a0% full <see below>.\n\n * SYSRES\n * WORK01\n\n 1. first\n 2. second\n\nDetails: the job page [https://ops.example/job/1], https://ops.example\n';
  const { text: wire, boundaries } = withBoundaries(message);
  t.equal(boundaries.length, 1);
  t.match(boundaries[0], /^----=_cicsmail_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const tail = wire.slice(wire.indexOf('MIME-Version: 1.0\r\n'));
  t.equal(
    tail,
    'MIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary="B1"\r\n\r\n' +
      '--B1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n' +
      'JOB REPORT\r\n\r\nPAYROLL1 ended & the volume is 97=C2=A0% full <see below>.\r\n\r\n * SYSRES\r\n * WORK01\r\n\r\n 1. first\r\n 2. second\r\n\r\n' +
      'Details: the job page [https://ops.example/job/1], https://ops.example\r\n' +
      '\r\n--B1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n' +
      `${html.replaceAll('\n', '\r\n')}\r\n` +
      '\r\n--B1--\r\n',
  );
  const parsed = await simpleParser(message);
  t.equal(parsed.text, text);
  t.equal(parsed.html, `${html}\n`);
  const py = await parseWithPython(message);
  t.same(py.multiparts, ['multipart/alternative']);
  t.same(
    py.parts.map((p) => p.content_type),
    ['text/plain', 'text/html'],
  );
  t.equal(py.text, text);
  t.equal(py.html, `${html}\n`);
  t.equal(py.content_type, 'text/plain', 'a reader that prefers text gets the text');
  t.same(py.defects, []);
});

t.test('an HTML body with a text part of its own: that text is the alternative, as written', async (t) => {
  const html = '<p>Net pay <b>$265.50CR</b></p>\n';
  const text = 'Net pay            $265.50CR\nColumns   line up\n';
  const message = composeMessage({ ...base, body: html, bodyFormat: 'html', textAlternative: text });
  checkWire(t, message, { delimiters: 3 });
  const py = await parseWithPython(message);
  t.same(py.multiparts, ['multipart/alternative']);
  t.equal(py.text, text, 'not made from the HTML: blanks and columns as written');
  t.equal(py.html, html);
  const made = await parseWithPython(composeMessage({ ...base, body: html, bodyFormat: 'html' }));
  t.equal(made.text, 'Net pay $265.50CR\n', 'without one, the text is made from the HTML, as before');
  t.equal(
    (await parseWithPython(composeMessage({ ...base, textAlternative: 'unused' }))).text,
    'body\n',
    'a text body has no alternative',
  );
});

t.test('HTML with attachments: the alternative inside multipart/mixed, each with its own boundary', async (t) => {
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const message = composeMessage({
    ...base,
    body: '<p>See <b>both</b> files.</p>',
    bodyFormat: 'html',
    attachments: [
      { filename: 'all-bytes.bin', contentType: 'application/octet-stream', content: { bytes } },
      { filename: 'notes.txt', contentType: 'text/plain', content: { text: 'line 1\nline 2' } },
    ],
  });
  checkWire(t, message, { delimiters: 3 + 4 });
  const { text: wire, boundaries } = withBoundaries(message);
  t.equal(boundaries.length, 2);
  t.not(boundaries[0], boundaries[1]);
  t.notOk(
    boundaries[0]!.startsWith(boundaries[1]!) || boundaries[1]!.startsWith(boundaries[0]!),
    'neither boundary begins the other',
  );
  const b64 = bytes
    .toString('base64')
    .match(/.{1,76}/g)!
    .join('\r\n');
  t.equal(
    wire.slice(wire.indexOf('MIME-Version: 1.0\r\n')),
    'MIME-Version: 1.0\r\nContent-Type: multipart/mixed;\r\n boundary="B1"\r\n\r\n' +
      '--B1\r\nContent-Type: multipart/alternative;\r\n boundary="B2"\r\n\r\n' +
      '--B2\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\nSee both files.\r\n' +
      '\r\n--B2\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n<p>See <b>both</b> files.</p>\r\n' +
      '\r\n--B2--\r\n' +
      '\r\n--B1\r\nContent-Type: application/octet-stream; name=all-bytes.bin\r\nContent-Disposition: attachment; filename=all-bytes.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
      `${b64}\r\n` +
      '\r\n--B1\r\nContent-Type: text/plain; charset=utf-8; name=notes.txt\r\nContent-Disposition: attachment; filename=notes.txt\r\nContent-Transfer-Encoding: 7bit\r\n\r\n' +
      'line 1\r\nline 2\r\n' +
      '\r\n--B1--\r\n',
  );
  const parsed = await simpleParser(message);
  t.equal(parsed.text, 'See both files.\n');
  t.equal(parsed.html, '<p>See <b>both</b> files.</p>\n');
  t.same(
    parsed.attachments.map((a) => [a.filename, a.contentType]),
    [
      ['all-bytes.bin', 'application/octet-stream'],
      ['notes.txt', 'text/plain'],
    ],
  );
  t.ok(parsed.attachments[0]?.content.equals(bytes), 'binary byte for byte');
  t.equal(parsed.attachments[1]?.content.toString('utf8'), 'line 1\r\nline 2\r\n');
  const py = await parseWithPython(message);
  t.same(py.multiparts, ['multipart/mixed', 'multipart/alternative']);
  t.same(
    py.parts.map((p) => [p.content_type, p.transfer_encoding, p.disposition]),
    [
      ['text/plain', '7bit', null],
      ['text/html', '7bit', null],
      ['application/octet-stream', 'base64', 'attachment'],
      ['text/plain', '7bit', 'attachment'],
    ],
  );
  t.equal(py.text, 'See both files.\n');
  t.equal(py.html, '<p>See <b>both</b> files.</p>\n');
  t.equal(py.attachments[0]?.sha256, sha256(bytes));
  t.same(py.defects, []);
});

t.test('each text part in the encoding it needs', async (t) => {
  const cases: [string, string, string][] = [
    ['plain ASCII', 'Job ended.\n\tRC 0', '7bit'],
    ['a few umlauts', 'Sehr geehrte Damen und Herren,\ndie Platte ist zu 97 % voll.\nSchöne Grüße', 'quoted-printable'],
    ['a line of 998 octets', 'x'.repeat(998), '7bit'],
    ['a line of 999 octets', 'x'.repeat(999), 'quoted-printable'],
    ['a control character', 'bell\u0007here', 'quoted-printable'],
    ['a lone CR', 'over\rprint', 'quoted-printable'],
    ['mostly Cyrillic', 'Уважаемые коллеги, диск SYSRES заполнен на 97 %.', 'base64'],
    ['Japanese', 'ジョブが終了しました', 'base64'],
  ];
  for (const [name, text, encoding] of cases) {
    const message = composeMessage({
      ...base,
      body: text,
      attachments: [{ filename: 'a.txt', contentType: 'text/plain', content: { text } }],
    });
    checkWire(t, message, { delimiters: 3 });
    const heads = [...message.toString('latin1').matchAll(/^Content-Transfer-Encoding: (.*)\r$/gm)].map((m) => m[1]);
    t.same(heads, [encoding, encoding], `${name}: ${encoding} for body and attachment`);
    const parsed = await simpleParser(message);
    const expected = `${text.replace(/\r?\n/g, '\n')}\n`;
    t.equal(parsed.text, expected, `${name}: mailparser reads the body back`);
    t.equal(
      parsed.attachments[0]?.content.toString('utf8'),
      expected.replace(/\n/g, '\r\n'),
      `${name}: and the attachment`,
    );
    const py = await parseWithPython(message);
    t.equal(py.text, expected, `${name}: Python reads the body back`);
    t.equal(
      py.attachments[0]?.sha256,
      sha256(Buffer.from(expected.replace(/\n/g, '\r\n'))),
      `${name}: and the attachment's octets`,
    );
    t.same(py.defects, []);
  }
});

t.test('the choice of encoding, at its edges', async (t) => {
  const shape = (text: string) => textShape(text);
  t.same(shape(''), { octets: 2, escaped: 0, longestLine: 0, loneCr: false, boundaryMark: false });
  t.same(shape('ab\r\ncd\n'), { octets: 8, escaped: 0, longestLine: 2, loneCr: false, boundaryMark: false });
  t.same(shape('ä😀\ud800x'), {
    octets: 2 + 4 + 3 + 1 + 2,
    escaped: 9,
    longestLine: 10,
    loneCr: false,
    boundaryMark: false,
  });
  t.same(shape('a\rb'), { octets: 5, escaped: 0, longestLine: 3, loneCr: true, boundaryMark: false });
  t.equal(shape('x=_y').boundaryMark, true);
  // Exactly a third escaped is quoted-printable; more is base64. "ä" is 2 octets.
  t.equal(textEncoding(shape('äxx')), 'quoted-printable', '2 of 6 octets (with the CRLF)');
  t.equal(textEncoding(shape('äx')), 'base64', '2 of 5 octets');
  t.equal(textEncoding(shape('x'.repeat(998))), '7bit');
  t.equal(textEncoding(shape('x'.repeat(999))), 'quoted-printable');
  t.equal(textEncoding(shape('äöü'.repeat(400))), 'base64', 'a long non-ASCII line is base64 too');
  t.equal(textEncoding(shape('price: 5 =_ 6')), 'quoted-printable', '=_ never goes as 7bit');
  // The shape counts what is written.
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
      const canonical = text.replace(/\r?\n/g, '\r\n') + (text.endsWith('\n') ? '' : '\r\n');
      const s = shape(text);
      if (s.octets !== Buffer.byteLength(canonical)) throw new Error(`octets ${s.octets} for ${JSON.stringify(text)}`);
      const longest = Math.max(...canonical.split('\r\n').map((l) => Buffer.byteLength(l)));
      if (s.longestLine !== longest)
        throw new Error(`longest ${s.longestLine} != ${longest} for ${JSON.stringify(text)}`);
    }),
  );
});

/** The octets a text body stands for, decoded from the wire. */
function decodeBody(body: Body): { wire: Buffer; octets: Buffer } {
  const wire = Buffer.alloc(body.size);
  const end = body.write(wire, 0);
  if (end !== body.size) throw new Error(`wrote ${end} of ${body.size}`);
  const octets =
    body.encoding === 'base64'
      ? Buffer.from(wire.toString('latin1'), 'base64')
      : body.encoding === 'quoted-printable'
        ? qpDecode(wire)
        : wire;
  return { wire, octets };
}

t.test('text bodies cut in chunks decode to the text, whatever the cuts', async () => {
  const unit = fc.oneof(
    fc.constantFrom(
      ' ',
      '\t',
      '\r',
      '\n',
      '\r\n',
      '=',
      '-',
      '--',
      '=_',
      'ä',
      '€',
      '😀',
      '\u0000',
      'x'.repeat(30),
      'ä'.repeat(20),
    ),
    fc.string({ unit: 'binary', maxLength: 4 }),
  );
  fc.assert(
    fc.property(fc.array(unit, { maxLength: 60 }), fc.integer({ min: 4, max: 40 }), (units, chunk) => {
      const text = units.join('');
      const canonical = Buffer.from(text.replace(/\r?\n/g, '\r\n') + (text.endsWith('\n') ? '' : '\r\n'), 'utf8');
      const whole = textBody(text);
      const cut = textBody(text, chunk);
      if (cut.encoding !== whole.encoding) throw new Error('the cuts changed the encoding');
      for (const body of [whole, cut]) {
        const { wire, octets } = decodeBody(body);
        if (!octets.equals(canonical))
          throw new Error(
            `${body.encoding} with chunk ${chunk} decodes to ${JSON.stringify(octets.toString())} for ${JSON.stringify(text)}`,
          );
        const lines = wire.toString('latin1').split('\r\n');
        const limit = body.encoding === '7bit' ? 998 : 76;
        if (lines.some((l) => l.length > limit)) throw new Error(`a line over ${limit} in ${body.encoding}`);
        if (body.encoding !== '7bit' && lines.some((l) => l.startsWith('-') || l.includes('=_')))
          throw new Error(`a line that could begin a delimiter: ${JSON.stringify(lines)}`);
        if (/\r(?!\n)|(?<!\r)\n/.test(wire.toString('latin1'))) throw new Error('a bare CR or LF on the wire');
      }
    }),
    { numRuns: 500 },
  );
});

t.test('base64 lines: 76 characters, each with its CRLF, across every block edge', async (t) => {
  const reference = (b: Buffer) =>
    b.length === 0
      ? ''
      : `${b
          .toString('base64')
          .match(/.{1,76}/g)!
          .join('\r\n')}\r\n`;
  const block = 57 * 1024;
  const sizes = [0, 1, 2, 3, 56, 57, 58, 114, block - 1, block, block + 1, block + 57, 2 * block + 56, 3 * block];
  for (const n of sizes) {
    const bytes = randomBytes(n);
    const body = binaryBody(bytes);
    t.equal(body.size, base64Size(n), `size of ${n}`);
    const { wire, octets } = decodeBody(body);
    t.equal(wire.toString('latin1'), reference(bytes), `${n} octets as Buffer's base64 in lines`);
    t.ok(octets.equals(bytes));
  }
  // A Uint8Array that is a window on a larger buffer: only the window goes out.
  const backing = randomBytes(300);
  const view = new Uint8Array(backing.buffer, backing.byteOffset + 7, 200);
  t.equal(decodeBody(binaryBody(view)).wire.toString('latin1'), reference(Buffer.from(view)));
});

t.test('a 7bit body holding a would-be delimiter line goes as quoted-printable', async (t) => {
  // Boundaries come from randomUUID: pin it, so the body can hold this very message's.
  const uuid = '01234567-89ab-cdef-0123-456789abcdef';
  const delimiter = `------=_cicsmail_${uuid}`;
  const realUUID = crypto.randomUUID;
  crypto.randomUUID = () => uuid;
  syncBuiltinESMExports();
  let message: Buffer;
  try {
    const body = `before\n${delimiter}\nContent-Type: text/html\n\n<b>injected</b>\n${delimiter}--\nafter`;
    message = composeMessage({
      ...base,
      body,
      attachments: [{ filename: 'x.txt', contentType: 'text/plain', content: { text: `${delimiter}--` } }],
    });
    t.equal(withBoundaries(message).boundaries[0], `----=_cicsmail_${uuid}`, 'the boundary is the pinned one');
    checkWire(t, message, { delimiters: 3 });
    t.same(
      [...message.toString('latin1').matchAll(/^Content-Transfer-Encoding: (.*)\r$/gm)].map((m) => m[1]),
      ['quoted-printable', 'quoted-printable'],
    );
    t.match(message.toString('latin1'), /^=2D-----=3D_cicsmail_01234567-89ab-cdef-0123-456789abcdef\r$/m);
    const parsed = await simpleParser(message);
    t.equal(parsed.text, `${body}\n`);
    t.equal(parsed.html, false, 'no part was injected');
    t.equal(parsed.attachments.length, 1);
    t.equal(parsed.attachments[0]?.content.toString(), `${delimiter}--\r\n`);
    const py = await parseWithPython(message);
    t.equal(py.parts.length, 2);
    t.equal(py.text, `${body}\n`);
    t.same(py.defects, []);
  } finally {
    crypto.randomUUID = realUUID;
    syncBuiltinESMExports();
  }
  // Lines of hyphens without `=_` cannot be a delimiter: they stay 7bit.
  const dashes = composeMessage({
    ...base,
    body: '--\n------\n-- signature',
    attachments: [{ filename: 'x.txt', contentType: 'text/plain', content: { text: '--' } }],
  });
  t.same(
    [...dashes.toString('latin1').matchAll(/^Content-Transfer-Encoding: (.*)\r$/gm)].map((m) => m[1]),
    ['7bit', '7bit'],
  );
  t.equal((await simpleParser(dashes)).text, '--\n------\n-- signature\n');
});

const PRINTABLE = /^[\x20-\x7e]*$/;

t.test('blanks in a row survive the fold: readers unfold CRLF and its blanks into one space', async (t) => {
  // Found by the property below (seed 2083772422): the fold came before "  --" and
  // mailparser read one blank where there were two.
  for (const subject of [
    '\u0080\u{10000}\u{1F600}\u{10000}\u{10000}\u{10000}\u{10000}  --',
    `${'x'.repeat(50)} word  word  word  word  word`,
    'Disk  report',
  ]) {
    const message = composeMessage({ ...base, subject });
    t.equal((await simpleParser(message)).subject, subject, JSON.stringify(subject));
    t.equal((await parseWithPython(message)).subject, subject, `Python: ${JSON.stringify(subject)}`);
  }
  t.match(
    lines(composeMessage({ ...base, subject: 'Disk  report' })),
    ['From: a@x.example', 'To: b@y.example', 'Subject: Disk  report'],
    'a short ASCII subject stays as it is',
  );
});

t.test('long headers: subject, display name and file name stay within 998, folded where they can be', async (t) => {
  const longWord = `https://ops.example/${'x'.repeat(1500)}`;
  const subjects = [
    longWord,
    `Job report ${'word '.repeat(600)}end`,
    `Grüße ${'y'.repeat(1200)} und ${'ü'.repeat(400)}`,
    'line one\r\nBcc: injected@evil.example',
    'looks =?utf-8?q?encoded?= but is not',
    'tab\there',
  ];
  const names = [`${'N'.repeat(1200)}`, `Smith, ${'J'.repeat(300)} "the" Batch`, `Jörg ${'ö'.repeat(500)}`];
  const filenames = [
    `${'report-'.repeat(150)}.pdf`,
    `Bericht über ${'Größe '.repeat(80)}.pdf`,
    'a "quoted"; name=x.pdf',
  ];
  for (let i = 0; i < subjects.length; i++) {
    const subject = subjects[i]!;
    const name = names[i % names.length]!;
    const filename = filenames[i % filenames.length]!;
    const message = composeMessage({
      ...base,
      subject,
      from: { name, address: 'batch@corp.example' },
      attachments: [{ filename, contentType: 'application/pdf', content: { bytes: Buffer.from('%PDF-1.4') } }],
    });
    checkWire(t, message, { delimiters: 3 });
    const head = message.toString('latin1').split('\r\n\r\n')[0]!.split('\r\n');
    t.same(
      head.filter((l) => l.length > 78 && /\s/.test(l.trim())),
      [],
      `header lines within 78 where they can be folded (${i})`,
    );
    t.notOk(
      head.some((l) => /^bcc:/i.test(l)),
      'no header injected',
    );
    const parsed = await simpleParser(message);
    t.equal(parsed.subject, subject, `mailparser: subject ${i}`);
    t.same(parsed.from?.value, [{ address: 'batch@corp.example', name }], `mailparser: name ${i}`);
    t.equal(parsed.attachments[0]?.filename, filename, `mailparser: file name ${i}`);
    const py = await parseWithPython(message);
    t.equal(py.subject, subject, `Python: subject ${i}`);
    if (PRINTABLE.test(name) && !/[^ ]{900}/.test(name)) t.equal(py.from_name, name, `Python: name ${i}`);
    // A name in several encoded words: Python takes the blanks between them for spaces
    // (cpython gh-128110, RFC 2047 6.2 says they are not).
    else t.equal(py.from_name?.replaceAll(' ', ''), name.replaceAll(' ', ''), `Python: name ${i}, but for blanks`);
    t.equal(py.attachments[0]?.filename, filename, `Python: file name ${i}`);
    t.same(py.defects, []);
  }
});

t.test('a UTF-8 subject and display name, a non-ASCII file name in RFC 2231', async (t) => {
  const message = composeMessage({
    ...base,
    subject: 'Plattenbelegung: Größe 97 % — 東京',
    from: { name: 'Jürgen Müller', address: 'jm@corp.example' },
    to: [{ name: 'Ирина', address: 'irina@corp.example' }],
    attachments: [
      { filename: 'Übersicht März.pdf', contentType: 'application/pdf', content: { bytes: Buffer.from('%PDF-1.4\n') } },
    ],
  });
  checkWire(t, message, { delimiters: 3 });
  const wire = message.toString('latin1');
  t.match(wire, /^From: =\?UTF-8\?Q\?J=C3=BCrgen_M=C3=BCller\?= <jm@corp\.example>\r$/m);
  t.match(wire, /^Subject: Plattenbelegung: =\?UTF-8\?Q\?/m);
  t.match(wire, /^Content-Type: application\/pdf; name\*0\*=utf-8''%C3%9Cbersicht%20M%C3%A4rz\.pdf\r$/m);
  t.match(wire, /^Content-Disposition: attachment;\r\n filename\*0\*=utf-8''%C3%9Cbersicht%20M%C3%A4rz\.pdf\r$/m);
  const parsed = await simpleParser(message);
  t.equal(parsed.subject, 'Plattenbelegung: Größe 97 % — 東京');
  t.same(parsed.from?.value, [{ address: 'jm@corp.example', name: 'Jürgen Müller' }]);
  t.equal(parsed.attachments[0]?.filename, 'Übersicht März.pdf');
  const py = await parseWithPython(message);
  t.equal(py.subject, 'Plattenbelegung: Größe 97 % — 東京');
  t.equal(py.from_name, 'Jürgen Müller');
  t.equal(py.attachments[0]?.filename, 'Übersicht März.pdf');
  t.same(py.defects, []);
});

t.test('the Content-Type of an attachment: as given, else from the file name', async (t) => {
  const cases: [string, string, 'text' | 'bytes', string][] = [
    ['given', 'Application/PDF; x-junk=1', 'bytes', 'Content-Type: application/pdf; name=a.bin'],
    ['none given', '', 'bytes', 'Content-Type: application/pdf; name=a.pdf'],
    ['not a MIME type', 'text/plain\r\nBcc: x@evil.example', 'bytes', 'Content-Type: image/png; name=a.png'],
    ['a name that says nothing', '', 'bytes', 'Content-Type: application/octet-stream; name=README'],
    ['text', 'text/csv', 'text', 'Content-Type: text/csv; charset=utf-8; name=a.csv'],
    ['text, from the name', '', 'text', 'Content-Type: text/csv; charset=utf-8; name=a.csv'],
    ['text, a name that says nothing', '', 'text', 'Content-Type: text/plain; charset=utf-8; name=SYSOUT'],
  ];
  const names: Record<string, string> = {
    given: 'a.bin',
    'none given': 'a.pdf',
    'not a MIME type': 'a.png',
    'a name that says nothing': 'README',
    text: 'a.csv',
    'text, from the name': 'a.csv',
    'text, a name that says nothing': 'SYSOUT',
  };
  for (const [name, contentType, kind, expected] of cases) {
    const filename = names[name]!;
    const content = kind === 'text' ? { text: 'a;b' } : { bytes: Buffer.from([1, 2, 3]) };
    const message = composeMessage({ ...base, attachments: [{ filename, contentType, content }] });
    t.match(
      message.toString('latin1'),
      new RegExp(`^${expected.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\r$`, 'm'),
      name,
    );
    t.notMatch(message.toString('latin1'), /^Bcc:/im);
  }
  // No file name: no name parameters, and both readers see an attachment without a name.
  const message = composeMessage({
    ...base,
    attachments: [{ filename: '', contentType: 'application/pdf', content: { bytes: Buffer.from([1]) } }],
  });
  t.match(
    message.toString('latin1'),
    /^Content-Type: application\/pdf\r\nContent-Disposition: attachment\r\nContent-Transfer-Encoding: base64\r$/m,
  );
  const py = await parseWithPython(message);
  t.same(
    py.attachments.map((a) => [a.content_type, a.filename]),
    [['application/pdf', null]],
  );
});

t.test('a 5 MB attachment comes back byte for byte', async (t) => {
  const bytes = randomBytes(5 * 1024 * 1024 + 17);
  // Lines up to 1,200 characters, and one longer than a chunk of text (64 Ki units).
  const lines = Array.from(
    { length: 5_000 },
    (_, i) => `Zeile ${i}: Größe ${i * 3} MB, Überlauf ${'x'.repeat(i % 1200)}`,
  );
  lines.splice(2500, 0, `${'Grüße '.repeat(12_000)}`);
  const text = lines.join('\n');
  const message = composeMessage({
    ...base,
    attachments: [
      { filename: 'dump.bin', contentType: 'application/octet-stream', content: { bytes } },
      { filename: 'report.txt', contentType: 'text/plain', content: { text } },
    ],
  });
  t.equal(message.length, message.buffer.byteLength, 'one Buffer of its own, not a slice of a larger one');
  checkWire(t, message, { delimiters: 4 });
  const parsed = await simpleParser(message);
  t.ok(parsed.attachments[0]?.content.equals(bytes), 'mailparser: binary byte for byte');
  const expectedText = Buffer.from(`${text.replaceAll('\n', '\r\n')}\r\n`);
  t.ok(
    parsed.attachments[1]?.content.equals(expectedText),
    'mailparser: the long text, lines longer than a chunk included',
  );
  const py = await parseWithPython(message);
  t.same(
    py.attachments.map((a) => [a.filename, a.transfer_encoding, a.size, a.sha256]),
    [
      ['dump.bin', 'base64', bytes.length, sha256(bytes)],
      ['report.txt', 'quoted-printable', expectedText.length, sha256(expectedText)],
    ],
  );
  t.same(py.defects, []);
});

t.test('composing a 20 MB attachment: one copy of the message, no more', async (t) => {
  // In a process of its own, so that its peak RSS is this and nothing else.
  const compose = new URL('../../transactions/mail/compose.js', import.meta.url).href;
  const script = `
    const { composeMessage } = await import(${JSON.stringify(compose)});
    const { randomFillSync } = await import('node:crypto');
    const bytes = randomFillSync(Buffer.allocUnsafeSlow(20 * 1024 * 1024));
    const mail = { from: { name: '', address: 'a@x.example' }, to: [{ name: '', address: 'b@y.example' }], cc: [], subject: 'big',
      importance: 'normal', body: 'See the attachment.', bodyFormat: 'text', messageId: '<1@x>', date: new Date(),
      attachments: [{ filename: 'big.bin', contentType: 'application/octet-stream', content: { bytes } }] };
    composeMessage({ ...mail, attachments: [{ ...mail.attachments[0], content: { bytes: bytes.subarray(0, 100000) } }] });
    gc(); gc();
    const before = process.memoryUsage().rss;
    const message = composeMessage(mail);
    const peak = process.resourceUsage().maxRSS * 1024;
    console.log(JSON.stringify({ growth: peak - before, size: message.length }));`;
  // The TypeScript loader tap runs this file with.
  const tsx = process.execArgv.filter((a) => a.includes('tsx'));
  const loader = tsx.length > 0 ? tsx : ['--import', 'tsx'];
  const out = await new Promise<string>((resolve, reject) =>
    execFile(
      process.execPath,
      ['--expose-gc', ...loader, '--input-type=module', '-e', script],
      (err, stdout, stderr) => (err ? reject(new Error(stderr || err.message)) : resolve(stdout)),
    ),
  );
  const { growth, size } = JSON.parse(out) as { growth: number; size: number };
  const MiB = 1024 * 1024;
  t.ok(size > 27 * MiB, `a message of ${(size / MiB).toFixed(1)} MiB`);
  // The message itself is 27.4 MiB; a whole-message string besides it was ~136 MiB.
  t.ok(growth < 64 * MiB, `peak RSS grew by ${(growth / MiB).toFixed(1)} MiB`);
});

t.test('file names with blanks in a row come back whole: folded between parameters only', async (t) => {
  // Found by the property test below (seed -449805826): a long name folded inside its quotes
  // put CRLF and a blank between two blanks, and readers unfolded that to one space.
  const names = ['=_  ' + 'x'.repeat(90), 'Prüfbericht  ä   ö.pdf', 'a  b; c="d".txt', 'y'.repeat(300)];
  const message = composeMessage({
    ...base,
    attachments: names.map((filename) => ({ filename, contentType: '', content: { bytes: new Uint8Array([1]) } })),
  });
  const wire = message.toString('latin1');
  t.ok(
    wire.split('\r\n').every((l) => l.length <= 78),
    'every line within 78 characters',
  );
  const parsed = await simpleParser(message);
  t.same(
    parsed.attachments.map((a) => a.filename),
    names,
    'mailparser reads each name as it went',
  );
  const py = await parseWithPython(message);
  t.same(
    py.attachments.map((a) => a.filename),
    names,
    "and Python's email package",
  );
});

t.test('property: random text, subject and attachments come back as they went', async () => {
  const unit = fc.oneof(
    fc.constantFrom(
      ' ',
      '  ',
      '\t',
      '\n',
      '\r\n',
      '=',
      '_',
      '=_',
      '-',
      '--',
      '?',
      '.',
      'ä',
      '€',
      '😀',
      'x'.repeat(90),
      '=?utf-8?q?a?=',
      '----=_cicsmail_',
    ),
    fc.string({ unit: 'binary', maxLength: 6 }),
  );
  const text = (max: number) => fc.array(unit, { maxLength: max }).map((a) => a.join(''));
  const attachment = fc.record({
    filename: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }), text(8)),
    content: fc.oneof(
      fc.uint8Array({ maxLength: 3000 }).map((bytes) => ({ bytes })),
      text(40).map((t) => ({ text: t })),
    ),
  });
  await fc.assert(
    fc.asyncProperty(
      text(80),
      text(20),
      fc.array(attachment, { maxLength: 3 }),
      fc.nat(4),
      async (body, subject, attachments, one) => {
        const message = composeMessage({
          ...base,
          body,
          subject,
          attachments: attachments.map((a) => ({ ...a, contentType: '' })),
        });
        const wire = message.toString('latin1');
        if (/[^\x00-\x7f]/.test(wire)) throw new Error('8-bit on the wire');
        if (wire.split('\r\n').some((l) => l.length > 998)) throw new Error('a line over 998');
        const parsed = await simpleParser(message);
        // Readers drop blanks around a header value; everything else comes back.
        if ((parsed.subject ?? '').trim() !== subject.trim())
          throw new Error(`subject ${JSON.stringify(parsed.subject)}`);
        const expectedBody = `${body.replace(/\r?\n/g, '\n')}${body.endsWith('\n') ? '' : '\n'}`;
        if (parsed.text !== expectedBody)
          throw new Error(`text ${JSON.stringify(parsed.text)} != ${JSON.stringify(expectedBody)}`);
        if (parsed.attachments.length !== attachments.length)
          throw new Error(`${parsed.attachments.length} attachments`);
        attachments.forEach((a, i) => {
          const got = parsed.attachments[i]!;
          const want =
            'bytes' in a.content
              ? Buffer.from(a.content.bytes)
              : Buffer.from(a.content.text.replace(/\r?\n/g, '\r\n') + (a.content.text.endsWith('\n') ? '' : '\r\n'));
          if (!got.content.equals(want)) throw new Error(`attachment ${i} differs`);
          // As with subjects, readers drop blanks around a file name (mailparser trims it);
          // a control character or a path separator comes back as _ (file-name.ts).
          if ((got.filename ?? '').trim() !== safeFileName(a.filename).trim())
            throw new Error(`file name ${JSON.stringify(got.filename)} != ${JSON.stringify(a.filename)}`);
        });
        // Python in one run of five: a process each is what makes this test slow.
        if (one === 0) {
          const py = await parseWithPython(message);
          if (py.subject.trim() !== subject.trim()) throw new Error(`Python: subject ${JSON.stringify(py.subject)}`);
          if (py.attachments.length !== attachments.length)
            throw new Error(`Python: ${py.attachments.length} attachments`);
        }
      },
    ),
    { numRuns: 120 },
  );
});

t.test('work in proportion to the mail: doubling it about doubles the time, hostile shapes too', async (t) => {
  const many = <T>(n: number, one: (i: number) => T) => Array.from({ length: n }, (_, i) => one(i));
  const text = (filename: string, body = 'x') => ({ filename, contentType: '', content: { text: body } });
  const shapes: [string, (n: number) => MailContent, number][] = [
    ['recipients', (n) => ({ ...base, to: many(n, (i) => ({ name: '', address: `a${i}@x.example` })) }), 2000],
    [
      'recipients with UTF-8 names',
      (n) => ({ ...base, to: many(n, (i) => ({ name: `Näme ${i}`, address: `a${i}@x.example` })) }),
      1000,
    ],
    [
      'Cc names to quote',
      (n) => ({ ...base, cc: many(n, (i) => ({ name: `N, "${i}"`, address: `a${i}@x.example` })) }),
      1000,
    ],
    ['a subject of words', (n) => ({ ...base, subject: 'word '.repeat(n) }), 5000],
    ['a subject of one word', (n) => ({ ...base, subject: 'x'.repeat(n) }), 20_000],
    ['a UTF-8 subject', (n) => ({ ...base, subject: 'ä '.repeat(n) }), 5000],
    ['a subject of blanks', (n) => ({ ...base, subject: `a${' '.repeat(n)}b` }), 20_000],
    ['a subject that looks encoded', (n) => ({ ...base, subject: '=?x?q?'.repeat(n) }), 5000],
    ['a subject of control characters', (n) => ({ ...base, subject: '\x01'.repeat(n) }), 5000],
    ['a display name of quotes', (n) => ({ ...base, from: { name: '"\\'.repeat(n), address: 'f@x.example' } }), 5000],
    ['attachments', (n) => ({ ...base, attachments: many(n, (i) => text(`f${i}.txt`)) }), 500],
    ['a long file name', (n) => ({ ...base, attachments: [text('n'.repeat(n))] }), 5000],
    ['a UTF-8 file name', (n) => ({ ...base, attachments: [text('ä'.repeat(n))] }), 5000],
    ['a file name of specials', (n) => ({ ...base, attachments: [text('";\\ '.repeat(n))] }), 5000],
    ['one long line', (n) => ({ ...base, body: 'x'.repeat(n) }), 200_000],
    ['one long UTF-8 line', (n) => ({ ...base, body: 'ä'.repeat(n) }), 100_000],
    ['one long quoted-printable line', (n) => ({ ...base, body: 'aaaä'.repeat(n) }), 50_000],
    ['lines', (n) => ({ ...base, body: 'line of text\n'.repeat(n) }), 20_000],
    ['quoted-printable lines', (n) => ({ ...base, body: 'line ä\n'.repeat(n) }), 20_000],
    ['lone CRs', (n) => ({ ...base, body: 'a\rä'.repeat(n) }), 20_000],
    ['HTML paragraphs', (n) => ({ ...base, bodyFormat: 'html', body: '<p>hi</p>'.repeat(n) }), 2000],
    // Each nested list indented every line under it: 4,000 deep took 4 times as long as 2,000.
    ['HTML lists nested', (n) => ({ ...base, bodyFormat: 'html', body: '<ul><li>x'.repeat(n) }), 1000],
    ['HTML quotes nested', (n) => ({ ...base, bodyFormat: 'html', body: '<blockquote>x'.repeat(n) }), 1000],
    ['HTML rules', (n) => ({ ...base, bodyFormat: 'html', body: '<hr>'.repeat(n) }), 2000],
    [
      'an HTML table',
      (n) => ({ ...base, bodyFormat: 'html', body: `<table>${'<tr><td>a</td><td>b</td></tr>'.repeat(n)}</table>` }),
      500,
    ],
  ];
  for (const [shape, make, n] of shapes) {
    const figures = await doubling(make, composeMessage, { n, maxN: n });
    t.ok(figures.ratio < LINEAR_RATIO, `${shape}: ${doublingText(figures)}`);
  }
});

t.test('the text made from HTML is at most four times as long as the HTML', async (t) => {
  const textOf = async (html: string) =>
    (await simpleParser(composeMessage({ ...base, bodyFormat: 'html', body: html }))).text ?? '';
  // 2,000 nested lists, 18 KB: 4 MB of text before (and 2,000 levels overflowed the stack).
  const lists = '<ul><li>x'.repeat(2000);
  const listText = await textOf(lists);
  t.ok(
    listText.length <= 4 * lists.length + 1024 + '\n\n[the rest is in the HTML part]\n'.length,
    `nested lists: ${listText.length} characters of text for ${lists.length} of HTML`,
  );
  t.ok(listText.endsWith('\n\n[the rest is in the HTML part]\n'), 'cut, and says where the rest is');
  // 100,000 nested <b> (300 KB): 48 s of CPU in html-to-text's parser before.
  t.equal((await textOf(`${'<b>'.repeat(100_000)}y`)).trim(), 'y', 'elements nested past 64 keep their text');
  const quotes = `${'<blockquote>'.repeat(60)}${'<br>y'.repeat(5000)}`;
  const quoteText = await textOf(quotes);
  t.equal(
    quoteText.length,
    4 * quotes.length + 1024 + '\n\n[the rest is in the HTML part]\n'.length,
    'cut at four times, and 1 KiB',
  );
  t.ok(quoteText.endsWith('\n\n[the rest is in the HTML part]\n'), 'and says where the rest is');
  const rules = '<hr>'.repeat(5000);
  t.ok((await textOf(rules)).length <= 4 * rules.length + 1100, 'rules too');
  const real = '<h1>Job report</h1><p>PAYROLL1 ended.</p><ul><li>SYSRES</li></ul>';
  t.equal(await textOf(real), 'JOB REPORT\n\nPAYROLL1 ended.\n\n * SYSRES\n', 'a usual body as before');
});

/** A composed message's chunks joined, each copied as it comes (its memory is the next one's). */
function joinedChunks(composed: ComposedMessage): { joined: Buffer; chunks: number; largest: number } {
  const copies: Buffer[] = [];
  let largest = 0;
  for (const chunk of composed.chunks()) {
    copies.push(Buffer.from(chunk));
    largest = Math.max(largest, chunk.byteLength);
  }
  return { joined: Buffer.concat(copies), chunks: copies.length, largest };
}

t.test('a large mail in chunks is the same bytes as the mail written whole, in every encoding', async (t) => {
  const block = 57 * 1024;
  const shapes: Record<string, MailContent['attachments']> = {
    'no attachment': [],
    'an empty attachment': [{ filename: 'e.bin', contentType: '', content: { bytes: new Uint8Array(0) } }],
    'binary at block and chunk edges': [block - 1, block, block + 1, 256 * 1024, 3 * 1024 * 1024 + 7].map((n, i) => ({
      filename: `b${i}.bin`,
      contentType: '',
      content: { bytes: randomBytes(n) },
    })),
    '7bit text': [{ filename: 't.txt', contentType: '', content: { text: 'plain line\n'.repeat(200_000) } }],
    'quoted-printable text, lines longer than a chunk': [
      {
        filename: 'q.txt',
        contentType: '',
        content: { text: `${'café = thé\n'.repeat(100_000)}${'x'.repeat(300_000)}` },
      },
    ],
    'base64 text': [{ filename: 'c.txt', contentType: '', content: { text: 'жжжжж\n'.repeat(300_000) } }],
  };
  for (const [shape, attachments] of Object.entries(shapes)) {
    const mail = { ...base, from: { name: 'Jörg', address: 'j@x.example' }, attachments };
    const composed = composedMessage(mail);
    const whole = composed.toBuffer();
    // The same layout (its boundaries made once) written both ways.
    const { joined, chunks, largest } = joinedChunks(composed);
    t.equal(composed.byteLength, whole.length, `${shape}: its size`);
    t.ok(joined.equals(whole), `${shape}: ${chunks} chunks, the same ${whole.length} bytes`);
    t.ok(largest <= 256 * 1024, `${shape}: no chunk over 256 KiB (${largest})`);
    t.ok(composed.ascii && composed.headerAscii, `${shape}: all ASCII (the name is an encoded word)`);
  }
  // A mail read back by mailparser from its chunks: the attachment's bytes, exactly.
  const bytes = randomBytes(2 * 1024 * 1024 + 3);
  const parsed = await simpleParser(
    joinedChunks(
      composedMessage({ ...base, attachments: [{ filename: 'a.bin', contentType: '', content: { bytes } }] }),
    ).joined,
  );
  t.ok(parsed.attachments[0]?.content.equals(bytes), 'mailparser reads the attachment back whole');
});

t.test('a message in chunks says where its octets are not ASCII', async (t) => {
  // An address that is not ASCII goes in UTF-8 (RFC 6532): 8-bit octets in the header section.
  const utf8 = composedMessage({ ...base, to: [{ name: '', address: 'jörg@x.example' }] });
  t.notOk(utf8.ascii);
  t.notOk(utf8.headerAscii);
  t.ok(composedMessage(base).ascii);
});

t.test('writing a mail in chunks grows in proportion to its attachment', async (t) => {
  const make = (n: number): MailContent => ({
    ...base,
    attachments: [{ filename: 'a.bin', contentType: '', content: { bytes: randomBytes(n) } }],
  });
  const drain = (mail: MailContent) => {
    let octets = 0;
    for (const chunk of composedMessage(mail).chunks()) octets += chunk.byteLength;
    return octets;
  };
  const figures = await doubling(make, drain, { n: 256 * 1024, maxN: 4 * 1024 * 1024 });
  t.ok(figures.ratio < LINEAR_RATIO, doublingText(figures));
});
