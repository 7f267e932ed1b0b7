// cicsmail keymap list | show | set | remove | log: the key maps the region keeps for burst
// reports (journal/key-maps.ts), in the journal under CICSMAIL_DATA, usable while the
// region runs (LMDB lets several processes share it). Every change is kept in the maps'
// log with who made it.
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAddressList } from '../cics/addresses.js';
import { Journal } from '../journal/journal.js';
import { MAX_KEY_RECIPIENTS, MAX_MAP_KEYS, type KeyMapEntry, type KeyMapRefusal } from '../journal/key-maps.js';
import { err, out, type CommandIo } from './io.js';
import { parseCommand, UsageError, wholeNumber } from './usage.js';

const HELP = `usage: cicsmail keymap list [--json]
       cicsmail keymap show MAP [--after KEY] [--limit N] [--json]
       cicsmail keymap set MAP KEY ADDRESSES
       cicsmail keymap remove MAP [KEY]
       cicsmail keymap log [--limit N] [--json]

The key maps the region keeps, in the journal under CICSMAIL_DATA (default ./data): for a
report burst by a key (SEND's ATTACH ... BURST=), which key's part goes to whom. A SEND
request names a map with a KEYMAP statement instead of giving KEYMAIL statements of its
own. A running region sees a change at once; the /cemt/keymaps routes do the same.

  list     one line a map: name, keys, last change
  show     one line a key of MAP: key, addresses, when, by whom (--after to go on)
  set      what KEY of MAP gives: ADDRESSES, one argument, separated by commas
           ("a@x.example, b@x.example"); replaces what it gave; makes the map where new.
           A key is compared as a part's: case and repeated blanks do not count.
           At most ${MAX_KEY_RECIPIENTS} addresses a key and ${MAX_MAP_KEYS.toLocaleString('en-US')} keys a map.
  remove   a KEY of MAP, or without KEY the whole map
  log      every change, newest first: time, set, remove or drop, map, key, by whom, detail

Exit code: 0 done, 1 refused or failed (the reason on standard error), 2 bad usage.`;

function openJournal(io: CommandIo): Journal {
  const dataDir = resolve(io.env.CICSMAIL_DATA?.trim() || './data');
  if (!existsSync(join(dataDir, 'journal'))) throw new Error(`no journal in ${dataDir} (set CICSMAIL_DATA)`);
  return Journal.open(dataDir);
}

function line(e: KeyMapEntry): string {
  return [e.key, e.recipients.join(','), e.at, e.by].join('  ');
}

const refused = (io: CommandIo, refusal: KeyMapRefusal): number => {
  err(io, `cicsmail: ${refusal.message}`);
  return 1;
};

function need(value: string | undefined, what: string): string {
  if (value === undefined) throw new UsageError(`give the ${what}; try 'cicsmail keymap --help'`);
  return value;
}

export async function keymapCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(
    io,
    argv,
    { after: { type: 'string' }, limit: { type: 'string' }, json: { type: 'boolean' } },
    HELP,
    { command: 'keymap', words: ['list', 'show', 'set', 'remove', 'log'] },
  );
  if (!parsed) return 0;
  const [action, map, key, addresses] = parsed.positionals;
  const most = { list: 1, show: 2, set: 4, remove: 3, log: 1 }[action ?? ''] ?? 4;
  const extra = parsed.positionals[most];
  if (extra !== undefined)
    throw new UsageError(`'${extra.slice(0, 100)}' is one argument too many; try 'cicsmail keymap --help'`);
  const v = parsed.values;
  const by = `cli:${userInfo().username}`;
  const limit = wholeNumber(v.limit, '--limit') ?? 100;
  // Checked before the journal opens: bad usage touches nothing.
  let recipients: string[] = [];
  if (action === 'set') {
    const list = parseAddressList(need(addresses, 'addresses'));
    if (!list.ok) throw new UsageError(`not a list of addresses: ${list.reason}`);
    recipients = list.addresses.map((a) => a.address);
  }
  const journal = openJournal(io);
  try {
    switch (action) {
      case 'list':
        for (const m of journal.keyMaps.list())
          out(io, v.json ? JSON.stringify(m) : [m.map, `${m.keys} keys`, m.at].join('  '));
        return 0;
      case 'show': {
        const name = need(map, 'map');
        if (!journal.keyMaps.has(name)) return refused(io, { code: 'NOTFOUND', message: `no key map ${name}` });
        const entries = journal.keyMaps.show(name, { ...(v.after ? { after: v.after } : {}), limit });
        for (const e of entries) out(io, v.json ? JSON.stringify(e) : line(e));
        return 0;
      }
      case 'set': {
        const done = await journal.keyMaps.set(need(map, 'map'), need(key, 'key'), recipients, by);
        if ('code' in done) return refused(io, done);
        out(io, line(done));
        return 0;
      }
      case 'remove': {
        const name = need(map, 'map');
        if (key === undefined) {
          const dropped = await journal.keyMaps.drop(name, by);
          if (typeof dropped !== 'number') return refused(io, dropped);
          out(io, `${name.toUpperCase()} removed (${dropped} keys)`);
          return 0;
        }
        const removed = await journal.keyMaps.remove(name, key, by);
        if (removed !== true) return refused(io, removed);
        out(io, `${name.toUpperCase()} ${key} removed`);
        return 0;
      }
      case 'log':
        for (const c of journal.keyMaps.changes(limit))
          out(io, v.json ? JSON.stringify(c) : [c.at, c.action, c.map, c.key || '-', c.by, c.detail].join('  '));
        return 0;
      default:
        throw new UsageError(`'${action ?? ''}' is not list, show, set, remove or log; try 'cicsmail keymap --help'`);
    }
  } finally {
    await journal.close();
  }
}
