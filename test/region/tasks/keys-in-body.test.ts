// A request key in the request itself, end to end (a real region, a real SMTP relay, the
// journal on disk): MAILCA version 02's MC-KEY and the Idempotency-Key header line of a
// mail in SPOL's datastream. Each keys its request as the header does: a repeat hears the
// first answer and sends nothing. Version 01 COMMAREAs stay valid. Keys short, long,
// malformed and hostile, each refused before any task runs, with what is wrong, nothing
// journaled or sent; finding the key in a stream reads it once.
import t from 'tap';
import { codePage } from '../../../cics/codepages.js';
import { elementaryOf } from '../../../cics/copybook/layout.js';
import { mailcaLayout } from '../../../cics/mailca.js';
import { buildMailCommarea, readMailResponse } from '../../../client/mailca.js';
import { defaultDefinitions } from '../../../region/definitions.js';
import { keyInBody } from '../../../region/tasks/keys-in-body.js';
import { doubling, doublingText, LINEAR_RATIO } from '../../helpers/doubling.js';
import { ebcdicLines, fromEbcdic } from '../../helpers/ebcdic.js';
import { startRegion } from '../../helpers/region.js';
import { startRelay } from '../../helpers/relay.js';

const cp = codePage(37);
const RULE = '1 to 64 printable ASCII characters (x21 to x7E)';
const v02 = mailcaLayout('02');
const MC_KEY = elementaryOf(v02, 'MC-KEY');
const mail = (key: string | undefined, subject = 'keyed') =>
  buildMailCommarea(
    { from: 'foo@bar.com', to: 'wayne@bar.com', subject, body: 'hi\n', ...(key !== undefined ? { key } : {}) },
    37,
  );
/** A version 02 COMMAREA whose MC-KEY holds `bytes` as they are (blank-padded). */
const withKeyBytes = (bytes: Buffer) => {
  const area = mail('placeholder');
  area.fill(0x40, MC_KEY.offset, MC_KEY.offset + MC_KEY.size);
  bytes.copy(area, MC_KEY.offset);
  return area;
};

t.test('MAILCA version 02: the layout, and MC-KEY keys the request as the header does', async (t) => {
  t.equal(v02.minLength, 4442, 'version 02: 4,442 bytes before MC-BODY');
  t.equal(mailcaLayout('01').minLength, 4378, 'version 01: 4,378');
  t.same(
    ['MC-RC', 'MC-RELAY-REPLY', 'MC-KEY', 'MC-BODY-LEN', 'MC-BODY'].map((n) => elementaryOf(v02, n).offset),
    [3844, 4118, 4374, 4438, 4442],
    'every field of 01 keeps its offset; MC-KEY comes after MC-RELAY-REPLY',
  );
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const area = mail('order-4711');
  t.equal(area.length, 4442 + 3, 'EIBCALEN 4442 + MC-BODY-LEN');
  const first = await region.post('MAIL', area);
  const firstBody = Buffer.from(await first.arrayBuffer());
  t.equal(first.status, 200);
  t.equal(first.headers.get('idempotent-replayed'), null);
  t.match(readMailResponse(firstBody, 37), { rc: 0, reason: 'SENT', journalSeq: 1 });
  t.equal(
    firstBody.subarray(MC_KEY.offset, MC_KEY.offset + 10).toString('hex'),
    cp.encode('order-4711').toString('hex'),
    'MC-KEY comes back as sent',
  );
  t.equal(region.journal().get(1)?.requestKey, 'order-4711');
  t.match(relay.mails[0]?.message.toString('latin1'), /\r\n\r\nhi\r\n$/, 'the body read from its version 02 offset');

  const again = await region.post('MAIL', area);
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  t.same(Buffer.from(await again.arrayBuffer()), firstBody, 'the first answer, byte for byte');
  const both = await region.post('MAIL', area, { 'Idempotency-Key': 'order-4711' });
  t.equal(both.headers.get('idempotent-replayed'), 'true', 'the header may say it too');
  await both.arrayBuffer();
  const differ = await region.post('MAIL', area, { 'Idempotency-Key': 'order-9' });
  t.equal(differ.status, 400);
  t.match(await differ.json(), {
    resp: 'INVREQ',
    resp2: 6,
    message: /'order-9' and the request's own key 'order-4711' differ/,
  });
  t.equal(relay.mails.length, 1, 'one mail');

  // MC-KEY all blanks: no key, a new mail each time, as version 01.
  for (const area of [mail(''), mail(''), mail(undefined), mail(undefined)]) {
    const res = await region.post('MAIL', area);
    t.equal(res.headers.get('idempotent-replayed'), null);
    t.equal(readMailResponse(Buffer.from(await res.arrayBuffer()), 37).rc, 0);
  }
  t.equal(relay.mails.length, 5, 'blank MC-KEY and version 01: four mails');
  t.same(
    [2, 3, 4, 5].map((seq) => region.journal().get(seq)?.requestKey),
    [undefined, undefined, undefined, undefined],
  );

  // The shortest and the longest key; blanks before a key are padding too.
  for (const [key, bytes] of [
    ['!', cp.encode('!')],
    ['~'.repeat(64), cp.encode('~'.repeat(64))],
    ['padded', cp.encode('   padded')],
  ] as const) {
    const res = await region.post('MAIL', withKeyBytes(bytes));
    t.equal(res.status, 200, key);
    const seq = readMailResponse(Buffer.from(await res.arrayBuffer()), 37).journalSeq;
    t.equal(region.journal().get(seq)?.requestKey, key, `key '${key}'`);
  }
});

t.test('MAILCA version 02: a key malformed, hostile or cut short is refused before any task', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  for (const [what, bytes, shown] of [
    ['a blank inside', cp.encode('order 4711'), 'order 4711'],
    ['beyond ASCII', cp.encode('clé'), 'cl?'],
    ["a tab and a line end (x'05', x'15')", Buffer.from([0x96, 0x05, 0x15, 0x96]), 'o??o'],
    ['LOW-VALUES', Buffer.alloc(64, 0x00), '?'.repeat(64)],
    ['HIGH-VALUES', Buffer.alloc(64, 0xff), '?'.repeat(64)],
    ['a header line smuggled in', cp.encode('k\u0085Bcc: x@evil.example'), 'k?Bcc: x@evil.example'],
  ] as const) {
    const res = await region.post('MAIL', withKeyBytes(bytes));
    t.equal(res.status, 400, what);
    t.same(
      await res.json(),
      {
        resp: 'INVREQ',
        resp2: 6,
        abcode: null,
        message: `MAIL: MC-KEY '${shown}' is not ${RULE}`,
      },
      what,
    );
  }
  t.throws(
    () => mail('k'.repeat(65)),
    /65 characters do not fit PIC X\(64\)/,
    'a key longer than MC-KEY cannot be laid out',
  );

  // Version 02 cut before MC-BODY: the program says so; nothing of it is a key.
  const short = mail('cut').subarray(0, 4400);
  const cut = await region.post('MAIL', short);
  t.equal(cut.headers.get('x-cics-resp'), 'LENGERR');
  t.match(await cut.json(), {
    message: 'COMMAREA of 4400 bytes is shorter than the 4442 bytes of MAILCA version 02 before MC-BODY',
  });
  // A version 01 COMMAREA relabelled 02: its MC-BODY-LEN and body read as MC-KEY, which is no key.
  const relabelled = buildMailCommarea({ from: 'foo@bar.com', to: 'wayne@bar.com', body: 'x'.repeat(200) }, 37);
  cp.encode('02').copy(relabelled, 0);
  const wrong = await region.post('MAIL', relabelled);
  t.equal(wrong.status, 400);
  t.match(await wrong.json(), { resp2: 6, message: /^MAIL: MC-KEY '.*' is not 1 to 64/ });

  // The JSON view is version 01's: it cannot ask for 02.
  const json = await region.fetch('/cics/MAIL', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mc_version: '02', mc_from: 'foo@bar.com', mc_to: 'wayne@bar.com' }),
  });
  t.equal(json.status, 400);
  t.match(await json.json(), {
    resp: 'INVREQ',
    message:
      "MAIL: mc_version '02' in MAILCA's JSON view: the view is version 01, which has no MC-KEY; send mc_version '01' and the request key as the Idempotency-Key header",
  });
  t.equal(relay.mails.length, 0, 'nothing sent');
  t.equal(region.journal().latest(), undefined, 'nothing journaled');
});

const stream = (headers: string[], to = 'wayne@bar.com', from = 'foo@bar.com') => [
  `MAIL FROM:<${from}>`,
  `RCPT TO:<${to}>`,
  'DATA',
  `From: ${from}`,
  `To: ${to}`,
  'Subject: spooled',
  ...headers,
  '',
  'Idempotency-Key: body-text-is-no-header',
  '.',
];

t.test('SPOL: the Idempotency-Key header line of the spooled mail keys the request', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const spool = async (lines: string[], headers: Record<string, string> = {}) => {
    const res = await region.post('SPOL', ebcdicLines(lines, 37), headers);
    const body = Buffer.from(await res.arrayBuffer());
    return { res, text: res.status === 200 ? fromEbcdic(body, 37) : body.toString('utf8') };
  };
  const input = [...stream(['Idempotency-Key: spool-1']), 'QUIT'];
  const first = await spool(input);
  t.equal(first.res.headers.get('x-mail-rc'), '0');
  t.equal(region.journal().get(1)?.requestKey, 'spool-1');
  const again = await spool(input);
  t.equal(again.res.headers.get('idempotent-replayed'), 'true');
  t.equal(again.text, first.text, 'the same report');
  t.equal(relay.mails.length, 1, 'one mail');
  t.match(
    relay.mails[0]?.message.toString('latin1'),
    /\r\nIdempotency-Key: spool-1\r\n/,
    'the line is relayed, as written',
  );

  // Any case, folded; two mails of one stream under one key; the header agreeing.
  const folded = [
    ...stream(['idempotency-KEY:', '  spool-2']),
    ...stream(['IDEMPOTENCY-KEY: spool-2'], 'robin@bar.com'),
  ];
  const two = await spool(folded, { 'Idempotency-Key': 'spool-2' });
  t.equal(two.res.headers.get('x-journal-seq'), '2,3');
  t.same(
    [2, 3].map((s) => region.journal().get(s)?.requestKey),
    ['spool-2', 'spool-2'],
  );
  t.equal((await spool(folded)).res.headers.get('idempotent-replayed'), 'true');
  // One mail with the line keys the whole stream: a key is the request's.
  const half = [...stream(['Idempotency-Key: spool-3']), ...stream([], 'robin@bar.com')];
  t.equal((await spool(half)).res.headers.get('x-journal-seq'), '4,5');
  t.same(
    [4, 5].map((s) => region.journal().get(s)?.requestKey),
    ['spool-3', 'spool-3'],
  );
  // Without the line (the body's look-alike is no header): a new mail each time.
  const none = stream([]);
  await spool(none);
  await spool(none);
  t.same(
    [6, 7].map((s) => region.journal().get(s)?.requestKey),
    [undefined, undefined],
  );
  t.equal(relay.mails.length, 7);

  // Refused before any task, saying what is wrong; nothing sent.
  for (const [what, lines, message] of [
    [
      'two keys in one stream',
      [...stream(['Idempotency-Key: a-1']), ...stream(['Idempotency-Key: b-2'], 'robin@bar.com')],
      "SPOL: the mail at line 1 gives Idempotency-Key 'a-1' and the mail at line 11 'b-2': a stream is one request, with one key",
    ],
    [
      'two lines in one mail',
      stream(['Idempotency-Key: a-1', 'Idempotency-Key: a-2']),
      "SPOL: the mail at line 1 gives Idempotency-Key 'a-1' and the mail at line 1 'a-2': a stream is one request, with one key",
    ],
    [
      'a blank inside',
      stream(['Idempotency-Key: order 1']),
      `SPOL: the Idempotency-Key of the mail at line 1, 'order 1', is not ${RULE}`,
    ],
    ['empty', stream(['Idempotency-Key:']), `SPOL: the Idempotency-Key of the mail at line 1, '', is not ${RULE}`],
    [
      'too long',
      stream([`Idempotency-Key: ${'k'.repeat(65)}`]),
      `SPOL: the Idempotency-Key of the mail at line 1, '${'k'.repeat(64)}', is not ${RULE}`,
    ],
    [
      'beyond ASCII',
      stream(['Idempotency-Key: clé']),
      `SPOL: the Idempotency-Key of the mail at line 1, 'cl?', is not ${RULE}`,
    ],
  ] as const) {
    const { res, text } = await spool([...lines]);
    t.equal(res.status, 400, what);
    t.match(JSON.parse(text), { resp: 'INVREQ', resp2: 6, message }, what);
  }
  const disagree = await spool(input, { 'Idempotency-Key': 'other' });
  t.match(JSON.parse(disagree.text), {
    resp2: 6,
    message: "Idempotency-Key 'other' and the request's own key 'spool-1' differ",
  });
  t.equal(relay.mails.length, 7, 'nothing more sent');

  // Hostile: a key line past 998 octets makes its mail one SPOL refuses (LONGLINE), and a
  // key in a control character CTLCHAR: the program's refusals; their keys key nothing.
  for (const [line, reason] of [
    [`Idempotency-Key: ${'k'.repeat(5000)}`, 'line 7 is 5017 octets long; RFC 5322 2.1.1 allows 998'],
    ['Idempotency-Key: a\u0005b', 'a control character, U+0005, in line 7'],
  ] as const) {
    const { res, text } = await spool(stream([line]));
    t.equal(res.headers.get('x-mail-rc'), '8', reason);
    t.equal(text, `RC=08 LINE=7 ${reason}\u0085`, reason);
  }
  t.equal(relay.mails.length, 7, 'nothing more sent');
});

t.test("finding SPOL's key reads the stream once: twice the mails, twice the time", async (t) => {
  const spol = defaultDefinitions().find((d) => d.tranid === 'SPOL');
  if (!spol) throw new Error('no SPOL');
  const input = (n: number) => {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) lines.push(...stream(['Idempotency-Key: same-key'], `r${i}@bar.com`));
    return { form: 'bytes' as const, bytes: cp.encode(`${lines.join('\u0085')}\u0085`) };
  };
  t.equal(keyInBody(spol, input(3), [], 37), 'same-key');
  const d = await doubling(input, (commarea) => keyInBody(spol, commarea, [], 37), { n: 500 });
  t.ok(d.ratio < LINEAR_RATIO, `SPOL key: ${doublingText(d)}`);
  // A stream without the header is not decoded at all.
  const plain = {
    form: 'bytes' as const,
    bytes: cp.encode(`${stream([]).join('\u0085')}\u0085`.replaceAll('Idempotency-Key: body-text-is-no-header', 'x')),
  };
  t.equal(keyInBody(spol, plain, [], 37), undefined);
});
