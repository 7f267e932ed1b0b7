// SEND's control statements: every statement and default, one item a mail in input
// order, each reason at its line, and input meant to hurt.
import { randomBytes } from 'node:crypto';
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { parseStatements, type SendItem, type SendMail } from '../../transactions/send/statements.js';
import { substituteSymbols, type Symbols } from '../../transactions/send/symbols.js';
import { doubling, doublingText, LINEAR_RATIO } from '../helpers/doubling.js';

const symbols: Symbols = {
  date: '2026-03-04',
  time: '05:06:07',
  userid: 'BRUCE',
  tranid: 'SEND',
  taskn: '0000042',
  jobname: 'PAYROLL',
  sysid: 'CICA',
};
const parse = (...lines: string[]) => parseStatements(lines, symbols);
const addr = (address: string, name = '') => ({ name, address });

function mailOf(t: Test, items: SendItem[], index = 0): SendMail {
  const item = items[index];
  if (!item?.ok) {
    t.fail(`item ${index} is not a mail: ${JSON.stringify(item)}`);
    throw new Error('no mail');
  }
  return item.mail;
}
// An array, not a spread: 100,000 arguments overflow the stack.
function onlyOf(t: Test, lines: string[]): SendMail {
  const items = parseStatements(lines, symbols);
  t.equal(items.length, 1, 'one item');
  return mailOf(t, items);
}
const only = (t: Test, ...lines: string[]) => onlyOf(t, lines);
const errorOf = (item: SendItem | undefined) =>
  item && !item.ok ? { line: item.line, reason: item.reason, message: item.message } : item;

t.test('every statement', async (t) => {
  const items = parse(
    '* a monthly report',
    'FROM "Payroll Batch" <payroll@corp.example>',
    'REPLYTO help@corp.example',
    'TO a@corp.example, b@corp.example',
    'TO Bruce <bruce@wayne.example>',
    'CC c@corp.example d@corp.example',
    'BCC audit@corp.example',
    'SUBJECT Run of &DATE at &TIME',
    'IMPORTANCE HIGH',
    'PRIORITY URGENT',
    'SENSITIVITY PRIVATE',
    'RECEIPT payroll@corp.example',
    'FORMAT HTML',
    'TEXT',
    '<p>Done.</p>',
    'ENDTEXT',
    'ATTACH NAME=run.log',
    'all well',
    'ENDATTACH',
  );
  t.strictSame(items, [
    {
      ok: true,
      line: 2,
      mail: {
        from: addr('payroll@corp.example', 'Payroll Batch'),
        replyTo: addr('help@corp.example'),
        to: [addr('a@corp.example'), addr('b@corp.example'), addr('bruce@wayne.example', 'Bruce')],
        cc: [addr('c@corp.example'), addr('d@corp.example')],
        bcc: [addr('audit@corp.example')],
        subject: 'Run of 2026-03-04 at 05:06:07',
        importance: 'high',
        priority: 'urgent',
        sensitivity: 'private',
        receipt: addr('payroll@corp.example'),
        format: 'html',
        body: '<p>Done.</p>',
        attachments: [{ filename: 'run.log', contentType: 'text/plain', content: { text: 'all well' } }],
      },
    },
  ]);
});

t.test('defaults: a mail of one TO', async (t) => {
  t.strictSame(
    only(t, 'TO a@x.example'),
    {
      from: null,
      to: [addr('a@x.example')],
      cc: [],
      bcc: [],
      subject: '',
      importance: 'normal',
      format: 'text',
      body: '',
      attachments: [],
    },
    'no replyTo, priority, sensitivity or receipt keys at all',
  );
});

t.test('keywords and values in any case, leading and repeated blanks', async (t) => {
  const mail = only(
    t,
    '   to    a@x.example',
    ' Subject   two  blanks  kept',
    'importance low',
    'Priority non-urgent',
    'sensitivity Personal',
    'format html',
  );
  t.same(mail.to, [addr('a@x.example')]);
  t.equal(mail.subject, 'two  blanks  kept');
  t.equal(mail.importance, 'low');
  t.equal(mail.priority, 'non-urgent');
  t.equal(mail.sensitivity, 'personal');
  t.equal(mail.format, 'html');
});

t.test('each value of IMPORTANCE, PRIORITY, SENSITIVITY and FORMAT', async (t) => {
  const value = (statement: string) => only(t, 'TO a@x.example', statement);
  t.equal(value('IMPORTANCE LOW').importance, 'low');
  t.equal(value('IMPORTANCE NORMAL').importance, 'normal');
  t.equal(value('IMPORTANCE HIGH').importance, 'high');
  t.equal(value('PRIORITY NON-URGENT').priority, 'non-urgent');
  t.equal(value('PRIORITY NORMAL').priority, 'normal');
  t.equal(value('PRIORITY URGENT').priority, 'urgent');
  t.equal(value('SENSITIVITY PERSONAL').sensitivity, 'personal');
  t.equal(value('SENSITIVITY PRIVATE').sensitivity, 'private');
  t.equal(value('SENSITIVITY CONFIDENTIAL').sensitivity, 'company-confidential', 'as Outlook writes it');
  t.equal(value('SENSITIVITY COMPANY-CONFIDENTIAL').sensitivity, 'company-confidential');
  t.equal(value('FORMAT TEXT').format, 'text');
  t.equal(value('FORMAT HTML').format, 'html');
});

t.test('CC or BCC alone is a recipient', async (t) => {
  t.same(only(t, 'CC a@x.example').cc, [addr('a@x.example')]);
  t.same(only(t, 'BCC a@x.example').bcc, [addr('a@x.example')]);
});

t.test('several mails: SEND ends one, the end of input the last', async (t) => {
  const items = parse(
    'TO a@x.example',
    'SUBJECT one',
    'SEND',
    '',
    '* the second',
    'TO b@x.example',
    'SUBJECT two',
    'SEND',
    'TO c@x.example',
    'SUBJECT three',
  );
  t.same(
    items.map((i) => i.line),
    [1, 6, 9],
  );
  t.same(
    items.map((i) => i.ok && i.mail.subject),
    ['one', 'two', 'three'],
  );
  t.same(mailOf(t, items, 1).to, [addr('b@x.example')], 'statements do not carry over');
});

t.test('a SEND with nothing before it yields no mail', async (t) => {
  const items = parse('SEND', 'send', 'TO a@x.example', 'SEND', 'SEND', '* nothing', 'SEND', 'TO b@x.example', 'SEND');
  t.same(
    items.map((i) => i.line),
    [3, 8],
  );
  t.ok(items.every((i) => i.ok));
});

t.test('the contract: a syntax error in the second of three mails stops neither of the others', async (t) => {
  const items = parse(
    'TO a@x.example',
    'SEND',
    'TO b@x.example',
    'FRMO c@x.example',
    'SUBJECT after the error',
    'SEND',
    'TO d@x.example',
  );
  t.same(
    items.map((i) => i.ok),
    [true, false, true],
  );
  t.same(errorOf(items[1]), { line: 4, reason: 'BADSTMT', message: 'unknown statement FRMO' });
  t.same(mailOf(t, items, 2).to, [addr('d@x.example')]);
});

t.test('a broken mail reports its first error and is skipped to its SEND, blocks and all', async (t) => {
  const items = parse(
    'TO a@x.example',
    'IMPORTANCE EXTREME',
    'BOGUS',
    'TEXT',
    'SEND',
    'FROM not-an-address',
    'ENDTEXT',
    'ATTACH NAME=x.bin ENCODING=BASE64',
    'SEND',
    'ENDATTACH',
    'SEND',
    'TO b@x.example',
  );
  t.equal(items.length, 2);
  t.same(errorOf(items[0]), { line: 2, reason: 'BADOPER', message: "IMPORTANCE is LOW, NORMAL, HIGH, not 'EXTREME'" });
  t.same(items[1]?.line, 12);
  t.ok(items[1]?.ok);
});

t.test('a TEXT block is the body as written', async (t) => {
  const mail = only(
    t,
    'TO a@x.example',
    'TEXT',
    'Dear &USERID,',
    '',
    '* not a comment',
    '   indented',
    'SEND',
    'TO b@x.example',
    'endtextual',
    '',
    '  EndText',
  );
  t.equal(mail.body, 'Dear BRUCE,\n\n* not a comment\n   indented\nSEND\nTO b@x.example\nendtextual\n');
  t.same(mail.to, [addr('a@x.example')]);
});

t.test('TEXT blocks of one mail follow each other; an empty one is an empty body', async (t) => {
  t.equal(only(t, 'TO a@x.example', 'TEXT', 'one', 'ENDTEXT', 'TEXT', 'two', 'ENDTEXT').body, 'one\ntwo');
  t.equal(only(t, 'TEXT', 'ENDTEXT', 'TO a@x.example').body, '');
  t.equal(
    only(t, 'TEXT', 'tab\there is content', 'ENDTEXT', 'TO a@x.example').body,
    'tab\there is content',
    'control characters are checked in statements only',
  );
});

t.test('symbols', async (t) => {
  t.equal(
    substituteSymbols('&DATE &TIME &USERID &TRANID &TASKN &JOBNAME &SYSID', symbols),
    '2026-03-04 05:06:07 BRUCE SEND 0000042 PAYROLL CICA',
  );
  t.equal(substituteSymbols('&date &Time &uSeRiD', symbols), '2026-03-04 05:06:07 BRUCE', 'names in any case');
  t.equal(substituteSymbols('AT&&T, &&DATE, &&&DATE', symbols), 'AT&T, &DATE, &2026-03-04');
  t.equal(
    substituteSymbols('&FOO &DATEX &DATE2 & &1 tail&', symbols),
    '&FOO &DATEX &DATE2 & &1 tail&',
    'unknown symbols left as written',
  );
  t.equal(
    substituteSymbols('&DATE.&TIME:&SYSID-x', symbols),
    '2026-03-04.05:06:07:CICA-x',
    'a name ends at the first character not a letter or digit',
  );
  t.equal(substituteSymbols('no symbols', symbols), 'no symbols');
  t.equal(
    substituteSymbols('&USERID', { ...symbols, userid: '$& $1 $$' }),
    '$& $1 $$',
    'values are not replacement patterns',
  );
  t.equal(
    only(t, 'TO a@x.example', 'SUBJECT &JOBNAME on &sysid', 'TEXT', '&TRANID/&TASKN &&', 'ENDTEXT').subject,
    'PAYROLL on CICA',
  );
  t.equal(only(t, 'TO a@x.example', 'TEXT', '&TRANID/&TASKN &&', 'ENDTEXT').body, 'SEND/0000042 &');
});

t.test('ATTACH', async (t) => {
  const mail = only(
    t,
    'TO a@x.example',
    'ATTACH NAME="monthly report.txt"',
    'name;amount',
    '',
    '&DATE is not a symbol here',
    'SEND',
    'ENDATTACH',
    'attach   type=text/csv   encoding=text   name=Übersicht_März.csv',
    'a;b',
    '  endattach',
    'ATTACH NAME=empty.dat',
    'ENDATTACH',
    'ATTACH ENCODING=BASE64 NAME=report.pdf',
    'JVBERg==',
    'ENDATTACH',
    'ATTACH NAME="two words.bin" TYPE=application/x-thing ENCODING=base64',
    'ENDATTACH',
    'ATTACH NAME=noextension ENCODING=BASE64',
    'ENDATTACH',
  );
  t.strictSame(mail.attachments, [
    {
      filename: 'monthly report.txt',
      contentType: 'text/plain',
      content: { text: 'name;amount\n\n&DATE is not a symbol here\nSEND' },
    },
    { filename: 'Übersicht_März.csv', contentType: 'text/csv', content: { text: 'a;b' } },
    { filename: 'empty.dat', contentType: 'text/plain', content: { text: '' } },
    { filename: 'report.pdf', contentType: 'application/pdf', content: { bytes: Buffer.from('%PDF') } },
    { filename: 'two words.bin', contentType: 'application/x-thing', content: { bytes: Buffer.alloc(0) } },
    { filename: 'noextension', contentType: 'application/octet-stream', content: { bytes: Buffer.alloc(0) } },
  ]);
  t.equal(mail.body, '');
});

function base64Lines(bytes: Uint8Array, width: number): string[] {
  const b64 = Buffer.from(bytes).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += width) lines.push(b64.slice(i, i + width));
  return lines;
}

t.test('BASE64 round trip', async (t) => {
  const bytes = randomBytes(10_000);
  const mail = only(
    t,
    'TO a@x.example',
    'ATTACH NAME=random.bin ENCODING=BASE64',
    ...base64Lines(bytes, 76),
    'ENDATTACH',
  );
  const [attachment] = mail.attachments;
  t.ok(
    attachment &&
      'content' in attachment &&
      'bytes' in attachment.content &&
      Buffer.from(bytes).equals(attachment.content.bytes),
    'the same bytes',
  );
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 1, max: 80 }), (data, width) => {
      const items = parse(
        'TO a@x.example',
        'ATTACH NAME=x ENCODING=BASE64',
        ...base64Lines(data, width * 4),
        'ENDATTACH',
      );
      const attachment = items[0]?.ok ? items[0].mail.attachments[0] : undefined;
      const content = attachment && 'content' in attachment ? attachment.content : undefined;
      return content !== undefined && 'bytes' in content && Buffer.from(data).equals(content.bytes);
    }),
  );
});

t.test('BASE64 that is not', async (t) => {
  const bad = (...content: string[]) =>
    errorOf(parse('TO a@x.example', 'ATTACH NAME=x.bin ENCODING=BASE64', ...content, 'ENDATTACH')[0]);
  t.same(bad('AAAA', 'AA!A'), {
    line: 4,
    reason: 'BADB64',
    message: "ATTACH x.bin, line 4: '!' at column 3 is not base64",
  });
  t.same(bad('AA AA'), {
    line: 3,
    reason: 'BADB64',
    message: 'ATTACH x.bin, line 3: U+0020 at column 3 is not base64',
  });
  t.same(bad(' AAAA'), {
    line: 3,
    reason: 'BADB64',
    message: 'ATTACH x.bin, line 3: U+0020 at column 1 is not base64',
  });
  t.same(
    bad('AAAA-_AA'),
    { line: 3, reason: 'BADB64', message: "ATTACH x.bin, line 3: '-' at column 5 is not base64" },
    'not base64url',
  );
  t.same(bad('AAAA\tAAA'), {
    line: 3,
    reason: 'BADB64',
    message: 'ATTACH x.bin, line 3: U+0009 at column 5 is not base64',
  });
  t.same(bad('AAé='), { line: 3, reason: 'BADB64', message: "ATTACH x.bin, line 3: 'é' at column 3 is not base64" });
  t.same(bad('AAAAA'), {
    line: 2,
    reason: 'BADB64',
    message: 'ATTACH x.bin, line 2: 5 characters of base64, not a multiple of 4',
  });
  t.same(bad('AAA', 'AA'), {
    line: 2,
    reason: 'BADB64',
    message: 'ATTACH x.bin, line 2: 5 characters of base64, not a multiple of 4',
  });
  t.same(bad('AA==AAAA'), { line: 3, reason: 'BADB64', message: "ATTACH x.bin, line 3: data after the '=' padding" });
  t.same(bad('AA=', '=AAA'), {
    line: 4,
    reason: 'BADB64',
    message: "ATTACH x.bin, line 4: data after the '=' padding",
  });
  t.same(bad('A==='), { line: 3, reason: 'BADB64', message: "ATTACH x.bin, line 3: more than two '=' of padding" });
  t.same(bad('AA=', '', '=='), {
    line: 5,
    reason: 'BADB64',
    message: "ATTACH x.bin, line 5: more than two '=' of padding",
  });
  t.ok(
    parse('TO a@x.example', 'ATTACH NAME=x.bin ENCODING=BASE64', 'AA', '', '==', 'ENDATTACH')[0]?.ok,
    'padding on its own line, an empty line between',
  );
});

// Each reason with the line it names and its message.
const reasons: Array<[string, string[], { line: number; reason: string; message: string }]> = [
  [
    'only comments and blanks',
    ['* nothing', '', '   ', '  * indented comment'],
    { line: 1, reason: 'NOMAIL', message: 'the input holds no mail' },
  ],
  ['no lines at all', [], { line: 1, reason: 'NOMAIL', message: 'the input holds no mail' }],
  ['only SENDs', ['SEND', '', 'SEND'], { line: 1, reason: 'NOMAIL', message: 'the input holds no mail' }],
  [
    'unknown statement',
    ['TO a@x.example', 'FRMO a@x.example'],
    { line: 2, reason: 'BADSTMT', message: 'unknown statement FRMO' },
  ],
  [
    'unknown statement as written',
    ['TO a@x.example', '  subjekt hi'],
    { line: 2, reason: 'BADSTMT', message: 'unknown statement subjekt' },
  ],
  [
    'long unknown statement',
    ['X'.repeat(100)],
    { line: 1, reason: 'BADSTMT', message: `unknown statement ${'X'.repeat(40)}...` },
  ],
  [
    'ASCII-only case folding',
    ['TO a@x.example', 'ſEND'],
    { line: 2, reason: 'BADSTMT', message: 'unknown statement ſEND' },
  ],
  [
    'FROM without operand',
    ['TO a@x.example', 'FROM   '],
    { line: 2, reason: 'BADOPER', message: 'FROM needs an operand' },
  ],
  ['TO without operand', ['TO'], { line: 1, reason: 'BADOPER', message: 'TO needs an operand' }],
  [
    'SUBJECT without operand',
    ['TO a@x.example', 'SUBJECT'],
    { line: 2, reason: 'BADOPER', message: 'SUBJECT needs an operand' },
  ],
  [
    'IMPORTANCE without operand',
    ['TO a@x.example', 'IMPORTANCE'],
    { line: 2, reason: 'BADOPER', message: 'IMPORTANCE needs an operand' },
  ],
  [
    'SEND with operand',
    ['TO a@x.example', 'SEND NOW'],
    { line: 2, reason: 'BADOPER', message: 'SEND takes no operand' },
  ],
  ['SEND with operand and no mail', ['SEND NOW'], { line: 1, reason: 'BADOPER', message: 'SEND takes no operand' }],
  [
    'TEXT with operand',
    ['TO a@x.example', 'TEXT BODY', 'hi', 'ENDTEXT'],
    { line: 2, reason: 'BADOPER', message: 'TEXT takes no operand' },
  ],
  [
    'ENDTEXT with operand',
    ['TO a@x.example', 'TEXT', 'hi', 'ENDTEXT NOW'],
    { line: 4, reason: 'BADOPER', message: 'ENDTEXT takes no operand' },
  ],
  [
    'ENDATTACH with operand',
    ['TO a@x.example', 'ATTACH NAME=a', 'ENDATTACH a'],
    { line: 3, reason: 'BADOPER', message: 'ENDATTACH takes no operand' },
  ],
  ['ENDTEXT alone', ['TO a@x.example', 'ENDTEXT'], { line: 2, reason: 'BADOPER', message: 'ENDTEXT without TEXT' }],
  [
    'ENDATTACH alone',
    ['TO a@x.example', 'ENDATTACH'],
    { line: 2, reason: 'BADOPER', message: 'ENDATTACH without ATTACH' },
  ],
  [
    'IMPORTANCE value',
    ['TO a@x.example', 'IMPORTANCE URGENT'],
    { line: 2, reason: 'BADOPER', message: "IMPORTANCE is LOW, NORMAL, HIGH, not 'URGENT'" },
  ],
  [
    'PRIORITY value',
    ['TO a@x.example', 'PRIORITY HIGH'],
    { line: 2, reason: 'BADOPER', message: "PRIORITY is NON-URGENT, NORMAL, URGENT, not 'HIGH'" },
  ],
  [
    'SENSITIVITY value',
    ['TO a@x.example', 'SENSITIVITY SECRET'],
    {
      line: 2,
      reason: 'BADOPER',
      message: "SENSITIVITY is PERSONAL, PRIVATE, CONFIDENTIAL, COMPANY-CONFIDENTIAL, not 'SECRET'",
    },
  ],
  [
    'FORMAT value',
    ['TO a@x.example', 'FORMAT RTF'],
    { line: 2, reason: 'BADOPER', message: "FORMAT is TEXT, HTML, not 'RTF'" },
  ],
  [
    'two words for one value',
    ['TO a@x.example', 'FORMAT HTML TEXT'],
    { line: 2, reason: 'BADOPER', message: "FORMAT is TEXT, HTML, not 'HTML TEXT'" },
  ],
  [
    'a second FROM',
    ['FROM a@x.example', 'TO b@x.example', 'FROM c@x.example'],
    { line: 3, reason: 'BADOPER', message: 'a second FROM in one mail (the first is at line 1)' },
  ],
  [
    'a second REPLYTO',
    ['TO b@x.example', 'REPLYTO a@x.example', 'REPLYTO a@x.example'],
    { line: 3, reason: 'BADOPER', message: 'a second REPLYTO in one mail (the first is at line 2)' },
  ],
  [
    'a second SUBJECT',
    ['TO b@x.example', 'SUBJECT a', 'SUBJECT b'],
    { line: 3, reason: 'BADOPER', message: 'a second SUBJECT in one mail (the first is at line 2)' },
  ],
  [
    'a second RECEIPT',
    ['TO b@x.example', 'RECEIPT a@x.example', 'RECEIPT a@x.example'],
    { line: 3, reason: 'BADOPER', message: 'a second RECEIPT in one mail (the first is at line 2)' },
  ],
  [
    'a second FORMAT',
    ['TO b@x.example', 'FORMAT TEXT', 'FORMAT HTML'],
    { line: 3, reason: 'BADOPER', message: 'a second FORMAT in one mail (the first is at line 2)' },
  ],
  [
    'a second IMPORTANCE',
    ['TO b@x.example', 'IMPORTANCE LOW', 'IMPORTANCE LOW'],
    { line: 3, reason: 'BADOPER', message: 'a second IMPORTANCE in one mail (the first is at line 2)' },
  ],
  [
    'RECEIPT not an address',
    ['TO b@x.example', 'RECEIPT me'],
    { line: 2, reason: 'BADOPER', message: "RECEIPT: 'me' is not an address" },
  ],
  [
    'RECEIPT two addresses',
    ['TO b@x.example', 'RECEIPT a@x.example c@x.example'],
    { line: 2, reason: 'BADOPER', message: 'RECEIPT holds 2 addresses, not one' },
  ],
  [
    'ATTACH unknown parameter',
    ['TO b@x.example', 'ATTACH NAME=a SIZE=3', 'ENDATTACH'],
    {
      line: 2,
      reason: 'BADOPER',
      message:
        'ATTACH has no parameter SIZE= (only NAME=, TYPE=, ENCODING=, RECFM=, LRECL=, FORMAT=, ORIENTATION=, PAPER=, FONTSIZE=, MARGIN=, SEPARATOR=, INDEX=, PASSWORD=, OWNERPW=, PERMIT=, BURST=, KEY=, MATCH=, MATCHCOL=, COMBINE=)',
    },
  ],
  [
    'ATTACH word without =',
    ['TO b@x.example', 'ATTACH NAME=a BINARY', 'ENDATTACH'],
    { line: 2, reason: 'BADOPER', message: "'BINARY' is not KEYWORD=value" },
  ],
  [
    'ATTACH =value',
    ['TO b@x.example', 'ATTACH =a', 'ENDATTACH'],
    { line: 2, reason: 'BADOPER', message: "'=a' is not KEYWORD=value" },
  ],
  [
    'ATTACH ENCODING value',
    ['TO b@x.example', 'ATTACH NAME=a ENCODING=EBCDIC', 'ENDATTACH'],
    { line: 2, reason: 'BADOPER', message: "ENCODING is TEXT or BASE64, not 'EBCDIC'" },
  ],
  [
    'ATTACH TYPE value',
    ['TO b@x.example', 'ATTACH NAME=a TYPE=pdf', 'ENDATTACH'],
    { line: 2, reason: 'BADOPER', message: 'TYPE=pdf is not a MIME type type/subtype' },
  ],
  [
    'ATTACH quote not closed',
    ['TO b@x.example', 'ATTACH NAME="a b', 'ENDATTACH'],
    { line: 2, reason: 'BADOPER', message: 'the quoted value of NAME= is not closed' },
  ],
  [
    'ATTACH quote run on',
    ['TO b@x.example', 'ATTACH NAME="a b"c', 'ENDATTACH'],
    { line: 2, reason: 'BADOPER', message: 'a blank must follow the quoted value of NAME=' },
  ],
  [
    'ATTACH empty NAME',
    ['TO b@x.example', 'ATTACH NAME="" TYPE=text/plain', 'ENDATTACH'],
    { line: 2, reason: 'BADOPER', message: 'NAME= is empty' },
  ],
  [
    'ATTACH two NAMEs',
    ['TO b@x.example', 'ATTACH NAME=a name=b', 'ENDATTACH'],
    { line: 2, reason: 'BADOPER', message: 'a second NAME= on one ATTACH' },
  ],
  [
    'TEXT without ENDTEXT',
    ['TO b@x.example', 'TEXT', 'hello', 'SEND', 'TO c@x.example'],
    { line: 2, reason: 'NOENDTXT', message: 'TEXT without ENDTEXT' },
  ],
  [
    'ENDATTACH does not end TEXT',
    ['TO b@x.example', 'TEXT', 'ENDATTACH'],
    { line: 2, reason: 'NOENDTXT', message: 'TEXT without ENDTEXT' },
  ],
  [
    'ATTACH without ENDATTACH',
    ['TO b@x.example', 'ATTACH NAME=a', 'ENDTEXT'],
    { line: 2, reason: 'NOENDATT', message: 'ATTACH without ENDATTACH' },
  ],
  [
    'ATTACH without NAME',
    ['TO b@x.example', 'ATTACH TYPE=text/plain', 'ENDATTACH'],
    { line: 2, reason: 'NONAME', message: 'ATTACH without NAME=' },
  ],
  [
    'ATTACH without operand',
    ['TO b@x.example', 'ATTACH', 'ENDATTACH'],
    { line: 2, reason: 'NONAME', message: 'ATTACH without NAME=' },
  ],
  [
    'FROM not an address',
    ['TO b@x.example', 'FROM bob'],
    { line: 2, reason: 'BADFROM', message: "FROM: 'bob' is not an address" },
  ],
  [
    'FROM two addresses',
    ['TO b@x.example', 'FROM a@x.example, c@x.example'],
    { line: 2, reason: 'BADFROM', message: 'FROM holds 2 addresses, not one' },
  ],
  ['FROM a comma', ['TO b@x.example', 'FROM ,'], { line: 2, reason: 'BADFROM', message: 'FROM holds no address' }],
  [
    'REPLYTO not an address',
    ['TO b@x.example', 'REPLYTO a@'],
    { line: 2, reason: 'BADREPTO', message: "REPLYTO: 'a@' is not local-part@domain" },
  ],
  [
    'REPLYTO two addresses',
    ['TO b@x.example', 'REPLYTO a@x.example c@x.example'],
    { line: 2, reason: 'BADREPTO', message: 'REPLYTO holds 2 addresses, not one' },
  ],
  ['TO bad', ['TO a@x.example, bob'], { line: 1, reason: 'BADTO', message: "TO: 'bob' is not an address" }],
  ['TO no address', ['TO ,;'], { line: 1, reason: 'BADTO', message: 'TO holds no address' }],
  ['CC bad', ['TO a@x.example', 'CC <c@x'], { line: 2, reason: 'BADCC', message: "CC: '<' without '>': <c@x" }],
  [
    'BCC bad',
    ['TO a@x.example', 'BCC b@bad_domain.example'],
    { line: 2, reason: 'BADBCC', message: "BCC: 'b@bad_domain.example': the domain is not valid" },
  ],
  [
    'no recipient',
    ['* header', 'FROM a@x.example', 'SUBJECT hi', 'TEXT', 'x', 'ENDTEXT'],
    { line: 2, reason: 'NORCPT', message: 'the mail has no TO, CC or BCC' },
  ],
  [
    'NUL in SUBJECT',
    ['TO a@x.example', 'SUBJECT a\u0000b'],
    { line: 2, reason: 'CTLCHAR', message: 'control character U+0000 at column 10' },
  ],
  [
    "x'85' (NL) in SUBJECT",
    ['TO a@x.example', 'SUBJECT a\u0085Bcc: all@x.example'],
    { line: 2, reason: 'CTLCHAR', message: 'control character U+0085 at column 10' },
  ],
  [
    'CR in SUBJECT',
    ['TO a@x.example', 'SUBJECT hi\rBcc: all@x.example'],
    { line: 2, reason: 'CTLCHAR', message: 'control character U+000D at column 11' },
  ],
  [
    'DEL in TO',
    ['TO a@x.example\u007f'],
    { line: 1, reason: 'CTLCHAR', message: 'control character U+007F at column 15' },
  ],
  [
    'tab between keyword and operand',
    ['TO\ta@x.example'],
    { line: 1, reason: 'CTLCHAR', message: 'control character U+0009 at column 3' },
  ],
  [
    'control character on an ATTACH line',
    ['TO a@x.example', 'ATTACH NAME=a\u001bb', 'ENDATTACH'],
    { line: 2, reason: 'CTLCHAR', message: 'control character U+001B at column 14' },
  ],
  [
    'control character on an ENDTEXT line',
    ['TO a@x.example', 'TEXT', 'ENDTEXT \u0000'],
    { line: 3, reason: 'CTLCHAR', message: 'control character U+0000 at column 9' },
  ],
  [
    'control character in a symbol value',
    ['TO a@x.example', 'SUBJECT from &JOBNAME'],
    { line: 2, reason: 'CTLCHAR', message: 'control character U+000A in the subject once its symbols are substituted' },
  ],
];

t.test('each reason, its line and its message', async (t) => {
  const hostileSymbols = { ...symbols, jobname: 'PAYROLL\nBcc: all@x.example' };
  for (const [name, lines, expected] of reasons) {
    const items = parseStatements(lines, hostileSymbols);
    t.same(items.map(errorOf), [expected], name);
  }
});

t.test('a comment may hold anything', async (t) => {
  t.ok(only(t, '* \u0000\r\u0085', 'TO a@x.example').to.length === 1);
});

t.test('hostile input', async (t) => {
  const line = 'x'.repeat(49);
  const body = Array.from({ length: 100_000 }, () => line);
  const mail = onlyOf(t, ['TO a@x.example', 'TEXT', ...body, 'ENDTEXT']);
  t.equal(mail.body.length, 100_000 * 50 - 1, '5 MB of body');

  const long = 'y'.repeat(100_000);
  t.equal(only(t, 'TO a@x.example', `SUBJECT ${long}`).subject, long, 'a line of 100,000 characters');
  const blanks = `a${' '.repeat(100_000)}b`;
  t.equal(only(t, 'TO a@x.example', `SUBJECT ${blanks}`).subject, blanks, '100,000 blanks inside a line');
  t.equal(only(t, 'TO a@x.example', `SUBJECT x${' '.repeat(100_000)}`).subject, 'x', '100,000 trailing blanks');
  const [tooLong] = parse(`TO ${'a'.repeat(100_000)}`);
  t.ok(
    tooLong &&
      !tooLong.ok &&
      tooLong.reason === 'BADTO' &&
      tooLong.message.startsWith("TO: 'aaaa") &&
      tooLong.message.length <= 130,
    'messages stay short',
  );
  t.equal(parse('TO a@x.example', `ATTACH NAME=a ${'B=c '.repeat(25_000)}`, 'ENDATTACH')[0]?.ok, false);
  const many = parseStatements(
    Array.from({ length: 20_000 }, (_, i) => (i % 2 ? 'SEND' : 'TO a@x.example')),
    symbols,
  );
  t.equal(many.length, 10_000, 'ten thousand mails');
});

t.test('property: never throws, every line within the input', async (t) => {
  const statement = fc.constantFrom(
    'SEND',
    'TEXT',
    'ENDTEXT',
    'ATTACH NAME=a',
    'ATTACH NAME=b ENCODING=BASE64',
    'ENDATTACH',
    'TO a@x.example',
    'FROM b@x.example',
    'SUBJECT &DATE',
    '* comment',
    '',
    '  ',
    'AAAA',
    'A=',
    'FORMAT HTML',
    'IMPORTANCE HIGH',
  );
  const lines = fc.array(
    fc.oneof(
      statement,
      fc.string(),
      fc.string({ unit: 'binary' }),
      fc.string({ unit: fc.constantFrom(' ', '"', '=', 'A', '&', '*', '\u0085') }),
    ),
    { maxLength: 40 },
  );
  fc.assert(
    fc.property(lines, (input) => {
      const items = parseStatements(input, symbols);
      const last = Math.max(input.length, 1);
      return (
        items.length > 0 &&
        items.every(
          (item) =>
            Number.isInteger(item.line) &&
            item.line >= 1 &&
            item.line <= last &&
            (!item.ok || item.mail.to.length + item.mail.cc.length + item.mail.bcc.length > 0),
        )
      );
    }),
    { numRuns: 2000 },
  );
  t.pass('held');
});

t.test('work in proportion to the input: doubling it about doubles the time, hostile shapes too', async (t) => {
  const many = <T>(n: number, one: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => one(i));
  const shapes: [string, (n: number) => string[], number][] = [
    ['mails', (n) => many(n, () => ['TO a@x.example', 'SUBJECT x', 'TEXT', 'hi', 'ENDTEXT', 'SEND']).flat(), 500],
    ['TO lines', (n) => many(n, (i) => `TO a${i}@x.example`), 2000],
    ['one TO of many addresses', (n) => [`TO ${many(n, (i) => `a${i}@x.example`).join(', ')}`], 2000],
    // Each word of the name looked ahead to the end of the line (cics/addresses.ts): quadratic.
    ['a TO whose name has many words', (n) => [`TO ${many(n, () => 'w').join(' ')} <a@x.example>`], 2000],
    ['TEXT lines', (n) => ['TO a@x.example', 'TEXT', ...many(n, () => 'x'.repeat(80)), 'ENDTEXT'], 10_000],
    ['a TEXT that is never closed', (n) => ['TO a@x.example', 'TEXT', ...many(n, () => 'x')], 10_000],
    ['TEXT after TEXT, none closed', (n) => many(n, () => 'TEXT'), 2000],
    ['ATTACH after ATTACH, none closed', (n) => many(n, () => 'ATTACH NAME=a'), 2000],
    ['SEND inside a TEXT', (n) => ['TO a@x.example', 'TEXT', ...many(n, () => 'SEND'), 'ENDTEXT'], 5000],
    ['a SUBJECT of symbols', (n) => ['TO a@x.example', `SUBJECT ${'&DATE'.repeat(n)}`], 5000],
    ['a SUBJECT of ampersands', (n) => ['TO a@x.example', `SUBJECT ${'&'.repeat(n)}`], 20_000],
    ['unknown symbols in TEXT', (n) => ['TO a@x.example', 'TEXT', '&A'.repeat(n), 'ENDTEXT'], 20_000],
    ['blank runs inside a statement', (n) => [`TO${' '.repeat(n)}a@x.example${' '.repeat(n)}x`], 50_000],
    ['a long unknown keyword', (n) => ['X'.repeat(n)], 50_000],
    ['a quoted NAME= of blanks', (n) => ['TO a@x.example', `ATTACH NAME="${' '.repeat(n)}x"`, 'ENDATTACH'], 50_000],
    ['an unclosed quote in ATTACH', (n) => ['TO a@x.example', `ATTACH NAME="${' '.repeat(n)}`, 'ENDATTACH'], 50_000],
    [
      'BASE64 lines',
      (n) => ['TO a@x.example', 'ATTACH NAME=a ENCODING=BASE64', ...many(n, () => 'QUJD'), 'ENDATTACH'],
      5000,
    ],
    [
      'one long BASE64 line',
      (n) => ['TO a@x.example', 'ATTACH NAME=a ENCODING=BASE64', 'QUJD'.repeat(n), 'ENDATTACH'],
      5000,
    ],
    [
      'a run of = padding',
      (n) => ['TO a@x.example', 'ATTACH NAME=a ENCODING=BASE64', `QQ${'='.repeat(n)}`, 'ENDATTACH'],
      50_000,
    ],
    ['FROM again and again', (n) => many(n, () => 'FROM a@x.example'), 5000],
  ];
  for (const [shape, make, n] of shapes) {
    const figures = await doubling(make, (lines) => parseStatements(lines, symbols), { n, maxN: n });
    t.ok(figures.ratio < LINEAR_RATIO, `${shape}: ${doublingText(figures)}`);
  }
});
