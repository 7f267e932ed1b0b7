// One rule for the command line, as a newcomer meets it: every command run with no
// arguments, with a wrong action and without credentials says what fixes it (a flag, a
// variable, or where --help is), an unknown word lists the known ones, --help works on every
// command and subcommand, and the credentials are --user ID:PASSWORD (or CICSMAIL_USER)
// everywhere. Then the edges the README leads to: redrive without credentials or with its
// region away is one error, and redeliver on a region with the capture relay names --url.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { buildMailCommarea } from '../../client/mailca.js';
import { cicsmail } from '../helpers/cli.js';
import { startRegion } from '../helpers/region.js';
import { freshDir } from '../helpers/test-like.js';
import { TESTER } from '../helpers/users.js';

const USER = `${TESTER.id}:${TESTER.password}`;
/** What a message must name: a flag, a variable, or the help that says more. */
const NAMES_A_FIX = /--[a-z][a-z-]*|CICSMAIL_[A-Z_]+|'cicsmail (\w+ )?--help' says more/;

// A region with the capture relay (no CICSMAIL_RELAY), as `npm start` makes one, and a mail in its journal.
const region = await startRegion(t);
const sent = await region.fetch('/cics/MAIL', {
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ mc_version: '01', mc_from: 'a@corp.example', mc_to: 'b@corp.example', mc_subject: 'one' }),
});
if (sent.status !== 200) throw new Error(`mail: ${sent.status}`);
const HERE = { CICSMAIL_URL: region.url, CICSMAIL_DATA: region.config.dataDir };
/** A port nothing listens on. */
const AWAY = 'http://127.0.0.1:9';

t.test('each command with no arguments says what it needs', async (t) => {
  const cases: [string[], number, RegExp][] = [
    [[], 2, /^$/],
    [['start', 'now'], 2, /^cicsmail: start takes no arguments \(got 'now'\): its settings are CICSMAIL_\* variables/],
    [['send'], 20, /^cicsmail send: nothing to send: standard input is empty; give a FILE of statements/],
    [
      ['journal'],
      2,
      /^cicsmail: journal needs an action: list, show, stats, export, replay or verify; 'cicsmail journal --help' says more\n$/,
    ],
    [
      ['user'],
      2,
      /^cicsmail: user needs an action: add, list, remove, passwd or set; 'cicsmail user --help' says more\n$/,
    ],
    [['cemt'], 2, /^cicsmail: cemt needs inquire, set or cancel; 'cicsmail cemt --help' says more\n$/],
    [['load'], 2, /^cicsmail: give one URL \(or 'local'\); 'cicsmail load --help' says more\n$/],
    [['commarea'], 2, /^cicsmail: give one FILE, the COMMAREA's bytes; 'cicsmail commarea --help' says more\n$/],
  ];
  for (const [args, code, stderr] of cases) {
    const run = await cicsmail(args, { CICSMAIL_USER: USER, ...HERE });
    t.equal(run.code, code, `cicsmail ${args.join(' ')}: exit ${code}`);
    t.match(run.stderr, stderr, `cicsmail ${args.join(' ')}`);
    if (args.length > 0) t.match(run.stderr, NAMES_A_FIX, `cicsmail ${args.join(' ')} names the fix`);
  }
  const bare = await cicsmail([]);
  t.match(bare.stdout, /^usage: cicsmail <command>/, 'no command: the list of them');
});

t.test('a wrong action or option: the known ones listed, the closest named', async (t) => {
  const cases: [string[], string][] = [
    [
      ['jurnal', 'list'],
      "cicsmail: unknown command 'jurnal' (did you mean journal?): choose start, send, journal, user, cemt, load or commarea; 'cicsmail --help' says more",
    ],
    [
      ['journal', 'lst'],
      "cicsmail: unknown journal action 'lst' (did you mean list?): choose list, show, stats, export, replay or verify; 'cicsmail journal --help' says more",
    ],
    [
      ['user', 'ad', 'BATCH1'],
      "cicsmail: unknown user action 'ad' (did you mean add?): choose add, list, remove, passwd or set; 'cicsmail user --help' says more",
    ],
    [
      ['cemt', 'inquire', 'tsk'],
      "cicsmail: cemt inquire: unknown keyword 'tsk' (did you mean task?): choose task, transaction, program, tranclass, system or start; 'cicsmail cemt --help' says more",
    ],
    [
      ['cemt', 'set', 'transaction', 'MAIL', '--disabled'],
      'cicsmail: --disabled is not an option of cicsmail cemt: write disabled without dashes',
    ],
    [
      ['journal', 'list', '--stat', 'SENT'],
      "cicsmail: --stat is not an option of cicsmail journal (did you mean --state?): its options are --state --userid --fate --user --tranid --jobname --recipient --message-id --key --since --until --after --limit --json --message --format --out --relay --dry-run --redrive --url --speed --concurrency --auth --repair --timeout --help; 'cicsmail journal --help' says more",
    ],
    [
      ['send', '--url'],
      "cicsmail send: --url needs a value (--url VALUE, or --url=VALUE for one that starts with '-'); 'cicsmail send --help' says more",
    ],
    [
      ['load', AWAY, '--tx', 'XMIT'],
      'cicsmail: --tx XMIT is not MAIL, SEND or SPOL: give --json-file FILE, the COMMAREAs to send as JSON views',
    ],
  ];
  for (const [args, message] of cases) {
    const run = await cicsmail(args, { CICSMAIL_USER: USER, ...HERE });
    t.equal(run.stderr, `${message}\n`, args.join(' '));
    t.equal(run.code, args[0] === 'send' ? 20 : 2, `${args.join(' ')}: a usage error`);
    t.match(run.stderr, NAMES_A_FIX, `${args.join(' ')} names the fix`);
  }
});

t.test('without credentials: every command that talks to a region names --user and CICSMAIL_USER', async (t) => {
  const nobody =
    'no user to log in to the region with: give --user ID:PASSWORD or set CICSMAIL_USER (it takes no request without one)';
  const cases: [string[], number, string][] = [
    [['send', '-'], 20, `cicsmail send: ${nobody}`],
    [['cemt', 'inquire', 'task'], 2, `cicsmail: ${nobody}`],
    [['load', region.url, '--requests', '1'], 2, `cicsmail: ${nobody}`],
    [['journal', 'list', '--url', region.url], 2, `cicsmail: ${nobody}`],
    [['journal', 'replay', '--redrive'], 2, `cicsmail: ${nobody}`],
  ];
  for (const [args, code, message] of cases) {
    const run = await cicsmail(args, { ...HERE, CICSMAIL_USER: '' }, 'FROM a@corp.example\n');
    t.same(run, { code, stdout: '', stderr: `${message}\n` }, args.join(' '));
  }
  // A user id without its password: named as such, with where it came from.
  t.same(await cicsmail(['cemt', 'inquire', 'task', '--user', 'TESTER'], HERE), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: --user 'TESTER' has no password: give ID:PASSWORD\n",
  });
  // The region's own refusal of wrong ones says where they came from.
  const wrong = await cicsmail(['send', '-'], { ...HERE, CICSMAIL_USER: 'TESTER:wrong-password' }, 'FROM a@x\n');
  t.same(wrong, {
    code: 20,
    stdout: '',
    stderr:
      'cicsmail send: HTTP 401 NOTAUTH AEY7: user id or password not valid; check the user id and password of --user (or CICSMAIL_USER)\n',
  });
});

t.test('--help on every command and subcommand, and cicsmail help COMMAND', async (t) => {
  const helps: [string[], RegExp][] = [
    [['--help'], /^usage: cicsmail <command>/],
    [['help'], /^usage: cicsmail <command>/],
    [['help', 'journal'], /^usage: cicsmail journal list/],
    [['start', '--help'], /^usage: cicsmail start\n/],
    [['send', '--help'], /^usage: cicsmail send /],
    [['commarea', '--help'], /^usage: cicsmail commarea /],
    [['load', '--help'], /^usage: cicsmail load /],
    [['load', 'local', '--help'], /^usage: cicsmail load /],
    ...['list', 'show', 'stats', 'export', 'replay'].map((a): [string[], RegExp] => [
      ['journal', a, '--help'],
      new RegExp(`cicsmail journal ${a}`),
    ]),
    ...['add', 'list', 'remove', 'passwd', 'set'].map((a): [string[], RegExp] => [
      ['user', a, '--help'],
      new RegExp(`cicsmail user ${a}`),
    ]),
    [['cemt', 'inquire', '--help'], /cicsmail cemt inquire task/],
    [['cemt', 'inquire', 'task', '--help'], /cicsmail cemt inquire task/],
    [['cemt', 'set', 'transaction', '--help'], /cicsmail cemt set transaction TRANID/],
    [['cemt', 'set', 'tranclass', '--help'], /cicsmail cemt set tranclass NAME/],
    [['cemt', 'set', 'system', '--help'], /cicsmail cemt set system/],
  ];
  for (const [args, shown] of helps) {
    const run = await cicsmail(args);
    t.equal(run.code, 0, `${args.join(' ')}: exit 0`);
    t.equal(run.stderr, '', args.join(' '));
    t.match(run.stdout, shown, args.join(' '));
  }
  // npm start builds and then runs `start`: the help says so, not that they are the same.
  t.match(
    (await cicsmail(['--help'])).stdout,
    /\n {2}start +run a region in the foreground \(npm start builds the project,\n +then runs this\)\n/,
  );
});

t.test(
  'journal: --user is the credentials, --userid the filter; the old spellings still work, with a warning',
  async (t) => {
    const env = { ...HERE, CICSMAIL_URL: '', CICSMAIL_USER: USER };
    const byUserid = await cicsmail(['journal', 'list', '--userid', 'TESTER'], env);
    t.equal(byUserid.code, 0, byUserid.stderr);
    t.equal(byUserid.stderr, '');
    t.match(byUserid.stdout, /^ +1 {2}SENT /);
    t.equal(
      (await cicsmail(['journal', 'list', '--userid', 'NOBODY'], env)).stdout,
      '',
      'a filter that matches nothing',
    );
    const old = await cicsmail(['journal', 'list', '--user', 'TESTER'], env);
    t.equal(old.stdout, byUserid.stdout, '--user ID still filters');
    t.equal(
      old.stderr,
      'cicsmail: warning: --user TESTER as a filter is deprecated: write --userid TESTER (--user is the credentials, ID:PASSWORD, in every command)\n',
    );
    // Over HTTP the credentials are --user, as everywhere; --auth is the older spelling.
    const fleet = await cicsmail(['journal', 'list', '--url', region.url, '--user', USER], {
      ...HERE,
      CICSMAIL_USER: '',
    });
    t.equal(fleet.code, 0, fleet.stderr);
    t.match(fleet.stdout, /^ *\w+:1 {2}SENT /);
    const auth = await cicsmail(['journal', 'list', '--url', region.url, '--auth', USER], {
      ...HERE,
      CICSMAIL_USER: '',
    });
    t.equal(auth.stdout, fleet.stdout);
    t.equal(auth.stderr, 'cicsmail: warning: --auth is deprecated: write --user ID:PASSWORD, as every command does\n');
  },
);

t.test('redrive: no credentials, wrong ones or no region is one error, not a changed outcome a task', async (t) => {
  const redrive = (env: Record<string, string>, ...args: string[]) =>
    cicsmail(['journal', 'replay', '--redrive', ...args], { ...HERE, ...env });
  const wrong = await redrive({ CICSMAIL_USER: 'TESTER:wrong-password' });
  t.same(wrong, {
    code: 1,
    stdout: '',
    stderr:
      'cicsmail: HTTP 401 NOTAUTH AEY7: user id or password not valid; check the user id and password of --user (or CICSMAIL_USER)\n',
  });
  const away = await redrive({ CICSMAIL_USER: USER }, '--url', AWAY);
  t.equal(away.code, 1);
  t.equal(away.stdout, '');
  t.match(
    away.stderr,
    /^cicsmail: cannot reach the region at http:\/\/127\.0\.0\.1:9: .*ECONNREFUSED.*; is the region running, and is it the one --url \(or CICSMAIL_URL\) names\?\n$/,
  );
  // The README's old line: --user with the credentials, and a dry run, which needs none.
  const dry = await redrive({ CICSMAIL_USER: '' }, '--dry-run');
  t.equal(dry.code, 0, dry.stderr);
  t.match(dry.stdout, /\n1 tasks would be run again on http:/);
  const asReadme = await redrive({ CICSMAIL_USER: '' }, '--user', USER);
  t.equal(asReadme.code, 0, asReadme.stderr);
  t.match(asReadme.stdout, /^redrive of 1 tasks on http:\S+: 1 the same, 0 different/);
});

t.test('redeliver on a region with the capture relay: a dry run needs no relay, and --url is named', async (t) => {
  const env = { ...HERE, CICSMAIL_URL: '', CICSMAIL_USER: USER };
  const dry = await cicsmail(['journal', 'replay', '--dry-run', '--limit', '1'], env);
  t.equal(dry.code, 0, dry.stderr);
  t.match(dry.stdout, /^ +1 {2}<[^>]+> {2}dry-run {2}1 rcpt\n$/);
  t.same(await cicsmail(['journal', 'replay', '--limit', '1'], env), {
    code: 2,
    stdout: '',
    stderr:
      "cicsmail: journal replay needs a relay to send to: --relay smtp://host:port, or CICSMAIL_RELAY; a region with the capture relay (no CICSMAIL_RELAY) replays to it with --url URL (the region's address)\n",
  });
  const before = (await (await region.fetch('/captured')).json()) as unknown[];
  const viaRegion = await cicsmail(['journal', 'replay', '1', '--url', region.url], env);
  t.equal(viaRegion.code, 0, viaRegion.stderr);
  t.match(viaRegion.stdout, /^\s*\w+:1 {2}<[^>]+> {2}sent {2}250 /);
  const after = (await (await region.fetch('/captured')).json()) as unknown[];
  t.equal(after.length, before.length + 1, 'the capture relay received it again');
});

t.test('commarea: a returned COMMAREA read from a file', async (t) => {
  const dir = freshDir(t);
  const res = await region.post('MAIL', buildMailCommarea({ from: 'a@corp.example', to: 'b@corp.example' }, 37));
  writeFileSync(join(dir, 'reply.bin'), Buffer.from(await res.arrayBuffer()));
  const run = await cicsmail(['commarea', join(dir, 'reply.bin')]);
  t.equal(run.code, 0, run.stderr);
  t.match(JSON.parse(run.stdout), { mc_version: '01', mc_rc: 0, mc_reason: 'SENT', mc_relay_reply: /^250 / });
  // Version 02 is read through MAILCA2, its key and body where they lie.
  const keyed = await region.post(
    'MAIL',
    buildMailCommarea({ from: 'a@corp.example', to: 'b@corp.example', body: 'hi', key: 'reply-02' }, 37),
  );
  writeFileSync(join(dir, 'reply2.bin'), Buffer.from(await keyed.arrayBuffer()));
  const two = await cicsmail(['commarea', join(dir, 'reply2.bin')]);
  t.equal(two.code, 0, two.stderr);
  t.match(JSON.parse(two.stdout), { mc_version: '02', mc_rc: 0, mc_key: 'reply-02', mc_body_len: 2, mc_body: 'hi' });
  const missing = join(dir, 'nope.bin');
  t.same(await cicsmail(['commarea', missing]), {
    code: 2,
    stdout: '',
    stderr: `cicsmail: cannot read ${missing}: ENOENT: no such file or directory, open '${missing}'\n`,
  });
});
