// The composer: headers folded and encoded so that strict parsers read them back exactly.
import t from 'tap';
import { simpleParser } from 'mailparser';
import { composeMessage, rfc5322Date, type MailContent } from '../../transactions/mail/compose.js';
import { parseAddressList } from '../../transactions/mail/addresses.js';
import { parseWithPython } from '../mail-check.js';

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
  const subject = 'Plattenbelegung für SYSRES, SYSDA und WORK: Grüße aus Köln — bitte bis Freitag prüfen und löschen, was nicht mehr gebraucht wird (Auftrag 4711)';
  const to = Array.from({ length: 12 }, (_, i) => ({ name: i % 2 ? `Empfänger Nummer ${i}` : `Smith, John ${i}`, address: `user${i}@very-long-domain-name-for-testing.example` }));
  const mail: MailContent = { ...base, subject, to, from: { name: 'Kommissar "Jim" Gordon', address: 'gordon@gcpd.example' }, body: 'x'.repeat(1200) + '\nzweite Zeile: Größe' };
  const message = composeMessage(mail);
  for (const line of lines(message)) t.ok(line.length <= 998, `line of ${line.length}`);
  const headLines = lines(message).slice(0, lines(message).indexOf(''));
  for (const line of headLines) t.ok(line.length <= 78 || !/\s/.test(line.trim()), `header line within 78: ${line.slice(0, 30)}…`);
  t.notOk(/[^\x00-\x7f]/.test(message.toString('latin1')), 'all 7-bit on the wire');
  const parsed = await simpleParser(message);
  t.equal(parsed.subject, subject);
  t.same(parsed.from?.value, [{ address: 'gordon@gcpd.example', name: 'Kommissar "Jim" Gordon' }]);
  const parsedTo = (Array.isArray(parsed.to) ? parsed.to[0] : parsed.to)?.value ?? [];
  t.same(parsedTo.map((a) => [a.name, a.address]), to.map((a) => [a.name, a.address]));
  t.equal(parsed.text, 'x'.repeat(1200) + '\nzweite Zeile: Größe\n');
  t.match(message.toString('latin1'), /^Content-Transfer-Encoding: quoted-printable\r$/m, 'a line over 998 forces QP');
  const py = await parseWithPython(message);
  t.equal(py.subject, subject);
  t.equal(py.from_name, 'Kommissar "Jim" Gordon');
  t.same(py.to, to.map((a) => a.address));
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
  t.same(ok('a@x.example b@y.example,c@z.example ; d@w.example'), ['a@x.example', 'b@y.example', 'c@z.example', 'd@w.example']);
  t.same(ok('"Bruce Wayne" <wayne@bar.com>, Robin <robin@bar.com> alfred@bar.com'), ['Bruce Wayne <wayne@bar.com>', 'Robin <robin@bar.com>', 'alfred@bar.com']);
  t.same(ok('"Wayne, Bruce" <wayne@bar.com>'), ['Wayne, Bruce <wayne@bar.com>']);
  // A quoted local part is taken inside brackets (a bare quoted string is a display name).
  t.same(ok('<"john smith"@x.example>'), ['"john smith"@x.example']);
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
  t.equal(ok(`a@${'d'.repeat(250)}.example`), `'a@${'d'.repeat(38)}…' is longer than 254 characters`);
});

t.test('a display name that looks like an address stays a name', async (t) => {
  const message = composeMessage({ ...base, from: { name: 'Jörg <boss@corp.example>', address: 'j@x.example' } });
  const py = await parseWithPython(message);
  t.match(py.from, /<j@x\.example>$/);
  t.equal(py.from_name, 'Jörg <boss@corp.example>');
  const parsed = await simpleParser(message);
  t.same(parsed.from?.value, [{ address: 'j@x.example', name: 'Jörg <boss@corp.example>' }]);
});
