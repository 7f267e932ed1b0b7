// Bad input over POST /cics/{TRANID}: each gets its exact answer, nothing reaches the
// relay, nothing is half-written in the journal, and the region goes on serving.
import t from 'tap';
import { startRegion } from '../../helpers/region.js';
import { startRelay } from '../../helpers/relay.js';
import { buildMailCommarea, readMailResponse } from '../../../client/mailca.js';

const relay = await startRelay(t);
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
const good = () => buildMailCommarea({ from: 'a@x.example', to: 'b@y.example', subject: 'ok', body: 'hello' }, 37);

async function failure(res: Response) {
  return {
    status: res.status,
    resp: res.headers.get('x-cics-resp'),
    abcode: res.headers.get('x-cics-abcode'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

t.test('unknown and malformed tranids: 404 TRANSIDERR AEI1', async (t) => {
  t.same(await failure(await region.post('ZZZZ', good())), {
    status: 404,
    resp: 'TRANSIDERR',
    abcode: 'AEI1',
    body: { resp: 'TRANSIDERR', resp2: 0, abcode: 'AEI1', message: "transaction 'ZZZZ' is not defined in this region" },
  });
  for (const bad of ['MAILX', 'M-IL', 'M%20L', '%00', 'ÄBC']) {
    const f = await failure(await region.post(bad, good()));
    t.equal(f.status, 404, bad);
    t.equal(f.resp, 'TRANSIDERR', bad);
    t.match(f.body.message, /is not a transaction id: 1 to 4 characters of A-Z 0-9 @ # \$$/, bad);
  }
  const res = await region.fetch(`/cics/`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream' },
    body: good(),
  });
  t.equal(res.status, 404);
});

t.test('lower case tranids are folded to upper', async (t) => {
  const res = await region.post('mail', good());
  t.equal(res.status, 200);
  t.equal(res.headers.get('x-cics-tranid'), 'MAIL');
  t.equal(readMailResponse(Buffer.from(await res.arrayBuffer()), 37).rc, 0);
});

t.test('COMMAREA lengths', async (t) => {
  t.same(await failure(await region.post('MAIL', new Uint8Array(0))), {
    status: 400,
    resp: 'LENGERR',
    abcode: 'AEIV',
    body: {
      resp: 'LENGERR',
      resp2: 11,
      abcode: 'AEIV',
      message: 'COMMAREA of 0 bytes is shorter than the 4378 bytes of MAILCA before MC-BODY',
    },
  });
  const noType = await region.fetch(`/cics/MAIL`, { method: 'POST' });
  t.equal(noType.status, 400, 'no body and no Content-Type: an empty COMMAREA');
  t.equal(noType.headers.get('x-cics-resp'), 'LENGERR');

  t.same(await failure(await region.post('MAIL', good().subarray(0, 4000))), {
    status: 400,
    resp: 'LENGERR',
    abcode: 'AEIV',
    body: {
      resp: 'LENGERR',
      resp2: 11,
      abcode: 'AEIV',
      message: 'COMMAREA of 4000 bytes is shorter than the 4378 bytes of MAILCA before MC-BODY',
    },
  });
  t.same(await failure(await region.post('MAIL', Buffer.alloc(32_764, 0x40))), {
    status: 413,
    resp: 'LENGERR',
    abcode: 'AEIV',
    body: { resp: 'LENGERR', resp2: 12, abcode: 'AEIV', message: 'COMMAREA of 32764 bytes is longer than 32,763' },
  });
  const huge = await failure(await region.post('MAIL', Buffer.alloc(2 * 1024 * 1024, 0x40)));
  t.equal(huge.status, 413);
  t.equal(huge.resp, 'LENGERR');
  t.equal(huge.abcode, 'AEIV');

  // The largest COMMAREA is taken: MC-BODY in use, the rest of the bytes ignored.
  const max = Buffer.alloc(32_763, 0x40);
  good().copy(max);
  const res = await region.post('MAIL', max);
  t.equal(res.status, 200);
  const out = Buffer.from(await res.arrayBuffer());
  t.equal(out.length, 32_763);
  t.equal(readMailResponse(out, 37).rc, 0);
});

/** A good COMMAREA with bytes changed at an offset. */
function patched(offset: number, bytes: number[] | Buffer, base = good()): Buffer {
  const area = Buffer.from(base);
  Buffer.from(bytes).copy(area, offset);
  return area;
}
const BODY_LEN = 4374;
const JOURNAL_SEQ = 4110;

t.test('MC-BODY-LEN that does not fit', async (t) => {
  t.same(await failure(await region.post('MAIL', patched(BODY_LEN, [0, 0, 0, 100]))), {
    status: 400,
    resp: 'LENGERR',
    abcode: 'AEIV',
    body: {
      resp: 'LENGERR',
      resp2: 11,
      abcode: 'AEIV',
      message: 'MC-BODY-LEN is 100 but the COMMAREA holds 5 bytes of MC-BODY',
    },
  });
  t.same(await failure(await region.post('MAIL', patched(BODY_LEN, [0xff, 0xff, 0xff, 0xfb]))), {
    status: 400,
    resp: 'INVREQ',
    abcode: 'AEIP',
    body: { resp: 'INVREQ', resp2: 1, abcode: 'AEIP', message: 'MC-BODY-LEN is -5, outside OCCURS 0 TO 24000' },
  });
  const big = Buffer.alloc(4378 + 24_001, 0x40);
  good().copy(big, 0, 0, 4378);
  big.writeInt32BE(24_001, BODY_LEN);
  t.same(
    (await failure(await region.post('MAIL', big))).body.message,
    'MC-BODY-LEN is 24001, outside OCCURS 0 TO 24000',
  );
  // x'40404040' is what MOVE SPACES leaves: 1,077,952,576, past what PIC S9(8) COMP holds.
  t.same(await failure(await region.post('MAIL', patched(BODY_LEN, [0x40, 0x40, 0x40, 0x40]))), {
    status: 400,
    resp: 'INVREQ',
    abcode: 'AEIP',
    body: {
      resp: 'INVREQ',
      resp2: 1,
      abcode: 'AEIP',
      message: 'MC-BODY-LEN: 1077952576 has more digits than PIC S9(8)',
    },
  });
});

t.test('invalid packed decimal in MC-JOURNAL-SEQ: INVREQ naming the field', async (t) => {
  t.same(await failure(await region.post('MAIL', patched(JOURNAL_SEQ, [0, 0, 0, 0, 0, 0, 0, 0x12]))), {
    status: 400,
    resp: 'INVREQ',
    abcode: 'AEIP',
    body: {
      resp: 'INVREQ',
      resp2: 1,
      abcode: 'AEIP',
      message: "MC-JOURNAL-SEQ: invalid packed decimal: byte 8 is x'12', not a valid sign",
    },
  });
  t.same(
    (await failure(await region.post('MAIL', patched(JOURNAL_SEQ, [0, 0, 0xa0, 0, 0, 0, 0, 0x0c])))).body.message,
    "MC-JOURNAL-SEQ: invalid packed decimal: byte 3 is x'A0', not a valid digit",
  );
  // SPACES and LOW-VALUES in an output field are what COBOL's MOVE leaves: taken as zero.
  for (const fill of [0x40, 0x00]) {
    const res = await region.post('MAIL', patched(JOURNAL_SEQ, Buffer.alloc(8, fill)));
    t.equal(res.status, 200, `x'${fill.toString(16)}' fill`);
    const r = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
    t.equal(r.rc, 0);
    t.ok(r.journalSeq > 0);
  }
});

t.test('request headers', async (t) => {
  t.same(await failure(await region.post('MAIL', good(), { 'X-CICS-CCSID': '9999' })), {
    status: 400,
    resp: 'INVREQ',
    abcode: null,
    body: {
      resp: 'INVREQ',
      resp2: 2,
      abcode: null,
      message:
        "X-CICS-CCSID '9999' is not a supported code page (supported: 37, 273, 277, 278, 280, 284, 285, 297, 500, 871, 1047, 1140, 1141, 1142, 1143, 1144, 1145, 1146, 1147, 1148, 1149)",
    },
  });
  for (const ok of ['037', 'IBM-037', 'ibm037', 'cp037', '37']) {
    t.equal((await region.post('MAIL', good(), { 'X-CICS-CCSID': ok })).status, 200, ok);
  }
  t.same(await failure(await region.post('MAIL', good(), { 'X-CICS-Jobname': 'TOOLONGJOB' })), {
    status: 400,
    resp: 'INVREQ',
    abcode: null,
    body: {
      resp: 'INVREQ',
      resp2: 3,
      abcode: null,
      message: "X-CICS-Jobname 'TOOLONGJOB' is not 1 to 8 printable ASCII characters",
    },
  });
  t.same(await failure(await region.post('MAIL', good(), { 'content-type': 'text/plain' })), {
    status: 415,
    resp: 'INVREQ',
    abcode: null,
    body: {
      resp: 'INVREQ',
      resp2: 4,
      abcode: null,
      message:
        "Content-Type 'text/plain' is not accepted here: send the COMMAREA as application/octet-stream, its JSON view as application/json, or a channel as multipart/form-data",
    },
  });
  const notJson = await failure(await region.post('MAIL', good(), { 'content-type': 'application/json' }));
  t.match(notJson, { status: 400, resp: 'INVREQ', abcode: 'AEIP', body: { resp: 'INVREQ', resp2: 1, abcode: 'AEIP' } });
  t.match(notJson.body.message, /^the body is not JSON: /);
});

t.test('requests the program refuses: RC 8 with a reason, nothing sent or journaled', async (t) => {
  const before = relay.mails.length;
  const cases: Array<[string, Parameters<typeof buildMailCommarea>[0], string, RegExp | string]> = [
    [
      'no recipients',
      { from: 'a@x.example', subject: 's' },
      'NORCPT',
      'MC-TO, MC-CC and MC-BCC are all blank: no recipient',
    ],
    [
      'blank from',
      { from: '', to: 'b@y.example' },
      'NOFROM',
      'the sender is blank and user TESTER has no default sender',
    ],
    [
      'two senders',
      { from: 'a@x.example b@x.example', to: 'b@y.example' },
      'BADFROM',
      'MC-FROM holds 2 addresses; give one',
    ],
    ['sender with no domain', { from: 'a@', to: 'b@y.example' }, 'BADFROM', "MC-FROM: 'a@' is not local-part@domain"],
    ['bare word', { from: 'a@x.example', to: 'wayne' }, 'BADTO', "MC-TO: 'wayne' is not an address"],
    [
      'double dot',
      { from: 'a@x.example', to: 'b@y..example' },
      'BADTO',
      "MC-TO: 'b@y..example': the domain is not valid",
    ],
    [
      'open quote',
      { from: 'a@x.example', to: '"Bruce Wayne <wayne@bar.com>' },
      'BADTO',
      /^MC-TO: a quoted display name is not closed/,
    ],
    ['no closing bracket', { from: 'a@x.example', to: 'Bruce <wayne@bar.com' }, 'BADTO', /^MC-TO: '<' without '>'/],
    [
      'name without address',
      { from: 'a@x.example', to: 'b@y.example, "Robin"' },
      'BADTO',
      'MC-TO: display name "Robin" is not followed by <address>',
    ],
    ['word among addresses', { from: 'a@x.example', cc: 'and b@y.example' }, 'BADCC', "MC-CC: 'and' is not an address"],
    [
      'underscore in a domain',
      { from: 'a@x.example', bcc: 'müller@y_z.example' },
      'BADBCC',
      "MC-BCC: 'müller@y_z.example': the domain is not valid",
    ],
    [
      'bad reply-to',
      { from: 'a@x.example', to: 'b@y.example', replyTo: 'nobody' },
      'BADREPTO',
      "MC-REPLY-TO: 'nobody' is not an address",
    ],
    [
      'local part over 64',
      { from: 'a@x.example', to: `${'l'.repeat(65)}@y.example` },
      'BADTO',
      /the local part is longer than 64 octets$/,
    ],
    [
      'version 09',
      { from: 'a@x.example', to: 'b@y.example', version: '09' },
      'VERSION',
      "MC-VERSION is '09', not '01' or '02'",
    ],
    [
      'importance X',
      { from: 'a@x.example', to: 'b@y.example', importance: 'X' as 'L' },
      'BADIMPOR',
      "MC-IMPORTANCE is 'X'; use L, N, H or blank",
    ],
    [
      'format Q',
      { from: 'a@x.example', to: 'b@y.example', bodyFormat: 'Q' as 'T' },
      'BADFORMT',
      "MC-BODY-FORMAT is 'Q'; use T, H or blank",
    ],
  ];
  for (const [name, fields, reason, detail] of cases) {
    const res = await region.post('MAIL', buildMailCommarea(fields, 37));
    t.equal(res.status, 200, name);
    t.equal(res.headers.get('x-cics-resp'), 'NORMAL', name);
    t.equal(res.headers.get('x-journal-seq'), null, `${name}: no journal record`);
    const r = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
    t.equal(r.rc, 8, name);
    t.equal(r.reason, reason, name);
    t.match(r.relayReply, detail, name);
    t.equal(r.messageId, '', name);
    t.equal(r.journalSeq, 0, name);
  }
  t.equal(relay.mails.length, before, 'the relay got none of them');
});

t.test('control characters in header fields are RC 8 CTLCHAR, never a new header line', async (t) => {
  const before = relay.mails.length;
  const FIELDS: Array<[string, number]> = [
    ['MC-FROM', 2],
    ['MC-REPLY-TO', 258],
    ['MC-TO', 514],
    ['MC-CC', 1538],
    ['MC-BCC', 2562],
    ['MC-SUBJECT', 3586],
  ];
  // x'15' NL, x'25' LF, x'0D' CR, x'00' NUL, x'05' HT in CCSID 037.
  const CONTROLS: Array<[number, string]> = [
    [0x15, '0085'],
    [0x25, '000A'],
    [0x0d, '000D'],
    [0x00, '0000'],
    [0x05, '0009'],
  ];
  const base = buildMailCommarea(
    {
      from: 'a@x.example',
      replyTo: 'r@x.example',
      to: 'b@y.example',
      cc: 'c@y.example',
      bcc: 'd@y.example',
      subject: 'Subject',
    },
    37,
  );
  for (const [field, offset] of FIELDS) {
    for (const [byte, code] of CONTROLS) {
      // After the first character: "Bcc: evil" smuggled into the value.
      const area = patched(offset + 1, [byte, 0xc2, 0x83, 0x83, 0x7a, 0x40, 0x85, 0xa5, 0x89, 0x93], base);
      const r = readMailResponse(Buffer.from(await (await region.post('MAIL', area)).arrayBuffer()), 37);
      t.equal(r.rc, 8, `${field} x'${byte.toString(16)}'`);
      t.equal(r.reason, 'CTLCHAR');
      t.equal(r.relayReply, `${field} holds control character U+${code} at position 2`);
    }
  }
  t.equal(relay.mails.length, before);
});

t.test('after all that the region still serves, and the journal holds only whole mails', async (t) => {
  const res = await region.post('MAIL', good());
  t.equal(res.status, 200);
  const r = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
  t.equal(r.rc, 0);
  const records = region.journal().list({ limit: 1000 });
  t.equal(records.length, relay.mails.length, 'one record per mail the relay received');
  for (const record of records) {
    t.equal(record.state, 'SENT');
    t.ok(region.journal().message(record.seq)?.length, `record ${record.seq} has its bytes`);
  }
});
