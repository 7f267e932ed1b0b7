// Attachment names that are safe to save: a name with control characters, a path, or a
// bidirectional override reaches the recipient with `_` in their place, through the composer
// that every path shares (read back by mailparser and by Python's email package), and end
// to end through a MAIL channel and a SEND ATTACH to a real relay.
import t from 'tap';
import { simpleParser } from 'mailparser';
import { safeFileName } from '../../transactions/mail/file-name.js';
import { composeMessage, type MailContent } from '../../transactions/mail/compose.js';
import { parseWithPython } from '../helpers/mail-check.js';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { ebcdicLines, fromEbcdic } from '../helpers/ebcdic.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';

const HOSTILE: Array<[string, string, string]> = [
  ['LF and CR', 'a\nb\rc.txt', 'a_b_c.txt'],
  ['NUL and ESC', 'x\x00y\x1b[31m.txt', 'x_y_[31m.txt'],
  ['DEL and a C1 control', 'd\x7fe\x85f.txt', 'd_e_f.txt'],
  ['a path', '../../etc/passwd', '.._.._etc_passwd'],
  ['a Windows path', 'C:\\Users\\x.bat', 'C:_Users_x.bat'],
  ['a right-to-left override', 'invoice\u202efdp.exe', 'invoice_fdp.exe'],
  ['dots only', '..', '__'],
  ['a name of 300 characters', `${'n'.repeat(296)}.pdf`, `${'n'.repeat(296)}.pdf`],
  ['a plain name', 'Lohnabrechnung Mai 2026.pdf', 'Lohnabrechnung Mai 2026.pdf'],
  ['an empty name', '', ''],
];

t.test('each unsafe character becomes _, the rest and the extension are kept', async (t) => {
  for (const [what, name, safe] of HOSTILE) t.equal(safeFileName(name), safe, what);
});

t.test('the composed mail names each attachment safely, as two parsers read it', async (t) => {
  const mail: MailContent = {
    from: { name: '', address: 'a@x.example' },
    to: [{ name: '', address: 'b@x.example' }],
    cc: [],
    subject: 'names',
    importance: 'normal',
    body: 'see attached',
    bodyFormat: 'text',
    messageId: '<names@region.test>',
    date: new Date(Date.UTC(2026, 11, 6, 12, 0, 0)),
    attachments: HOSTILE.filter(([, name]) => name !== '').map(([, name]) => ({
      filename: name,
      contentType: 'application/octet-stream',
      content: { bytes: Buffer.from('x') },
    })),
  };
  const message = composeMessage(mail);
  const expected = HOSTILE.filter(([, name]) => name !== '').map(([, , safe]) => safe);
  const parsed = await simpleParser(message);
  t.same(
    parsed.attachments.map((a) => a.filename),
    expected,
    'mailparser',
  );
  const python = await parseWithPython(message);
  t.same(
    python.attachments.map((a) => a.filename),
    expected,
    "Python's email package",
  );
  t.same(python.defects, []);
});

t.test('end to end: a MAIL channel and a SEND ATTACH with hostile names', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  // A channel's container name, in the multipart header as a client may write it.
  const boundary = 'b-names';
  const area = buildMailCommarea(
    { from: 'batch@corp.example', to: 'ops@corp.example', subject: 'names', body: 'see attached' },
    37,
  );
  const part = (head: string, data: Buffer) =>
    Buffer.concat([Buffer.from(`--${boundary}\r\n${head}\r\n\r\n`, 'latin1'), data, Buffer.from('\r\n')]);
  const body = Buffer.concat([
    part('Content-Disposition: form-data; name="DFHCOMMAREA"\r\nContent-Type: application/octet-stream', area),
    part(
      'Content-Disposition: form-data; name="LOG"; filename="job\nlog\x1b[2J\x00.txt"\r\nContent-Type: application/octet-stream',
      Buffer.from('log'),
    ),
    part(
      'Content-Disposition: form-data; name="CFG"; filename="../../.profile"\r\nContent-Type: application/octet-stream',
      Buffer.from('cfg'),
    ),
    Buffer.from(`--${boundary}--\r\n`),
  ]);
  const res = await region.post('MAIL', body, {
    'x-cics-ccsid': '37',
    'content-type': `multipart/form-data; boundary=${boundary}`,
  });
  t.equal(res.status, 200);
  t.match(readMailResponse(Buffer.from(await res.arrayBuffer()), 37), { rc: '00' });
  const viaChannel = await simpleParser(relay.mails.at(-1)?.message ?? Buffer.alloc(0));
  t.same(
    viaChannel.attachments.map((a) => a.filename),
    ['job_log_[2J_.txt', '.._.._.profile'],
    'channel',
  );

  // SEND: a name with a path in it, and one of 300 characters.
  const send = await region.post(
    'SEND',
    ebcdicLines(
      [
        'FROM batch@corp.example',
        'TO ops@corp.example',
        'SUBJECT names',
        'ATTACH NAME=../reports/q1.csv',
        'a,b',
        'ENDATTACH',
        `ATTACH NAME=${'r'.repeat(296)}.csv`,
        'a,b',
        'ENDATTACH',
        'SEND',
      ],
      37,
    ),
  );
  t.equal(send.status, 200, fromEbcdic(Buffer.from(await send.clone().arrayBuffer()), 37));
  const viaSend = await simpleParser(relay.mails.at(-1)?.message ?? Buffer.alloc(0));
  t.same(
    viaSend.attachments.map((a) => a.filename),
    ['.._reports_q1.csv', `${'r'.repeat(296)}.csv`],
    'SEND',
  );
});
