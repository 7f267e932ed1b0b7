// Protected reports end to end: a PDF with a user and an owner password, print only, AES-256
// (pdfinfo, pdftotext); a ZIP/PDF and a ZIP/XLSX in AES-256 ZIPs (7-Zip opens them with
// the password, not without); through SEND (COMMAREA and INPUT container) and a MAIL
// channel. Then the passwords are looked for, in every form, in the journal's LMDB files,
// the task log and the region's log at level trace: the task log shows that a password
// was given (*REDACTED*), never the password; a request driven again from it is refused.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { simpleParser } from 'mailparser';
import { channelBody } from '../helpers/channel.js';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { ebcdicLines, fromEbcdic } from '../helpers/ebcdic.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import { leaks, memoryLog } from '../helpers/secrets.js';
import { fixedRecords, pdfInfo, pdfPages } from './report/report-check.js';

const PASSWORDS = {
  'the PDF user password': 'Pdf-User-Kiwi-4711',
  'the PDF owner password': 'Pdf-Owner-Mango-0815',
  'the ZIP password': 'Zip-Aes-Papaya-2718',
  'the channel PDF password': 'Chan-Pdf-Lychee-3141',
  'the channel ZIP password': 'Chan-Zip-Guava-1618',
  'the INPUT container password': 'Input-Zip-Quince-5772',
};
const P = Object.values(PASSWORDS) as [string, string, string, string, string, string];
const [PDF_USER, PDF_OWNER, ZIP_PW, CHAN_PDF, CHAN_ZIP, INPUT_ZIP] = P;

const relay = await startRelay(t);
const log = memoryLog();
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url }, { logger: { level: 'trace', stream: log.stream } });

const RECORDS = [
  `1${'PAYROLL REPORT'.padEnd(118)}PAGE 1`,
  ' 000001  MILLER      1,234.50',
  `1${'PAYROLL REPORT'.padEnd(118)}PAGE 2`,
  ' 000002  SMITH          12.00',
];

async function sendJob(lines: readonly string[], asInput = false): Promise<{ rc: string | null; report: string[] }> {
  const bytes = ebcdicLines(lines, 37);
  const res = asInput
    ? await (async () => {
        const form = channelBody([{ name: 'INPUT', type: 'text/plain; charset=ibm-037', data: bytes }]);
        return region.post('SEND', form.body, { 'x-cics-ccsid': '37', 'content-type': form.type });
      })()
    : await region.post('SEND', bytes, { 'x-cics-ccsid': '37' });
  t.equal(res.status, 200);
  const body = Buffer.from(await res.arrayBuffer());
  return { rc: res.headers.get('x-mail-rc'), report: fromEbcdic(body, 37).split('\u0085').slice(0, -1) };
}

async function attachmentsOf(index: number) {
  return (await simpleParser(relay.mails[index]?.message ?? Buffer.alloc(0))).attachments;
}

function sevenZip(zip: Uint8Array, password: string | undefined): { ok: boolean; out: string; file?: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'report-7z-'));
  try {
    writeFileSync(join(dir, 'r.zip'), zip);
    const run = spawnSync('7zz', ['x', `-p${password ?? ''}`, `-o${join(dir, 'out')}`, '-y', join(dir, 'r.zip')], {
      input: '',
      encoding: 'utf8',
    });
    const out = `${run.stdout}${run.stderr}`;
    if (run.status !== 0) return { ok: false, out };
    const [name] = readdirSync(join(dir, 'out'));
    return { ok: true, out, file: readFileSync(join(dir, 'out', name as string)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function withFile<T>(bytes: Uint8Array, name: string, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'report-secret-'));
  try {
    writeFileSync(join(dir, name), bytes);
    return fn(join(dir, name));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const withPdf = <T>(bytes: Uint8Array, fn: (path: string) => T) => withFile(bytes, 'r.pdf', fn);
const withZip = <T>(bytes: Uint8Array, fn: (path: string) => T) => withFile(bytes, 'r.zip', fn);

/** pdfinfo with a password (-upw or -opw); its answer, or what it said failing. */
function pdfinfoWith(pdf: Uint8Array, args: readonly string[]): string {
  const run = withPdf(pdf, (path) => spawnSync('pdfinfo', [...args, path], { encoding: 'utf8' }));
  return `${run.stdout}${run.stderr}`;
}

t.test('SEND: a PDF with a user and an owner password, print only, AES-256', async (t) => {
  const before = relay.mails.length;
  const answer = await sendJob([
    'FROM batch@corp.example',
    'TO ops@corp.example',
    `ATTACH NAME=PAYROLL.LST RECFM=FBA FORMAT=PDF PASSWORD=${PDF_USER} OWNERPW=${PDF_OWNER}`,
    ...RECORDS,
    'ENDATTACH',
    'SEND',
    'FROM batch@corp.example',
    'TO ops@corp.example',
    `ATTACH NAME=PAYROLL.LST RECFM=FBA FORMAT=ZIP/PDF PASSWORD=${ZIP_PW}`,
    ...RECORDS,
    'ENDATTACH',
  ]);
  t.equal(answer.rc, '0', answer.report.join('\n'));
  const [pdf] = await attachmentsOf(before);
  const bytes = pdf?.content ?? Buffer.alloc(0);
  t.equal(pdf?.filename, 'PAYROLL.pdf');
  t.match(pdfinfoWith(bytes, []), /Incorrect password/, 'no password: pdfinfo cannot open it');
  t.match(pdfinfoWith(bytes, ['-upw', 'wrong-password']), /Incorrect password/);
  const info = pdfinfoWith(bytes, ['-upw', PDF_USER]);
  t.match(info, /Pages:\s+2/);
  t.match(info, /Encrypted:\s+yes \(print:yes copy:no change:no addNotes:no algorithm:AES-256\)/);
  t.match(pdfinfoWith(bytes, ['-opw', PDF_OWNER]), /Pages:\s+2/, 'the owner password opens it too');
  const text = execFileSync('pdftotext', ['-opw', PDF_OWNER, '-layout', '-', '-'], { input: bytes }).toString('utf8');
  t.match(text, /000001\s+MILLER\s+1,234\.50/, 'the owner reads the text');
  // pdftohtml keeps to the permissions (this pdftotext does not).
  const copy = withPdf(bytes, (path) =>
    spawnSync('pdftohtml', ['-upw', PDF_USER, '-stdout', path], { encoding: 'utf8' }),
  );
  t.match(
    `${copy.stdout}${copy.stderr}`,
    /Copying of text from this document is not allowed/,
    'the reader may print, not copy',
  );

  const [zip] = await attachmentsOf(before + 1);
  t.equal(zip?.filename, 'PAYROLL.zip');
  const zbytes = zip?.content ?? Buffer.alloc(0);
  t.notOk(sevenZip(zbytes, undefined).ok, 'no password: 7-Zip does not open it');
  t.match(sevenZip(zbytes, 'wrong-password').out, /Wrong password/);
  const opened = sevenZip(zbytes, ZIP_PW);
  t.ok(opened.ok, opened.out);
  t.match(
    withZip(zbytes, (path) => execFileSync('7zz', ['l', '-slt', `-p${ZIP_PW}`, path]).toString('utf8')),
    /Method = AES-256 Deflate/,
  );
  t.equal(pdfInfo(opened.file ?? Buffer.alloc(0)).Pages, '2', 'the PDF inside, not encrypted itself');
  t.match(pdfPages(opened.file ?? Buffer.alloc(0))[1]?.join('\n'), /000002\s+SMITH\s+12\.00/);
});

t.test('SEND from an INPUT container: a ZIP/XLSX under a password', async (t) => {
  const before = relay.mails.length;
  const answer = await sendJob(
    [
      'FROM batch@corp.example',
      'TO ops@corp.example',
      `ATTACH NAME=ledger FORMAT=ZIP/XLSX SEPARATOR=; PASSWORD=${INPUT_ZIP}`,
      'ACCOUNT;AMOUNT',
      '000001;12.50',
      'ENDATTACH',
    ],
    true,
  );
  t.equal(answer.rc, '0', answer.report.join('\n'));
  const [zip] = await attachmentsOf(before);
  t.notOk(sevenZip(zip?.content ?? Buffer.alloc(0), undefined).ok, 'not without the password');
  const opened = sevenZip(zip?.content ?? Buffer.alloc(0), INPUT_ZIP);
  t.ok(opened.ok && opened.file?.subarray(0, 2).toString('latin1') === 'PK', 'the XLSX inside');
});

t.test('MAIL: containers whose Content-Type asks for a PDF password and a ZIP password', async (t) => {
  const before = relay.mails.length;
  const area = buildMailCommarea({ from: 'batch@corp.example', to: 'ops@corp.example', subject: 'r', body: 'b' }, 37);
  const data = fixedRecords(RECORDS, 133, 37);
  const form = channelBody([
    { name: 'DFHCOMMAREA', type: 'application/octet-stream', data: area },
    {
      name: 'R1',
      filename: 'a.lst',
      type: `text/plain; recfm=FBA; lrecl=133; format=pdf; password=${CHAN_PDF}; permit=none`,
      data,
    },
    {
      name: 'R2',
      filename: 'b.lst',
      type: `text/plain; recfm=FBA; lrecl=133; format=zip; password="${CHAN_ZIP}"`,
      data,
    },
  ]);
  const res = await region.post('MAIL', form.body, { 'x-cics-ccsid': '37', 'content-type': form.type });
  const answer = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
  t.equal(answer.rc, 0, answer.relayReply);
  const [pdf, zip] = await attachmentsOf(before);
  t.match(
    pdfinfoWith(pdf?.content ?? Buffer.alloc(0), ['-upw', CHAN_PDF]),
    /Encrypted:\s+yes \(print:no copy:no change:no addNotes:no algorithm:AES-256\)/,
    'PERMIT=NONE: view only',
  );
  t.notOk(sevenZip(zip?.content ?? Buffer.alloc(0), undefined).ok);
  const txt = sevenZip(zip?.content ?? Buffer.alloc(0), CHAN_ZIP).file?.toString('utf8');
  t.match(txt, /^PAYROLL REPORT\s+PAGE 1\r\n000001/);
});

t.test('wrong protection options are RC 8 and never name the password', async (t) => {
  const answer = await sendJob([
    'TO ops@corp.example',
    'ATTACH NAME=a FORMAT=TXT PASSWORD=Txt-Secret-Fig-99',
    ' x',
    'ENDATTACH',
    'SEND',
    'TO ops@corp.example',
    'ATTACH NAME=b FORMAT=PDF PASSWORD=abc',
    ' x',
    'ENDATTACH',
    'SEND',
    'TO ops@corp.example',
    'ATTACH NAME=c FORMAT=ZIP OWNERPW=Owner-Secret-Date-98',
    ' x',
    'ENDATTACH',
    'SEND',
    'TO ops@corp.example',
    'ATTACH NAME=d FORMAT=PDF PASSWORD=*REDACTED*',
    ' x',
    'ENDATTACH',
  ]);
  t.same(answer.report, [
    'RC=08 LINE=2 ATTACH a: PASSWORD= is for FORMAT=PDF or ZIP/..., not TXT',
    'RC=08 LINE=7 ATTACH b: PASSWORD= must be 4 to 64 printable ASCII characters without blanks, quotes or semicolons (3 characters given)',
    'RC=08 LINE=12 ATTACH c: OWNERPW= is for FORMAT=PDF or ZIP/PDF, not ZIP',
    'RC=08 LINE=17 ATTACH d: PASSWORD= holds *REDACTED*, what the task log keeps in place of a password: give the password itself',
  ]);
});

t.test('no password in the journal files, the task log or the log; the task log shows one was given', async (t) => {
  await region.journal().tasks.flush();
  const secrets = Object.fromEntries(Object.entries(PASSWORDS));
  // Every file of the data folder, byte for byte (latin1 keeps each byte as one character).
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    }
  };
  walk(region.config.dataDir);
  t.ok(
    files.some((f) => f.endsWith('.mdb')),
    'the LMDB files are among them',
  );
  for (const file of files) t.same(leaks(readFileSync(file).toString('latin1'), secrets), [], file);
  const entries = [...region.journal().tasks.scan()];
  t.equal(entries.length, 4, 'the tasks are in the task log');
  // Each entry as JSON, its COMMAREA and containers decoded from EBCDIC as well.
  const text = entries
    .map((e) =>
      [
        JSON.stringify(e),
        e.commarea.form === 'bytes' ? fromEbcdic(Buffer.from(e.commarea.bytes), 37) : '',
        ...e.containers.map((c) => `${c.contentType} ${c.data === null ? '' : fromEbcdic(Buffer.from(c.data), 37)}`),
      ].join('\n'),
    )
    .join('\n');
  t.same(leaks(text, secrets), [], 'not in the task log, decoded or not');
  t.same(leaks(log.text(), secrets), [], 'not in the log');
  t.match(
    text,
    /FORMAT=PDF PASSWORD=\*REDACTED\* OWNERPW=\*REDACTED\*\u0085/,
    'the SEND statement shows that passwords were given',
  );
  t.match(text, /SEPARATOR=; PASSWORD=\*REDACTED\*\u0085/, 'in the INPUT container too');
  t.match(text, /password=\*REDACTED\*; permit=none/, "and in a container's Content-Type");
  t.match(text, /format=zip; password=\*REDACTED\*(?!")/, 'a quoted one too, quotes and all');

  // Driven again from the task log, the request is refused, not sent with the mark as its password.
  const send = entries.find((e) => e.tranid === 'SEND' && e.commarea.form === 'bytes' && e.commarea.bytes.length > 0);
  if (!send || send.commarea.form !== 'bytes') throw new Error('no SEND in the task log');
  const res = await region.post('SEND', send.commarea.bytes, { 'x-cics-ccsid': '37' });
  const report = fromEbcdic(Buffer.from(await res.arrayBuffer()), 37);
  t.match(report, /^RC=08 LINE=3 ATTACH PAYROLL\.LST: PASSWORD= holds \*REDACTED\*/);
});
