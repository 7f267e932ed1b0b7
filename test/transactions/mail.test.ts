// MAIL end to end: EBCDIC COMMAREA over HTTP → region → worker → journal → real SMTP relay.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { simpleParser, type AddressObject } from 'mailparser';
import { startRegion } from '../helpers/region.js';
import { startRelay, startScriptedSmtp, smtpError } from '../helpers/relay.js';
import { defaultDefinitions } from '../../region/definitions.js';
import { parseWithPython } from '../helpers/mail-check.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import type { JournalRecord } from '../../journal/record.js';
import { until } from '../helpers/until.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));

const addressesOf = (a: AddressObject | AddressObject[] | undefined) =>
  (Array.isArray(a) ? a : a ? [a] : []).flatMap((x) => x.value.map((v) => v.address));

// Output fields of MAILCA: MC-RC (3844) through MC-RELAY-REPLY (ends at 4374).
const OUTPUT_START = 3844;
const OUTPUT_END = 4374;

t.test('a CCSID 037 COMMAREA made by Python becomes the mail it describes', async (t) => {
  const seen: JournalRecord[] = [];
  let region!: Awaited<ReturnType<typeof startRegion>>;
  const relay = await startRelay(t, {
    // While the relay holds the mail, the journal must already hold it, durably, ACCEPTED.
    data: (message) => {
      const record = region.journal().get(1);
      if (record) seen.push(record);
      t.same(region.journal().message(1), message, 'journal holds the exact bytes before the relay has them');
      return undefined;
    },
  });
  region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const request = fixture('mail-037.bin');
  const res = await region.post('MAIL', request, { 'X-CICS-Jobname': 'payroll1' });

  t.equal(res.status, 200);
  t.equal(res.headers.get('x-cics-resp'), 'NORMAL');
  t.equal(res.headers.get('x-cics-tranid'), 'MAIL');
  t.equal(res.headers.get('x-cics-taskn'), '1');
  t.equal(res.headers.get('x-journal-seq'), '1');
  t.equal(res.headers.get('content-type'), 'application/octet-stream');
  const out = Buffer.from(await res.arrayBuffer());
  t.equal(out.length, request.length, 'the COMMAREA comes back at the length it went');
  t.same(out.subarray(0, OUTPUT_START), request.subarray(0, OUTPUT_START), 'input fields untouched');
  t.same(out.subarray(OUTPUT_END), request.subarray(OUTPUT_END), 'MC-BODY-LEN and MC-BODY untouched');

  const response = readMailResponse(out, 37);
  t.equal(response.rc, 0);
  t.equal(response.reason, 'SENT');
  t.equal(response.journalSeq, 1);
  t.equal(response.relayReply, '250 Ok: queued as 1');
  // Packed +1 with sign C, and the RC as a big-endian halfword, checked as bytes.
  t.same(out.subarray(4110, 4118), Buffer.from('000000000000001c', 'hex'));
  t.same(out.subarray(3844, 3846), Buffer.from('0000', 'hex'));

  t.equal(relay.mails.length, 1);
  const mail = relay.mails[0]!;
  t.equal(mail.from, 'foo@bar.com');
  t.same(mail.to, ['wayne@bar.com', 'robin@bar.com', 'alfred@bar.com', 'oracle@bar.com'], 'Bcc in the envelope');
  t.notMatch(mail.message.toString('latin1'), /^Bcc:/im, 'no Bcc header');
  t.notMatch(mail.message.toString('latin1'), /(^|[^\r])\n/, 'every line ends in CRLF');

  const parsed = await simpleParser(mail.message);
  t.equal(parsed.messageId, response.messageId, 'the COMMAREA names the Message-ID the mail carries');
  t.match(response.messageId, /^<[0-9a-f-]{36}@region\.test>$/);
  t.same(parsed.from?.value, [{ address: 'foo@bar.com', name: 'Commissioner Gordon' }]);
  t.same(addressesOf(parsed.to), ['wayne@bar.com']);
  t.same(addressesOf(parsed.cc), ['robin@bar.com', 'alfred@bar.com']);
  t.same(addressesOf(parsed.replyTo), ['gcpd@bar.com']);
  t.equal(parsed.subject, 'DAILY REPORT OF DISK UTILIZATION');
  t.equal(parsed.headers.get('priority'), 'high', 'Importance: High');
  t.equal(parsed.text, 'Please fix the bulb in the searchlight.\nVolume SYSRES is 97% full.\nGordon\n');
  t.ok(parsed.date instanceof Date && Math.abs(parsed.date.getTime() - Date.now()) < 60_000, 'Date is now');

  const py = await parseWithPython(mail.message);
  t.equal(py.from_name, 'Commissioner Gordon');
  t.same(py.to, ['wayne@bar.com']);
  t.same(py.cc, ['robin@bar.com', 'alfred@bar.com']);
  t.equal(py.bcc, null);
  t.equal(py.subject, 'DAILY REPORT OF DISK UTILIZATION');
  t.equal(py.message_id, response.messageId);
  t.equal(py.content_type, 'text/plain');
  t.equal(py.body, 'Please fix the bulb in the searchlight.\nVolume SYSRES is 97% full.\nGordon\n');
  t.same(py.defects, [], 'Python finds no defect');

  t.equal(seen.length, 1);
  t.equal(seen[0]?.state, 'ACCEPTED', 'ACCEPTED while the relay had the mail');
  const record = region.journal().get(1)!;
  t.match(record, {
    seq: 1,
    state: 'SENT',
    tranid: 'MAIL',
    taskn: 1,
    userid: 'TESTER',
    jobname: 'PAYROLL1',
    ccsid: 37,
    subject: 'DAILY REPORT OF DISK UTILIZATION',
    attachments: 0,
    messageId: response.messageId,
    relayReply: '250 Ok: queued as 1',
    size: mail.message.length,
    envelope: { from: 'foo@bar.com', to: ['wayne@bar.com', 'robin@bar.com', 'alfred@bar.com', 'oracle@bar.com'] },
  });
  t.equal(record.attempts.length, 1);
  t.match(record.attempts[0], { outcome: 'sent', relay: relay.url, reply: '250 Ok: queued as 1' });
  t.ok(record.acceptedAt <= record.updatedAt);
  t.same(region.journal().message(1), mail.message, 'the journal holds the bytes the relay received');
});

t.test("CCSID 273: @ is x'B5' and umlauts arrive as UTF-8", async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const res = await region.post('MAIL', fixture('mail-273.bin'), { 'X-CICS-CCSID': '273' });
  t.equal(res.status, 200);
  const response = readMailResponse(Buffer.from(await res.arrayBuffer()), 273);
  t.equal(response.rc, 0);
  t.equal(response.reason, 'SENT');
  const mail = relay.mails[0]!;
  t.equal(mail.from, 'gruen@polizei.example');
  t.same(mail.to, ['mueller@firma.example']);
  const parsed = await simpleParser(mail.message);
  t.same(parsed.from?.value, [{ address: 'gruen@polizei.example', name: 'Kommissar Grün' }]);
  t.equal(parsed.subject, 'Grüße aus Köln: Plattenbelegung 97%');
  t.equal(parsed.text, 'Sehr geehrte Damen und Herren,\ndie Platte SYSRES ist zu 97% voll.\nSchöne Grüße\n');
  t.equal(parsed.headers.get('priority'), 'low', 'Importance: Low');
  const py = await parseWithPython(mail.message);
  t.equal(py.subject, 'Grüße aus Köln: Plattenbelegung 97%');
  t.equal(py.from_name, 'Kommissar Grün');
  t.same(py.defects, []);
  t.equal(region.journal().get(1)?.ccsid, 273);
});

t.test('the default CCSID comes from CICSMAIL_CCSID; an HTML body is text/html', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_CCSID: '1047' });
  const area = buildMailCommarea(
    {
      from: 'ops@corp.example',
      to: 'dev@corp.example',
      subject: 'Job [PAY01] ended ^RC=0^',
      bodyFormat: 'H',
      body: '<p>Job <b>PAY01</b> ended.</p>',
    },
    1047,
  );
  const res = await region.post('MAIL', area);
  t.equal(res.status, 200);
  t.equal(readMailResponse(Buffer.from(await res.arrayBuffer()), 1047).rc, 0);
  const parsed = await simpleParser(relay.mails[0]!.message);
  t.equal(parsed.subject, 'Job [PAY01] ended ^RC=0^', 'brackets and caret survive 1047');
  t.equal(parsed.html, '<p>Job <b>PAY01</b> ended.</p>\n');
  t.match(relay.mails[0]!.message.toString('latin1'), /^Content-Type: text\/html; charset=utf-8\r$/m);
});

t.test('bcc only: the mail says undisclosed-recipients and still reaches them', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const res = await region.post(
    'MAIL',
    buildMailCommarea({ from: 'a@x.example', bcc: 'b@y.example c@y.example', subject: 's' }, 37),
  );
  t.equal(readMailResponse(Buffer.from(await res.arrayBuffer()), 37).rc, 0);
  t.same(relay.mails[0]?.to, ['b@y.example', 'c@y.example']);
  t.match(relay.mails[0]?.message.toString('latin1'), /^To: undisclosed-recipients:;\r$/m);
  t.same((await parseWithPython(relay.mails[0]!.message)).defects, []);
});

t.test('what the relay answers decides RC, reason and journal state', async (t) => {
  const cases = [
    {
      name: '5xx at MAIL FROM',
      faults: { mailFrom: () => smtpError(550, 'sender rejected') },
      rc: 12,
      reason: 'REJECTED',
      state: 'FAILED',
      reply: /^550 sender rejected$/,
    },
    {
      name: '4xx at MAIL FROM',
      faults: { mailFrom: () => smtpError(451, 'try later') },
      rc: 4,
      reason: 'DEFERRED',
      state: 'DEFERRED',
      reply: /^451 try later$/,
    },
    {
      name: '5xx for every RCPT',
      faults: { rcptTo: () => smtpError(550, 'no such user') },
      rc: 12,
      reason: 'RCPTREJ',
      state: 'FAILED',
      reply: /^550 no such user$/,
    },
    {
      name: '4xx for every RCPT',
      faults: { rcptTo: () => smtpError(452, 'mailbox full') },
      rc: 4,
      reason: 'DEFERRED',
      state: 'DEFERRED',
      reply: /^452 mailbox full$/,
    },
    {
      name: '4xx after the dot',
      faults: { data: () => smtpError(452, 'insufficient storage') },
      rc: 4,
      reason: 'DEFERRED',
      state: 'DEFERRED',
      reply: /^452 insufficient storage$/,
    },
    {
      name: '5xx after the dot',
      faults: { data: () => smtpError(554, 'content refused') },
      rc: 12,
      reason: 'REJECTED',
      state: 'FAILED',
      reply: /^554 content refused$/,
    },
    {
      name: 'one RCPT refused of two',
      faults: {
        rcptTo: (a: { address: string }) => (a.address === 'gone@y.example' ? smtpError(550, 'gone') : undefined),
      },
      rc: 0,
      reason: 'PARTIAL',
      state: 'SENT',
      reply: /^250 Ok: queued as \d+; refused: gone@y\.example 550 gone$/,
    },
  ] as const;
  // One region and one relay for all the cases (a region a case took 45 s): the relay's
  // faults are the current case's.
  let current: (typeof cases)[number] | undefined;
  const relay = await startRelay(t, {
    mailFrom: () => (current && 'mailFrom' in current.faults ? current.faults.mailFrom() : undefined),
    rcptTo: (a) => (current && 'rcptTo' in current.faults ? current.faults.rcptTo(a) : undefined),
    data: () => (current && 'data' in current.faults ? current.faults.data() : undefined),
  });
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  for (const c of cases) {
    await t.test(c.name, async (t) => {
      current = c;
      const before = relay.mails.length;
      const res = await region.post(
        'MAIL',
        buildMailCommarea({ from: 'a@x.example', to: 'b@y.example gone@y.example', subject: 's' }, 37),
      );
      t.equal(res.status, 200);
      const seq = Number(res.headers.get('x-journal-seq'));
      t.ok(seq > 0, 'journaled');
      const r = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
      t.equal(r.rc, c.rc);
      t.equal(r.reason, c.reason);
      t.match(r.relayReply, c.reply);
      const record = region.journal().get(seq)!;
      t.equal(record.state, c.state);
      t.equal(record.attempts.length, 1);
      t.equal(record.messageId, r.messageId);
      if (c.reason === 'PARTIAL') {
        t.same(record.attempts[0]?.refused, [{ recipient: 'gone@y.example', reply: '550 gone' }]);
        t.same(relay.mails[before]?.to, ['b@y.example']);
      }
    });
  }
});

t.test('a relay that is down: RC 4 NORELAY, the mail journaled DEFERRED with its bytes', async (t) => {
  const relay = await startRelay(t);
  await relay.close();
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_SMTP_CONNECT_MS: '2000' });
  const res = await region.post(
    'MAIL',
    buildMailCommarea({ from: 'a@x.example', to: 'b@y.example', subject: 'down' }, 37),
  );
  t.equal(res.status, 200);
  const r = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
  t.equal(r.rc, 4);
  t.equal(r.reason, 'NORELAY');
  t.match(
    r.relayReply,
    /^no relay could be reached: connect to smtp:\/\/127\.0\.0\.1:\d+ failed: connect ECONNREFUSED/,
  );
  const record = region.journal().get(r.journalSeq)!;
  t.equal(record.state, 'DEFERRED');
  t.match(region.journal().message(r.journalSeq)?.toString('latin1'), /^Subject: down\r$/m);
});

t.test('several relays are tried in order', async (t) => {
  const down = await startRelay(t);
  await down.close();
  const up = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: `${down.url}, ${up.url}` });
  const res = await region.post(
    'MAIL',
    buildMailCommarea({ from: 'a@x.example', to: 'b@y.example', subject: 'second' }, 37),
  );
  const r = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
  t.equal(r.rc, 0);
  t.equal(up.mails.length, 1);
  t.equal(region.journal().get(1)?.attempts[0]?.relay, up.url);
});

t.test("a relay too slow for the task's time limit: RC 4, never AICA", async (t) => {
  const silent = await startScriptedSmtp(t, {
    onLine: (line) =>
      line.startsWith('EHLO')
        ? ['250-silent', '250 PIPELINING']
        : line === 'DATA'
          ? '354 go on'
          : line === '.'
            ? null
            : '250 ok',
  });
  const mail = defaultDefinitions().map((d) => ({ ...d, timeLimitMs: 2500 }));
  // The reply to the final dot is waited for 4 s: a session the limit meets at the dot is not
  // cut (the relay may have the mail), and the task answers when the relay's time is up.
  const region = await startRegion(
    t,
    { CICSMAIL_RELAY: silent.url, CICSMAIL_SMTP_FINAL_MS: '4000' },
    { definitions: mail },
  );
  // Warm up: the worker boots and loads the program (RC 8, nothing sent).
  await region.post('MAIL', buildMailCommarea({ from: 'a@x.example', subject: 'warm-up' }, 37));
  const res = await region.post(
    'MAIL',
    buildMailCommarea({ from: 'a@x.example', to: 'b@y.example', subject: 'slow' }, 37),
  );
  t.equal(res.status, 200, 'answered with the COMMAREA, not AICA');
  const r = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
  t.equal(r.rc, 4);
  t.equal(r.reason, 'NORELAY');
  // Where the limit met the session depends on how busy the machine is: before the dot (cut
  // there, RC 4 in time) or at it, where the relay may have the mail: then the session waits
  // for its reply as long as CICSMAIL_SMTP_FINAL_MS says, and the task answers late. RC 4
  // either way, never AICA.
  t.match(
    r.relayReply,
    /^(?:the relay did not (?:finish the mail|answer) within the task's time limit|no reply to end of data from smtp:\/\/127\.0\.0\.1:\d+ within 4000 ms)$/,
  );
  // The outcome's commit may follow the answer (deliver.ts keeps the answer within the limit).
  await until('the record to leave ACCEPTED', () => region.journal().get(r.journalSeq)?.state !== 'ACCEPTED');
  t.equal(region.journal().get(r.journalSeq)?.state, 'DEFERRED');
});

t.test("closing the region closes the workers' relay connections with QUIT and their journals", async (t) => {
  const lines: string[] = [];
  const relay = await startScriptedSmtp(t, {
    onLine: (line) => {
      lines.push(line.split(' ')[0] ?? '');
      return line.startsWith('EHLO')
        ? ['250-relay', '250 PIPELINING']
        : line === 'DATA'
          ? '354 go on'
          : line === 'QUIT'
            ? '221 bye'
            : '250 ok';
    },
  });
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const res = await region.post(
    'MAIL',
    buildMailCommarea({ from: 'a@x.example', to: 'b@y.example', subject: 'q' }, 37),
  );
  t.equal(readMailResponse(Buffer.from(await res.arrayBuffer()), 37).rc, 0);
  await region.app.close();
  t.equal(lines.at(-1), 'QUIT', `the relay heard: ${lines.join(' ')}`);
});

t.test('UTF-8 addresses go with SMTPUTF8 where the relay offers it (RFC 6531)', async (t) => {
  let utf8: boolean | undefined;
  const relay = await startRelay(t, {
    mailFrom: (address) => {
      utf8 = (address.args as { SMTPUTF8?: boolean }).SMTPUTF8;
      return undefined;
    },
  });
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const res = await region.post(
    'MAIL',
    buildMailCommarea({ from: 'a@x.example', to: 'Jörg <jörg@bücher.example>', subject: 'grüße' }, 1141),
    { 'x-cics-ccsid': '1141' },
  );
  const r = readMailResponse(Buffer.from(await res.arrayBuffer()), 1141);
  t.same([r.rc, r.reason], [0, 'SENT'], r.relayReply);
  t.equal(utf8, true, 'MAIL FROM asked for SMTPUTF8');
  t.same(relay.mails[0]?.to, ['jörg@bücher.example']);
  const parsed = await simpleParser(relay.mails[0]?.message ?? Buffer.alloc(0));
  t.same(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : [], [
    { address: 'jörg@bücher.example', name: 'Jörg' },
  ]);
});
