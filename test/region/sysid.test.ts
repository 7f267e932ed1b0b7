// A region in a fleet names itself everywhere: its SYSID in every journal record (DENIED
// ones too) and task log entry, on every metric, on every log line and in an answer's
// X-CICS-Sysid. A record written before records named their region reads back without one,
// and the region's routes answer it as their own (its journal holds it).
import t from 'tap';
import { Journal } from '../../journal/journal.js';
import { cicsmail } from '../helpers/cli.js';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { freshDir } from '../helpers/test-like.js';
import { basicAuth } from '../helpers/users.js';

const relay = await startRelay(t);
// A journal with a record from before SYSIDs were kept: opened without one (the region's
// retry spool delivers it at start, as an orphan).
const dataDir = freshDir(t);
const old = Journal.open(dataDir);
await old.accept(
  {
    tranid: 'MAIL',
    taskn: 1,
    userid: 'BATCH1',
    jobname: 'OLDJOB',
    ccsid: 37,
    envelope: { from: 'batch@corp.example', to: ['ops@corp.example'] },
    subject: 'from before',
    attachments: 0,
    messageId: '<old@region.test>',
  },
  Buffer.from('Subject: from before\r\n\r\nx\r\n'),
);
await old.close();

const lines: string[] = [];
const region = await startRegion(
  t,
  { CICSMAIL_RELAY: relay.url, CICSMAIL_SYSID: 'mvsa', CICSMAIL_DATA: dataDir },
  { logger: { level: 'info', stream: { write: (line: string) => lines.push(line) } } },
);

const view = JSON.stringify({
  mc_version: '01',
  mc_from: 'tester@corp.example',
  mc_to: 'ops@corp.example',
  mc_subject: 'named',
});
const sent = await region.fetch('/cics/MAIL', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: view,
});
const answer = (await sent.json()) as { mc_journal_seq: number; mc_rc: number };
const refused = await region.post('MAIL', Buffer.alloc(10), { authorization: basicAuth('TESTER', 'wrong') });

t.test('an answer names its region, a refusal too', async (t) => {
  t.equal(sent.status, 200);
  t.equal(answer.mc_rc, 0);
  t.equal(sent.headers.get('x-cics-sysid'), 'MVSA', 'upper case, as the setting is read');
  t.equal(refused.status, 401);
  t.equal(refused.headers.get('x-cics-sysid'), 'MVSA');
});

t.test('new records and task log entries carry the SYSID; an old record none', async (t) => {
  const journal = region.journal();
  t.equal(answer.mc_journal_seq, 2);
  t.equal(journal.get(1)?.sysid, undefined, 'written before: read back without one');
  t.equal(journal.get(2)?.sysid, 'MVSA');
  // The DENIED record of the refused attempt (the audit trail writes it as it comes).
  let denied;
  for (let i = 0; i < 500 && !denied; i++) {
    denied = journal.list({ state: 'DENIED' })[0];
    if (!denied) await new Promise((r) => setTimeout(r, 10));
  }
  t.match(denied, { state: 'DENIED', sysid: 'MVSA', denial: { reason: 'BADCREDS' } });
  // The task log is written after the answer: wait for it.
  let entries = [...journal.tasks.scan()];
  for (let i = 0; i < 500 && entries.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 10));
    entries = [...journal.tasks.scan()];
  }
  t.match(entries, [{ id: 1, sysid: 'MVSA', tranid: 'MAIL', journalSeqs: [2] }]);
});

t.test("the routes answer an old record as this region's", async (t) => {
  const one = (await (await region.fetch('/journal/1')).json()) as { sysid?: string; subject: string };
  t.match(one, { sysid: 'MVSA', subject: 'from before' });
  const list = (await (await region.fetch('/journal?jobname=OLDJOB')).json()) as {
    sysid: string;
    records: { seq: number; sysid: string }[];
  };
  t.equal(list.sysid, 'MVSA');
  t.match(list.records, [{ seq: 1, sysid: 'MVSA' }]);
  const csv = (await (await region.fetch('/journal/export')).text()).split('\r\n');
  t.match(csv[0], /,messageId,sysid,requestKey,fates,suppressed$/);
  t.match(csv[1], /^1,.*,<old@region\.test>,MVSA,,,$/);
  t.match(csv[2], /^2,.*,MVSA,,,$/);
  // Read from the folder, with no region to ask, an old record has no SYSID: the field is empty.
  const local = await cicsmail(['journal', 'export', '--jobname', 'OLDJOB'], { CICSMAIL_DATA: dataDir });
  t.match(local.stdout.split('\r\n')[1], /^1,.*,<old@region\.test>,,,,$/);
  const shown = JSON.parse((await cicsmail(['journal', 'show', '2'], { CICSMAIL_DATA: dataDir })).stdout) as {
    sysid: string;
  };
  t.equal(shown.sysid, 'MVSA');
});

t.test('every metric carries the SYSID', async (t) => {
  const text = await (await region.fetch('/metrics')).text();
  t.ok(text.split('\n').filter((l) => l.startsWith('# TYPE ')).length > 20, 'the families');
  const samples = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  t.ok(samples.length > 50);
  t.same(
    samples.filter((l) => !l.includes('sysid="MVSA"')),
    [],
    'no sample without it',
  );
  t.match(text, /^cicsmail_tasks_total\{tranid="MAIL",resp="NORMAL",sysid="MVSA"\} 1$/m);
});

t.test('every log line carries the SYSID', async (t) => {
  const parsed = lines.map((l) => JSON.parse(l) as { sysid?: string; msg: string });
  t.ok(
    parsed.some((l) => l.msg === 'task'),
    'the task line',
  );
  t.same(
    parsed.filter((l) => l.sysid !== 'MVSA'),
    [],
  );
});
