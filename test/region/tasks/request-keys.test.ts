// Request keys end to end: a real region, a real SMTP relay (smtp-server), the journal on
// disk. One key, one mail: a repeat hears the first answer byte for byte and sends nothing;
// repeats at the same moment make one task; a different request under the key is refused;
// a restart keeps the key; a refusal before any task ran keeps nothing.
import t from 'tap';
import { buildMailCommarea, readMailResponse } from '../../../client/mailca.js';
import { canonicalJson, digestOf } from '../../../region/tasks/request-key.js';
import { requestKeyId } from '../../../cics/request-key.js';
import { Journal } from '../../../journal/journal.js';
import { startRegion } from '../../helpers/region.js';
import { startRelay } from '../../helpers/relay.js';
import { freshDir } from '../../helpers/test-like.js';
import { basicAuth, TESTER } from '../../helpers/users.js';
import { doubling, doublingText, LINEAR_RATIO } from '../../helpers/doubling.js';
import { ebcdicLines } from '../../helpers/ebcdic.js';
import { requestKeyStatement } from '../../../transactions/send/statements.js';

const mail = (subject: string) =>
  buildMailCommarea({ from: 'foo@bar.com', to: 'wayne@bar.com', subject, body: 'the searchlight\n' }, 37);

/** What a caller compares between two answers: status, the headers that matter, the body. */
async function answerOf(res: Response) {
  const keep = ['x-cics-resp', 'x-cics-taskn', 'x-cics-tranid', 'x-journal-seq', 'content-type'];
  return {
    status: res.status,
    headers: Object.fromEntries(keep.map((h) => [h, res.headers.get(h)])),
    body: Buffer.from(await res.arrayBuffer()).toString('hex'),
  };
}

t.test('a repeat of a key hears the first answer byte for byte, and nothing is sent again', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const first = await region.post('MAIL', mail('once'), { 'Idempotency-Key': 'order-4711' });
  t.equal(first.status, 200);
  t.equal(first.headers.get('idempotent-replayed'), null, 'the first is not a replay');
  const firstAnswer = await answerOf(first);
  const out = readMailResponse(Buffer.from(firstAnswer.body, 'hex'), 37);
  t.equal(out.rc, 0);
  t.equal(out.journalSeq, 1);

  const again = await region.post('MAIL', mail('once'), { 'Idempotency-Key': '"order-4711"' });
  t.equal(again.headers.get('idempotent-replayed'), 'true', 'the repeat says it is a replay');
  t.same(await answerOf(again), firstAnswer, 'same status, RESP, task number, journal sequence and COMMAREA');
  t.equal(relay.mails.length, 1, 'the relay got one mail');
  t.equal(region.journal().latest()?.seq, 1, 'one journal record');
  t.equal(region.journal().get(1)?.requestKey, 'order-4711', 'the record names its key');
  const stored = region.journal().keys.get(requestKeyId(TESTER.id, 'MAIL', 'order-4711'));
  t.same(stored?.seqs, [1]);
  t.equal(stored?.taskn, 1);

  // Without a key the same request is a new mail: the key is what makes it a repeat.
  const unkeyed = await region.post('MAIL', mail('once'));
  t.equal(readMailResponse(Buffer.from(await unkeyed.arrayBuffer()), 37).journalSeq, 2);
  t.equal(relay.mails.length, 2);
});

t.test('ten requests with one key at the same moment: one task, one mail, ten equal answers', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const answers = await Promise.all(
    Array.from({ length: 10 }, () => region.post('MAIL', mail('ten at once'), { 'Idempotency-Key': 'k-10' })),
  );
  const bodies = await Promise.all(answers.map(answerOf));
  t.equal(relay.mails.length, 1, 'one mail at the relay');
  t.equal(region.journal().latest()?.seq, 1, 'one journal record');
  t.equal(new Set(bodies.map((b) => JSON.stringify(b))).size, 1, 'ten equal answers');
  t.same(bodies[0]?.headers['x-cics-taskn'], '1', 'all from task 1');
  t.equal(answers.filter((a) => a.headers.get('idempotent-replayed') === 'true').length, 9, 'nine replays');
  t.equal(readMailResponse(Buffer.from(bodies[0]?.body ?? '', 'hex'), 37).rc, 0);
});

t.test('the same key with a different request is refused: 422 INVREQ, nothing sent', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  t.equal((await region.post('MAIL', mail('first'), { 'Idempotency-Key': 'k1' })).status, 200);
  for (const [what, res] of [
    ['another body', await region.post('MAIL', mail('second'), { 'Idempotency-Key': 'k1' })],
    [
      'another code page',
      await region.post('MAIL', mail('first'), { 'Idempotency-Key': 'k1', 'X-CICS-CCSID': '1047' }),
    ],
  ] as const) {
    t.equal(res.status, 422, what);
    t.equal(res.headers.get('x-cics-resp'), 'INVREQ');
    t.equal(res.headers.get('x-cics-taskn'), null, 'no task ran');
    t.match(await res.json(), {
      resp: 'INVREQ',
      resp2: 7,
      abcode: null,
      message: /^request key 'k1' was used for a different request .*nothing was run or sent/,
    });
  }
  t.equal(relay.mails.length, 1);
  t.equal(region.journal().latest()?.seq, 1);
});

t.test('a key that is not one is refused before any task runs, naming what is wrong', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  for (const [key, message] of [
    ['x'.repeat(65), /^request key 'x{64}' is not 1 to 64 printable ASCII characters/],
    ['two words', /^request key 'two words' is not 1 to 64 printable/],
    ['""', /^request key '' is not 1 to 64/],
    // HTTP headers are read as Latin-1: the two bytes of é in UTF-8 are two characters.
    ['caf\u00e9', /^request key 'caf\?\?' is not/],
  ] as const) {
    const res = await fetch(`${region.url}/cics/MAIL`, {
      method: 'POST',
      headers: [
        ['authorization', region.auth],
        ['content-type', 'application/octet-stream'],
        ['idempotency-key', Buffer.from(key, 'utf8').toString('latin1')],
      ],
      body: mail('bad key'),
    });
    t.equal(res.status, 400, JSON.stringify(key));
    t.match(await res.json(), { resp: 'INVREQ', resp2: 6, message });
  }
  const twice = await fetch(`${region.url}/cics/MAIL`, {
    method: 'POST',
    headers: [
      ['authorization', region.auth],
      ['content-type', 'application/octet-stream'],
      ['idempotency-key', 'a'],
      ['idempotency-key', 'b'],
    ],
    body: mail('two keys'),
  });
  t.equal(twice.status, 400);
  // Node joins a header given twice with ', ': no key has a blank.
  t.match(await twice.json(), { resp2: 6, message: /^request key 'a, b' is not/ });
  t.equal(relay.mails.length, 0, 'nothing sent');
  t.equal(region.journal().latest(), undefined, 'nothing journaled');
});

t.test('a refusal before any task ran keeps nothing: the retry with the key runs', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const wrong = await region.post('MAIL', mail('retry me'), {
    'Idempotency-Key': 'after-notauth',
    authorization: basicAuth(TESTER.id, 'not the password'),
  });
  t.equal(wrong.status, 401);
  t.equal(region.journal().keys.count(), 0, 'no key kept');
  const right = await region.post('MAIL', mail('retry me'), { 'Idempotency-Key': 'after-notauth' });
  t.equal(right.status, 200);
  t.equal(right.headers.get('idempotent-replayed'), null);
  t.equal(relay.mails.length, 1);
});

t.test('a request refused by its program (RC 8) is an answer too: the repeat hears it again', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const bad = buildMailCommarea({ from: 'foo@bar.com', to: '', subject: 'nobody' }, 37);
  const first = await answerOf(await region.post('MAIL', bad, { 'Idempotency-Key': 'rc8' }));
  const again = await region.post('MAIL', bad, { 'Idempotency-Key': 'rc8' });
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  t.same(await answerOf(again), first);
  t.equal(readMailResponse(Buffer.from(first.body, 'hex'), 37).reason, 'NORCPT');
});

t.test('the JSON view: the same members in another order are the same request', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const post = (json: object) =>
    region.fetch('/cics/MAIL', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'json-1' },
      body: JSON.stringify(json),
    });
  const view = { mc_version: '01', mc_from: 'foo@bar.com', mc_to: 'wayne@bar.com', mc_subject: 'json', mc_body: 'hi' };
  const first = await post(view);
  const firstText = await first.text();
  t.equal(first.status, 200);
  t.equal((JSON.parse(firstText) as { mc_rc: number }).mc_rc, 0);
  const reordered = Object.fromEntries(Object.entries(view).reverse());
  const again = await post(reordered);
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  t.equal(await again.text(), firstText, 'the same JSON, byte for byte');
  t.equal(again.headers.get('content-type'), first.headers.get('content-type'));
  const changed = await post({ ...view, mc_subject: 'json!' });
  t.equal(changed.status, 422);
  t.equal(relay.mails.length, 1);
});

t.test('a key outlives a restart of its region', async (t) => {
  const relay = await startRelay(t);
  const dir = freshDir(t);
  const env = { CICSMAIL_RELAY: relay.url, CICSMAIL_DATA: dir };
  const before = await startRegion(t, env);
  const first = await answerOf(await before.post('MAIL', mail('restart'), { 'Idempotency-Key': 'survivor' }));
  await before.app.close();
  const after = await startRegion(t, env);
  const again = await after.post('MAIL', mail('restart'), { 'Idempotency-Key': 'survivor' });
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  t.same(await answerOf(again), first, 'the answer of the first run, task number and all');
  t.equal(relay.mails.length, 1);
});

t.test("the worker keeps the key's answer after the mail's settle: on disk as the caller heard it", async (t) => {
  const relay = await startRelay(t);
  const dir = freshDir(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_DATA: dir });
  // The region's main thread writes nothing for a key's answer: its worker does.
  const keys = region.journal().keys;
  const answered = keys.answered.bind(keys);
  let mainThreadAnswers = 0;
  keys.answered = (...args) => {
    mainThreadAnswers++;
    return answered(...args);
  };
  const heard: { headers: Headers; body: Buffer }[] = [];
  const records: (string | undefined)[] = [];
  for (const [i, key] of ['k-a', 'k-b', 'k-c'].entries()) {
    const res = await region.post('MAIL', mail(`settled ${i}`), { 'Idempotency-Key': key });
    t.equal(res.status, 200);
    heard.push({ headers: res.headers, body: Buffer.from(await res.arrayBuffer()) });
    // Right after the answer, on the region's main thread: the record is settled.
    records.push(region.journal().get(i + 1)?.state);
  }
  t.same(records, ['SENT', 'SENT', 'SENT'], 'each record SENT as its answer came');
  t.equal(mainThreadAnswers, 0, "the region's main thread kept no answer itself");
  await region.app.close();

  const journal = Journal.open(dir);
  t.teardown(() => journal.close());
  for (const [i, key] of ['k-a', 'k-b', 'k-c'].entries()) {
    const stored = journal.keys.get(requestKeyId(TESTER.id, 'MAIL', key));
    const got = heard[i] as { headers: Headers; body: Buffer };
    t.equal(journal.get(i + 1)?.state, 'SENT', `record ${i + 1} SENT on disk`);
    t.equal(stored?.answer?.status, 200);
    t.same(Object.keys(stored?.answer?.headers ?? {}).sort(), [
      'content-type',
      'x-cics-resp',
      'x-cics-taskn',
      'x-cics-tranid',
      'x-journal-seq',
      'x-mail-rc',
      'x-mail-reason',
      'x-mail-reason-text',
    ]);
    for (const [name, value] of Object.entries(stored?.answer?.headers ?? {}))
      t.equal(got.headers.get(name), value, `${key}: ${name} as heard`);
    t.equal(
      Buffer.from(stored?.answer?.body ?? []).toString('hex'),
      got.body.toString('hex'),
      `${key}: the COMMAREA byte for byte`,
    );
    t.equal(stored?.taskn, i + 1);
  }
});

t.test('the digest reads its input once: twice the COMMAREA, twice the time', async (t) => {
  const task = (n: number) => ({
    tranid: 'SEND',
    userid: 'U',
    ccsid: 37,
    // An OCCURS table of records, as a JSON view holds one.
    commarea: {
      form: 'json' as const,
      json: { rows: Array.from({ length: n }, (_, i) => ({ name: `row ${i}`, text: 'x'.repeat(200) })) },
    },
    containers: [],
  });
  const d = await doubling(task, (input) => digestOf(input), { n: 2000 });
  t.ok(d.ratio < LINEAR_RATIO, `digest of a JSON view: ${doublingText(d)}`);
  t.equal(canonicalJson({ b: [1, { d: 1, c: 2 }], a: null }), '{"a":null,"b":[1,{"c":2,"d":1}]}');
});

t.test('SEND: a KEY statement is the request key of every mail in the input', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const statements = (key: string[], text = 'hello') =>
    ebcdicLines(
      [
        ...key,
        'FROM foo@bar.com',
        'TO wayne@bar.com',
        'SUBJECT first',
        'TEXT',
        text,
        'ENDTEXT',
        'SEND',
        'FROM foo@bar.com',
        'TO robin@bar.com',
        'SUBJECT second',
      ],
      37,
    );
  const input = statements(['* the whole job once', 'key=job-42']);
  const first = await region.post('SEND', input);
  const firstText = Buffer.from(await first.arrayBuffer());
  t.equal(first.headers.get('x-mail-rc'), '0');
  t.equal(first.headers.get('x-journal-seq'), '1,2');
  const again = await region.post('SEND', input);
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  t.same(Buffer.from(await again.arrayBuffer()), firstText, 'the same report, byte for byte');
  t.equal(relay.mails.length, 2, 'two mails, once each');
  t.equal(region.journal().get(2)?.requestKey, 'job-42');
  // The header may say it too, where it says the same.
  const both = await region.post('SEND', input, { 'Idempotency-Key': 'job-42' });
  t.equal(both.headers.get('idempotent-replayed'), 'true');

  for (const [what, body, message] of [
    ['twice', statements(['KEY a', 'KEY a']), /^SEND: a second KEY statement at line 2 \(the first is at line 1\)/],
    ['no operand', statements(['KEY']), /^SEND: KEY at line 1 needs an operand/],
    ['a blank in it', statements(['KEY two words']), /^request key 'two words' is not/],
  ] as const) {
    const res = await region.post('SEND', body);
    t.equal(res.status, 400, what);
    t.match(await res.json(), { resp: 'INVREQ', resp2: 6, message });
  }
  const differ = await region.post('SEND', input, { 'Idempotency-Key': 'job-43' });
  t.equal(differ.status, 400);
  t.match(await differ.json(), { message: /^Idempotency-Key 'job-43' and the request's own key 'job-42' differ/ });
  // In a TEXT block, KEY is a line of the body: that request has no key, and runs each time.
  const inText = statements([], 'KEY not-a-key');
  await region.post('SEND', inText);
  const second = await region.post('SEND', inText);
  t.equal(second.headers.get('idempotent-replayed'), null);
  t.equal(relay.mails.length, 6);
});

t.test('finding a KEY statement reads the input once: twice the lines, twice the time', async (t) => {
  const lines = (n: number) => [
    ...Array.from({ length: n }, (_, i) => (i % 50 === 0 ? 'TEXT' : i % 50 === 49 ? 'ENDTEXT' : 'TO a@b.example')),
    'KEY last',
  ];
  const d = await doubling(lines, (input) => requestKeyStatement(input), { n: 20_000 });
  t.ok(d.ratio < LINEAR_RATIO, `KEY statement search: ${doublingText(d)}`);
  t.same(requestKeyStatement(lines(100)), { key: 'last' });
});

t.test("an operator's redelivery of the mail leaves its key as it was", async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const first = await answerOf(await region.post('MAIL', mail('redelivered'), { 'Idempotency-Key': 'redo' }));
  const replay = await region.fetch('/journal/replay', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'redeliver', seq: 1 }),
  });
  t.equal(replay.status, 200, await replay.text());
  t.equal(relay.mails.length, 2, 'the operator sent the stored bytes again');
  t.equal(relay.mails[1]?.message.toString('latin1'), relay.mails[0]?.message.toString('latin1'), 'the same bytes');
  const again = await region.post('MAIL', mail('redelivered'), { 'Idempotency-Key': 'redo' });
  t.equal(again.headers.get('idempotent-replayed'), 'true');
  t.same(await answerOf(again), first, 'the key still answers what it answered');
  t.equal(relay.mails.length, 2, 'and sends nothing');
  t.equal(region.journal().get(1)?.replays?.length, 1);
});

t.test(
  "a keyed MAIL's settle and its key's answer go to disk in one commit: as many commits as a MAIL without a key",
  async (t) => {
    const relay = await startRelay(t);
    const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_DATA: freshDir(t) });
    const journal = region.journal();
    // Commits a MAIL made, its task log entry's included (flushed, not left to its timer).
    const commitsOf = async (headers: Record<string, string>, i: number): Promise<number> => {
      const before = journal.commits();
      const res = await region.post('MAIL', mail(`commits ${i}`), headers);
      t.equal(res.status, 200);
      await journal.tasks.flush();
      return journal.commits() - before;
    };
    const plain: number[] = [];
    const keyed: number[] = [];
    for (let i = 0; i < 5; i++) {
      plain.push(await commitsOf({}, i));
      keyed.push(await commitsOf({ 'Idempotency-Key': `one-commit-${i}` }, i));
    }
    // Accept (with the key's record), settle (with the key's answer), the task log.
    t.same(plain, [3, 3, 3, 3, 3], 'a MAIL without a key: accept, settle, task log');
    t.same(keyed, [3, 3, 3, 3, 3], 'a keyed MAIL: the same three');
  },
);
