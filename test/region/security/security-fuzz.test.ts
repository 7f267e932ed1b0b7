// Fuzzing the region's policy from the outside (issue 7, "Must show"): MAIL COMMAREAs (raw
// bytes, mutated and structured), SEND statement streams and SPOL datastreams, all from an
// authenticated but restricted user. Whatever comes in, the answer is a defined RESP or RC,
// the region keeps answering, and the relay never gets a mail the policy forbids: every
// mail it gets is checked on its own (envelope, From header, recipients, header lines), and
// the relay holds exactly as many mails as the answers said RC 0.
import t, { type Test } from 'tap';
import fc from 'fast-check';
import { startRegion } from '../../helpers/region.js';
import { startRelay, type ReceivedMail } from '../../helpers/relay.js';
import { basicAuth } from '../../helpers/users.js';
import { codePage } from '../../../cics/codepages.js';
import { writeNumber } from '../../../cics/copybook/codec.js';
import { elementaryOf } from '../../../cics/copybook/layout.js';
import { copybook } from '../../../cics/copybook/library.js';
import { addressesIn, composedProblems, spooledProblems, type Asked } from './policy-oracle.js';
import { buildMailCommarea, readMailResponse } from '../../../client/mailca.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const cp = codePage(37);
const relay = await startRelay(t);
const PASSWORD = 'fuzz-password-1';
const restricted = {
  password: PASSWORD,
  transactions: ['MAIL', 'SEND', 'SPOL'],
  senders: ['batch@corp.example', '*@jobs.corp.example'],
  policy: 'verify' as const,
};
// FUZZ1 has no default sender (a blank FROM is NOFROM); FUZZ2 has one (a blank FROM sends as it).
const region = await startRegion(
  t,
  {
    CICSMAIL_RELAY: relay.url,
    CICSMAIL_RECIPIENT_DOMAINS: 'corp.example',
    CICSMAIL_MAX_RECIPIENTS: '5',
    CICSMAIL_MAX_MESSAGE_MB: '1',
    CICSMAIL_RETRY_FIRST_MS: '86400000',
    CICSMAIL_RETRY_MAX_MS: '86400000',
  },
  {
    users: [
      { id: 'FUZZ1', ...restricted },
      { id: 'FUZZ2', ...restricted, defaultSender: 'batch@corp.example' },
    ],
  },
);
const AUTH = { FUZZ1: basicAuth('FUZZ1', PASSWORD), FUZZ2: basicAuth('FUZZ2', PASSWORD) };

// ---------------------------------------------------------------- answers

const stats = {
  requests: 0,
  rc0: 0,
  byRc: new Map<string, number>(),
  resp: new Map<string, number>(),
  violations: [] as string[],
};
const bump = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);

interface Answer {
  /** Mails the answer says were sent (RC 0). */
  readonly sent: number;
}

/** Checks that the answer is defined; throws (for fast-check) where it is not. */
async function answerOf(tranid: string, res: Response, ccsid = 37): Promise<Answer> {
  stats.requests++;
  const body = Buffer.from(await res.arrayBuffer());
  const resp = res.headers.get('x-cics-resp');
  const abcode = res.headers.get('x-cics-abcode');
  if (res.status >= 500 || abcode === 'ASRA' || abcode === 'AICA')
    throw new Error(`${tranid}: ${res.status} ${resp} ${abcode}: ${body.toString('utf8').slice(0, 300)}`);
  if (resp === null) throw new Error(`${tranid}: ${res.status} without X-CICS-Resp`);
  if (res.status !== 200) {
    // Documented conditions for input that does not fit (docs/errors.md).
    const json = JSON.parse(body.toString('utf8')) as { resp?: string; message?: string };
    const known =
      (res.status === 400 && (resp === 'LENGERR' || resp === 'INVREQ')) || (res.status === 413 && resp === 'LENGERR');
    if (!known || json.resp !== resp || !json.message)
      throw new Error(`${tranid}: undocumented answer ${res.status} ${resp}: ${body.toString('utf8').slice(0, 300)}`);
    bump(stats.resp, `${tranid} ${res.status} ${resp}`);
    return { sent: 0 };
  }
  if (resp !== 'NORMAL') throw new Error(`${tranid}: 200 with X-CICS-Resp ${resp}`);
  const mailRc = Number(res.headers.get('x-mail-rc'));
  if (![0, 4, 8, 12, 16].includes(mailRc)) throw new Error(`${tranid}: X-Mail-RC ${res.headers.get('x-mail-rc')}`);
  if (tranid === 'MAIL') {
    const out = readMailResponse(body, ccsid);
    if (out.rc !== mailRc) throw new Error(`MAIL: MC-RC ${out.rc} but X-Mail-RC ${mailRc}`);
    if (!/^[A-Z0-9]{1,8}$/.test(out.reason)) throw new Error(`MAIL: MC-REASON '${out.reason}'`);
    bump(stats.byRc, `MAIL RC ${out.rc} ${out.reason}`);
    if (out.rc === 0) stats.rc0++;
    return { sent: out.rc === 0 ? 1 : 0 };
  }
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < body.length; i++) {
    if (body[i] === 0x15) {
      lines.push(cp.decode(body.subarray(start, i)));
      start = i + 1;
    }
  }
  if (start !== body.length || lines.length === 0)
    throw new Error(`${tranid}: a report that does not end in NL: ${cp.decode(body).slice(0, 200)}`);
  let max = 0;
  let sent = 0;
  for (const line of lines) {
    const m = /^RC=(00|04|08|12|16) /.exec(line);
    if (!m) throw new Error(`${tranid}: report line ${JSON.stringify(line)}`);
    const rc = Number(m[1]);
    max = Math.max(max, rc);
    if (rc === 0) sent++;
    bump(stats.byRc, `${tranid} RC ${m[1]}`);
  }
  if (max !== mailRc) throw new Error(`${tranid}: highest report RC ${max} but X-Mail-RC ${mailRc}`);
  stats.rc0 += sent;
  return { sent };
}

/** Posts as one of the restricted users; checks the answer, and every mail the relay got for it. */
async function run(
  tranid: 'MAIL' | 'SEND' | 'SPOL',
  body: Uint8Array,
  user: keyof typeof AUTH,
  check: (mail: ReceivedMail) => string[],
  ccsid = 37,
): Promise<void> {
  const before = relay.mails.length;
  const res = await region.post(tranid, body, {
    authorization: AUTH[user],
    ...(ccsid !== 37 ? { 'x-cics-ccsid': String(ccsid) } : {}),
  });
  const { sent } = await answerOf(tranid, res, ccsid);
  // The relay keeps a mail before it answers 250, and the region answers after the 250.
  const got = relay.mails.slice(before);
  const problems = got.flatMap((m) =>
    check(m).map(
      (p) => `${p}\n  envelope ${m.from} -> ${m.to.join(' ')}\n${m.message.toString('utf8').slice(0, 1500)}`,
    ),
  );
  if (got.length !== sent)
    problems.push(`${tranid}: the answer says ${sent} mail(s) sent, the relay got ${got.length}`);
  if (problems.length > 0) {
    stats.violations.push(...problems);
    throw new Error(problems.join('\n---\n'));
  }
}

/** Runs a property; a counterexample fails the test with fast-check's report (seed, path, value). */
async function check<T>(t: Test, name: string, property: fc.IAsyncPropertyWithHooks<[T]>) {
  const details = await fc.check(property, { numRuns: RUNS, endOnFailure: false });
  const report = fc.defaultReportMessage(details);
  t.notOk(details.failed, name, { diagnostic: details.failed, report: report ?? '' });
}

// ---------------------------------------------------------------- arbitraries

// Mostly well-formed input, so that many mails get as far as the sender check and the relay;
// each field now and then hostile, so that every refusal is reached too.
const ALLOWED = [
  'batch@corp.example',
  'BATCH@Corp.Example',
  'job1@jobs.corp.example',
  'x.y@JOBS.corp.example',
  'a-b+c@jobs.corp.example',
];
const FORBIDDEN = [
  'ceo@corp.example',
  'evil@evil.example',
  'batch@corp.example.evil.example',
  'batch@evil.example',
  'job@jobs.corp.example.evil.example',
  'batch@xcorp.example',
  'batch@sub.corp.example',
  'jobs.corp.example@evil.example',
  'x@jobs-corp.example',
  'x@xjobs.corp.example',
  'batch@[127.0.0.1]',
  'batch%corp.example@evil.example',
  'batch@corp-example',
  'x@a.jobs.corp.example',
];
// Quoted local parts, bare @, two @: the parser's edges, allowed-looking or not.
const ODD_ADDRESSES = [
  '"job one"@jobs.corp.example',
  '"batch@corp.example"@evil.example',
  '@jobs.corp.example',
  'batch@corp.example@evil.example',
  'batch@corp.example.',
  '"e f"@corp.example',
  'batch @corp.example',
  'batch@ corp.example',
];
const GOOD_RECIPIENTS = [
  'ops@corp.example',
  'a@corp.example',
  'B@CORP.EXAMPLE',
  'c.d@corp.example',
  'batch@corp.example',
  "o'hara@corp.example",
];
const BAD_RECIPIENTS = [
  'x@sub.corp.example',
  'evil@evil.example',
  'ops@corp.example.evil.example',
  'ops@[127.0.0.1]',
  'ops@xcorp.example',
  'job1@jobs.corp.example',
];
// Characters that break lines or headers in one code page or another: x'0D', x'15' (NL), x'25' (LF), x'00', …
const HOSTILE_CHARS = [
  '\r',
  '\n',
  '\u0085',
  '\u0000',
  '\t',
  '\u001a',
  '\u007f',
  '\u009f',
  '\u000b',
  '\u000c',
  '"',
  '<',
  '>',
  ',',
  ';',
  '@',
  ':',
  '(',
  ')',
  '\\',
  '=?',
  '?=',
  'é',
  'ß',
  '€',
  '\u2028',
  '日',
];
const INJECTIONS = [
  '\r\nBcc: evil@evil.example',
  '\nBcc: evil@evil.example',
  '\u0085Bcc: evil@evil.example',
  '\rFrom: evil@evil.example',
  '\r\n\r\nbody',
  '\u0000',
  '\r\n.\r\n',
  '\r\nTo: evil@evil.example',
  ' <evil@evil.example>',
  ', evil@evil.example',
  '\r\nRCPT TO:<evil@evil.example>',
  '\u0085\u0085From: evil@evil.example',
];

const benign = fc.constantFrom(...'abcdefghXYZ0123456789 -_.,'.split(''));
const char = fc.oneof({ weight: 6, arbitrary: benign }, { weight: 1, arbitrary: fc.constantFrom(...HOSTILE_CHARS) });
const noise = (maxLength: number) => fc.string({ unit: char, maxLength });
const words = (maxLength: number) => fc.string({ unit: benign, maxLength });
const sender = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...ALLOWED) },
  { weight: 4, arbitrary: fc.constantFrom(...FORBIDDEN) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_ADDRESSES) },
  { weight: 1, arbitrary: noise(30) },
);
const named = (addr: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 4, arbitrary: addr },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom(
            'Batch Job',
            '"Ops, Team"',
            '"<evil@evil.example>"',
            '"evil@evil.example"',
            '=?utf-8?Q?evil=40evil.example?=',
            'Jörg',
            '"a\\"b"',
          ),
          addr,
        )
        .map(([n, a]) => `${n} <${a}>`),
    },
  );
const withInjection = (base: fc.Arbitrary<string>) =>
  fc.oneof(
    { weight: 10, arbitrary: base },
    { weight: 1, arbitrary: fc.tuple(base, fc.constantFrom(...INJECTIONS)).map(([a, b]) => a + b) },
    { weight: 1, arbitrary: fc.tuple(base, noise(8)).map(([a, b]) => a + b) },
  );
const recipient = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...GOOD_RECIPIENTS) },
  { weight: 2, arbitrary: fc.constantFrom(...BAD_RECIPIENTS) },
  { weight: 1, arbitrary: fc.constantFrom(...ODD_ADDRESSES, ...FORBIDDEN) },
);
const separator = fc.constantFrom(', ', ' ', ',', ';', '  ,  ');
const recipientList = (min: number, max: number) =>
  fc
    .tuple(fc.array(named(recipient), { minLength: min, maxLength: max }), separator)
    .map(([list, sep]) => list.join(sep));
const huge = fc
  .integer({ min: 6, max: 60 })
  .map((n) => Array.from({ length: n }, (_, i) => `r${i}@corp.example`).join(','));
const toField = fc.oneof(
  { weight: 10, arbitrary: recipientList(1, 3) },
  { weight: 1, arbitrary: withInjection(recipientList(0, 7)) },
  { weight: 1, arbitrary: huge },
);
const copyField = fc.oneof(
  { weight: 8, arbitrary: fc.constant('') },
  { weight: 3, arbitrary: recipientList(1, 2) },
  { weight: 1, arbitrary: withInjection(recipientList(0, 4)) },
  { weight: 1, arbitrary: huge },
);
const subject = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '',
      'Report &USERID &DATE',
      'Grüße aus dem Rechenzentrum',
      '=?utf-8?B?QmNjOiBldmlsQGV2aWwuZXhhbXBsZQ==?=',
      'Bcc: evil@evil.example',
      'x'.repeat(250),
    ),
  },
  { weight: 4, arbitrary: words(60) },
  { weight: 2, arbitrary: withInjection(noise(60)) },
);
const hostileBodyLine = fc.constantFrom(
  'From: evil@evil.example',
  'Bcc: evil@evil.example',
  '.',
  '..',
  '',
  'MAIL FROM:<evil@evil.example>',
  '\r\n.\r\n',
);
const bodyText = fc.oneof(
  fc.constant(''),
  fc
    .array(
      fc.oneof(
        { weight: 4, arbitrary: words(60) },
        { weight: 2, arbitrary: hostileBodyLine },
        { weight: 1, arbitrary: noise(40) },
      ),
      { maxLength: 12 },
    )
    .map((l) => l.join('\n')),
);

t.test('the checks themselves catch what they are for', async (t) => {
  const composed = (from: string, to: string[], header: string) => ({
    from,
    to,
    message: Buffer.from(`${header}\r\nbody\r\n`),
  });
  const ok =
    'From: batch@corp.example\r\nTo: ops@corp.example\r\nSubject: x\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\nMessage-ID: <a@b>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n';
  const request = 'batch@corp.example ops@corp.example a@corp.example evil@evil.example x@sub.corp.example';
  const none: Asked = { replyTo: false, cc: false, receipt: false, priority: false, sensitivity: false };
  t.same(
    composedProblems(composed('batch@corp.example', ['ops@corp.example'], ok), request, none),
    [],
    'a good mail passes',
  );
  const bad = (what: string, mail: ReceivedMail) => t.not(composedProblems(mail, request, none).length, 0, what);
  bad('Bcc header', composed('batch@corp.example', ['ops@corp.example'], `${ok}Bcc: evil@evil.example\r\n`));
  bad('second From', composed('batch@corp.example', ['ops@corp.example'], `${ok}From: batch@corp.example\r\n`));
  bad(
    "From not the user's",
    composed(
      'batch@corp.example',
      ['ops@corp.example'],
      ok.replace('From: batch', 'From: "x" <evil@evil.example>, batch'),
    ),
  );
  bad("envelope sender not the user's", composed('evil@evil.example', ['ops@corp.example'], ok));
  bad('a subdomain recipient', composed('batch@corp.example', ['x@sub.corp.example'], ok));
  bad('a recipient the request did not name', composed('batch@corp.example', ['zz@corp.example'], ok));
  bad('six recipients', composed('batch@corp.example', Array(6).fill('ops@corp.example') as string[], ok));
  bad(
    'a header that ended early',
    composed('batch@corp.example', ['ops@corp.example'], ok.replace('Subject: x\r\n', 'Subject: x\r\n\r\n')),
  );
  bad('Cc not asked for', composed('batch@corp.example', ['ops@corp.example'], `${ok}Cc: a@corp.example\r\n`));
  bad('a bare LF', composed('batch@corp.example', ['ops@corp.example'], `${ok}X: a\nBcc: evil@evil.example\r\n`));
  t.same(addressesIn('"<evil@evil.example>" <batch@corp.example>, (evil@evil.example) "job one"@jobs.corp.example'), [
    'batch@corp.example',
    '"job one"@jobs.corp.example',
  ]);

  const stream = [
    'MAIL FROM:<batch@corp.example>',
    'RCPT TO:<ops@corp.example>',
    'DATA',
    'From: batch@corp.example',
    'Subject: s',
    '',
    'body',
    '.',
  ];
  const spooled = (text: string) => ({
    from: 'batch@corp.example',
    to: ['ops@corp.example'],
    message: Buffer.from(text),
  });
  const added =
    'Message-ID: <0ea5a9f4-90c6-4a61-b653-8eebfe194b20@region.test>\r\nDate: Mon, 1 Jan 2024 00:00:00 +0000\r\n';
  t.same(
    spooledProblems(spooled(`${added}From: batch@corp.example\r\nSubject: s\r\n\r\nbody\r\n`), stream),
    [],
    'a good spooled mail passes',
  );
  t.not(
    spooledProblems(
      spooled(`${added}Bcc: evil@evil.example\r\nFrom: batch@corp.example\r\nSubject: s\r\n\r\nbody\r\n`),
      stream,
    ).length,
    0,
    'a header line the stream did not have',
  );
  t.not(
    spooledProblems(
      spooled(`${added}From: batch@corp.example\r\nFrom: batch@corp.example\r\nSubject: s\r\n\r\nbody\r\n`),
      stream,
    ).length,
    0,
    'a From more often than the stream had it',
  );
  t.not(
    spooledProblems(spooled(`From: batch@corp.example\r\nSubject: s\r\n\r\nbody\r\nmore\r\n`), stream).length,
    0,
    'a body the stream did not have',
  );
  t.not(
    spooledProblems(spooled('From: batch@corp.example\r\nFrom:\r\n\r\nbody\r\n'), [
      ...stream.slice(0, 4),
      'From:',
      ...stream.slice(4),
    ]).length,
    0,
    'a From with no address',
  );
  // SPOL writes a field beyond ASCII in encoded words: the same text passes, other text does not.
  const umlaut = [...stream.slice(0, 3), 'From: Jörg <batch@corp.example>', ...stream.slice(4)];
  t.same(
    spooledProblems(
      spooled(`${added}From: =?UTF-8?Q?J=C3=B6rg?= <batch@corp.example>\r\nSubject: s\r\n\r\nbody\r\n`),
      umlaut,
    ),
    [],
    'a display name in an encoded word, as the stream wrote it',
  );
  t.not(
    spooledProblems(
      spooled(`${added}From: =?UTF-8?Q?J=C3=B6rn?= <batch@corp.example>\r\nSubject: s\r\n\r\nbody\r\n`),
      umlaut,
    ).length,
    0,
    'an encoded word that says another name',
  );
});

// ---------------------------------------------------------------- MAIL

const MAILCA = copybook('MAILCA');

interface MailFields {
  version: string;
  from: string;
  replyTo: string;
  to: string;
  cc: string;
  bcc: string;
  subject: string;
  importance: string;
  format: string;
  body: string;
  /** Added to the true MC-BODY-LEN: a length that lies. */
  lenDelta: number;
}

/** A MAILCA laid out by hand: any characters, cut to the field's size (the copybook writer would refuse some). */
function mailBytes(f: MailFields): Buffer {
  const body = cp.encode(f.body.replaceAll('\n', '\u0085'));
  const area = Buffer.alloc(MAILCA.minLength + body.length, 0x40);
  const put = (name: string, text: string) => {
    const item = elementaryOf(MAILCA, name);
    const bytes = cp.encode(text).subarray(0, item.size);
    area.set(bytes, item.offset);
  };
  put('MC-VERSION', f.version);
  put('MC-FROM', f.from);
  put('MC-REPLY-TO', f.replyTo);
  put('MC-TO', f.to);
  put('MC-CC', f.cc);
  put('MC-BCC', f.bcc);
  put('MC-SUBJECT', f.subject);
  put('MC-IMPORTANCE', f.importance);
  put('MC-BODY-FORMAT', f.format);
  writeNumber(area, elementaryOf(MAILCA, 'MC-RC'), 0);
  writeNumber(area, elementaryOf(MAILCA, 'MC-JOURNAL-SEQ'), 0);
  writeNumber(
    area,
    elementaryOf(MAILCA, 'MC-BODY-LEN'),
    Math.max(-99_999_999, Math.min(99_999_999, body.length + f.lenDelta)),
  );
  body.copy(area, elementaryOf(MAILCA, 'MC-BODY').offset);
  return area;
}

const mailFields: fc.Arbitrary<MailFields> = fc.record({
  version: fc.oneof(
    { weight: 12, arbitrary: fc.constant('01') },
    { weight: 1, arbitrary: fc.constantFrom('02', '  ', '0\u0000') },
  ),
  from: fc.oneof(
    { weight: 12, arbitrary: withInjection(named(sender)) },
    { weight: 1, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.tuple(sender, sender).map(([a, b]) => `${a}, ${b}`) },
  ),
  replyTo: fc.oneof(
    { weight: 4, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: withInjection(named(recipient)) },
  ),
  to: toField,
  cc: copyField,
  bcc: copyField,
  subject,
  importance: fc.oneof(
    { weight: 8, arbitrary: fc.constant('N') },
    { weight: 1, arbitrary: fc.constantFrom('L', 'H', ' ', 'X', '\u0015') },
  ),
  format: fc.oneof(
    { weight: 8, arbitrary: fc.constant('T') },
    { weight: 1, arbitrary: fc.constantFrom('H', ' ', 'X') },
  ),
  body: bodyText,
  lenDelta: fc.oneof(
    { weight: 12, arbitrary: fc.constant(0) },
    { weight: 1, arbitrary: fc.integer({ min: -5000, max: 30_000 }) },
  ),
});

const user = fc.constantFrom<keyof typeof AUTH>('FUZZ1', 'FUZZ2');

function mailCheck(area: Uint8Array, asked: Partial<Asked>, ccsid = 37): (mail: ReceivedMail) => string[] {
  const text = codePage(ccsid).decode(area);
  return (mail) =>
    composedProblems(mail, text, {
      replyTo: false,
      cc: false,
      receipt: false,
      priority: false,
      sensitivity: false,
      ...asked,
    });
}

const blank = (s: string) => cp.decode(cp.encode(s)).trim() === '';

t.test('MAIL: structured COMMAREAs with hostile fields', (t) =>
  check(
    t,
    'every structured MAIL answered as defined, nothing forbidden relayed',
    fc.asyncProperty(fc.tuple(mailFields, user), async ([f, u]) => {
      const area = mailBytes(f);
      await run('MAIL', area, u, mailCheck(area, { replyTo: !blank(f.replyTo), cc: !blank(f.cc) }));
    }),
  ),
);

t.test('MAIL: arbitrary bytes, and a valid COMMAREA with bytes overwritten or cut', (t) => {
  const valid = buildMailCommarea(
    {
      from: 'batch@corp.example',
      to: 'ops@corp.example',
      cc: 'a@corp.example',
      replyTo: 'job1@jobs.corp.example',
      subject: 'mutated',
      body: 'line 1\nline 2',
    },
    37,
  );
  const mutated = fc
    .tuple(
      fc.array(
        fc.tuple(
          fc.nat({ max: valid.length + 99 }),
          fc.oneof(fc.constantFrom(0x00, 0x0d, 0x15, 0x25, 0x40, 0x4c, 0x6b, 0x7c, 0xff), fc.nat({ max: 255 })),
        ),
        { maxLength: 12 },
      ),
      fc.oneof(
        { weight: 4, arbitrary: fc.constant(valid.length) },
        { weight: 1, arbitrary: fc.nat({ max: valid.length + 100 }) },
      ),
    )
    .map(([writes, length]) => {
      const area = Buffer.alloc(length, 0x40);
      valid.copy(area, 0, 0, Math.min(length, valid.length));
      for (const [at, byte] of writes) if (at < area.length) area[at] = byte;
      return area;
    });
  const anyBytes = fc.oneof(
    fc.uint8Array({ maxLength: 600 }),
    fc.uint8Array({ minLength: MAILCA.minLength - 2, maxLength: MAILCA.minLength + 300 }),
  );
  // In other code pages x'15' and x'25' swap (1047) and '@' moves (273): the same bytes, other text.
  const ccsid = fc.oneof(
    { weight: 4, arbitrary: fc.constant(37) },
    { weight: 1, arbitrary: fc.constantFrom(1047, 273, 500, 1141) },
  );
  return check(
    t,
    'every byte string answered as defined, nothing forbidden relayed',
    fc.asyncProperty(
      fc.tuple(fc.oneof({ weight: 3, arbitrary: mutated }, { weight: 1, arbitrary: anyBytes }), user, ccsid),
      async ([area, u, ccsid]) => {
        // Whatever the bytes say, MC-REPLY-TO and MC-CC may be set: the mutation cannot add optional fields we did not write.
        await run('MAIL', area, u, mailCheck(area, { replyTo: true, cc: true }, ccsid), ccsid);
      },
    ),
  );
});

// ---------------------------------------------------------------- SEND

const LINE_ENDS = ['\u0085', '\u0085', '\u0085', '\n', '\r\n', '\r\u0085'];

function textBytes(lines: readonly string[], end: string): Buffer {
  return cp.encode(lines.map((l) => `${l}${end}`).join(''));
}

const cleanSender = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...ALLOWED) },
  { weight: 1, arbitrary: fc.constantFrom(...FORBIDDEN) },
);
const sendMail = fc
  .record({
    // One mail in three hostile in its addresses; the rest only in what the policy decides.
    from: fc.option(
      fc.oneof({ weight: 2, arbitrary: cleanSender }, { weight: 1, arbitrary: withInjection(named(sender)) }),
      { nil: undefined, freq: 8 },
    ),
    to: fc.oneof({ weight: 2, arbitrary: recipientList(1, 3) }, { weight: 1, arbitrary: toField }),
    cc: fc.option(
      copyField.filter((c) => c !== ''),
      { nil: undefined, freq: 2 },
    ),
    bcc: fc.option(
      copyField.filter((c) => c !== ''),
      { nil: undefined, freq: 2 },
    ),
    replyTo: fc.option(withInjection(named(recipient)), { nil: undefined, freq: 4 }),
    receipt: fc.option(fc.constantFrom(...ALLOWED, ...GOOD_RECIPIENTS, ...BAD_RECIPIENTS), { nil: undefined, freq: 4 }),
    subject: fc.option(subject, { nil: undefined, freq: 4 }),
    extras: fc.uniqueArray(
      fc.constantFrom(
        'IMPORTANCE HIGH',
        'PRIORITY URGENT',
        'SENSITIVITY CONFIDENTIAL',
        'FORMAT HTML',
        '* a comment',
        '',
      ),
      { maxLength: 2 },
    ),
    text: fc.option(
      fc.array(
        fc.oneof(
          { weight: 6, arbitrary: words(50) },
          {
            weight: 2,
            arbitrary: fc.constantFrom(
              'From: evil@evil.example',
              'Bcc: evil@evil.example',
              'SEND',
              'FROM evil@evil.example',
              'ENDATTACH',
              '.',
              '&USERID &SYSID',
              '<html><b>x</b>',
            ),
          },
          { weight: 1, arbitrary: noise(30) },
        ),
        { maxLength: 6 },
      ),
      { nil: undefined },
    ),
    attach: fc.option(
      fc.oneof(
        {
          weight: 3,
          arbitrary: fc.constantFrom<string[]>(
            ['ATTACH NAME=a.txt', 'plain text', 'ENDATTACH'],
            ['ATTACH NAME="a b.bin" ENCODING=BASE64', 'QmNjOiBldmlsQGV2aWwuZXhhbXBsZQ==', 'ENDATTACH'],
            ['ATTACH NAME=x.txt TYPE=text/plain', 'Bcc: evil@evil.example', 'ENDATTACH'],
            [
              'ATTACH NAME="Bcc: evil@evil.example" TYPE=message/rfc822',
              'From: evil@evil.example',
              '',
              'x',
              'ENDATTACH',
            ],
          ),
        },
        {
          weight: 1,
          arbitrary: fc.constantFrom<string[]>(
            ['ATTACH NAME=bad ENCODING=BASE64', '!!!', 'ENDATTACH'],
            ['ATTACH NAME=a.txt', 'no end'],
          ),
        },
      ),
      { nil: undefined, freq: 4 },
    ),
    end: fc.oneof(
      { weight: 8, arbitrary: fc.constant('SEND') },
      { weight: 1, arbitrary: fc.constantFrom('send', ' SEND ', 'SEND NOW', '') },
    ),
  })
  .map((m) => [
    ...(m.from !== undefined ? [`FROM ${m.from}`] : []),
    `TO ${m.to}`,
    ...(m.cc !== undefined ? [`CC ${m.cc}`] : []),
    ...(m.bcc !== undefined ? [`BCC ${m.bcc}`] : []),
    ...(m.replyTo !== undefined ? [`REPLYTO ${m.replyTo}`] : []),
    ...(m.receipt !== undefined ? [`RECEIPT ${m.receipt}`] : []),
    ...(m.subject !== undefined ? [`SUBJECT ${m.subject}`] : []),
    ...m.extras,
    ...(m.text !== undefined ? ['TEXT', ...m.text, 'ENDTEXT'] : []),
    ...(m.attach ?? []),
    m.end,
  ]);
const sendLine = fc.oneof(
  fc.constantFrom(
    'SEND',
    'TEXT',
    'ENDTEXT',
    'FROM batch@corp.example',
    'FROM evil@evil.example',
    'TO ops@corp.example',
    'BCC evil@evil.example',
    'Bcc: evil@evil.example',
    'SUBJECT x',
    'SUBJECT x',
    'RECEIPT',
    'ATTACH',
    'ATTACH NAME=',
    'ſend',
    'ﬀ',
  ),
  noise(40),
  fc
    .tuple(fc.constantFrom('FROM', 'TO', 'CC', 'BCC', 'REPLYTO', 'SUBJECT', 'RECEIPT'), noise(30))
    .map(([k, v]) => `${k} ${v}`),
);
const sendStream = fc
  .tuple(
    fc.array(
      fc.oneof({ weight: 6, arbitrary: sendMail }, { weight: 1, arbitrary: fc.array(sendLine, { maxLength: 3 }) }),
      { minLength: 1, maxLength: 5 },
    ),
    fc.constantFrom(...LINE_ENDS),
  )
  .map(([blocks, end]) => ({ lines: blocks.flat(), end }));

t.test('SEND: statement streams, valid and hostile', (t) =>
  check(
    t,
    'every SEND stream answered as defined, nothing forbidden relayed',
    fc.asyncProperty(fc.tuple(sendStream, user), async ([{ lines, end }, u]) => {
      const input = textBytes(lines, end);
      const text = cp.decode(input);
      const has = (re: RegExp) => lines.some((l) => re.test(l));
      const asked: Asked = {
        replyTo: has(/REPLYTO/i),
        cc: has(/^\s*CC\b/i),
        receipt: has(/^\s*RECEIPT\b/i),
        priority: has(/^\s*PRIORITY\b/i),
        sensitivity: has(/^\s*SENSITIVITY\b/i),
      };
      await run('SEND', input, u, (mail) => composedProblems(mail, text, asked));
    }),
  ),
);

// ---------------------------------------------------------------- SPOL

const headerLine = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      'Subject: spooled',
      'To: ops@corp.example',
      'X-Job: PAYROLL',
      'Message-ID: <fixed@jobs.corp.example>',
      'Date: Mon, 1 Jan 2024 00:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      'Subject: folded',
      ' continued',
    ),
  },
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.constantFrom('From: ', 'From: ', 'FROM: ', 'From : ', 'from:\t', 'From:'), named(sender))
      .map(([k, v]) => k + v),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      'Bcc: evil@evil.example',
      'Sender: evil@evil.example',
      'Reply-To: evil@evil.example',
      'From:',
      ' <evil@evil.example>',
      '\t, evil@evil.example',
      'garbage without colon',
      '.From: evil@evil.example',
      'From: batch@corp.example,',
      'From: <batch@corp.example> evil@evil.example',
      'From: batch@corp.example (evil@evil.example)',
      'Resent-From: evil@evil.example',
    ),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('From: ', 'Subject: ', 'Reply-To: ', 'X-A: '), withInjection(noise(30)))
      .map(([k, v]) => k + v),
  },
);
const bodyLine = fc.oneof(
  { weight: 30, arbitrary: words(60) },
  {
    weight: 8,
    arbitrary: fc.constantFrom(
      '',
      '..',
      '...',
      '.From: evil@evil.example',
      'From: evil@evil.example',
      'MAIL FROM:<evil@evil.example>',
      'RCPT TO:<evil@evil.example>',
      'DATA',
      'QUIT',
      'grüße',
    ),
  },
  { weight: 1, arbitrary: fc.constantFrom('.', 'x'.repeat(1000), 'y'.repeat(998)) },
  { weight: 3, arbitrary: noise(40) },
);
const spoolMail = fc
  .record({
    helo: fc.constantFrom([], ['HELO jobs.corp.example'], ['EHLO x'], ['RSET']),
    from: fc.oneof(
      { weight: 12, arbitrary: sender.map((s) => `MAIL FROM:<${s}>`) },
      {
        weight: 1,
        arbitrary: fc.constantFrom(
          'MAIL FROM:<>',
          'MAIL FROM:<batch@corp.example> SIZE=100',
          'MAIL FROM: <batch@corp.example>',
          'MAIL FROM:batch@corp.example',
          'mail from:<job1@jobs.corp.example> BODY=8BITMIME',
          'MAIL FROM:<batch@corp.example> <evil@evil.example>',
        ),
      },
      { weight: 1, arbitrary: withInjection(sender).map((s) => `MAIL FROM:<${s}>`) },
    ),
    rcpts: fc.oneof(
      { weight: 10, arbitrary: fc.array(recipient, { minLength: 1, maxLength: 4 }) },
      { weight: 1, arbitrary: fc.constant<string[]>([]) },
      {
        weight: 1,
        arbitrary: fc
          .integer({ min: 6, max: 20 })
          .map((n) => Array.from({ length: n }, (_, i) => `r${i}@corp.example`)),
      },
    ),
    header: fc.array(headerLine, { maxLength: 6 }),
    blankAfterHeader: fc.oneof(
      { weight: 6, arbitrary: fc.constant(true) },
      { weight: 1, arbitrary: fc.constant(false) },
    ),
    body: fc.array(bodyLine, { maxLength: 5 }),
    dot: fc.oneof({ weight: 10, arbitrary: fc.constant('.') }, { weight: 1, arbitrary: fc.constantFrom('. ', '') }),
    tail: fc.oneof(
      { weight: 8, arbitrary: fc.constant<string[]>([]) },
      { weight: 1, arbitrary: fc.constantFrom(['QUIT'], ['NOOP x'], ['RSET']) },
    ),
  })
  .map((m) => [
    ...m.helo,
    m.from,
    ...m.rcpts.map((r) => `RCPT TO:<${r}>`),
    'DATA',
    ...m.header,
    ...(m.blankAfterHeader ? [''] : []),
    ...m.body,
    ...(m.dot === '' ? [] : [m.dot]),
    ...m.tail,
  ]);
const spoolLine = fc.oneof(
  fc.constantFrom(
    'DATA',
    '.',
    'QUIT',
    'RSET',
    'RCPT TO:<ops@corp.example>',
    'RCPT TO:<evil@evil.example>',
    'MAIL FROM:<batch@corp.example>',
    'MAIL FROM:<evil@evil.example>',
    'HELO',
    'VRFY x',
    'From: evil@evil.example',
  ),
  noise(40),
);
const spoolStream = fc
  .tuple(
    fc.array(
      fc.oneof({ weight: 8, arbitrary: spoolMail }, { weight: 1, arbitrary: fc.array(spoolLine, { maxLength: 3 }) }),
      { minLength: 1, maxLength: 4 },
    ),
    fc.constantFrom(...LINE_ENDS),
  )
  .map(([blocks, end]) => ({ lines: blocks.flat(), end }));

/** The stream's lines as the region reads them: NL, LF, CR LF or a lone CR end a line; trailing blanks go. */
function decodedLines(bytes: Uint8Array): string[] {
  return cp
    .decode(bytes)
    .split(/\r\n|\r\u0085|[\r\n\u0085]/)
    .map((l) => l.replace(/ +$/, ''));
}

t.test('SPOL: datastreams with hostile headers, several Froms, From unlike MAIL FROM', (t) =>
  check(
    t,
    'every SPOL stream answered as defined, nothing forbidden relayed',
    fc.asyncProperty(fc.tuple(spoolStream, user), async ([{ lines, end }, u]) => {
      const input = textBytes(lines, end);
      const decoded = decodedLines(input);
      await run('SPOL', input, u, (mail) => spooledProblems(mail, decoded));
    }),
  ),
);

t.test('SPOL: an empty From beside a good one is refused, not relayed with two Froms', async (t) => {
  // Found by the SPOL property above: [MAIL FROM:<batch@corp.example>, RCPT TO:<ops@corp.example>,
  // DATA, "From:", "From: batch@corp.example", "", "."] went to the relay with both From fields.
  for (const froms of [['From:', 'From: batch@corp.example'], ['From: batch@corp.example', 'From: ,'], ['From:']]) {
    const lines = ['MAIL FROM:<batch@corp.example>', 'RCPT TO:<ops@corp.example>', 'DATA', ...froms, '', 'x', '.'];
    const before = relay.mails.length;
    const res = await region.post('SPOL', textBytes(lines, '\u0085'), { authorization: AUTH.FUZZ1 });
    t.equal(res.headers.get('x-mail-rc'), '8', froms.join(' / '));
    t.match(
      cp.decode(Buffer.from(await res.arrayBuffer())),
      /^RC=08 LINE=1 the From header is not a list of valid addresses/,
    );
    t.equal(relay.mails.length, before, 'nothing relayed');
  }
});

t.test('SPOL: a display name beyond ASCII goes in an encoded word, the next mail of the stream refused', async (t) => {
  // Found by the SPOL property (seed -1929200810, shrunk): the oracle read the encoded From
  // as a header line the stream did not have. SPOL writes such fields in RFC 2047 words.
  const lines = [
    'MAIL FROM:<batch@corp.example>',
    'RCPT TO:<ops@corp.example>',
    'DATA',
    'From: Jörg <batch@corp.example>',
    '',
    '.',
    'MAIL FROM:<>',
    'RCPT TO:<x@sub.corp.example>',
    'DATA',
    '',
    '.',
  ];
  const input = textBytes(lines, '\u0085');
  await run('SPOL', input, 'FUZZ1', (mail) => spooledProblems(mail, decodedLines(input)));
  // Seed 1216891599: the same From in the stream's second mail, after a refused first.
  const second = textBytes([...lines.slice(6), ...lines.slice(0, 6)], '\u0085');
  await run('SPOL', second, 'FUZZ1', (mail) => spooledProblems(mail, decodedLines(second)));
  // Seed 508389040: a mail that is all header, its one field beyond ASCII.
  const allHeader = textBytes([...lines.slice(0, 3), 'X-A: é', '.'], '\u0085');
  await run('SPOL', allHeader, 'FUZZ1', (mail) => spooledProblems(mail, decodedLines(allHeader)));
  // Seed 429088700: a field beyond ASCII, then a line that is no field (a dot-stuffed '.').
  const stray = textBytes([...lines.slice(0, 3), 'X-A: é', '..', '.'], '\u0085');
  await run('SPOL', stray, 'FUZZ1', (mail) => spooledProblems(mail, decodedLines(stray)));
  t.pass('answered as defined, nothing forbidden relayed');
});

t.test('the size limit (1 MB here) holds for SEND and SPOL through container INPUT too', async (t) => {
  const LIMIT = 1_048_576;
  const row = 'The quick brown fox jumps over the lazy dog 0123456789 ABCDEFGHIJKLMNOPQRSTUV';
  const sizes = fc.sample(fc.integer({ min: LIMIT - 3000, max: LIMIT + 3000 }), { numRuns: 6 });
  for (const [i, target] of [LIMIT - 20_000, LIMIT + 20_000, ...sizes].entries()) {
    const tranid = i % 2 === 0 ? 'SPOL' : 'SEND';
    const body: string[] = [];
    for (let n = 0; n < target; n += row.length + 2) body.push(row);
    const lines =
      tranid === 'SPOL'
        ? [
            'MAIL FROM:<batch@corp.example>',
            'RCPT TO:<ops@corp.example>',
            'DATA',
            'From: batch@corp.example',
            'Subject: big',
            '',
            ...body,
            '.',
          ]
        : ['FROM batch@corp.example', 'TO ops@corp.example', 'SUBJECT big', 'TEXT', ...body, 'ENDTEXT'];
    const form = new FormData();
    form.append('INPUT', new Blob([textBytes(lines, '\u0085')], { type: 'text/plain; charset=ibm-037' }));
    const before = relay.mails.length;
    const res = await fetch(`${region.url}/cics/${tranid}`, {
      method: 'POST',
      body: form,
      headers: { authorization: AUTH.FUZZ1 },
    });
    const { sent } = await answerOf(tranid, res);
    const got = relay.mails.slice(before);
    t.equal(got.length, sent, `${tranid} ~${target} bytes: ${sent ? 'sent' : 'refused'}`);
    for (const m of got) t.ok(m.message.length <= LIMIT, `${m.message.length} bytes relayed, within the limit`);
    if (target < LIMIT - 10_000) t.equal(sent, 1, 'well below the limit: sent');
    if (target > LIMIT) t.equal(sent, 0, 'above the limit: refused');
  }
});

t.test('the region still answers, and the relay holds exactly the mails answered RC 0', async (t) => {
  const area = buildMailCommarea(
    { from: 'batch@corp.example', to: 'ops@corp.example', subject: 'still here', body: 'ok' },
    37,
  );
  const res = await region.post('MAIL', area, { authorization: AUTH.FUZZ1 });
  t.equal(res.status, 200);
  const out = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
  t.match(out, { rc: 0, reason: 'SENT' }, 'a good mail goes out after all that');
  stats.rc0++;
  t.equal(relay.mails.length, stats.rc0, 'each mail answered RC 0 reached the relay once, and no other');
  t.same(stats.violations, [], 'no mail the policy forbids reached the relay');
  const records = region.journal().list({ limit: 100_000 });
  const byState = new Map<string, number>();
  for (const r of records) bump(byState, r.state);
  t.equal(byState.get('SENT') ?? 0, relay.mails.length, 'the journal says SENT for each of them');
  t.comment(`requests ${stats.requests}, mails relayed ${relay.mails.length}, RC 0 answers ${stats.rc0}`);
  t.comment(`journal: ${[...byState].map(([k, v]) => `${k} ${v}`).join(', ')}`);
  t.comment(
    `RESP answers: ${[...stats.resp]
      .sort()
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}`,
  );
  t.comment(
    `RCs: ${[...stats.byRc]
      .sort()
      .map(([k, v]) => `${k}: ${v}`)
      .join('; ')}`,
  );
});
