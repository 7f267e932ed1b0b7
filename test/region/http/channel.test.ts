// Channels: multipart/form-data with a DFHCOMMAREA part and containers. MAIL sends each
// container as an attachment: CHAR ones translated from EBCDIC, BIT ones byte for byte.
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { simpleParser } from 'mailparser';
import { channelBody, type ChannelPart } from '../../helpers/channel.js';
import { startRegion } from '../../helpers/region.js';
import { startRelay } from '../../helpers/relay.js';
import { parseWithPython } from '../../helpers/mail-check.js';
import { buildMailCommarea, readMailResponse } from '../../../client/mailca.js';
import { parseFormData } from '../../../region/http/multipart.js';

const relay = await startRelay(t);
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });

const formData = (parts: ChannelPart[], boundary?: string) => channelBody(parts, boundary);

const post = (form: { body: Buffer; type: string }, headers: Record<string, string> = {}) =>
  region.fetch(`/cics/MAIL`, { method: 'POST', headers: { 'content-type': form.type, ...headers }, body: form.body });

t.test('containers become attachments: CHAR translated, BIT byte for byte, non-ASCII names kept', async (t) => {
  const report = execFileSync('iconv', ['-f', 'UTF-8', '-t', 'IBM273'], {
    input: 'Plattenbelegung\nSYSRES: 97 %, Größe 3390-9\n',
  });
  const binary = randomBytes(70_000);
  const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), randomBytes(500)]);
  const commarea = buildMailCommarea(
    {
      from: 'batch@corp.example',
      to: 'ops@corp.example',
      subject: 'Report with attachments',
      body: 'See the attachments.',
    },
    37,
  );
  const form = formData([
    { name: 'DFHCOMMAREA', type: 'application/octet-stream', data: commarea },
    { name: 'REPORT', filename: 'report.txt', type: 'text/plain; charset=ibm-273', data: report },
    { name: 'DUMP', filename: 'Übersicht dump.bin', type: 'application/octet-stream', data: binary },
    { name: 'PDF', filename: 'daten.pdf', data: pdf },
  ]);
  const res = await post(form);
  t.equal(res.status, 200);
  t.equal(res.headers.get('content-type'), 'application/octet-stream', 'the COMMAREA comes back as it went: bytes');
  const r = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
  t.equal(r.rc, 0);
  const message = relay.mails.at(-1)!.message;
  const parsed = await simpleParser(message);
  t.equal(parsed.text, 'See the attachments.\n');
  t.same(
    parsed.attachments.map((a) => [a.filename, a.contentType]),
    [
      ['report.txt', 'text/plain'],
      ['Übersicht dump.bin', 'application/octet-stream'],
      ['daten.pdf', 'application/pdf'],
    ],
  );
  t.equal(
    parsed.attachments[0]?.content.toString('utf8'),
    'Plattenbelegung\r\nSYSRES: 97 %, Größe 3390-9\r\n',
    'EBCDIC 273 text arrives as UTF-8',
  );
  t.ok(parsed.attachments[1]?.content.equals(binary), 'binary byte for byte');
  t.ok(parsed.attachments[2]?.content.equals(pdf));
  t.equal(region.journal().get(r.journalSeq)?.attachments, 3);
  const py = await parseWithPython(message);
  t.same(py.defects, [], 'Python finds no defect');
  t.equal(py.body, 'See the attachments.\n');
});

t.test('a JSON DFHCOMMAREA in a channel is answered in JSON', async (t) => {
  const form = formData([
    {
      name: 'DFHCOMMAREA',
      type: 'application/json',
      data: Buffer.from(
        JSON.stringify({ mc_version: '01', mc_from: 'a@x.example', mc_to: 'b@y.example', mc_subject: 'json channel' }),
      ),
    },
    { name: 'NOTE', type: 'text/plain', data: Buffer.from([0xc8, 0x85, 0x93, 0x93, 0x96]) },
  ]);
  const res = await post(form, { 'X-CICS-CCSID': '037' });
  t.equal(res.status, 200);
  t.match(await res.json(), { mc_rc: 0, mc_reason: 'SENT' });
  const parsed = await simpleParser(relay.mails.at(-1)!.message);
  t.equal(parsed.attachments[0]?.filename, 'NOTE', 'a container without a file name is named after itself');
  t.equal(
    parsed.attachments[0]?.content.toString(),
    'Hello\r\n',
    'CHAR in the request CCSID where the part names none',
  );
});

t.test('a DFHCOMMAREA part without a file name keeps every byte', async (t) => {
  const form = formData([
    {
      name: 'DFHCOMMAREA',
      data: buildMailCommarea({ from: 'a@x.example', to: 'b@y.example', subject: 'field part', body: 'x' }, 37),
    },
  ]);
  const res = await post(form);
  t.equal(res.status, 200);
  t.equal(readMailResponse(Buffer.from(await res.arrayBuffer()), 37).rc, 0);
});

t.test('channels that cannot be read: INVREQ with the reason', async (t) => {
  const commarea = buildMailCommarea({ from: 'a@x.example', to: 'b@y.example', subject: 's' }, 37);
  const good = formData([{ name: 'DFHCOMMAREA', data: commarea }]);
  const cases: Array<[string, { body: Buffer; type: string }, string]> = [
    [
      'no boundary',
      { body: good.body, type: 'multipart/form-data' },
      'the channel cannot be read: multipart/form-data without a boundary parameter',
    ],
    [
      'cut short',
      { body: good.body.subarray(0, 200), type: good.type },
      'the channel cannot be read: part 1 is not closed by the boundary (a cut body?)',
    ],
    [
      'another boundary',
      { body: good.body, type: 'multipart/form-data; boundary=other' },
      "the channel cannot be read: the body has no part: boundary 'other' not found",
    ],
    [
      'charset not EBCDIC',
      formData([
        { name: 'DFHCOMMAREA', data: commarea },
        { name: 'T', type: 'text/plain; charset=utf-8', data: Buffer.from('x') },
      ]),
      'container T: charset utf-8 is not an EBCDIC code page',
    ],
    [
      'a name too long',
      formData([
        { name: 'DFHCOMMAREA', data: commarea },
        { name: 'A-CONTAINER-NAME-TOO-LONG', data: Buffer.from('x') },
      ]),
      "container name 'A-CONTAINER-NAME-TOO' is not 1 to 16 printable characters",
    ],
    [
      'twice the same',
      formData([
        { name: 'DFHCOMMAREA', data: commarea },
        { name: 'X', data: Buffer.from('1') },
        { name: 'X', data: Buffer.from('2') },
      ]),
      'container X comes twice',
    ],
    [
      'DFHCOMMAREA not JSON',
      formData([{ name: 'DFHCOMMAREA', type: 'application/json', data: Buffer.from('{nope') }]),
      'the DFHCOMMAREA part is not JSON',
    ],
  ];
  const before = relay.mails.length;
  for (const [name, form, message] of cases) {
    const res = await post(form);
    t.equal(res.status, 400, name);
    const body = (await res.json()) as { resp: string; message: string };
    t.equal(body.resp, 'INVREQ', name);
    t.ok(body.message.startsWith(message), `${name}: ${body.message}`);
  }
  const noCommarea = await post(formData([{ name: 'X', data: Buffer.from('1') }]));
  t.equal(noCommarea.status, 400);
  t.equal(noCommarea.headers.get('x-cics-resp'), 'LENGERR', 'no DFHCOMMAREA part: an empty COMMAREA');
  t.equal(relay.mails.length, before, 'nothing was sent');
});

t.test('the multipart reader alone: quoted names, empty parts, CRLF inside data', async (t) => {
  const body = Buffer.from(
    'preamble\r\n--b\r\nContent-Disposition: form-data; name="a \\"q\\""; filename="f.txt"\r\nContent-Type: text/plain; charset=ibm-037\r\n\r\nline1\r\n--not-it\r\n\r\n--b\r\nContent-Disposition: form-data; name="e"\r\n\r\n\r\n--b--\r\n',
  );
  const parts = parseFormData(body, 'b');
  t.same(
    parts.map((p) => [p.name, p.filename, p.contentType, p.data.toString()]),
    [
      ['a "q"', 'f.txt', 'text/plain; charset=ibm-037', 'line1\r\n--not-it\r\n'],
      ['e', null, '', ''],
    ],
  );
});
