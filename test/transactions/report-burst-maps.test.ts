// Bursting past the request's own KEYMAIL, end to end through a real region and a real
// relay (smtp-server): BURST=MATCH through SEND; key maps kept by the region (KEYMAP),
// changed through CEMT and the command line and seen by the next request, an unknown map
// refused; the suppression list on each part (a part all suppressed is in the answer, RC
// 12); each part's mail under its own request key, so that a run cut off before it
// answered, sent again after the list changed, sends no part twice and none it left out.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { simpleParser } from 'mailparser';
import { channelBody } from '../helpers/channel.js';
import { cicsmail, cicsmailProcess } from '../helpers/cli.js';
import { ebcdicLines, fromEbcdic } from '../helpers/ebcdic.js';
import { startRegion, type TestRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';

// Takes a key's answer away, in a process of its own (the same reason).
const CUT_KEY_ANSWER = fileURLToPath(new URL('../fixtures/scripts/cut-key-answer.mjs', import.meta.url));

const relay = await startRelay(t);
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
// Commands that open the journal run in a process of their own, as an operator's do beside a
// running region. In the test's process a second handle of the region's LMDB environment
// deadlocks the thread where it opens its stores (a synchronous write transaction) while the
// region's handle has an asynchronous write waiting for that same thread (a fresh clone's run
// hung so twice, in `keymap list` and in the cut-off below).
const env = { CICSMAIL_DATA: region.config.dataDir };

async function sendJob(lines: readonly string[], to: TestRegion = region) {
  const form = channelBody([{ name: 'INPUT', type: 'text/plain; charset=ibm-037', data: ebcdicLines(lines, 37) }]);
  const res = await to.post('SEND', form.body, { 'x-cics-ccsid': '37', 'content-type': form.type });
  const body = Buffer.from(await res.arrayBuffer());
  return {
    status: res.status,
    replayed: res.headers.get('idempotent-replayed'),
    rc: res.headers.get('x-mail-rc'),
    report: fromEbcdic(body, 37).split('\u0085').slice(0, -1),
  };
}

async function mailsSince(before: number) {
  return Promise.all(relay.mails.slice(before).map(async (m) => ({ to: m.to, parsed: await simpleParser(m.message) })));
}

/**
 * A ledger printed without a page break between branches: each branch's block starts with
 * a line `BRANCH nnnn TOTALS` somewhere down a page (MATCH(LINE) cuts there). Lines of
 * detail carry a number of their own, to find each in exactly one part.
 */
function ledger(branches: readonly string[], perBranch = 5): string[] {
  const out = ['1GENERAL LEDGER                    RUN 2026-12-07'];
  let n = 0;
  for (const b of branches) {
    out.push(` BRANCH ${b} TOTALS`);
    for (let i = 0; i < perBranch; i++) out.push(` LINE${String(++n).padStart(5, '0')} ACCOUNT ${i}`);
  }
  return out;
}

const put = (path: string, body: unknown, to: TestRegion = region) =>
  to.fetch(path, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

t.test('BURST=MATCH(LINE) with a key map the region keeps; KEYMAIL first; unknown maps refused', async (t) => {
  // One key by the command line, one through CEMT.
  const set = await cicsmailProcess(
    ['keymap', 'set', 'ledger', 'branch 0001', 'b1@corp.example, audit@corp.example'],
    env,
  );
  t.match(set, { code: 0, stdout: /^BRANCH 0001 {2}b1@corp\.example,audit@corp\.example {2}\S+ {2}cli:\S+\n$/ });
  const cemt = await put('/cemt/keymaps/LEDGER/BRANCH%200002', { recipients: ['b2@corp.example'] });
  t.equal(cemt.status, 200);
  t.match(await cemt.json(), { map: 'LEDGER', key: 'BRANCH 0002', recipients: ['b2@corp.example'], by: 'TESTER' });

  let before = relay.mails.length;
  const job = (extra: string[], branches = ['0001', '0002', '0003', '0004']) => [
    'FROM batch@corp.example',
    'SUBJECT Ledger by branch',
    ...extra,
    'ATTACH NAME=LEDGER.LST RECFM=FBA FORMAT=TXT BURST=MATCH(LINE) MATCH="TOTALS" KEY=1-11',
    ...ledger(branches),
    'ENDATTACH',
  ];
  const answer = await sendJob(job(['KEYMAP ledger', 'KEYMAIL "BRANCH 0003" b3@corp.example']));
  t.equal(answer.status, 200);
  t.equal(answer.rc, '8', 'the highest RC: a part with nowhere to go');
  t.equal(answer.report.length, 5, 'a line a part');
  t.match(answer.report[0], /^RC=08 LINE=\d+ PART=1\/5 KEY="1" PAGES=1 the key is in no KEYMAIL nor key map LEDGER/);
  t.match(
    answer.report[1],
    /^RC=00 SEQ=\d+ MSGID=<[^>]+> PART=2\/5 KEY="BRANCH 0001" PAGES=1 TO=b1@corp\.example,audit@corp\.example 250 /,
  );
  t.match(answer.report[2], /^RC=00 .* PART=3\/5 KEY="BRANCH 0002" PAGES=1 TO=b2@corp\.example 250 /);
  t.match(answer.report[3], /^RC=00 .* PART=4\/5 KEY="BRANCH 0003" PAGES=1 TO=b3@corp\.example 250 /, 'KEYMAIL');
  t.match(answer.report[4], /^RC=08 LINE=\d+ PART=5\/5 KEY="BRANCH 0004" PAGES=1 the key is in no KEYMAIL nor/);
  const mails = await mailsSince(before);
  t.same(
    mails.map((m) => m.to),
    [['b1@corp.example', 'audit@corp.example'], ['b2@corp.example'], ['b3@corp.example']],
  );
  // Every detail line in exactly one part, in its branch's part; a branch's heading starts it.
  const seen = new Map<string, number>();
  mails.forEach(({ parsed }, i) => {
    const text = parsed.attachments[0]?.content.toString('utf8') ?? '';
    t.match(text.trimStart(), new RegExp(`^BRANCH 000${i + 1} TOTALS`), `part ${i + 2} starts at its matching line`);
    for (const m of text.matchAll(/LINE(\d{5})/g)) {
      const n = Number(m[1]);
      t.equal(Math.ceil(n / 5), i + 1, `line ${n} in its branch's part`);
      seen.set(m[1] as string, (seen.get(m[1] as string) ?? 0) + 1);
    }
  });
  t.equal(seen.size, 15, 'every line of the three branches that went');
  t.ok(
    [...seen.values()].every((n) => n === 1),
    'and each once',
  );

  // A change is seen by the next request: the map gives branch 0004 now, and a default takes part 1.
  t.equal((await cicsmailProcess(['keymap', 'set', 'LEDGER', 'BRANCH 0004', 'b4@corp.example'], env)).code, 0);
  before = relay.mails.length;
  const again = await sendJob(job(['KEYMAP LEDGER', 'TO ops@corp.example']));
  t.equal(again.rc, '0', again.report.join('\n'));
  t.same(
    (await mailsSince(before)).map((m) => m.to),
    [
      ['ops@corp.example'],
      ['b1@corp.example', 'audit@corp.example'],
      ['b2@corp.example'],
      ['ops@corp.example'],
      ['b4@corp.example'],
    ],
  );

  // Refused: a map the region does not keep (nothing sent), a name that is none, KEYMAP without a burst.
  before = relay.mails.length;
  const unknown = await sendJob(job(['KEYMAP PAYROLL', 'TO ops@corp.example']));
  t.same(unknown.report, [
    'RC=08 LINE=3 KEYMAP PAYROLL: the region keeps no key map of that name (cicsmail keymap list)',
  ]);
  t.equal(relay.mails.length, before, 'nothing of it sent');
  const badName = await sendJob(job(['KEYMAP two words']));
  t.match(badName.report, [/^RC=08 LINE=3 KEYMAP: map name 'two words' is not 1 to 32 letters/]);
  const twice = await sendJob(job(['KEYMAP LEDGER', 'KEYMAP LEDGER']));
  t.match(twice.report, [/^RC=08 LINE=4 a second KEYMAP in one mail \(the first is at line 3\)/]);
  const noBurst = await sendJob([
    'FROM batch@corp.example',
    'TO ops@corp.example',
    'KEYMAP LEDGER',
    'TEXT',
    'hi',
    'ENDTEXT',
  ]);
  t.same(noBurst.report, ['RC=08 LINE=3 KEYMAP without an ATTACH with BURST=']);
  const hostile = await sendJob(job([`KEYMAP ${'M'.repeat(100_000)}`]));
  t.match(
    hostile.report,
    [/^RC=08 LINE=3 KEYMAP: map name 'M{40}\.\.\.' is not/],
    'a long name, cut short in the answer',
  );
  t.equal(relay.mails.length, before, 'none of the refused sent anything');
});

t.test('CEMT and cicsmail keymap: list, show, refusals, remove, the log', async (t) => {
  await put('/cemt/keymaps/PAYROLL/DEPT%20A', { recipients: ['a@corp.example'] });
  const list = (await (await region.fetch('/cemt/keymaps')).json()) as { map: string; keys: number }[];
  t.match(list, [
    { map: 'LEDGER', keys: 3 },
    { map: 'PAYROLL', keys: 1 },
  ]);
  const show = (await (await region.fetch('/cemt/keymaps/ledger?limit=2')).json()) as { key: string }[];
  t.same(
    show.map((e) => e.key),
    ['BRANCH 0001', 'BRANCH 0002'],
  );
  const missing = await region.fetch('/cemt/keymaps/NOSUCH');
  t.equal(missing.status, 404);
  t.match(await missing.json(), { message: 'no key map NOSUCH' });
  for (const [what, path, body, message] of [
    [
      'not an address',
      '/cemt/keymaps/LEDGER/K',
      { recipients: ['nobody'] },
      "key 'K': 'nobody' is not local-part@domain",
    ],
    [
      'a control in the key',
      '/cemt/keymaps/LEDGER/K%01',
      { recipients: ['a@corp.example'] },
      /^key 'K\?' is not 1 to 120/,
    ],
    [
      '101 addresses',
      '/cemt/keymaps/LEDGER/K',
      { recipients: Array.from({ length: 101 }, (_, i) => `r${i}@x.example`) },
      /recipients must NOT have more than 100 items/,
    ],
    ['no addresses', '/cemt/keymaps/LEDGER/K', { recipients: [] }, /must NOT have fewer than 1 items/],
    ['a bad map name', '/cemt/keymaps/-X/K', { recipients: ['a@corp.example'] }, /map must match pattern/],
    [
      'a key of 121',
      `/cemt/keymaps/LEDGER/${'K'.repeat(121)}`,
      { recipients: ['a@corp.example'] },
      /key must NOT have more than 120 characters/,
    ],
  ] as const) {
    const res = await put(path, body);
    t.equal(res.status, 400, what);
    t.match(await res.json(), { message }, what);
  }
  const longest = `/cemt/keymaps/LEDGER/${'K'.repeat(120)}`;
  t.equal((await put(longest, { recipients: ['a@corp.example'] })).status, 200, 'a key of 120 in the path');
  t.equal((await region.fetch(longest, { method: 'DELETE' })).status, 200);
  t.equal((await put(`/cemt/keymaps/LEDGER/${'K'.repeat(10_000)}`, { recipients: [] })).status, 414, 'a hostile path');
  t.equal((await region.fetch('/cemt/keymaps/LEDGER/K', { method: 'DELETE' })).status, 404, 'no such key');
  const removed = await region.fetch('/cemt/keymaps/LEDGER/branch%200004', { method: 'DELETE' });
  t.same([removed.status, await removed.json()], [200, { map: 'LEDGER', key: 'branch 0004', removed: true }]);

  // The command line: list, show, refusals with what is wrong.
  t.match(await cicsmailProcess(['keymap', 'list'], env), {
    code: 0,
    stdout: /^LEDGER {2}2 keys {2}\S+\nPAYROLL {2}1 keys {2}\S+\n$/,
  });
  t.match(await cicsmailProcess(['keymap', 'show', 'PAYROLL', '--json'], env), {
    code: 0,
    stdout: /^\{"map":"PAYROLL","key":"DEPT A","recipients":\["a@corp\.example"\],"at":"[^"]+","by":"TESTER"\}\n$/,
  });
  t.same(await cicsmailProcess(['keymap', 'show', 'NOSUCH'], env), {
    code: 1,
    stdout: '',
    stderr: 'cicsmail: no key map NOSUCH\n',
  });
  t.same(await cicsmailProcess(['keymap', 'remove', 'PAYROLL', 'DEPT B'], env), {
    code: 1,
    stdout: '',
    stderr: "cicsmail: map PAYROLL has no key 'DEPT B'\n",
  });
  t.match(await cicsmailProcess(['keymap', 'set', 'PAYROLL', 'DEPT B', 'not an address'], env), {
    code: 2,
    stderr: /^cicsmail: not a list of addresses: /,
  });
  t.match(await cicsmail(['keymap', 'set', 'PAYROLL', 'DEPT B'], env), { code: 2, stderr: /give the addresses/ });
  t.match(await cicsmailProcess(['keymap', 'set', 'PAY ROLL', 'K', 'a@corp.example'], env), {
    code: 1,
    stderr: /^cicsmail: map name 'PAY ROLL' is not 1 to 32/,
  });
  t.match(await cicsmail(['keymap', 'show', 'A', 'B'], env), { code: 2, stderr: /'B' is one argument too many/ });
  t.match(await cicsmail(['keymap', 'drop'], env), { code: 2 });
  t.match(await cicsmail(['keymap', '--help']), { code: 0, stdout: /^usage: cicsmail keymap list/ });
  t.match(await cicsmail(['help', 'keymap']), { code: 0, stdout: /^usage: cicsmail keymap list/ });
  t.match(await cicsmail(['--help']), {
    code: 0,
    stdout: /\n {2}keymap list\|show\|set\|remove\|log +the region's key maps/,
  });
  t.same(await cicsmail(['keymap', 'remove', 'payroll'], env), {
    code: 0,
    stdout: 'PAYROLL removed (1 keys)\n',
    stderr: '',
  });
  const del = await region.fetch('/cemt/keymaps/PAYROLL', { method: 'DELETE' });
  t.equal(del.status, 404, 'gone already');

  // Every change, by whom, newest first; the same log on both sides.
  const log = (await (await region.fetch('/cemt/keymaps/log')).json()) as {
    action: string;
    map: string;
    key: string;
    by: string;
  }[];
  t.match(log.slice(0, 5), [
    { action: 'drop', map: 'PAYROLL', key: '', by: /^cli:/, detail: '1 keys' },
    { action: 'remove', map: 'LEDGER', key: 'BRANCH 0004', by: 'TESTER', detail: 'b4@corp.example' },
    { action: 'remove', map: 'LEDGER', key: 'K'.repeat(120), by: 'TESTER' },
    { action: 'set', map: 'LEDGER', key: 'K'.repeat(120), by: 'TESTER' },
    { action: 'set', map: 'PAYROLL', key: 'DEPT A', by: 'TESTER', detail: 'a@corp.example' },
  ]);
  t.equal(log.length, 8, 'and no line for a refused change');
  const cliLog = await cicsmail(['keymap', 'log', '--limit', '2'], env);
  t.match(
    cliLog.stdout,
    /^\S+ {2}drop {2}PAYROLL {2}- {2}cli:\S+ {2}1 keys\n\S+ {2}remove {2}LEDGER {2}BRANCH 0004 {2}TESTER {2}b4@corp\.example\n$/,
  );
});

t.test('the suppression list applies to each part: all suppressed, RC 12 in the answer; some, PARTIAL', async (t) => {
  await put('/cemt/suppression/b2@corp.example', {});
  await put('/cemt/suppression/audit@corp.example', {});
  t.teardown(async () => {
    await region.fetch('/cemt/suppression/b2@corp.example', { method: 'DELETE' });
    await region.fetch('/cemt/suppression/audit@corp.example', { method: 'DELETE' });
  });
  const before = relay.mails.length;
  const answer = await sendJob([
    'FROM batch@corp.example',
    'KEYMAP LEDGER',
    'ATTACH NAME=LEDGER.LST RECFM=FBA FORMAT=TXT BURST=MATCH MATCH="BRANCH" MATCHCOL=1 KEY=1-11',
    ...ledger(['0001']),
    '1BRANCH 0002 TOTALS',
    ' LINE99999',
    'ENDATTACH',
  ]);
  t.equal(answer.rc, '12', answer.report.join('\n'));
  t.match(answer.report, [
    /^RC=00 SEQ=\d+ MSGID=<[^>]+> PART=1\/2 KEY="BRANCH 0001" PAGES=1 TO=b1@corp\.example,audit@corp\.example 250 .*; suppressed: audit@corp\.example$/,
    /^RC=12 LINE=\d+ PART=2\/2 KEY="BRANCH 0002" PAGES=2 TO=b2@corp\.example every recipient is on the suppression list: b2@corp\.example$/,
  ]);
  t.same(
    relay.mails.slice(before).map((m) => m.to),
    [['b1@corp.example']],
    'the suppressed left out, the part all suppressed sent nowhere',
  );
  const seq = Number(/SEQ=(\d+)/.exec(answer.report[0] ?? '')?.[1]);
  t.match(region.journal().get(seq), { envelope: { to: ['b1@corp.example'] }, suppressed: ['audit@corp.example'] });
});

t.test("each part's mail under its own request key; a rerun after a cut-off sends no part twice", async (t) => {
  // A region of its own, to stop and start again on its data.
  const dataDir = t.testdir();
  const first = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_DATA: dataDir });
  for (const b of ['0001', '0002', '0003'])
    await put(`/cemt/keymaps/LEDGER/BRANCH%20${b}`, { recipients: [`b${Number(b)}@corp.example`] }, first);
  await put('/cemt/suppression/b2@corp.example', {}, first);
  const input = [
    'KEY LEDGER-2026-12-07',
    'FROM batch@corp.example',
    'KEYMAP LEDGER',
    'ATTACH NAME=LEDGER.LST RECFM=FBA FORMAT=TXT BURST=MATCH(LINE) MATCH="TOTALS" KEY=1-11',
    ...ledger(['0001', '0002', '0003']).slice(1),
    'ENDATTACH',
  ];
  let before = relay.mails.length;
  const answer = await sendJob(input, first);
  t.equal(answer.rc, '12', answer.report.join('\n'));
  t.match(answer.report[1], /^RC=12 LINE=\d+ PART=2\/3 KEY="BRANCH 0002" PAGES=1 TO=b2@corp\.example every recipient/);
  const seqs = answer.report.map((l) => Number(/SEQ=(\d+)/.exec(l)?.[1]));
  t.equal(first.journal().get(seqs[0] as number)?.requestKey, 'LEDGER-2026-12-07/1', 'part 1 under its key');
  t.equal(first.journal().get(seqs[2] as number)?.requestKey, 'LEDGER-2026-12-07/3', 'part 3 under its key');
  t.equal(relay.mails.length, before + 2);

  const repeat = await sendJob(input, first);
  t.equal(repeat.replayed, 'true');
  t.same(repeat.report, answer.report, 'the first answer again');
  t.equal(relay.mails.length, before + 2, 'nothing sent again');

  // As if the region had died after it journaled the parts and before it answered: the key
  // keeps its mails and no answer. Meanwhile b2 comes off the list.
  await first.app.close();
  const { stdout: cut } = await promisify(execFile)(process.execPath, [
    CUT_KEY_ANSWER,
    join(dataDir, 'journal'),
    'LEDGER-2026-12-07',
  ]);
  t.equal(cut, '1', 'the key, its answer taken away');
  const second = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_DATA: dataDir });
  t.equal((await second.fetch('/cemt/suppression/b2@corp.example', { method: 'DELETE' })).status, 200);

  before = relay.mails.length;
  const rerun = await sendJob(input, second);
  t.equal(rerun.replayed, null, 'run again');
  t.equal(rerun.rc, '0', rerun.report.join('\n'));
  t.equal(rerun.report[0], answer.report[0], 'part 1 as first answered, from its record');
  t.equal(rerun.report[2], answer.report[2], 'part 3 too');
  t.match(rerun.report[1], /^RC=00 SEQ=\d+ MSGID=<[^>]+> PART=2\/3 KEY="BRANCH 0002" PAGES=1 TO=b2@corp\.example 250 /);
  const part2 = Number(/SEQ=(\d+)/.exec(rerun.report[1] ?? '')?.[1]);
  t.equal(second.journal().get(part2)?.requestKey, 'LEDGER-2026-12-07/2');
  t.same(
    relay.mails.slice(before).map((m) => m.to),
    [['b2@corp.example']],
    'only the part left out before is sent; none twice',
  );
});
