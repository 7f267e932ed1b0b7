// Asking for DSNs (RFC 3461): the exact MAIL FROM and RCPT TO lines a real smtp-server read,
// with DSN offered and not, pipelined and not; xtext and utf-8-addr-xtext against hostile
// text; CICSMAIL_DSN_NOTIFY's syntax.
import fc from 'fast-check';
import t from 'tap';
import type { SMTPServerAddress } from 'smtp-server';
import { startRelay } from '../../helpers/relay.js';
import { testPool } from '../../helpers/smtp.js';
import { doubling, doublingText, LINEAR_RATIO } from '../../helpers/doubling.js';
import {
  dsnRcptParams,
  envelopeIdOf,
  fateEnvelope,
  parseEnvelopeId,
  parseNotify,
  type DsnRequest,
} from '../../../smtp/dsn/request.js';
import { parseReturnPath } from '../../../smtp/dsn/return-path.js';
import { utf8AddrXtext, xtext } from '../../../smtp/dsn/xtext.js';

const message = Buffer.from('From: a@x.example\r\nTo: b@y.example\r\nSubject: t\r\n\r\nbody\r\n');
const dsn: DsnRequest = { ret: 'HDRS', envid: 'PRD1.42', notify: ['FAILURE', 'DELAY'] };
const RETURN_PATH = 'bounce+prd1.42@bounce.example';
const RECIPIENTS = ['b@y.example', 'plus+tag=x@y.example', "o'brien/ops@y.example"];

/** A relay that offers DSN or not, and keeps the parameters it decoded from each RCPT. */
async function relayKeepingArgs(t: Parameters<typeof startRelay>[0], options: Record<string, unknown>) {
  const args: SMTPServerAddress['args'][] = [];
  const relay = await startRelay(t, {
    rcptTo: (address) => {
      args.push(address.args);
      return undefined;
    },
    options,
  });
  return { relay, args };
}

t.test('a relay that offers DSN: RET, ENVID, NOTIFY and ORCPT, pipelined in one write', async (t) => {
  const { relay, args } = await relayKeepingArgs(t, { hideDSN: false });
  const delivery = await testPool(t, relay.url).send(RETURN_PATH, RECIPIENTS, message, Infinity, dsn);
  t.equal(delivery.kind, 'sent');
  t.same(relay.commands, [
    'EHLO client.test',
    'MAIL FROM:<bounce+prd1.42@bounce.example> RET=HDRS ENVID=PRD1.42',
    'RCPT TO:<b@y.example> NOTIFY=FAILURE,DELAY ORCPT=rfc822;b@y.example',
    'RCPT TO:<plus+tag=x@y.example> NOTIFY=FAILURE,DELAY ORCPT=rfc822;plus+2Btag+3Dx@y.example',
    "RCPT TO:<o'brien/ops@y.example> NOTIFY=FAILURE,DELAY ORCPT=rfc822;o'brien/ops@y.example",
    'DATA',
  ]);
  // smtp-server decodes xtext itself: an independent reading of what was written.
  t.same(
    args.map((a) => (a === false ? null : a.ORCPT)),
    RECIPIENTS.map((r) => `rfc822;${r}`),
  );
  t.same(relay.mails[0]?.from, RETURN_PATH);
});

t.test('one command at a time (no PIPELINING): the same lines', async (t) => {
  const { relay } = await relayKeepingArgs(t, { hideDSN: false, hidePIPELINING: true });
  const p = testPool(t, relay.url);
  await p.send(RETURN_PATH, ['b@y.example'], message, Infinity, { ...dsn, notify: ['SUCCESS', 'FAILURE', 'DELAY'] });
  await p.send(RETURN_PATH, ['b@y.example'], message, Infinity, { ...dsn, envid: 'PRD1.43', notify: 'NEVER' });
  t.same(relay.commands, [
    'EHLO client.test',
    'MAIL FROM:<bounce+prd1.42@bounce.example> RET=HDRS ENVID=PRD1.42',
    'RCPT TO:<b@y.example> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;b@y.example',
    'DATA',
    'MAIL FROM:<bounce+prd1.42@bounce.example> RET=HDRS ENVID=PRD1.43',
    'RCPT TO:<b@y.example> NOTIFY=NEVER ORCPT=rfc822;b@y.example',
    'DATA',
  ]);
});

t.test('a relay that does not offer DSN: nothing is added, the mail goes', async (t) => {
  const { relay } = await relayKeepingArgs(t, {});
  const delivery = await testPool(t, relay.url).send(RETURN_PATH, RECIPIENTS, message, Infinity, dsn);
  t.equal(delivery.kind, 'sent');
  t.same(relay.commands, [
    'EHLO client.test',
    'MAIL FROM:<bounce+prd1.42@bounce.example>',
    ...RECIPIENTS.map((r) => `RCPT TO:<${r}>`),
    'DATA',
  ]);
});

t.test('a UTF-8 recipient (SMTPUTF8): ORCPT of type utf-8 in utf-8-addr-xtext, ASCII on the wire', async (t) => {
  const { relay, args } = await relayKeepingArgs(t, { hideDSN: false });
  const to = 'jürgen+x=1@bücher.example';
  await testPool(t, relay.url).send(RETURN_PATH, [to], message, Infinity, dsn);
  t.same(relay.commands.slice(1, 3), [
    'MAIL FROM:<bounce+prd1.42@bounce.example> SMTPUTF8 RET=HDRS ENVID=PRD1.42',
    `RCPT TO:<${to}> NOTIFY=FAILURE,DELAY ORCPT=utf-8;j\\x{FC}rgen\\x{2B}x\\x{3D}1@b\\x{FC}cher.example`,
  ]);
  t.equal(args[0] === false ? null : args[0]?.ORCPT, 'utf-8;j\\x{FC}rgen\\x{2B}x\\x{3D}1@b\\x{FC}cher.example');
});

t.test('xtext: every octet that is no xchar is +HH; the text comes back whole', async (t) => {
  t.equal(xtext('PRD1.42'), 'PRD1.42');
  t.equal(xtext('a b'), 'a+20b');
  t.equal(xtext('x\r\nRCPT TO:<evil@z>'), 'x+0D+0ARCPT+20TO:<evil@z>');
  t.equal(xtext('+='), '+2B+3D');
  t.equal(xtext('\0\x7f~!'), '+00+7F~!');
  t.equal(xtext('ü'), '+C3+BC');
  t.equal(xtext(''), '');
  const decode = (text: string) => {
    const bytes: number[] = [];
    for (let i = 0; i < text.length; i++) {
      if (text[i] === '+') {
        bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
        i += 2;
      } else bytes.push(text.charCodeAt(i));
    }
    return Buffer.from(bytes).toString('utf8');
  };
  fc.assert(
    fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (text) => {
      const encoded = xtext(text);
      return /^(?:[!-*,-<>-~]|\+[0-9A-F]{2})*$/.test(encoded) && decode(encoded) === text;
    }),
  );
});

t.test('utf-8-addr-xtext: printable ASCII but + = \\ as itself, all else \\x{HEX}', async (t) => {
  t.equal(utf8AddrXtext('a@b.example'), 'a@b.example');
  t.equal(utf8AddrXtext('"a b"@x'), '"a\\x{20}b"@x');
  t.equal(utf8AddrXtext('a\\b+c=d'), 'a\\x{5C}b\\x{2B}c\\x{3D}d');
  t.equal(utf8AddrXtext('\r\n\0'), '\\x{0D}\\x{0A}\\x{00}');
  t.equal(utf8AddrXtext('ü€😀'), '\\x{FC}\\x{20AC}\\x{1F600}');
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), (text) =>
      /^(?:[!-*,-<>-[\]-~]|\\x\{[0-9A-F]{2,6}\})*$/.test(utf8AddrXtext(text)),
    ),
  );
});

t.test('an ORCPT over 500 characters (RFC 3461 4.2) is left out; NOTIFY still goes', async (t) => {
  const long = `${'ü'.repeat(30)}@${'ä'.repeat(60)}.example`;
  t.equal(dsnRcptParams(dsn, long), ' NOTIFY=FAILURE,DELAY');
  t.equal(dsnRcptParams(dsn, 'a@b.example'), ' NOTIFY=FAILURE,DELAY ORCPT=rfc822;a@b.example');
});

t.test('CICSMAIL_DSN_NOTIFY: events once each in any order and case, or never alone', async (t) => {
  t.same(parseNotify('failure,delay'), { ok: true, notify: ['FAILURE', 'DELAY'] });
  t.same(parseNotify(' Delay , SUCCESS,failure '), { ok: true, notify: ['SUCCESS', 'FAILURE', 'DELAY'] });
  t.same(parseNotify('success'), { ok: true, notify: ['SUCCESS'] });
  t.same(parseNotify('NEVER'), { ok: true, notify: 'NEVER' });
  t.same(parseNotify('never,failure'), { ok: false, reason: "never stands alone: 'never,failure'" });
  t.same(parseNotify('success,,delay'), {
    ok: false,
    reason: "'success,,delay' has an empty item; give success, failure, delay or never",
  });
  t.same(parseNotify('failure,failure'), { ok: false, reason: "'failure' is named twice" });
  t.same(parseNotify('bounce'), { ok: false, reason: "'bounce' is not success, failure, delay or never" });
  t.same(parseNotify('success;delay'), {
    ok: false,
    reason: "'success;delay' is not success, failure, delay or never",
  });
});

t.test('ENVID: SYSID and sequence, read back strictly', async (t) => {
  t.equal(envelopeIdOf('PRD@1', 42), 'PRD@1.42');
  t.same(parseEnvelopeId('PRD@1.42'), { sysid: 'PRD@1', seq: 42 });
  for (const bad of [
    'prd1.42',
    'PRD1.042',
    'PRD1.',
    '.42',
    'PRD1.42 ',
    'TOOLONGID.1',
    'PRD1.99999999999999999',
    'PRD1.4.2',
  ])
    t.equal(parseEnvelopeId(bad), null, bad);
});

t.test('fateEnvelope: without settings the sender as it is, with them the return path and the DSN', async (t) => {
  t.same(fateEnvelope(null, 'PRD1', 7, 'payroll@corp.example'), { from: 'payroll@corp.example' });
  const template = parseReturnPath('{seq}-{sysid}@bounce.example');
  if (!template.ok) throw new Error(template.reason);
  t.same(fateEnvelope({ returnPath: template.template, notify: ['FAILURE'] }, 'PRD1', 7, 'payroll@corp.example'), {
    from: '7-prd1@bounce.example',
    dsn: { ret: 'HDRS', envid: 'PRD1.7', notify: ['FAILURE'] },
  });
});

t.test('xtext and utf-8-addr-xtext: doubling the text about doubles the time', async (t) => {
  const text = (n: number) => 'a+b=c ü\r\n€😀'.repeat(n);
  const plain = await doubling(text, xtext, { n: 2000, maxN: 2000 });
  const utf8 = await doubling(text, utf8AddrXtext, { n: 2000, maxN: 2000 });
  t.ok(plain.ratio < LINEAR_RATIO, `xtext: ${doublingText(plain)}`);
  t.ok(utf8.ratio < LINEAR_RATIO, `utf-8-addr-xtext: ${doublingText(utf8)}`);
});
