// cicsmail suppress list | add | remove | log: the region's suppression list in the journal
// under CICSMAIL_DATA (journal/suppression.ts), usable while the region runs (LMDB lets
// several processes share it). Every change is kept in the list's log with who made it.
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { addrSpecProblem } from '../cics/addresses.js';
import { Journal } from '../journal/journal.js';
import type { Suppression } from '../journal/suppression.js';
import { err, out, type CommandIo } from './io.js';
import { parseCommand, UsageError, wholeNumber } from './usage.js';

const HELP = `usage: cicsmail suppress list [--after ADDR] [--limit N] [--json]
       cicsmail suppress add ADDR [--days N] [--detail TEXT]
       cicsmail suppress remove ADDR [--detail TEXT]
       cicsmail suppress log [--limit N] [--json]

The region's suppression list, in the journal under CICSMAIL_DATA (default ./data): mail
is not sent to an address on it (the recipient is left out; with every recipient on it,
nothing is sent: RC 12 SUPPRESS). A hard bounce (5.x.x) puts its address on it for
CICSMAIL_SUPPRESS_DAYS (30); an operator adds and removes here or through the region's
/cemt/suppression routes. A running region sees a change at once.

  list     one line an address: address, reason (BOUNCED or MANUAL), status, since,
           until (never: for good), by whom, detail; in address order (--after to go on)
  add      an address, for --days N (default CICSMAIL_SUPPRESS_DAYS; 0: for good)
  remove   an address
  log      every change, newest first: time, add or remove, address, by whom, detail

Exit code: 0 done, 1 refused or failed (the reason on standard error), 2 bad usage.`;

function openJournal(io: CommandIo): Journal {
  const dataDir = resolve(io.env.CICSMAIL_DATA?.trim() || './data');
  if (!existsSync(join(dataDir, 'journal'))) throw new Error(`no journal in ${dataDir} (set CICSMAIL_DATA)`);
  const days = wholeNumber(io.env.CICSMAIL_SUPPRESS_DAYS?.trim() || undefined, 'CICSMAIL_SUPPRESS_DAYS') ?? 30;
  return Journal.open(dataDir, { fate: { suppressDays: days } });
}

function line(s: Suppression): string {
  const source = s.source ? ` ${s.source.sysid}.${s.source.seq}` : '';
  return [s.address, s.reason, s.status || '-', s.at, s.expiresAt ?? 'never', s.by, `${s.detail}${source}`].join('  ');
}

function addressOf(value: string | undefined): string {
  if (value === undefined) throw new UsageError("give the address; try 'cicsmail suppress --help'");
  const problem = addrSpecProblem(value);
  if (problem !== undefined) throw new UsageError(`not an address: ${problem}`);
  return value;
}

export async function suppressCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(
    io,
    argv,
    {
      after: { type: 'string' },
      limit: { type: 'string' },
      json: { type: 'boolean' },
      days: { type: 'string' },
      detail: { type: 'string' },
    },
    HELP,
    { command: 'suppress', words: ['list', 'add', 'remove', 'log'] },
  );
  if (!parsed) return 0;
  const [action, address, extra] = parsed.positionals;
  if (extra !== undefined) throw new UsageError(`one address at a time: '${extra.slice(0, 100)}' is one too many`);
  const v = parsed.values;
  const by = `cli:${userInfo().username}`;
  const limit = wholeNumber(v.limit, '--limit') ?? 100;
  const journal = openJournal(io);
  try {
    switch (action) {
      case 'list':
        for (const s of journal.suppression.list({ ...(v.after ? { after: v.after } : {}), limit }))
          out(io, v.json ? JSON.stringify(s) : line(s));
        return 0;
      case 'add': {
        const days = wholeNumber(v.days, '--days');
        const s = await journal.suppression.add(addressOf(address), by, v.detail ?? '', days);
        out(io, line(s));
        return 0;
      }
      case 'remove': {
        const removed = await journal.suppression.remove(addressOf(address), by, v.detail ?? '');
        if (!removed) {
          err(io, `cicsmail: ${address} is not on the suppression list`);
          return 1;
        }
        out(io, `${address} removed`);
        return 0;
      }
      case 'log':
        for (const c of journal.suppression.changes(limit))
          out(io, v.json ? JSON.stringify(c) : [c.at, c.action, c.address, c.by, c.reason, c.detail].join('  '));
        return 0;
      default:
        throw new UsageError(`'${action ?? ''}' is not list, add, remove or log; try 'cicsmail suppress --help'`);
    }
  } finally {
    await journal.close();
  }
}
