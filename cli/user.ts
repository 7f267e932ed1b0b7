// cicsmail user add | list | remove | passwd | set: the region's users in
// CICSMAIL_DATA/users.json (users/users-file.ts). A running region reads the file again within
// a second of a change, so these commands apply to it without a restart.
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';
import { addrSpecProblem, parseAddressList } from '../cics/addresses.js';
import {
  checkPassword,
  hashPassword,
  newUser,
  UserStore,
  type SenderPolicy,
  type UserRecord,
} from '../users/users-file.js';
import { err, out, type CommandIo } from './io.js';
import { helpHint, orList, parseCommand, unknownWord, UsageError } from './usage.js';
import { NAME8, NAME8_RULE } from '../cics/names.js';

const HELP = `usage: cicsmail user add NAME [--admin] [--transactions LIST] [--senders LIST]
                         [--default-sender ADDR] [--policy verify|replace] [--rate N]
       cicsmail user list [--json]
       cicsmail user remove NAME
       cicsmail user passwd NAME
       cicsmail user set NAME [--admin|--no-admin] [--transactions LIST] [--senders LIST]
                              [--default-sender ADDR|none] [--policy verify|replace|none]
                              [--rate N|none]

The region's users, in users.json under CICSMAIL_DATA (default ./data). A running region
reads the file again within a second of a change.

  add      a new user (NAME: 1 to 8 characters of A-Z 0-9 @ # $, folded to upper case).
           The password is the first line of standard input where that is not a
           terminal, else it is asked for twice without echo. Unless given, the user may
           run MAIL, SEND and SPOL, may use no sender, and has the region's policy and rate.
  list     one line a user: id, administrator or not, transactions, senders, default
           sender, policy, rate (--json: an array of the same; never the password hash)
  remove   a user; the last administrator stays (a region must keep one)
  passwd   a new password, read as for add
  set      change what is given, keep the rest

  --admin                 the user administers the region (journal, replay, CEMT);
                          --no-admin (set): no more (not the last administrator)
  --transactions LIST     tranids the user may run, comma-separated; patterns with * and ?
                          (MAIL,SEND  S*  *); '' for none
  --senders LIST          senders the user may use: addresses or patterns, comma-separated
                          (batch@corp.example,*@jobs.corp.example); '' for none
  --default-sender ADDR   the sender of a mail whose FROM is blank, and the From of policy
                          replace: one address ('"Batch" <batch@corp.example>' too)
  --policy P              verify (a sender not allowed is RC 16) or replace (the default
                          sender goes out, the one asked for becomes Reply-To)
  --rate N                tasks a minute the user may start (0: no limit)

With set, none drops the user's own setting: no default sender, the region's
CICSMAIL_SENDER_POLICY, the region's CICSMAIL_RATE_LIMIT (as a new user has them).

Exit code: 0 done, 1 refused or failed (the reason on standard error), 2 bad usage.`;

const OPTIONS = {
  admin: { type: 'boolean' },
  'no-admin': { type: 'boolean' },
  transactions: { type: 'string' },
  senders: { type: 'string' },
  'default-sender': { type: 'string' },
  policy: { type: 'string' },
  rate: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Option = keyof typeof OPTIONS;
const SETTINGS = ['transactions', 'senders', 'default-sender', 'policy', 'rate'] as const satisfies readonly Option[];
const VERBS = {
  add: ['admin', ...SETTINGS],
  list: ['json'],
  remove: [],
  passwd: [],
  set: ['admin', 'no-admin', ...SETTINGS],
} as const satisfies Record<string, readonly Option[]>;
type Verb = keyof typeof VERBS;

type Values = { [K in Option]?: (typeof OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/** The user's own settings as the options give them; a key left out is not to change. */
type Settings = Partial<
  Pick<UserRecord, 'admin' | 'transactions' | 'senders' | 'defaultSender' | 'policy' | 'rateLimit'>
>;

/** The highest rate the region takes (CICSMAIL_RATE_LIMIT's bound). */
const MAX_RATE = 10_000_000;

function dataDir(io: CommandIo): string {
  return resolve(io.env.CICSMAIL_DATA?.trim() || './data');
}

function userId(name: string | undefined, verb: Verb): string {
  if (name === undefined) throw new UsageError(`user ${verb} needs a NAME: cicsmail user ${verb} NAME`);
  const id = name.toUpperCase();
  if (!NAME8.test(id)) throw new UsageError(`'${name}' is not a user id: ${NAME8_RULE}`);
  return id;
}

function items(value: string): string[] {
  return [
    ...new Set(
      value
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== ''),
    ),
  ];
}

function transactionsOf(value: string): string[] {
  const list = items(value).map((s) => s.toUpperCase());
  for (const p of list) {
    // A pattern may be longer than a tranid only by its stars (`*AIL*`).
    if (!/^[A-Z0-9@#$*?]+$/.test(p) || p.replaceAll('*', '').length > 4) {
      throw new UsageError(
        `--transactions: '${p}' is not a tranid or a pattern: 1 to 4 characters of A-Z 0-9 @ # $, with * and ? as wildcards`,
      );
    }
  }
  return list;
}

function sendersOf(value: string): string[] {
  const list = items(value);
  for (const s of list) {
    if (/[*?]/.test(s)) {
      // UTF-8 as addresses may have it (RFC 6532); no blank or control character.
      if (!/^[^\s\p{Cc}]+$/u.test(s))
        throw new UsageError(
          `--senders: the pattern '${JSON.stringify(s).slice(1, -1)}' has a blank or control character`,
        );
    } else {
      const problem = addrSpecProblem(s);
      if (problem) throw new UsageError(`--senders: ${problem}`);
    }
  }
  return list;
}

const isNone = (value: string) => value.trim().toLowerCase() === 'none';

function defaultSenderOf(value: string): string | null {
  if (isNone(value)) return null;
  const parsed = parseAddressList(value);
  if (!parsed.ok) throw new UsageError(`--default-sender: ${parsed.reason}`);
  if (parsed.addresses.length !== 1) throw new UsageError(`--default-sender '${value}' is not one address`);
  return value.trim();
}

function policyOf(value: string): SenderPolicy | null {
  if (isNone(value)) return null;
  const policy = value.trim().toLowerCase();
  if (policy !== 'verify' && policy !== 'replace')
    throw new UsageError(`--policy '${value}' is not verify, replace or none`);
  return policy;
}

function rateOf(value: string): number | null {
  if (isNone(value)) return null;
  if (!/^\d{1,8}$/.test(value.trim()) || Number(value) > MAX_RATE)
    throw new UsageError(`--rate '${value}' is not a whole number from 0 to ${MAX_RATE} (or none)`);
  return Number(value);
}

function settingsOf(v: Values): Settings {
  if (v.admin && v['no-admin']) throw new UsageError('--admin and --no-admin do not go together');
  return {
    ...(v.admin ? { admin: true } : {}),
    ...(v['no-admin'] ? { admin: false } : {}),
    ...(v.transactions !== undefined ? { transactions: transactionsOf(v.transactions) } : {}),
    ...(v.senders !== undefined ? { senders: sendersOf(v.senders) } : {}),
    ...(v['default-sender'] !== undefined ? { defaultSender: defaultSenderOf(v['default-sender']) } : {}),
    ...(v.policy !== undefined ? { policy: policyOf(v.policy) } : {}),
    ...(v.rate !== undefined ? { rateLimit: rateOf(v.rate) } : {}),
  };
}

/** The users file of the data folder; only `add` may be the first to write one. */
function openStore(io: CommandIo, create: boolean): UserStore {
  const dir = dataDir(io);
  if (create) mkdirSync(dir, { recursive: true });
  const store = new UserStore(dir);
  if (!create && !store.exists) throw new Error(`no users file in ${dir} (set CICSMAIL_DATA)`);
  return store;
}

function existing(store: UserStore, id: string): UserRecord {
  const user = store.get(id);
  if (!user) throw new Error(`no user ${id} in ${store.file}`);
  return user;
}

const admins = (store: UserStore) => store.all().filter((u) => u.admin);

// A password: the first line of standard input where that is a pipe or a file (scripts),
// else asked for twice on the terminal with the echo off.
async function readPassword(io: CommandIo, id: string): Promise<string> {
  const password = io.stdin.isTTY ? await promptTwice(io, id) : await firstLine(io);
  checkPassword(password);
  return password;
}

async function firstLine(io: CommandIo): Promise<string> {
  let text = '';
  for await (const chunk of io.stdin as AsyncIterable<string | Buffer>) {
    text += typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    if (text.includes('\n') || text.length > 4096) break;
  }
  if (text === '') throw new Error('no password on standard input (its first line is the password)');
  return (text.split('\n')[0] ?? '').replace(/\r$/, '');
}

async function promptTwice(io: CommandIo, id: string): Promise<string> {
  // readline echoes what is typed to its output: muted while a password is typed.
  let muted = false;
  const output = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      if (!muted) io.stderr.write(chunk);
      callback();
    },
  });
  const rl = createInterface({ input: io.stdin, output, terminal: true });
  const gone = new AbortController();
  rl.on('SIGINT', () => gone.abort());
  rl.on('close', () => gone.abort());
  const ask = async (query: string): Promise<string> => {
    const answer = rl.question(query, { signal: gone.signal });
    muted = true;
    try {
      return await answer;
    } finally {
      muted = false;
      io.stderr.write('\n');
    }
  };
  try {
    const first = await ask(`new password for ${id}: `);
    const again = await ask('the same again: ');
    if (first !== again) throw new Error('the two passwords differ; nothing changed');
    return first;
  } catch (err) {
    if (gone.signal.aborted) throw new Error('no password given; nothing changed');
    throw err;
  } finally {
    rl.close();
  }
}

/** A user without the hash: what list shows. */
type UserView = Omit<UserRecord, 'hash'>;

function viewOf(u: UserRecord): UserView {
  const { hash: _hash, ...view } = u;
  return view;
}

function listLines(users: readonly UserRecord[]): string[] {
  const joined = (list: readonly string[]) => (list.length > 0 ? list.join(',') : '-');
  const head = ['USER', 'ADMIN', 'TRANSACTIONS', 'SENDERS', 'DEFAULT-SENDER', 'POLICY', 'RATE'];
  const rows = users.map((u) => [
    u.id,
    u.admin ? 'yes' : 'no',
    joined(u.transactions),
    joined(u.senders),
    u.defaultSender ?? '-',
    u.policy ?? 'region',
    u.rateLimit === null ? 'region' : String(u.rateLimit),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [head, ...rows].map((cells) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}

const noAdminNote = (store: UserStore) =>
  `note: ${store.file} has no administrator (the journal, replay and CEMT need one): 'cicsmail user set NAME --admin'`;

export async function userCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(io, argv, OPTIONS, HELP, { command: 'user', words: Object.keys(VERBS) });
  if (!parsed) return 0;
  const [verbGiven, name, ...extra] = parsed.positionals;
  const verbs = Object.keys(VERBS);
  if (verbGiven === undefined) throw new UsageError(`user needs an action: ${orList(verbs)}; ${helpHint('user')}`);
  if (!Object.hasOwn(VERBS, verbGiven)) throw unknownWord('user action', verbGiven, verbs, 'user');
  const verb = verbGiven as Verb;
  const values = parsed.values as Values;
  const allowed: readonly Option[] = VERBS[verb];
  for (const key of Object.keys(values)) {
    if (key !== 'help' && values[key as Option] !== undefined && !allowed.includes(key as Option))
      throw new UsageError(
        `--${key} is not an option of user ${verb}; ${allowed.length > 0 ? `it takes ${allowed.map((o) => `--${o}`).join(', ')}; ` : ''}${helpHint('user')}`,
      );
  }
  if (verb === 'list') {
    if (name !== undefined) throw new UsageError(`user list takes no NAME, not '${name}'`);
  } else if (extra.length > 0) {
    throw new UsageError(`user ${verb} takes one NAME, not '${[name, ...extra].join(' ')}'`);
  }

  switch (verb) {
    case 'add': {
      const id = userId(name, verb);
      const settings = settingsOf(values);
      const store = openStore(io, true);
      const refuseExisting = () => {
        if (store.get(id))
          throw new Error(
            `user ${id} exists already: 'cicsmail user passwd ${id}' changes its password, 'cicsmail user set ${id}' the rest, 'cicsmail user remove ${id}' removes it`,
          );
      };
      refuseExisting();
      const password = await readPassword(io, id);
      // Read again: the prompt may have taken a while, and the file may have changed meanwhile.
      store.reload();
      refuseExisting();
      store.put(newUser({ id, password, ...settings }));
      out(io, `user ${id} added to ${store.file}`);
      if (admins(store).length === 0) err(io, noAdminNote(store));
      return 0;
    }
    case 'list': {
      const users = openStore(io, false).all();
      if (values.json) out(io, JSON.stringify(users.map(viewOf)));
      else for (const line of listLines(users)) out(io, line);
      return 0;
    }
    case 'remove': {
      const id = userId(name, verb);
      const store = openStore(io, false);
      const user = existing(store, id);
      if (user.admin && admins(store).length === 1)
        throw new Error(
          `${id} is the last administrator and stays: a region must keep one ('cicsmail user add NAME --admin' first)`,
        );
      store.remove(id);
      out(io, `user ${id} removed`);
      return 0;
    }
    case 'passwd': {
      const id = userId(name, verb);
      const store = openStore(io, false);
      existing(store, id);
      const password = await readPassword(io, id);
      // Read again: the prompt may have taken a while, and the file may have changed meanwhile.
      store.reload();
      store.put({ ...existing(store, id), hash: hashPassword(password), updatedAt: new Date().toISOString() });
      out(io, `password of ${id} changed`);
      return 0;
    }
    case 'set': {
      const id = userId(name, verb);
      const settings = settingsOf(values);
      if (Object.keys(settings).length === 0)
        throw new UsageError(
          'user set needs something to change: --admin, --no-admin, --transactions, --senders, --default-sender, --policy or --rate',
        );
      const store = openStore(io, false);
      const user = existing(store, id);
      if (user.admin && settings.admin === false && admins(store).length === 1)
        throw new Error(`${id} is the last administrator and stays one: a region must keep one`);
      store.put({ ...user, ...settings, updatedAt: new Date().toISOString() });
      out(io, `user ${id} changed`);
      return 0;
    }
  }
}
