// cicsmail user add | list | remove | passwd | set, run in this process (and once as the
// compiled command in a process of its own) on a users file in a fresh data folder, and a
// region that reads the same file and takes a change within a second.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { verifyPassword, type UserRecord } from '../../users/users-file.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import { cicsmail, cicsmailProcess } from '../helpers/cli.js';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { freshDir } from '../helpers/test-like.js';
import { basicAuth } from '../helpers/users.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The command with CICSMAIL_DATA at `dir`, run in this process; `input` is its standard input (a pipe, never a terminal). */
function user(dir: string, args: string[], input = ''): Promise<Run> {
  return cicsmail(['user', ...args], { CICSMAIL_DATA: dir }, input);
}

/** The same as the compiled command in a process of its own, its password piped in as a batch job would. */
function userProcess(dir: string, args: string[], input = ''): Promise<Run> {
  return cicsmailProcess(['user', ...args], { CICSMAIL_DATA: dir }, { input });
}

const usersFile = (dir: string) => join(dir, 'users.json');
const users = (dir: string) => (JSON.parse(readFileSync(usersFile(dir), 'utf8')) as { users: UserRecord[] }).users;
const record = (dir: string, id: string) => users(dir).find((u) => u.id === id);

t.test('help', async (t) => {
  const dir = freshDir(t);
  const help = await user(dir, ['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^usage: cicsmail user add NAME/);
  t.equal((await user(dir, ['add', '--help'])).code, 0);
  t.same(await user(dir, []), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: user needs an action: add, list, remove, passwd or set; 'cicsmail user --help' says more\n",
  });
  t.same(await user(dir, ['frob']), {
    code: 2,
    stdout: '',
    stderr:
      "cicsmail: unknown user action 'frob': choose add, list, remove, passwd or set; 'cicsmail user --help' says more\n",
  });
  t.same(await user(dir, ['list']), {
    code: 1,
    stdout: '',
    stderr: `cicsmail: no users file in ${dir} (set CICSMAIL_DATA)\n`,
  });
});

t.test('add: the password from standard input, kept as a scrypt hash in a file only its owner reads', async (t) => {
  const dir = freshDir(t);
  const password = 'Correct-Horse-42';
  const r = await userProcess(
    dir,
    [
      'add',
      'batch1',
      '--admin',
      '--transactions',
      'mail,s*',
      '--senders',
      'batch@corp.example, *@jobs.corp.example',
      '--default-sender',
      '"Batch" <batch@corp.example>',
      '--policy',
      'replace',
      '--rate',
      '60',
    ],
    `${password}\r\nsecond-line-not-read\n`,
  );
  t.same(r, { code: 0, stdout: `user BATCH1 added to ${usersFile(dir)}\n`, stderr: '' });
  const bytes = readFileSync(usersFile(dir));
  t.notOk(bytes.includes(password), 'the password is nowhere in the file');
  t.notOk(bytes.includes('second-line-not-read'), 'only the first line is the password');
  t.equal(statSync(usersFile(dir)).mode & 0o777, 0o600, 'mode 0600');
  const u = record(dir, 'BATCH1');
  t.match(u, {
    id: 'BATCH1',
    admin: true,
    transactions: ['MAIL', 'S*'],
    senders: ['batch@corp.example', '*@jobs.corp.example'],
    defaultSender: '"Batch" <batch@corp.example>',
    policy: 'replace',
    rateLimit: 60,
  });
  t.match(u?.hash, /^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  t.ok(await verifyPassword(password, u?.hash ?? ''), 'the hash is of the first line, without its line end');

  // Without options: the default transactions, no senders, the region's policy and rate.
  t.equal((await user(dir, ['add', 'PLAIN', '--senders', ''], 'plain-password\n')).code, 0);
  t.match(record(dir, 'PLAIN'), {
    admin: false,
    transactions: ['MAIL', 'SEND', 'SPOL'],
    senders: [],
    defaultSender: null,
    policy: null,
    rateLimit: null,
  });

  // The first user of a folder without an administrator: added, with a note.
  const other = freshDir(t);
  const lone = await user(other, ['add', 'LONE'], 'lone-password');
  t.equal(lone.code, 0);
  t.equal(
    lone.stderr,
    `note: ${usersFile(other)} has no administrator (the journal, replay and CEMT need one): 'cicsmail user set NAME --admin'\n`,
  );
});

t.test('add refuses an existing user, a bad id, a bad password, bad options', async (t) => {
  const dir = freshDir(t);
  t.equal((await user(dir, ['add', 'OPS1', '--admin'], 'ops1-password\n')).code, 0);
  const before = readFileSync(usersFile(dir));
  t.same(await user(dir, ['add', 'ops1'], 'another-password\n'), {
    code: 1,
    stdout: '',
    stderr:
      "cicsmail: user OPS1 exists already: 'cicsmail user passwd OPS1' changes its password, 'cicsmail user set OPS1' the rest, 'cicsmail user remove OPS1' removes it\n",
  });
  t.same(readFileSync(usersFile(dir)), before, 'the file is as it was');

  t.same(await user(dir, ['add', 'TOOLONGID'], 'good-password\n'), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: 'TOOLONGID' is not a user id: 1 to 8 characters of A-Z 0-9 @ # $\n",
  });
  t.same(await user(dir, ['add', 'B-1'], 'good-password\n'), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: 'B-1' is not a user id: 1 to 8 characters of A-Z 0-9 @ # $\n",
  });
  t.same(await user(dir, ['add']), {
    code: 2,
    stdout: '',
    stderr: 'cicsmail: user add needs a NAME: cicsmail user add NAME\n',
  });
  t.same(await user(dir, ['add', 'SHORT'], 'short\n'), {
    code: 1,
    stdout: '',
    stderr: 'cicsmail: a password needs at least 8 characters\n',
  });
  t.same(await user(dir, ['add', 'CTL'], 'has\ttab-in-it\n'), {
    code: 1,
    stdout: '',
    stderr: 'cicsmail: a password holds no control characters\n',
  });
  t.same(await user(dir, ['add', 'NONE']), {
    code: 1,
    stdout: '',
    stderr: 'cicsmail: no password on standard input (its first line is the password)\n',
  });
  t.same(await user(dir, ['add', 'X1', '--rate', '1.5'], 'good-password\n'), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: --rate '1.5' is not a whole number from 0 to 10000000 (or none)\n",
  });
  t.same(await user(dir, ['add', 'X1', '--policy', 'trust'], 'good-password\n'), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: --policy 'trust' is not verify, replace or none\n",
  });
  t.same(await user(dir, ['add', 'X1', '--default-sender', 'a@corp.example, b@corp.example'], 'good-password\n'), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: --default-sender 'a@corp.example, b@corp.example' is not one address\n",
  });
  t.same(await user(dir, ['add', 'X1', '--default-sender', 'nobody'], 'good-password\n'), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: --default-sender: 'nobody' is not an address\n",
  });
  t.same(await user(dir, ['add', 'X1', '--senders', 'ok@corp.example,not an address'], 'good-password\n'), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: --senders: 'not an address' is not local-part@domain\n",
  });
  t.same(await user(dir, ['add', 'X1', '--senders', '*@jobs.corp.example,*@x\u0007.example'], 'good-password\n'), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: --senders: the pattern '*@x\\u0007.example' has a blank or control character\n",
  });
  // Patterns and addresses in UTF-8, as RFC 6532 has them.
  t.equal(
    (await user(dir, ['add', 'UTF8', '--senders', '*@bücher.example,jörg@corp.example'], 'good-password\n')).code,
    0,
  );
  t.same(record(dir, 'UTF8')?.senders, ['*@bücher.example', 'jörg@corp.example']);
  t.same(await user(dir, ['add', 'X1', '--transactions', 'MAIL,TOOLONG'], 'good-password\n'), {
    code: 2,
    stdout: '',
    stderr:
      "cicsmail: --transactions: 'TOOLONG' is not a tranid or a pattern: 1 to 4 characters of A-Z 0-9 @ # $, with * and ? as wildcards\n",
  });
  t.same(await user(dir, ['add', 'X1', '--no-admin'], 'good-password\n'), {
    code: 2,
    stdout: '',
    stderr:
      "cicsmail: --no-admin is not an option of user add; it takes --admin, --transactions, --senders, --default-sender, --policy, --rate; 'cicsmail user --help' says more\n",
  });
  t.same(await user(dir, ['add', 'X1', 'X2'], 'good-password\n'), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: user add takes one NAME, not 'X1 X2'\n",
  });
  t.same(
    users(dir).map((u) => u.id),
    ['OPS1', 'UTF8'],
    'none of them was added (UTF8 is a good one)',
  );

  const empty = freshDir(t);
  t.equal((await user(empty, ['add', 'SHORT'], 'short\n')).code, 1);
  t.notOk(existsSync(usersFile(empty)), 'a refused first user leaves no users file');
});

t.test('list: a line a user, or JSON; never the hash', async (t) => {
  const dir = freshDir(t);
  t.equal(
    (await user(dir, ['add', 'OPS1', '--admin', '--transactions', '*', '--senders', '*'], 'ops1-password\n')).code,
    0,
  );
  t.equal(
    (
      await user(
        dir,
        [
          'add',
          'BATCH1',
          '--transactions',
          'MAIL',
          '--senders',
          'batch@corp.example,*@jobs.corp.example',
          '--default-sender',
          'batch@corp.example',
          '--policy',
          'verify',
          '--rate',
          '0',
        ],
        'batch1-password\n',
      )
    ).code,
    0,
  );
  const text = await user(dir, ['list']);
  t.equal(text.code, 0);
  t.equal(
    text.stdout,
    [
      'USER    ADMIN  TRANSACTIONS  SENDERS                                 DEFAULT-SENDER      POLICY  RATE',
      'BATCH1  no     MAIL          batch@corp.example,*@jobs.corp.example  batch@corp.example  verify  0',
      'OPS1    yes    *             *                                       -                   region  region',
      '',
    ].join('\n'),
  );
  const json = await user(dir, ['list', '--json']);
  t.equal(json.code, 0);
  const list = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
  t.match(list, [
    {
      id: 'BATCH1',
      admin: false,
      transactions: ['MAIL'],
      senders: ['batch@corp.example', '*@jobs.corp.example'],
      defaultSender: 'batch@corp.example',
      policy: 'verify',
      rateLimit: 0,
      updatedAt: String,
    },
    {
      id: 'OPS1',
      admin: true,
      transactions: ['*'],
      senders: ['*'],
      defaultSender: null,
      policy: null,
      rateLimit: null,
    },
  ]);
  for (const u of list) t.notOk('hash' in u, `no hash for ${String(u.id)}`);
  t.notMatch(text.stdout + json.stdout, /scrypt/);
  t.same(await user(dir, ['list', 'OPS1']), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: user list takes no NAME, not 'OPS1'\n",
  });
  t.same(await user(dir, ['list', '--admin']), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: --admin is not an option of user list; it takes --json; 'cicsmail user --help' says more\n",
  });
});

t.test('passwd: a new hash, the old password no longer fits', async (t) => {
  const dir = freshDir(t);
  t.equal((await user(dir, ['add', 'BATCH1'], 'old-password\n')).code, 0);
  const before = record(dir, 'BATCH1');
  t.same(await user(dir, ['passwd', 'batch1'], 'new-password\n'), {
    code: 0,
    stdout: 'password of BATCH1 changed\n',
    stderr: '',
  });
  const after = record(dir, 'BATCH1');
  t.not(after?.hash, before?.hash);
  t.ok(await verifyPassword('new-password', after?.hash ?? ''));
  t.notOk(await verifyPassword('old-password', after?.hash ?? ''));
  t.same({ ...after, hash: '', updatedAt: '' }, { ...before, hash: '', updatedAt: '' }, 'nothing else changed');
  t.notOk(readFileSync(usersFile(dir)).includes('new-password'));
  t.equal(statSync(usersFile(dir)).mode & 0o777, 0o600);

  t.same(await user(dir, ['passwd', 'BATCH1'], 'short\n'), {
    code: 1,
    stdout: '',
    stderr: 'cicsmail: a password needs at least 8 characters\n',
  });
  t.equal(record(dir, 'BATCH1')?.hash, after?.hash, 'a refused password changes nothing');
  t.same(await user(dir, ['passwd', 'NOBODY'], 'new-password\n'), {
    code: 1,
    stdout: '',
    stderr: `cicsmail: no user NOBODY in ${usersFile(dir)}\n`,
  });
});

t.test('set: changes what is given and keeps the rest', async (t) => {
  const dir = freshDir(t);
  t.equal((await user(dir, ['add', 'OPS1', '--admin'], 'ops1-password\n')).code, 0);
  t.equal(
    (
      await user(
        dir,
        ['add', 'BATCH1', '--transactions', 'MAIL', '--senders', 'batch@corp.example', '--rate', '10'],
        'batch1-password\n',
      )
    ).code,
    0,
  );
  const before = record(dir, 'BATCH1');
  t.same(
    await user(dir, [
      'set',
      'batch1',
      '--admin',
      '--transactions',
      'MAIL,SEND',
      '--default-sender',
      'Batch <batch@corp.example>',
      '--policy',
      'replace',
    ]),
    { code: 0, stdout: 'user BATCH1 changed\n', stderr: '' },
  );
  t.match(record(dir, 'BATCH1'), {
    admin: true,
    transactions: ['MAIL', 'SEND'],
    senders: ['batch@corp.example'],
    defaultSender: 'Batch <batch@corp.example>',
    policy: 'replace',
    rateLimit: 10,
    hash: before?.hash,
  });
  t.equal(
    (
      await user(dir, [
        'set',
        'BATCH1',
        '--no-admin',
        '--senders',
        '',
        '--default-sender',
        'none',
        '--policy',
        'none',
        '--rate',
        'none',
      ])
    ).code,
    0,
  );
  t.match(record(dir, 'BATCH1'), {
    admin: false,
    transactions: ['MAIL', 'SEND'],
    senders: [],
    defaultSender: null,
    policy: null,
    rateLimit: null,
    hash: before?.hash,
  });

  t.same(await user(dir, ['set', 'BATCH1']), {
    code: 2,
    stdout: '',
    stderr:
      'cicsmail: user set needs something to change: --admin, --no-admin, --transactions, --senders, --default-sender, --policy or --rate\n',
  });
  t.same(await user(dir, ['set', 'BATCH1', '--admin', '--no-admin']), {
    code: 2,
    stdout: '',
    stderr: 'cicsmail: --admin and --no-admin do not go together\n',
  });
  t.same(await user(dir, ['set', 'BATCH1', '--rate=-1']), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: --rate '-1' is not a whole number from 0 to 10000000 (or none)\n",
  });
  t.same(await user(dir, ['set', 'NOBODY', '--admin']), {
    code: 1,
    stdout: '',
    stderr: `cicsmail: no user NOBODY in ${usersFile(dir)}\n`,
  });
  t.same(await user(dir, ['set', 'OPS1', '--no-admin']), {
    code: 1,
    stdout: '',
    stderr: 'cicsmail: OPS1 is the last administrator and stays one: a region must keep one\n',
  });
  t.match(record(dir, 'OPS1'), { admin: true });
});

t.test('remove: a user goes, the last administrator stays', async (t) => {
  const dir = freshDir(t);
  t.equal((await user(dir, ['add', 'OPS1', '--admin'], 'ops1-password\n')).code, 0);
  t.equal((await user(dir, ['add', 'OPS2', '--admin'], 'ops2-password\n')).code, 0);
  t.equal((await user(dir, ['add', 'BATCH1'], 'batch1-password\n')).code, 0);
  t.same(await user(dir, ['remove', 'batch1']), { code: 0, stdout: 'user BATCH1 removed\n', stderr: '' });
  t.same(await user(dir, ['remove', 'BATCH1']), {
    code: 1,
    stdout: '',
    stderr: `cicsmail: no user BATCH1 in ${usersFile(dir)}\n`,
  });
  t.equal((await user(dir, ['remove', 'OPS1'])).code, 0, 'an administrator, not the last');
  t.same(await user(dir, ['remove', 'OPS2']), {
    code: 1,
    stdout: '',
    stderr:
      "cicsmail: OPS2 is the last administrator and stays: a region must keep one ('cicsmail user add NAME --admin' first)\n",
  });
  t.same(
    users(dir).map((u) => u.id),
    ['OPS2'],
  );
  t.same(await user(dir, ['remove']), {
    code: 2,
    stdout: '',
    stderr: 'cicsmail: user remove needs a NAME: cicsmail user remove NAME\n',
  });
});

t.test('a running region takes a new user, and a new password', async (t) => {
  const dir = freshDir(t);
  const password = 'first-password';
  t.equal((await user(dir, ['add', 'OPS1', '--admin'], 'ops1-password\n')).code, 0);
  t.equal(
    (await user(dir, ['add', 'BATCH1', '--transactions', 'MAIL', '--senders', 'batch@corp.example'], `${password}\n`))
      .code,
    0,
  );
  const relay = await startRelay(t);
  // users.json exists: the region adds no TESTER, BATCH1 is who calls.
  const region = await startRegion(t, { CICSMAIL_DATA: dir, CICSMAIL_RELAY: relay.url });
  const mail = (pw: string) =>
    fetch(`${region.url}/cics/MAIL`, {
      method: 'POST',
      headers: { authorization: basicAuth('BATCH1', pw), 'content-type': 'application/octet-stream' },
      body: buildMailCommarea(
        {
          from: 'batch@corp.example',
          to: 'ops@corp.example',
          subject: 'from a user of the command line',
          body: 'hello',
        },
        37,
      ),
    });
  // A COMMAREA of no bytes: past security it is LENGERR, so polling with it sends no mail.
  const knock = async (pw: string) =>
    (
      await fetch(`${region.url}/cics/MAIL`, {
        method: 'POST',
        headers: { authorization: basicAuth('BATCH1', pw), 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(0),
      })
    ).status;

  t.equal((await region.fetch('/cics/MAIL', { method: 'POST' })).status, 401, 'TESTER is no user here');
  const res = await mail(password);
  t.equal(res.status, 200);
  t.equal(res.headers.get('x-cics-resp'), 'NORMAL');
  t.equal(readMailResponse(Buffer.from(await res.arrayBuffer()), 37).rc, 0);
  t.match(relay.mails, [{ from: 'batch@corp.example', to: ['ops@corp.example'] }]);
  t.equal((await mail('wrong-password')).status, 401);
  const before = await knock(password);
  t.not(before, 401, `the old password passes security (${before})`);

  t.equal((await user(dir, ['passwd', 'BATCH1'], 'second-password\n')).code, 0);
  // The region reads the file again a second after it last looked (test/region/auth.test.ts
  // checks the second against a clock of its own); here only that it does, given ten times that.
  const changed = Date.now();
  let status = before;
  while (status !== 401 && Date.now() - changed < 10_000) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    status = await knock(password);
  }
  t.equal(status, 401, 'the old password is refused');
  const again = await mail('second-password');
  t.equal(again.status, 200);
  t.equal(readMailResponse(Buffer.from(await again.arrayBuffer()), 37).rc, 0);
  t.equal(relay.mails.length, 2, 'one mail a successful MAIL, none from the polling');
});
