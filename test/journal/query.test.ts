// The journal over HTTP: filters, paging, one record, its bytes, stats, and exports that
// a spreadsheet opens (CSV quoting with commas, quotes and line ends).
import t from 'tap';
import { startRegion } from '../helpers/region.js';
import { startRelay, smtpError } from '../helpers/relay.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import type { JournalRecord } from '../../journal/record.js';
import { PYTHON } from '../helpers/python.js';

const relay = await startRelay(t, {
  rcptTo: (a) => (a.address.startsWith('nobody') ? smtpError(550, 'no such user') : undefined),
});
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
const get = async (path: string) => {
  const res = await region.fetch(`${path}`);
  // Buffer keeps a byte order mark where fetch's text() would drop it.
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    text: Buffer.from(await res.arrayBuffer()).toString('utf8'),
  };
};

const sent: { seq: number; messageId: string }[] = [];
for (const [to, subject, job] of [
  ['ops@corp.example', 'plain', 'PAYROLL1'],
  ['nobody@corp.example', 'refused', 'PAYROLL1'],
  ['ops@corp.example dev@corp.example', 'Totals, "final"\nand more', 'BILLING'],
  ['Dev@Corp.Example', '=SUM(A1:A9)', 'BILLING'],
] as const) {
  // MC-SUBJECT cannot hold a line end (CTLCHAR); the CSV test below feeds one directly.
  const res = await region.post(
    'MAIL',
    buildMailCommarea({ from: 'batch@corp.example', to, subject: subject.replace('\n', ' ') }, 37),
    { 'X-CICS-Jobname': job },
  );
  const r = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
  sent.push({ seq: r.journalSeq, messageId: r.messageId });
}

t.test('filters and paging', async (t) => {
  const all = JSON.parse((await get('/journal')).text) as { records: { seq: number }[]; next: number | null };
  t.same(
    all.records.map((r) => r.seq),
    [1, 2, 3, 4],
  );
  t.equal(all.next, null);
  const page = JSON.parse((await get('/journal?limit=2')).text) as typeof all;
  t.same([page.records.map((r) => r.seq), page.next], [[1, 2], 2]);
  const rest = JSON.parse((await get(`/journal?limit=2&after=${page.next}`)).text) as typeof all;
  t.same(
    rest.records.map((r) => r.seq),
    [3, 4],
  );
  const q = async (query: string) =>
    (JSON.parse((await get(`/journal?${query}`)).text) as typeof all).records.map((r) => r.seq);
  t.same(await q('state=FAILED'), [2]);
  t.same(await q('jobname=billing'), [3, 4]);
  t.same(await q('recipient=dev@corp.example'), [3, 4], 'recipients without regard to case');
  t.same(await q(`messageId=${encodeURIComponent(sent[2]!.messageId)}`), [3]);
  t.same(await q('tranid=MAIL&user=tester&state=SENT'), [1, 3, 4]);
  t.same(await q(`since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`), []);
  t.same(await q('until=2000-01-01'), []);
  t.same(await q(`since=2000-01-01T00:00%2B01:00`), [1, 2, 3, 4], 'a time with its zone');
  for (const [bad, status] of [
    ['state=LOST', 400],
    ['limit=0', 400],
    ['limit=1001', 400],
    ['after=-1', 400],
    ['colour=blue', 400],
    ['since=yesterday', 400],
    ['since=2026-11-28junk', 400],
    ['since=2026-02-30', 400],
    ['since=2026-11-28T13:00', 400],
    ['until=2026-11-28T25:00Z', 400],
    ['user=', 400],
    ['tranid=', 400],
    ['recipient=', 400],
    ['tranid=TOOLONG', 400],
  ] as const) {
    t.equal((await get(`/journal?${bad}`)).status, status, bad);
  }
  t.equal(
    (JSON.parse((await get('/journal?since=yesterday')).text) as { message: string }).message,
    "since 'yesterday' is not a time like 2026-11-28T13:00:00Z",
  );
});

t.test('one record and its bytes', async (t) => {
  const one = await get('/journal/3');
  t.equal(one.status, 200);
  t.match(JSON.parse(one.text), {
    seq: 3,
    state: 'SENT',
    jobname: 'BILLING',
    delivered: ['ops@corp.example', 'dev@corp.example'],
  });
  const bytes = await region.fetch(`/journal/3/message`);
  t.equal(bytes.headers.get('content-type'), 'message/rfc822');
  t.same(Buffer.from(await bytes.arrayBuffer()), relay.mails[1]?.message);
  t.equal((await get('/journal/99')).status, 404);
  t.equal((await get('/journal/99/message')).status, 404);
  t.equal((await get('/journal/x1')).status, 400);
});

t.test('stats', async (t) => {
  t.same(JSON.parse((await get('/journal/stats')).text), {
    records: 4,
    byState: { ACCEPTED: 0, SENT: 3, DEFERRED: 0, FAILED: 1, DENIED: 0 },
    byTranid: { MAIL: 4 },
    bytes: (JSON.parse((await get('/journal')).text) as { records: { size: number }[] }).records.reduce(
      (n: number, r: { size: number }) => n + r.size,
      0,
    ),
  });
});

t.test('exports: CSV a spreadsheet opens, and JSON Lines', async (t) => {
  const csv = await get('/journal/export?format=csv');
  t.equal(csv.type, 'text/csv; charset=utf-8');
  const rows = csv.text.split('\r\n');
  t.equal(
    rows[0],
    '\ufeffseq,acceptedAt,userid,jobname,tranid,sender,recipients,attachments,subject,size,state,relayReply,messageId,sysid,requestKey,fates,suppressed',
  );
  t.equal(rows.length, 6, 'header, 4 rows, and the last CRLF');
  t.match(
    rows[3],
    /^3,[^,]+,TESTER,BILLING,MAIL,batch@corp\.example,2,0,"Totals, ""final"" and more",\d+,SENT,250 Ok: queued as 2,<[^>]+>,CICSMAIL,,,$/,
  );
  t.match(rows[4], /,"'=SUM\(A1:A9\)",/, 'a formula is quoted as text');
  t.match(rows[2], /,FAILED,550 no such user,/);
  // Python's csv module reads it back to the same fields.
  const { execFileSync } = await import('node:child_process');
  const parsed = JSON.parse(
    execFileSync(PYTHON, ['-c', 'import csv,sys,json; print(json.dumps(list(csv.reader(sys.stdin))))'], {
      input: csv.text,
    }).toString(),
  ) as string[][];
  t.equal(parsed[3]?.[8], 'Totals, "final" and more');
  t.equal(parsed.length, 5);
  const jsonl = await get('/journal/export?format=jsonl&state=FAILED');
  t.match(jsonl.type, /^application\/x-ndjson/);
  t.match(JSON.parse(jsonl.text.trim()), { seq: 2, state: 'FAILED', relayReply: '550 no such user', recipients: 1 });
});

t.test('CSV quoting on its own: commas, quotes, CR and LF', async (t) => {
  const { csvLine } = await import('../../journal/export.js');
  const record = JSON.parse((await get('/journal/1')).text) as JournalRecord;
  const line = csvLine({ ...record, subject: 'a,b "c"\r\nd', relayReply: 'line1\nline2' });
  t.match(line, /,"a,b ""c""\r\nd",\d+,SENT,"line1\nline2",/);
  const { execFileSync } = await import('node:child_process');
  const fields = JSON.parse(
    execFileSync(PYTHON, ['-c', 'import csv,sys,json; print(json.dumps(next(csv.reader(sys.stdin, strict=True))))'], {
      input: line,
    }).toString(),
  ) as string[];
  t.equal(fields[8], 'a,b "c"\r\nd');
  t.equal(fields[11], 'line1\nline2');
});
