// The suppression list: a mail leaves out a suppressed recipient (PARTIAL, named in the
// answer and on the record), sends nothing where all are (RC 12 SUPPRESS); operators list,
// add and remove through CEMT and the command line, each change in the list's log with who
// made it; an entry expires with the clock.
import t from 'tap';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { cicsmail } from '../helpers/cli.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import { Journal } from '../../journal/journal.js';

const mail = (to: string) => buildMailCommarea({ from: 'foo@bar.com', to, subject: 's', body: 'hi' }, 37);

t.test('a suppressed recipient is left out; all suppressed: nothing sent, RC 12 SUPPRESS', async (t) => {
  const relay = await startRelay(t);
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
  const put = await region.fetch('/cemt/suppression/Gone@Bar.com', {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ detail: 'left the company' }),
  });
  t.equal(put.status, 200);
  t.match(await put.json(), { address: 'Gone@Bar.com', reason: 'MANUAL', by: 'TESTER', detail: 'left the company' });

  const partial = readMailResponse(
    Buffer.from(await (await region.post('MAIL', mail('wayne@bar.com, gone@bar.com'))).arrayBuffer()),
    37,
  );
  t.same([partial.rc, partial.reason], [0, 'PARTIAL']);
  t.match(partial.relayReply, /^250 .*; suppressed: gone@bar\.com$/);
  t.same(
    relay.mails.map((m) => m.to),
    [['wayne@bar.com']],
  );
  t.match(region.journal().get(partial.journalSeq), {
    envelope: { to: ['wayne@bar.com'] },
    suppressed: ['gone@bar.com'],
  });

  const none = readMailResponse(Buffer.from(await (await region.post('MAIL', mail('GONE@bar.com'))).arrayBuffer()), 37);
  t.same([none.rc, none.reason, none.journalSeq], [12, 'SUPPRESS', 0]);
  t.match(none.relayReply, /every recipient is on the suppression list: GONE@bar\.com/);
  t.equal(relay.mails.length, 1, 'nothing sent');

  const list = (await (await region.fetch('/cemt/suppression')).json()) as { address: string }[];
  t.same(
    list.map((s) => s.address),
    ['Gone@Bar.com'],
  );
  t.equal((await region.fetch('/cemt/suppression/gone@bar.com', { method: 'DELETE' })).status, 200);
  t.equal((await region.fetch('/cemt/suppression/gone@bar.com', { method: 'DELETE' })).status, 404);
  t.equal(
    (
      await region.fetch('/cemt/suppression/not-an-address', {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
    ).status,
    400,
  );
  const log = (await (await region.fetch('/cemt/suppression/log')).json()) as { action: string; by: string }[];
  t.same(
    log.map((c) => [c.action, c.by]),
    [
      ['remove', 'TESTER'],
      ['add', 'TESTER'],
    ],
  );
  const again = readMailResponse(
    Buffer.from(await (await region.post('MAIL', mail('gone@bar.com'))).arrayBuffer()),
    37,
  );
  t.equal(again.reason, 'SENT', 'off the list: sent again');
});

t.test('cicsmail suppress: add, list, remove, log; bad input answered', async (t) => {
  const dir = t.testdir();
  await Journal.open(dir).close();
  const env = { CICSMAIL_DATA: dir, CICSMAIL_SUPPRESS_DAYS: '7' };
  const add = await cicsmail(['suppress', 'add', 'x@y.example', '--detail', 'asked'], env);
  t.equal(add.code, 0, add.stderr);
  t.match(add.stdout, /^x@y\.example {2}MANUAL {2}- {2}\S+ {2}\S+ {2}cli:\S+ {2}asked\n$/);
  const forGood = await cicsmail(['suppress', 'add', 'a@y.example', '--days', '0'], env);
  t.match(forGood.stdout, / never /);
  t.same(
    (await cicsmail(['suppress', 'list'], env)).stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('  ')[0]),
    ['a@y.example', 'x@y.example'],
  );
  t.equal((await cicsmail(['suppress', 'remove', 'x@y.example'], env)).code, 0);
  const missing = await cicsmail(['suppress', 'remove', 'x@y.example'], env);
  t.same([missing.code, missing.stderr], [1, 'cicsmail: x@y.example is not on the suppression list\n']);
  const bad = await cicsmail(['suppress', 'add', 'no address'], env);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /not an address/);
  t.equal((await cicsmail(['suppress', 'add', 'a@b.example', 'c@d.example'], env)).code, 2);
  t.equal((await cicsmail(['suppress', 'drop'], env)).code, 2);
  const log = await cicsmail(['suppress', 'log', '--json'], env);
  t.same(
    log.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { action: string }).action),
    ['remove', 'add', 'add'],
  );
});

t.test('an entry expires with the clock; the days are the region setting', async (t) => {
  let now = Date.parse('2026-12-01T00:00:00Z');
  const journal = Journal.open(t.testdir(), { now: () => now, fate: { suppressDays: 2 } });
  t.teardown(() => journal.close());
  const entry = await journal.suppression.add('x@y.example', 'OP', '');
  t.equal(entry.expiresAt, '2026-12-03T00:00:00.000Z');
  now += 2 * 86_400_000 - 1;
  t.same(journal.suppression.suppressed(['X@Y.example', 'z@y.example']), ['X@Y.example']);
  now += 1;
  t.same(journal.suppression.suppressed(['x@y.example']), [], 'expired');
  t.equal(journal.suppression.list()[0]?.address, 'x@y.example', 'listed with its expiry until removed');
});
