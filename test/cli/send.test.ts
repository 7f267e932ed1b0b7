// cicsmail send as a job step: a file of statements (or a datastream) run on a region, the
// report printed, the highest RC as the exit code. The command runs in this process against
// a region and a real SMTP relay; the exit code is checked once as a process's.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { simpleParser } from 'mailparser';
import { cicsmail as run, cicsmailProcess } from '../helpers/cli.js';
import { startRegion } from '../helpers/region.js';
import { startRelay, smtpError } from '../helpers/relay.js';
import { TESTER } from '../helpers/users.js';
import { ebcdicLines } from '../helpers/ebcdic.js';

const relay = await startRelay(t, {
  rcptTo: (a) => {
    if (a.address.startsWith('later@')) return smtpError(451, '4.3.0 try again later');
    if (a.address.startsWith('gone@')) return smtpError(550, '5.1.1 no such user');
    return undefined;
  },
});
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_RETRY_FIRST_MS: '3600000' });
// Not t.testdir(): a second call would wipe the folder the region's journal is in.
const dir = join(region.config.dataDir, 'files');
mkdirSync(dir);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cicsmail(args: string[], input?: Buffer | string): Promise<Run> {
  return run(args, { CICSMAIL_URL: region.url, CICSMAIL_USER: `${TESTER.id}:${TESTER.password}` }, input ?? '');
}

function file(name: string, content: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const mail = (to: string, subject = 'step') =>
  `FROM batch@corp.example\nTO ${to}\nSUBJECT ${subject}\nTEXT\nhello\nENDTEXT\n`;
const SENT_LINE = /^RC=00 SEQ=\d+ MSGID=<[^>]+> 250 Ok: queued as \d+$/;

t.test('exit code 0: sent; the report on standard output', async (t) => {
  const before = relay.mails.length;
  const run = await cicsmail(['send', file('ok.txt', mail('ops@corp.example', 'Größe ok'))]);
  t.equal(run.code, 0, run.stderr);
  t.equal(run.stderr, '');
  t.match(run.stdout.trimEnd(), SENT_LINE);
  t.equal(relay.mails.length, before + 1);
  t.equal(
    (await simpleParser(relay.mails[before]!.message)).subject,
    'Größe ok',
    'UTF-8 file translated to 037 and back',
  );
});

t.test('--key: the same job step run again prints the first report and sends nothing', async (t) => {
  const before = relay.mails.length;
  const path = file('keyed.txt', mail('ops@corp.example', 'once a night'));
  const first = await cicsmail(['send', path, '--key', 'NIGHTLY-2026-12-06']);
  t.equal(first.code, 0, first.stderr);
  const again = await cicsmail(['send', path, '--key', 'NIGHTLY-2026-12-06']);
  t.equal(again.code, 0, again.stderr);
  t.equal(again.stdout, first.stdout, 'the same report, the same journal sequence');
  t.equal(relay.mails.length, before + 1, 'one mail');
  const other = await cicsmail([
    'send',
    file('keyed2.txt', mail('ops@corp.example', 'other')),
    '--key',
    'NIGHTLY-2026-12-06',
  ]);
  t.equal(other.code, 20);
  t.match(other.stderr, /HTTP 422 .*request key 'NIGHTLY-2026-12-06' was used for a different request/);
});

t.test('exit code 4: the relay said 4xx, the mail is kept for retry', async (t) => {
  const run = await cicsmail(['send', file('later.txt', mail('later@corp.example'))]);
  t.equal(run.code, 4);
  t.match(run.stdout.trimEnd(), /^RC=04 SEQ=\d+ MSGID=<[^>]+> 451 4\.3\.0 try again later$/);
});

t.test('exit code 8: a statement is wrong; the other mails still go', async (t) => {
  const run = await cicsmail([
    'send',
    file('bad.txt', `${mail('ops@corp.example')}SEND\nFROM batch@corp.example\nTOO ops@corp.example\n`),
  ]);
  t.equal(run.code, 8);
  const lines = run.stdout.trimEnd().split('\n');
  t.match(lines[0] ?? '', SENT_LINE);
  t.equal(lines[1], 'RC=08 LINE=9 unknown statement TOO');
});

t.test('exit code 12: the relay refused every recipient for good; the highest RC wins', async (t) => {
  const run = await cicsmail([
    'send',
    file('gone.txt', `${mail('later@corp.example')}SEND\n${mail('gone@corp.example')}`),
  ]);
  t.equal(run.code, 12);
  const lines = run.stdout.trimEnd().split('\n');
  t.match(lines[0] ?? '', /^RC=04 /);
  t.match(lines[1] ?? '', /^RC=12 SEQ=\d+ MSGID=<[^>]+> 550 5\.1\.1 no such user$/);
});

t.test('--tx SPOL from standard input; --binary sends an EBCDIC file as it is', async (t) => {
  const stream = [
    'HELO job',
    'MAIL FROM:<batch@corp.example>',
    'RCPT TO:<ops@corp.example>',
    'DATA',
    'Subject: from the spool',
    '',
    'body',
    '.',
    'QUIT',
  ];
  const fromStdin = await cicsmail(['send', '--tx', 'spol'], `${stream.join('\n')}\n`);
  t.equal(fromStdin.code, 0, fromStdin.stderr);
  t.match(fromStdin.stdout.trimEnd(), SENT_LINE);

  const before = relay.mails.length;
  const binary = await cicsmail([
    'send',
    '--tx',
    'SPOL',
    '--binary',
    '--ccsid',
    '273',
    file('spool.273', ebcdicLines(stream, 273)),
  ]);
  t.equal(binary.code, 0, binary.stderr);
  t.equal(relay.mails[before]?.from, 'batch@corp.example', "273's @ (x'B5') read in 273");
});

t.test('a file longer than a COMMAREA goes as container INPUT', async (t) => {
  const body = Array.from({ length: 2000 }, (_, i) => `line ${i} of a long report`).join('\n');
  const before = relay.mails.length;
  const run = await cicsmail([
    'send',
    '--jobname',
    'NIGHTLY',
    file('long.txt', `FROM batch@corp.example\nTO ops@corp.example\nSUBJECT long\nTEXT\n${body}\nENDTEXT\n`),
  ]);
  t.equal(run.code, 0, run.stderr);
  const parsed = await simpleParser(relay.mails[before]!.message);
  t.equal(parsed.text, `${body}\n`);
  const seq = Number(/SEQ=(\d+)/.exec(run.stdout)?.[1]);
  t.equal(region.journal().get(seq)?.jobname, 'NIGHTLY');
});

t.test("&JOBNAME is the user id where --jobname is left out, as z/OS names a user's work", async (t) => {
  const statements = file('job.txt', mail('ops@corp.example', 'from &JOBNAME'));
  const cases: [string[], string][] = [
    [[], 'TESTER'],
    [['--user', `tester:${TESTER.password}`], 'TESTER'],
    [['--jobname', 'payroll1'], 'PAYROLL1'],
  ];
  for (const [options, jobname] of cases) {
    const before = relay.mails.length;
    const run = await cicsmail(['send', ...options, statements]);
    t.equal(run.code, 0, run.stderr);
    t.equal((await simpleParser(relay.mails[before]!.message)).subject, `from ${jobname}`, options.join(' '));
    const seq = Number(/SEQ=(\d+)/.exec(run.stdout)?.[1]);
    t.equal(region.journal().get(seq)?.jobname, jobname, options.join(' '));
  }
});

t.test('exit code 20 where the transaction did not run: above every RC', async (t) => {
  const unreachable = await cicsmailProcess(
    ['send', '--url', 'http://127.0.0.1:9', file('x.txt', mail('ops@corp.example'))],
    { CICSMAIL_USER: `${TESTER.id}:${TESTER.password}` },
  );
  t.equal(unreachable.code, 20);
  t.match(
    unreachable.stderr,
    /^cicsmail send: cannot reach the region at http:\/\/127\.0\.0\.1:9: .*; is the region running, and is it the one --url \(or CICSMAIL_URL\) names\?\n$/,
  );
  const lacking = await cicsmail(['send', file('euro.txt', mail('ops@corp.example', 'price in €'))]);
  t.same(lacking, { code: 20, stdout: '', stderr: "cicsmail send: line 3: '€' has no place in code page 037\n" });
  const missing = await cicsmail(['send', join(dir, 'nope.txt')]);
  t.equal(missing.code, 20);
  t.match(missing.stderr, /^cicsmail send: cannot read .*nope\.txt: ENOENT/);
  t.same(await cicsmail(['send', '--tx', 'MAIL']), {
    code: 20,
    stdout: '',
    stderr: "cicsmail send: --tx is SEND or SPOL, not 'MAIL'\n",
  });
  const help = await cicsmail(['send', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^usage: cicsmail send/);
});
