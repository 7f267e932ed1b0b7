// The key maps the region keeps for burst reports, on a real LMDB on disk: a key set,
// compared as a part's key is, replaced, removed; a map dropped; every refusal says what
// is wrong and writes nothing; the log names every change and who made it; listing and
// showing grow with the keys, no faster.
import { join } from 'node:path';
import t from 'tap';
import { open } from 'lmdb';
import { Journal } from '../../journal/journal.js';
import { KeyMaps, MAX_KEY_RECIPIENTS, type KeyMapChange, type KeyMapEntry } from '../../journal/key-maps.js';
import { doubling, doublingText, LINEAR_RATIO } from '../helpers/doubling.js';

t.test('set, read, replace, remove, drop; the log names each change', async (t) => {
  let now = Date.parse('2026-12-07T01:00:00Z');
  const journal = Journal.open(t.testdir(), { now: () => now });
  t.teardown(() => journal.close());
  const maps = journal.keyMaps;
  t.same(maps.list(), []);
  t.equal(maps.has('LEDGER'), false);
  t.match(await maps.set('ledger', '  branch   0042 ', ['b42@corp.example'], 'OP1'), {
    map: 'LEDGER',
    key: 'BRANCH 0042',
    recipients: ['b42@corp.example'],
    at: '2026-12-07T01:00:00.000Z',
    by: 'OP1',
  });
  t.equal(maps.has('Ledger'), true, 'names without case');
  t.same(maps.recipients('LEDGER', 'Branch 0042'), ['b42@corp.example'], 'keys as a part compares them');
  t.equal(maps.recipients('LEDGER', 'BRANCH 0043'), undefined);
  t.equal(maps.recipients('OTHER', 'BRANCH 0042'), undefined);
  now += 1000;
  await maps.set('LEDGER', 'BRANCH 0042', ['b42@corp.example', 'audit@corp.example'], 'OP2');
  t.same(maps.recipients('LEDGER', 'BRANCH 0042'), ['b42@corp.example', 'audit@corp.example'], 'replaced');
  await maps.set('LEDGER', 'BRANCH 0043', ['b43@corp.example'], 'OP1');
  await maps.set('PAYROLL', 'DEPT A', ['a@corp.example'], 'OP1');
  t.same(maps.list(), [
    { map: 'LEDGER', keys: 2, at: '2026-12-07T01:00:01.000Z' },
    { map: 'PAYROLL', keys: 1, at: '2026-12-07T01:00:01.000Z' },
  ]);
  t.same(
    maps.show('LEDGER').map((e) => e.key),
    ['BRANCH 0042', 'BRANCH 0043'],
  );
  t.same(
    maps.show('LEDGER', { after: 'branch 0042' }).map((e) => e.key),
    ['BRANCH 0043'],
    'paged with --after',
  );
  t.same(await maps.remove('LEDGER', 'BRANCH 0043', 'OP3'), true);
  t.same(await maps.remove('LEDGER', 'BRANCH 0043', 'OP3'), {
    code: 'NOTFOUND',
    message: "map LEDGER has no key 'BRANCH 0043'",
  });
  t.same(await maps.drop('ledger', 'OP3'), 1);
  t.same(await maps.drop('ledger', 'OP3'), { code: 'NOTFOUND', message: 'no key map LEDGER' });
  t.equal(maps.has('LEDGER'), false, 'a dropped map is no more');
  t.same(
    maps.changes().map((c: KeyMapChange) => [c.action, c.map, c.key, c.by, c.detail]),
    [
      ['drop', 'LEDGER', '', 'OP3', '1 keys'],
      ['remove', 'LEDGER', 'BRANCH 0043', 'OP3', 'b43@corp.example'],
      ['set', 'PAYROLL', 'DEPT A', 'OP1', 'a@corp.example'],
      ['set', 'LEDGER', 'BRANCH 0043', 'OP1', 'b43@corp.example'],
      ['set', 'LEDGER', 'BRANCH 0042', 'OP2', 'b42@corp.example, audit@corp.example'],
      ['set', 'LEDGER', 'BRANCH 0042', 'OP1', 'b42@corp.example'],
    ],
    'newest first',
  );
});

t.test('refusals: a bad name, key or address, too many recipients or keys; nothing written', async (t) => {
  const dir = t.testdir();
  const root = open({ path: join(dir, 'maps.mdb'), maxDbs: 4 });
  t.teardown(() => root.close());
  const log = root.openDB<KeyMapChange, number>({ name: 'log' });
  const maps = new KeyMaps(
    root.openDB<Omit<KeyMapEntry, 'map' | 'key'>, [string, string]>({ name: 'maps' }),
    log,
    (action) => root.transaction(action),
    () => 0,
    3,
  );
  const ok = ['a@corp.example'];
  for (const [what, done, refusal] of [
    ['an empty name', maps.set('', 'K', ok, 'OP'), { code: 'BADNAME', message: /^map name '' is not 1 to 32 letters/ }],
    ['a name with a blank', maps.set('MY MAP', 'K', ok, 'OP'), { code: 'BADNAME' }],
    ['a name of 33', maps.set('M'.repeat(33), 'K', ok, 'OP'), { code: 'BADNAME', message: /^map name 'M{33}' is/ }],
    [
      'a name of 100,000',
      maps.set('M'.repeat(100_000), 'K', ok, 'OP'),
      { code: 'BADNAME', message: /^map name 'M{40}\.\.\.' is not/ },
    ],
    ['a name with a control', maps.set('M\u0000', 'K', ok, 'OP'), { code: 'BADNAME', message: /'M\?'/ }],
    ['a blank key', maps.set('M', '   ', ok, 'OP'), { code: 'BADKEY', message: /^key ' {3}' is not 1 to 120/ }],
    ['a key of 121', maps.set('M', 'K'.repeat(121), ok, 'OP'), { code: 'BADKEY' }],
    ['a key with a control', maps.set('M', 'K\u0085', ok, 'OP'), { code: 'BADKEY', message: /'K\?'/ }],
    ['no address', maps.set('M', 'K', [], 'OP'), { code: 'BADADDR', message: "key 'K' needs an address" }],
    [
      'not an address',
      maps.set('M', 'K', ['a@corp.example', 'nobody'], 'OP'),
      { code: 'BADADDR', message: "key 'K': 'nobody' is not local-part@domain" },
    ],
    [
      'too many addresses',
      maps.set(
        'M',
        'K',
        Array.from({ length: MAX_KEY_RECIPIENTS + 1 }, (_, i) => `r${i}@corp.example`),
        'OP',
      ),
      { code: 'TOOMANY', message: "key 'K' would give 101 addresses; at most 100" },
    ],
  ] as const)
    t.match(await done, refusal, what);
  t.equal(maps.list().length, 0, 'nothing written');
  t.equal(maps.changes().length, 0, 'nothing logged');
  for (const k of ['A', 'B', 'C']) t.match(await maps.set('M', k, ok, 'OP'), { key: k });
  t.same(await maps.set('M', 'D', ok, 'OP'), {
    code: 'TOOMANY',
    message: 'map M holds 3 keys, its most: remove one first',
  });
  t.match(await maps.set('M', 'a', ['b@corp.example'], 'OP'), { key: 'A' }, 'a key it holds may still change');
  t.match(await maps.set('OTHER', 'D', ok, 'OP'), { key: 'D' }, 'the limit is a map’s');
  t.equal(maps.changes().length, 5);
});

t.test('a journal opened to read, that no writer gave maps: no maps, no error', async (t) => {
  const dir = t.testdir();
  const writer = Journal.open(dir);
  await writer.close();
  const reader = Journal.open(dir, { readOnly: true });
  t.teardown(() => reader.close());
  t.same(reader.keyMaps.list(), []);
  t.equal(reader.keyMaps.has('LEDGER'), false);
  t.equal(reader.keyMaps.recipients('LEDGER', 'K'), undefined);
});

t.test('listing grows with the keys: twice the keys, twice the time', async (t) => {
  const root = open({ path: join(t.testdir(), 'maps.mdb'), maxDbs: 64 });
  t.teardown(() => root.close());
  // A store of its own for each size, written straight in one transaction (set() commits a key at a time).
  const made = new Map<number, KeyMaps>();
  const store = (n: number): KeyMaps => {
    const known = made.get(n);
    if (known) return known;
    const db = root.openDB<Omit<KeyMapEntry, 'map' | 'key'>, [string, string]>({ name: `maps-${n}` });
    root.transactionSync(() => {
      for (let i = 0; i < n; i++)
        void db.put([`M${String(i % 50).padStart(3, '0')}`, `KEY ${String(i).padStart(8, '0')}`], {
          recipients: ['a@corp.example'],
          at: '',
          by: '',
        });
    });
    const maps = new KeyMaps(
      db,
      undefined,
      (action) => root.transaction(action),
      () => 0,
    );
    made.set(n, maps);
    return maps;
  };
  const figures = await doubling(store, (maps) => maps.list().length, { n: 2000, maxN: 32_000 });
  t.ok(figures.ratio < LINEAR_RATIO, `list: ${doublingText(figures)}`);
});
