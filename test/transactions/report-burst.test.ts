// Bursting end to end, through a real region to a real relay (smtp-server): a 2,000-page
// report split by a key into 50 parts, each to the recipients KEYMAIL gives its key, every
// page in exactly one part (read back with pdftotext); COMBINE=YES, a default for keys in
// no KEYMAIL, a part that has nowhere to go (RC 8 NOROUTE, in the answer, not dropped),
// BURST=PAGES(n) and LINES(n), and a MAIL channel's container whose parts go in its mail.
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { simpleParser } from 'mailparser';
import { channelBody } from '../helpers/channel.js';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { ebcdicLines, fromEbcdic } from '../helpers/ebcdic.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import { defaultDefinitions } from '../../region/definitions.js';
import { fixedRecords, pdfOutline } from './report/report-check.js';

const relay = await startRelay(t);
// The 2,000-page job renders 2,000 sheets and sends 50 mails: more than SEND's two minutes
// on a busy machine. The time limit is no verdict here.
const definitions = defaultDefinitions().map((d) => (d.tranid === 'SEND' ? { ...d, timeLimitMs: 500_000 } : d));
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url }, { definitions });

const branch = (b: number) => `BRANCH ${String(b).padStart(4, '0')}`;

/** `pages` pages of ASA records, `per` pages a branch; the title on line 1: branch, name, page number. */
function ledger(pages: number, per: number, lines = 60): string[] {
  const out: string[] = [];
  for (let p = 1; p <= pages; p++) {
    const b = Math.ceil(p / per);
    out.push(`1${branch(b)}   GENERAL LEDGER   PAGE ${String(p).padStart(5)}`);
    for (let i = 1; i < lines; i++)
      out.push(` ${String(p * 100 + i).padStart(9, '0')}  ACCOUNT ${i}   ${(p * i * 0.25).toFixed(2).padStart(12)}`);
  }
  return out;
}

async function sendJob(lines: readonly string[]): Promise<{ rc: string | null; report: string[]; seqs: string[] }> {
  const form = channelBody([{ name: 'INPUT', type: 'text/plain; charset=ibm-037', data: ebcdicLines(lines, 37) }]);
  const res = await region.post('SEND', form.body, { 'x-cics-ccsid': '37', 'content-type': form.type });
  t.equal(res.status, 200);
  const body = Buffer.from(await res.arrayBuffer());
  return {
    rc: res.headers.get('x-mail-rc'),
    report: fromEbcdic(body, 37).split('\u0085').slice(0, -1),
    seqs: (res.headers.get('x-journal-seq') ?? '').split(',').filter((s) => s !== ''),
  };
}

/** Each sheet's title line as pdftotext reads it. */
function titles(pdf: Buffer): string[] {
  const text = execFileSync('pdftotext', ['-layout', '-', '-'], { input: pdf, maxBuffer: 1 << 28 }).toString('utf8');
  const pages = text.split('\f');
  pages.pop();
  return pages.map(
    (p) =>
      p
        .split('\n')
        .find((l) => l.trim() !== '')
        ?.trim() ?? '',
  );
}

async function mailsSince(before: number) {
  const mails = relay.mails.slice(before);
  return Promise.all(mails.map(async (m) => ({ to: m.to, parsed: await simpleParser(m.message) })));
}

t.test('2,000 pages burst by a key into 50 parts, each to its KEYMAIL recipients', async (t) => {
  const PAGES = 2000;
  const keymail = Array.from({ length: 50 }, (_, i) =>
    i === 49
      ? `KEYMAIL "${branch(50)}" b0050@corp.example, audit@corp.example`
      : `KEYMAIL "${branch(i + 1)}" b${String(i + 1).padStart(4, '0')}@corp.example`,
  );
  const before = relay.mails.length;
  const started = process.hrtime.bigint();
  const answer = await sendJob([
    'FROM batch@corp.example',
    'SUBJECT General ledger by branch',
    ...keymail,
    'ATTACH NAME=LEDGER.LST RECFM=FBA FORMAT=PDF BURST=KEY KEY=1/1-11 INDEX=TITLE',
    ...ledger(PAGES, 40),
    'ENDATTACH',
  ]);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // Figures for the record, not a verdict: the machine is shared.
  t.comment(
    `2,000 pages, 50 parts: ${seconds.toFixed(1)} s, peak RSS of the test process (region, its worker, relay) ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`,
  );
  t.equal(answer.rc, '0', answer.report.slice(0, 3).join('\n'));
  t.equal(answer.report.length, 50, 'a line a part');
  answer.report.forEach((line, i) => {
    const b = i + 1;
    const to = b === 50 ? 'b0050@corp.example,audit@corp.example' : `b${String(b).padStart(4, '0')}@corp.example`;
    t.match(
      line,
      new RegExp(
        `^RC=00 SEQ=\\d+ MSGID=<[^>]+> PART=${b}/50 KEY="${branch(b)}" PAGES=${(b - 1) * 40 + 1}-${b * 40} TO=${to} 250 `,
      ),
      `part ${b}`,
    );
  });
  const mails = await mailsSince(before);
  t.equal(mails.length, 50, 'a mail a part');
  t.equal(new Set(mails.map((m) => m.parsed.messageId)).size, 50, 'each with its own Message-ID');
  const seen = new Map<number, number>();
  for (const { to, parsed } of mails) {
    t.equal(parsed.attachments.length, 1);
    const [pdf] = parsed.attachments;
    const b = Number(/^LEDGER\.BRANCH_(\d{4})\.pdf$/.exec(pdf?.filename ?? '')?.[1]);
    t.same(
      to,
      b === 50 ? ['b0050@corp.example', 'audit@corp.example'] : [`b${String(b).padStart(4, '0')}@corp.example`],
      `the part of ${branch(b)} to its recipients`,
    );
    const sheets = titles(pdf?.content ?? Buffer.alloc(0));
    for (const title of sheets) {
      const m = /^(BRANCH \d{4})\s+GENERAL LEDGER\s+PAGE\s+(\d+)$/.exec(title);
      t.equal(m?.[1], branch(b), `page ${m?.[2]} in the part of its branch`);
      const page = Number(m?.[2]);
      seen.set(page, (seen.get(page) ?? 0) + 1);
    }
    t.equal(pdfOutline(pdf?.content ?? Buffer.alloc(0)).length, 40, 'INDEX=TITLE: a bookmark a page of the part');
  }
  t.equal(seen.size, PAGES, 'every page is in a part');
  t.ok(
    [...seen.values()].every((n) => n === 1),
    'and in one only',
  );
});

t.test('COMBINE=YES, a default for keys in no KEYMAIL, a part with nowhere to go', async (t) => {
  let before = relay.mails.length;
  // Four branches of 2 pages: 1 and 3 to the same people (one mail, COMBINE), 2 to others, 4 to the default.
  const combined = await sendJob([
    'FROM batch@corp.example',
    'TO ops@corp.example',
    `KEYMAIL "${branch(1)}" east@corp.example`,
    `KEYMAIL "${branch(3)}" east@corp.example`,
    `KEYMAIL "${branch(2)}" west@corp.example`,
    'ATTACH NAME=LEDGER RECFM=FBA FORMAT=TXT BURST=KEY KEY=1-11 COMBINE=YES',
    ...ledger(8, 2, 3),
    'ENDATTACH',
  ]);
  t.equal(combined.rc, '0', combined.report.join('\n'));
  t.equal(combined.report.length, 4);
  t.equal(combined.seqs.length, 3, 'X-Journal-Seq: three mails, each once');
  const seqs = combined.report.map((l) => /SEQ=(\d+)/.exec(l)?.[1]);
  t.equal(seqs[0], seqs[2], 'branches 1 and 3 in one mail');
  t.not(seqs[0], seqs[1]);
  t.match(combined.report[3], /PART=4\/4 KEY="BRANCH 0004" PAGES=7-8 TO=ops@corp\.example 250 /, 'the default');
  const mails = await mailsSince(before);
  t.equal(mails.length, 3);
  const east = mails.find((m) => m.to.includes('east@corp.example'));
  t.same(
    east?.parsed.attachments.map((a) => a.filename),
    ['LEDGER.BRANCH_0001.txt', 'LEDGER.BRANCH_0003.txt'],
  );

  before = relay.mails.length;
  const nowhere = await sendJob([
    'FROM batch@corp.example',
    `KEYMAIL "${branch(1)}" east@corp.example`,
    'ATTACH NAME=LEDGER RECFM=FBA FORMAT=TXT BURST=KEY KEY=1-11',
    ...ledger(4, 2, 3),
    'ENDATTACH',
  ]);
  t.equal(nowhere.rc, '8');
  t.match(
    nowhere.report[0],
    /^RC=00 SEQ=\d+ MSGID=\S+ PART=1\/2 KEY="BRANCH 0001" PAGES=1-2 TO=east@corp\.example 250 /,
  );
  t.equal(
    nowhere.report[1],
    'RC=08 LINE=3 PART=2/2 KEY="BRANCH 0002" PAGES=3-4 the key is in no KEYMAIL, and the mail has no TO, CC or BCC to take it',
  );
  t.equal(relay.mails.length, before + 1, 'the part with a place went');
});

t.test('BURST=PAGES(n) and LINES(n): every page, every line once, in order', async (t) => {
  const before = relay.mails.length;
  const answer = await sendJob([
    'FROM batch@corp.example',
    'TO ops@corp.example',
    'ATTACH NAME=A RECFM=FBA FORMAT=TXT BURST=PAGES(3)',
    ...ledger(7, 7, 4),
    'ENDATTACH',
    'SEND',
    'FROM batch@corp.example',
    'TO ops@corp.example',
    'ATTACH NAME=B RECFM=FBA FORMAT=TXT BURST=LINES(10)',
    ...ledger(7, 7, 4),
    'ENDATTACH',
  ]);
  t.equal(answer.rc, '0', answer.report.join('\n'));
  t.same(
    answer.report.map((l) => / PART=(\S+) KEY="(\d+)" PAGES=(\S+) /.exec(l)?.slice(1).join(' ')),
    ['1/3 1 1-3', '2/3 2 4-6', '3/3 3 7', '1/3 1 1-3', '2/3 2 3-5', '3/3 3 6-7'],
  );
  const mails = await mailsSince(before);
  const text = (i: number) => mails[i]?.parsed.attachments[0]?.content.toString('utf8') ?? '';
  const lines = (from: number, to: number) => [...Array(to - from + 1).keys()].map((k) => text(from + k)).join('\r\n');
  const all = ledger(7, 7, 4).map((r) => r.slice(1).trimEnd());
  const printed = (s: string) =>
    s
      .split(/\r\n/)
      .map((l) => l.replace(/^\f/, ''))
      .filter((l) => l !== '');
  t.same(printed(lines(0, 2)), all, 'PAGES(3): every line in one part, in order');
  t.same(printed(lines(3, 5)), all, 'LINES(10): every line in one part, in order');
  t.equal(printed(text(3)).length, 10, 'ten lines a part');
});

t.test('MAIL: a container with BURST= sends all its parts in its one mail', async (t) => {
  const before = relay.mails.length;
  const area = buildMailCommarea({ from: 'batch@corp.example', to: 'ops@corp.example', subject: 'b', body: 'b' }, 37);
  const form = channelBody([
    { name: 'DFHCOMMAREA', type: 'application/octet-stream', data: area },
    {
      name: 'LEDGER',
      filename: 'ledger.lst',
      type: 'text/plain; recfm=FBA; lrecl=80; format=pdf; burst=key; key=1-11',
      data: fixedRecords(ledger(6, 2, 3), 80, 37),
    },
  ]);
  const res = await region.post('MAIL', form.body, { 'x-cics-ccsid': '37', 'content-type': form.type });
  const answer = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
  t.equal(answer.rc, 0, answer.relayReply);
  const [mail] = await mailsSince(before);
  t.same(
    mail?.parsed.attachments.map((a) => a.filename),
    ['ledger.BRANCH_0001.pdf', 'ledger.BRANCH_0002.pdf', 'ledger.BRANCH_0003.pdf'],
  );
  t.same(
    titles(mail?.parsed.attachments[2]?.content ?? Buffer.alloc(0)).map((l) => l.replace(/\s+/g, ' ')),
    ['BRANCH 0003 GENERAL LEDGER PAGE 5', 'BRANCH 0003 GENERAL LEDGER PAGE 6'],
  );
});
