// SPOL's header section goes out in ASCII: text beyond ASCII in a Subject or a display name
// is written in encoded words (the journaled bytes are fixed before a relay is chosen, and a
// relay without SMTPUTF8 may not take 8-bit headers); what no encoded word can carry is
// refused with its reason, as is a NUL in the body.
import t from 'tap';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { ebcdicLines, fromEbcdic } from '../helpers/ebcdic.js';
import { parseWithPython } from '../helpers/mail-check.js';
import { asciiHeader } from '../../transactions/spool/ascii-header.js';
import { doubling, doublingText, LINEAR_RATIO } from '../helpers/doubling.js';

// A relay that offers neither SMTPUTF8 nor anything else it need not.
const relay = await startRelay(t, { options: { hideSMTPUTF8: true } });
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });

async function spool(lines: readonly string[], ccsid = 273) {
  const res = await region.post('SPOL', ebcdicLines(lines, ccsid), { 'x-cics-ccsid': String(ccsid) });
  const body = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    rc: res.headers.get('x-mail-rc'),
    report: res.status === 200 ? fromEbcdic(body, ccsid).split('\u0085').slice(0, -1) : [],
  };
}

const stream = (header: readonly string[], body: readonly string[] = ['Inhalt']) => [
  'HELO BATCH',
  'MAIL FROM:<foo@bar.com>',
  'RCPT TO:<wayne@bar.com>',
  'DATA',
  ...header,
  '',
  ...body,
  '.',
  'QUIT',
];

t.test('a Subject and a display name beyond ASCII reach a relay without SMTPUTF8 as encoded words', async (t) => {
  const before = relay.mails.length;
  const answer = await spool(
    stream(['From: "Jörg Müller" <foo@bar.com>', 'Subject: Plattenbelegung über 97 %', 'To: Zoë <wayne@bar.com>']),
  );
  t.equal(answer.rc, '0', answer.report.join('\n'));
  const got = relay.mails[before]!;
  const head = got.message.toString('latin1').split('\r\n\r\n')[0] ?? '';
  t.ok(/^[\x00-\x7f]*$/.test(head), 'the header section is ASCII');
  t.notOk(
    relay.commands.some((c) => /SMTPUTF8/i.test(c)),
    'SMTPUTF8 not asked for',
  );
  const py = await parseWithPython(got.message);
  t.equal(py.subject, 'Plattenbelegung über 97 %');
  t.equal(py.from_name, 'Jörg Müller');
  t.match(got.message.toString('utf8'), /\r\n\r\nInhalt\r\n$/, 'the body as written');
});

t.test('what no encoded word carries is refused, HDR8BIT; a NUL in the body, NULCHAR', async (t) => {
  const before = relay.mails.length;
  const address = await spool(stream(['From: foo@bar.com', 'Cc: jörg@bar.com', 'Subject: x']));
  t.equal(address.rc, '8');
  t.match(address.report, [/^RC=08 LINE=2 Cc: the address jörg@bar\.com is beyond ASCII, which not every relay takes/]);
  const id = await spool(stream(['From: foo@bar.com', 'Message-ID: <ä@bar.com>', 'Subject: x']));
  t.match(id.report, [/^RC=08 LINE=2 Message-ID holds text beyond ASCII, which no encoded word can carry there$/]);
  const nul = await spool(stream(['From: foo@bar.com', 'Subject: x'], ['one', 'tw\u0000o']), 37);
  t.equal(nul.rc, '8');
  t.match(nul.report, [/^RC=08 LINE=2 line 5 of the message holds a NUL \(x'00'\), which RFC 5322 does not allow$/]);
  t.equal(relay.mails.length, before, 'nothing sent');
});

t.test('ASCII headers and a stream that starts with its body are left as written', async (t) => {
  const ascii = 'From: foo@bar.com\r\nSubject: plain\r\n\r\nbödy\r\n';
  t.same(asciiHeader(ascii), { ok: true, message: ascii });
  const bodyOnly = 'Grüße, no header at all\r\n';
  t.same(asciiHeader(bodyOnly), { ok: true, message: bodyOnly });
  // A folded field beyond ASCII is unfolded and written anew; the others stay as they were.
  const folded = asciiHeader('Subject: eins\r\n zwei drei für\r\nX-Job: NIGHTLY\r\n\r\nx\r\n');
  t.same(folded, {
    ok: true,
    message: 'Subject: eins zwei drei =?UTF-8?Q?f=C3=BCr?=\r\nX-Job: NIGHTLY\r\n\r\nx\r\n',
  });
});

t.test('the work grows in proportion to the header section', async (t) => {
  const section = (n: number) =>
    `${Array.from({ length: n }, (_, i) => `X-Field-${i}: wert ${i} für alle\r\n`).join('')}\r\nbody\r\n`;
  const figures = await doubling(section, asciiHeader, { n: 1000, maxN: 1000 });
  t.ok(figures.ratio < LINEAR_RATIO, `header fields: ${doublingText(figures)}`);
});
