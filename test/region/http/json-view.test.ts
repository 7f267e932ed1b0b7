// The JSON view of MAIL over HTTP: the same mail as the bytes form, the answer in JSON,
// and every way a JSON body can fail to fit MAILCA, with its exact answer.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { simpleParser } from 'mailparser';
import { startRegion } from '../../helpers/region.js';
import { startRelay } from '../../helpers/relay.js';

const relay = await startRelay(t);
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });

const postJson = (body: unknown, headers: Record<string, string> = {}) =>
  region.fetch(`/cics/MAIL`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

const mail = {
  mc_version: '01',
  mc_from: '"Commissioner Gordon" <foo@bar.com>',
  mc_reply_to: 'gcpd@bar.com',
  mc_to: '"Bruce Wayne" <wayne@bar.com>',
  mc_cc: 'robin@bar.com, alfred@bar.com',
  mc_bcc: 'oracle@bar.com',
  mc_subject: 'DAILY REPORT OF DISK UTILIZATION',
  mc_importance: 'H',
  mc_body_format: 'T',
  mc_body: 'Please fix the bulb in the searchlight.\u0085Volume SYSRES is 97% full.   \nGordon',
};

/** A message without the headers that differ from send to send. */
const stable = (m: Buffer) => m.toString('latin1').replace(/^(Date|Message-ID): .*\r\n/gim, '');

t.test('a JSON request sends the same mail as the bytes request, and is answered in JSON', async (t) => {
  const bytes = await region.post('MAIL', readFileSync(new URL('../../fixtures/mail-037.bin', import.meta.url)));
  t.equal(bytes.status, 200);
  const res = await postJson(mail);
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
  t.equal(res.headers.get('x-cics-resp'), 'NORMAL');
  const answer = (await res.json()) as Record<string, unknown>;
  t.match(answer, { ...mail, mc_rc: 0, mc_reason: 'SENT', mc_relay_reply: /^250 Ok: queued as \d+$/, mc_body_len: 76 });
  t.equal(String(answer.mc_journal_seq), res.headers.get('x-journal-seq'));
  const [first, second] = relay.mails.slice(-2);
  t.equal(stable(second!.message), stable(first!.message), 'byte for byte the same mail but for Date and Message-ID');
  t.same(second!.to, first!.to);
  t.equal((await simpleParser(second!.message)).messageId, answer.mc_message_id);
});

t.test('the count of MC-BODY may be left out, or must agree', async (t) => {
  const res = await postJson({
    mc_version: '01',
    mc_from: 'a@x.example',
    mc_to: 'b@y.example',
    mc_body: 'hello',
    mc_body_len: 3,
  });
  t.equal(res.status, 400);
  t.same(await res.json(), {
    resp: 'INVREQ',
    resp2: 1,
    abcode: 'AEIP',
    message: 'MC-BODY-LEN: mc_body_len is 3 but its table holds 5',
  });
  const ok = await postJson({
    mc_version: '01',
    mc_from: 'a@x.example',
    mc_to: 'b@y.example',
    mc_body: 'hello',
    mc_body_len: 5,
  });
  t.match(await ok.json(), { mc_rc: 0, mc_body_len: 5, mc_body: 'hello' });
  const numbersAsText = await postJson({
    mc_version: '01',
    mc_from: 'a@x.example',
    mc_to: 'b@y.example',
    mc_journal_seq: '12',
    mc_rc: 7,
  });
  t.match(
    await numbersAsText.json(),
    { mc_rc: 0, mc_body_len: 0, mc_body: '' },
    'numbers as strings are numbers; output fields are overwritten',
  );
});

t.test('JSON that does not fit MAILCA: INVREQ naming the field and why', async (t) => {
  const cases: Array<[string, unknown, string]> = [
    [
      'unknown property',
      { mc_version: '01', mc_colour: 'blue' },
      'body has a property "mc_colour" that is not one of MAILCA (mc_version, mc_from, mc_reply_to, mc_to, mc_cc, mc_bcc, mc_subject, mc_importance, mc_body_format, mc_rc, mc_reason, mc_message_id, mc_journal_seq, mc_relay_reply, mc_body_len, mc_body)',
    ],
    [
      'a COBOL name',
      { mc_version: '01', 'MC-FROM': 'a@x.example' },
      'body has a property "MC-FROM" that is not one of MAILCA: did you mean "mc_from"?',
    ],
    [
      'a name without its prefix',
      { mc_version: '01', from: 'a@x.example' },
      'body has a property "from" that is not one of MAILCA: did you mean "mc_from"?',
    ],
    ['wrong type', { mc_subject: 5 }, 'body/mc_subject must be string'],
    ['too long', { mc_from: 'x'.repeat(257) }, 'body/mc_from must NOT have more than 256 characters'],
    ['body too long', { mc_body: 'x'.repeat(24_001) }, 'body/mc_body must NOT have more than 24000 characters'],
    [
      'number beyond PIC',
      { mc_rc: 10_000 },
      'body/mc_rc must be < 10000, body/mc_rc must be string, body/mc_rc must match a schema in anyOf',
    ],
    ['not an object', [1, 2], 'body must be object'],
    [
      'a character 037 lacks, in a header',
      { mc_version: '01', mc_subject: 'Price: 5 €' },
      "MC-SUBJECT: mc_subject: U+20AC '€' cannot be written in CCSID 37",
    ],
    [
      'a decimal where PIC has none',
      { mc_journal_seq: '1.5' },
      'MC-JOURNAL-SEQ: mc_journal_seq 1.5 has more decimals than PIC S9(15)',
    ],
    [
      'not a number',
      { mc_journal_seq: '12a' },
      'body/mc_journal_seq must be number, body/mc_journal_seq must match pattern',
    ],
  ];
  for (const [name, body, message] of cases) {
    const res = await postJson(body);
    t.equal(res.status, 400, name);
    t.equal(res.headers.get('x-cics-resp'), 'INVREQ', name);
    t.equal(res.headers.get('x-cics-abcode'), 'AEIP', name);
    const answer = (await res.json()) as { message: string };
    t.ok(answer.message.startsWith(message), `${name}: ${answer.message}`);
  }
});

t.test('a character the code page lacks in the body becomes SUB, shown as U+FFFD, and is counted', async (t) => {
  const res = await postJson({
    mc_version: '01',
    mc_from: 'a@x.example',
    mc_to: 'b@y.example',
    mc_subject: 'euro',
    mc_body: 'Total: 5 € or 4 £',
  });
  t.equal(res.status, 200);
  const answer = (await res.json()) as { mc_rc: number; mc_journal_seq: number; mc_body: string };
  t.equal(answer.mc_rc, 0);
  t.equal(answer.mc_body, 'Total: 5 \u001a or 4 £', '£ is in 037, € is not');
  const parsed = await simpleParser(relay.mails.at(-1)!.message);
  t.equal(parsed.text, 'Total: 5 \ufffd or 4 £\n');
  t.equal(region.journal().get(answer.mc_journal_seq)?.substitutions, 1);
});

t.test('the OpenAPI document lists MAIL with the schema of MAILCA', async (t) => {
  const doc = (await (await region.fetch(`/docs/json`)).json()) as {
    openapi: string;
    paths: Record<
      string,
      {
        post?: {
          requestBody?: {
            content?: Record<
              string,
              { schema: { properties: Record<string, { maxLength?: number; description?: string }> } }
            >;
          };
        };
      }
    >;
  };
  t.match(doc.openapi, /^3\./);
  const schema = doc.paths['/cics/MAIL']?.post?.requestBody?.content?.['application/json']?.schema;
  t.equal(schema?.properties.mc_from?.maxLength, 256);
  t.equal(schema?.properties.mc_body?.maxLength, 24000);
  t.equal(schema?.properties.mc_journal_seq?.description, 'MC-JOURNAL-SEQ: PIC S9(15) COMP-3');
  t.equal(doc.paths['/cics/{tranid}'], undefined, 'the catch-all route is not listed');
  const page = await region.fetch(`/docs`, { redirect: 'follow' });
  t.equal(page.status, 200);
  t.match(await page.text(), /swagger-ui/i);
});
