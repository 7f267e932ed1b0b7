// MINQ: the program that sent a mail asks what became of it. From a COMMAREA that GnuCOBOL
// built (by journal sequence, Message-ID and request key), from the JSON view, and every
// refusal with its RC: unknown, another user's, nothing asked, a key that is no key. By
// request key: the caller's own mail under it, whichever tranid, the first by sequence.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { codePage } from '../../cics/codepages.js';
import { jsonToRecord, recordToJson } from '../../cics/copybook/json.js';
import { copybook } from '../../cics/copybook/library.js';
import { elementaryOf } from '../../cics/copybook/layout.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import { ebcdicLines } from '../helpers/ebcdic.js';
import { asIbm } from '../helpers/gnucobol.js';
import { startRegion, type TestRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { basicAuth } from '../helpers/users.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const cp = codePage(37);
const minqca = copybook('MINQCA');
const OTHER = { id: 'OTHER', password: 'other-password-1', transactions: ['MAIL', 'MINQ'], senders: ['*'] };

/** A region with mail 1 (request key order-42) to three recipients: wayne delivered, robin bounced 5.1.1, alfred relayed. */
async function regionWithFates(t: Test): Promise<{ region: TestRegion; messageId: string }> {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_SYSID: 'PRD1' }, { users: [OTHER] });
  const request = buildMailCommarea(
    { from: 'foo@bar.com', to: 'wayne@bar.com, robin@bar.com, alfred@bar.com', subject: 's', body: 'hi' },
    37,
  );
  const answer = await region.post('MAIL', request, { 'Idempotency-Key': 'order-42' });
  const sent = readMailResponse(Buffer.from(await answer.arrayBuffer()), 37);
  const recipient = (address: string, action: 'delivered' | 'failed', status: string, diagnostic: string) => ({
    addresses: [address],
    action,
    status,
    diagnostic,
  });
  const report = {
    kind: 'dsn' as const,
    recipients: [
      recipient('wayne@bar.com', 'delivered', '2.0.0', ''),
      recipient('robin@bar.com', 'failed', '5.1.1', '550 5.1.1 <robin@bar.com>: unknown user'),
    ],
  };
  const recorded = await region.journal().fate.record(1, 'PRD1', report, Buffer.from('bounce'), Date.now());
  t.equal(recorded.ok, true);
  return { region, messageId: sent.messageId };
}

async function minq(region: TestRegion, area: Buffer, auth?: string) {
  const res = await region.post('MINQ', area, auth ? { authorization: auth } : {});
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, length: bytes.length, view: recordToJson(bytes, minqca, cp) };
}

const request = (fields: Record<string, unknown>) =>
  jsonToRecord(
    {
      mq_version: '01',
      mq_journal_seq: 0,
      mq_rc: 0,
      mq_found_seq: 0,
      mq_rcpt_total: 0,
      mq_rcpt_count: 0,
      mq_rcpt: [],
      ...fields,
    },
    minqca,
    cp,
  ).bytes;

t.test('by journal sequence: the state and each recipient, the answer as long as its entries', async (t) => {
  const { region, messageId } = await regionWithFates(t);
  const answer = await minq(region, request({ mq_journal_seq: 1 }));
  t.equal(answer.status, 200);
  t.equal(answer.length, 874 + 3 * 496, 'the fixed part and three entries');
  t.match(answer.view, {
    mq_rc: 0,
    mq_reason: 'FOUND',
    mq_state: 'SENT',
    mq_found_seq: 1,
    mq_found_message_id: messageId,
    mq_relay_reply: /^250 /,
    mq_rcpt_total: 3,
    mq_rcpt_count: 3,
  });
  t.same(
    (answer.view.mq_rcpt as Record<string, string>[]).map((r) => [
      r.mq_address,
      r.mq_fate,
      r.mq_status,
      r.mq_diagnostic,
    ]),
    [
      ['wayne@bar.com', 'DELIVERED', '2.0.0', ''],
      ['robin@bar.com', 'BOUNCED', '5.1.1', '550 5.1.1 <robin@bar.com>: unknown user'],
      ['alfred@bar.com', 'RELAYED', '', ''],
    ],
  );
  t.match(
    (answer.view.mq_rcpt as Record<string, string>[])[0]?.mq_fate_time,
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
  );
});

t.test('the JSON view and its schema come from the copybook', async (t) => {
  const { region, messageId } = await regionWithFates(t);
  const res = await region.fetch('/cics/MINQ', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mq_version: '01', mq_message_id: messageId.slice(1, -1) }),
  });
  t.equal(res.status, 200);
  t.match(await res.json(), { mq_reason: 'FOUND', mq_found_seq: 1, mq_rcpt_count: 3 });
  const openapi = (await (await region.fetch('/docs/json')).json()) as { paths: Record<string, unknown> };
  t.ok(openapi.paths['/cics/MINQ'], 'MINQ in the OpenAPI document');
});

t.test('refusals, each with its RC and reason', async (t) => {
  const { region } = await regionWithFates(t);
  const ask = async (fields: Record<string, unknown>, auth?: string) => {
    const { view } = await minq(region, request(fields), auth);
    return [view.mq_rc, view.mq_reason, view.mq_rcpt_count, view.mq_relay_reply];
  };
  t.same(await ask({ mq_journal_seq: 99 }), [8, 'NOTFOUND', 0, 'no mail with journal sequence 99']);
  t.same(await ask({ mq_request_key: 'never-sent' }), [8, 'NOTFOUND', 0, 'no mail with request key never-sent']);
  t.same(await ask({ mq_message_id: '<nope@x>' }), [8, 'NOTFOUND', 0, 'no mail with Message-ID <nope@x>']);
  t.same(await ask({}), [8, 'NOQUERY', 0, 'MQ-JOURNAL-SEQ is 0 and MQ-MESSAGE-ID and MQ-REQUEST-KEY are blank']);
  t.same(await ask({ mq_version: '02', mq_journal_seq: 1 }), [8, 'VERSION', 0, "MQ-VERSION is '02', not '01'"]);
  const other = basicAuth(OTHER.id, OTHER.password);
  t.same(await ask({ mq_journal_seq: 1 }, other), [
    16,
    'NOTYOURS',
    0,
    "the mail with journal sequence 1 is another user's",
  ]);
  const short = await region.post('MINQ', request({ mq_journal_seq: 1 }).subarray(0, 873));
  t.equal(short.headers.get('x-cics-resp'), 'LENGERR');
});

t.test("by request key: the caller's own mail under it, whichever tranid, else whose it is", async (t) => {
  const { region } = await regionWithFates(t);
  const other = basicAuth(OTHER.id, OTHER.password);
  const mailOf = (to: string) => buildMailCommarea({ from: 'foo@bar.com', to, subject: 'k', body: 'k' }, 37);
  const sendOf = (...to: string[]) =>
    ebcdicLines(
      to.flatMap((address) => ['FROM foo@bar.com', `TO ${address}`, 'SUBJECT k', 'SEND']),
      37,
    );
  const longest = `${'K'.repeat(63)}~`;
  // 2: OTHER's order-42 (a key is its user's own); 3: OTHER's theirs-1; 4 and 5: TESTER's
  // SEND under batch-7, 6: TESTER's MAIL under batch-7 too (another tranid, another key
  // to the region); 7: TESTER's under the longest key.
  for (const [tranid, body, headers] of [
    ['MAIL', mailOf('a@bar.com'), { 'Idempotency-Key': 'order-42', authorization: other }],
    ['MAIL', mailOf('b@bar.com'), { 'Idempotency-Key': 'theirs-1', authorization: other }],
    ['SEND', sendOf('c@bar.com', 'd@bar.com'), { 'Idempotency-Key': 'batch-7' }],
    ['MAIL', mailOf('e@bar.com'), { 'Idempotency-Key': 'batch-7' }],
    ['MAIL', mailOf('f@bar.com'), { 'Idempotency-Key': longest }],
  ] as const)
    t.equal((await region.post(tranid, body, headers)).status, 200, `${tranid} ${headers['Idempotency-Key']}`);
  t.same(
    [2, 3, 4, 5, 6, 7].map((seq) => [region.journal().get(seq)?.userid, region.journal().get(seq)?.requestKey]),
    [
      ['OTHER', 'order-42'],
      ['OTHER', 'theirs-1'],
      ['TESTER', 'batch-7'],
      ['TESTER', 'batch-7'],
      ['TESTER', 'batch-7'],
      ['TESTER', longest],
    ],
  );
  const ask = async (key: string | Buffer, auth?: string) => {
    const area = request({});
    const field = elementaryOf(minqca, 'MQ-REQUEST-KEY');
    if (typeof key === 'string')
      area.write(cp.encode(key.padEnd(field.size)).toString('latin1'), field.offset, 'latin1');
    else key.copy(area, field.offset);
    const { view } = await minq(region, area, auth);
    const first = (view.mq_rcpt as Record<string, string>[])[0];
    return [view.mq_rc, view.mq_reason, view.mq_found_seq, first?.mq_address ?? view.mq_relay_reply];
  };
  t.same(await ask('order-42'), [0, 'FOUND', 1, 'wayne@bar.com'], "TESTER's own order-42, not OTHER's");
  t.same(await ask('order-42', other), [0, 'FOUND', 2, 'a@bar.com'], "OTHER's own order-42");
  t.same(await ask('   order-42'), [0, 'FOUND', 1, 'wayne@bar.com'], 'blanks pad the field, before as after');
  t.same(await ask('batch-7'), [0, 'FOUND', 4, 'c@bar.com'], "the request's first mail, of SEND before MAIL");
  t.same(await ask(longest), [0, 'FOUND', 7, 'f@bar.com'], 'a key of 64 characters fills the field');
  t.same(await ask('theirs-1'), [16, 'NOTYOURS', 0, "the mail with request key theirs-1 is another user's"]);
  t.same(await ask('batch-7', other), [16, 'NOTYOURS', 0, "the mail with request key batch-7 is another user's"]);
  t.same(await ask('ORDER-42'), [8, 'NOTFOUND', 0, 'no mail with request key ORDER-42'], 'a key as sent: case counts');
  const rule = 'is not a request key: 1 to 64 printable ASCII characters (x21 to x7E)';
  t.same(await ask('order 42'), [8, 'BADKEY', 0, `MQ-REQUEST-KEY 'order 42' ${rule}`], 'a blank inside');
  t.same(await ask('clé'), [8, 'BADKEY', 0, `MQ-REQUEST-KEY 'cl?' ${rule}`], 'beyond ASCII');
  // EBCDIC HT (x'05') and NL (x'15'): a tab and a line end in the key.
  t.same(
    await ask(Buffer.from([0x96, 0x05, 0x15, 0x96])),
    [8, 'BADKEY', 0, `MQ-REQUEST-KEY 'o??o' ${rule}`],
    'control characters',
  );
  t.same(
    await ask(Buffer.alloc(64, 0x00)),
    [8, 'BADKEY', 0, `MQ-REQUEST-KEY '${'?'.repeat(64)}' ${rule}`],
    'hostile: 64 NULs (LOW-VALUES)',
  );
  t.same(
    await ask(Buffer.alloc(64, 0xff)),
    [8, 'BADKEY', 0, `MQ-REQUEST-KEY '${'?'.repeat(64)}' ${rule}`],
    "hostile: 64 x'FF' (HIGH-VALUES)",
  );
  // A key the JSON view cannot hold (more than MQ-REQUEST-KEY's 64) is the view's to refuse.
  const long = await region.fetch('/cics/MINQ', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mq_version: '01', mq_request_key: 'k'.repeat(65) }),
  });
  t.equal(long.status, 400);
  t.match(await long.json(), { resp: 'INVREQ', message: 'body/mq_request_key must NOT have more than 64 characters' });
  const byJson = await region.fetch('/cics/MINQ', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mq_version: '01', mq_request_key: 'batch-7' }),
  });
  t.match(await byJson.json(), { mq_rc: 0, mq_reason: 'FOUND', mq_found_seq: 4, mq_rcpt_count: 1 });
});

let cobc = true;
try {
  execFileSync('cobc', ['--version'], { stdio: 'ignore' });
} catch {
  cobc = false;
}
t.test(
  'a COMMAREA built by GnuCOBOL: by sequence, by Message-ID and by request key',
  { skip: cobc ? false : 'cobc is not installed (Debian gnucobol3; .ci/run installs it)' },
  async (t) => {
    const { region, messageId } = await regionWithFates(t);
    const dir = t.testdir();
    execFileSync('cobc', [
      '-x',
      '-fsign=EBCDIC',
      '-I',
      here('../../copybooks'),
      '-o',
      `${dir}/minqreq`,
      here('../fixtures/cobol/minqreq.cbl'),
    ]);
    const shown = execFileSync(`${dir}/minqreq`, {
      env: {
        ...process.env,
        SEQFILE: `${dir}/seq.bin`,
        MIDFILE: `${dir}/mid.bin`,
        MESSAGEID: messageId,
        KEYFILE: `${dir}/key.bin`,
        REQKEY: 'order-42',
      },
      encoding: 'latin1',
    });
    t.match(shown, /^MINQCA 0*874$/m, 'GnuCOBOL: FUNCTION LENGTH(MINQCA) with no entries = 874');
    for (const file of ['seq.bin', 'mid.bin', 'key.bin']) {
      const area = asIbm(readFileSync(`${dir}/${file}`), minqca);
      const { view } = await minq(region, area);
      t.match(view, { mq_rc: 0, mq_reason: 'FOUND', mq_found_seq: 1, mq_rcpt_count: 3 }, file);
      t.same(
        (view.mq_rcpt as Record<string, string>[]).map((r) => r.mq_fate),
        ['DELIVERED', 'BOUNCED', 'RELAYED'],
      );
    }
  },
);
