// The command line as a user runs it: the compiled `cicsmail` (npm test builds it first),
// a region started, used, read from another process and stopped with SIGTERM.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import {
  BIN,
  cicsmail as inProcess,
  cicsmailBytes as inProcessBytes,
  cicsmailProcess,
  type CommandRun,
} from '../helpers/cli.js';

function cicsmail(args: string[], env: Record<string, string> = {}): Promise<CommandRun> {
  return cicsmailProcess(args, env, { encoding: 'latin1' });
}

t.test('help and usage errors (the commands run in this process)', async (t) => {
  const help = await inProcess(['--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, /^usage: cicsmail <command>/);
  for (const args of [
    ['start', '--help'],
    ['journal', '--help'],
  ]) {
    const r = await inProcess(args);
    t.equal(r.code, 0, args.join(' '));
    t.match(r.stdout, new RegExp(`^usage: cicsmail ${args[0]}`), args.join(' '));
  }
  t.same(await inProcess(['bogus']), {
    code: 2,
    stdout: '',
    stderr:
      "cicsmail: unknown command 'bogus': choose start, send, journal, user, cemt, load or commarea; 'cicsmail --help' says more\n",
  });
  t.same(await inProcess(['journal', 'list', '--state', 'LOST']), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: --state 'LOST' is not one of ACCEPTED, SENT, DEFERRED, FAILED, DENIED\n",
  });
  t.same(await inProcess(['journal', 'show', 'x1']), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: SEQ 'x1' is not a whole number\n",
  });
  t.equal((await inProcess(['journal', '--nope'])).code, 2);
  const dir = t.testdir();
  t.same(await inProcess(['journal', 'list'], { CICSMAIL_DATA: dir }), {
    code: 1,
    stdout: '',
    stderr: `cicsmail: no journal in ${dir} (set CICSMAIL_DATA)\n`,
  });
  t.same(await inProcess(['start'], { CICSMAIL_PORT: 'abc', CICSMAIL_DATA: dir }), {
    code: 1,
    stdout: '',
    stderr: "cicsmail: CICSMAIL_PORT: 'abc' is not a whole number\n",
  });
  t.same(await inProcess(['start'], { CICSMAIL_PORT: '0', CICSMAIL_DATA: dir, CICSMAIL_RELAY: 'http://x' }), {
    code: 1,
    stdout: '',
    stderr: "cicsmail: CICSMAIL_RELAY: relay scheme 'http:' is not smtp: or smtps:\n",
  });
});

t.test('start, send, read the journal from another process, drain on SIGTERM', async (t) => {
  const dir = t.testdir();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CICSMAIL_PORT: '0',
    CICSMAIL_DATA: dir,
    CICSMAIL_WORKERS: '1',
    CICSMAIL_LOG_LEVEL: 'warn',
  };
  delete env.CICSMAIL_RELAY;
  const child = spawn(process.execPath, [BIN, 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start line in: ${stdout}`)), 30_000);
    child.stdout.on('data', () => {
      const m = /^region CICSMAIL listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(stdout);
      if (m?.[1] && stdout.includes('/captured\n')) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  t.match(
    stdout,
    /^no CICSMAIL_RELAY: mail goes to the capture relay on smtp:\/\/127\.0\.0\.1:\d+; see http:\/\/127\.0\.0\.1:\d+\/captured$/m,
  );
  // The first start made an administrator and printed its password, once.
  const password =
    /^no users yet: administrator ADMIN created with password ([A-Za-z0-9_-]{24}) \(shown once; 'cicsmail user passwd ADMIN' changes it\)$/m.exec(
      stdout,
    )?.[1];
  t.ok(password, "the administrator's password is printed");
  const auth = { authorization: `Basic ${Buffer.from(`ADMIN:${password}`).toString('base64')}` };
  t.equal((await fetch(`${url}/captured`)).status, 401, 'nothing without it');

  const res = await fetch(`${url}/cics/MAIL`, {
    method: 'POST',
    headers: { 'content-type': 'application/octet-stream', 'x-cics-jobname': 'CLITEST', ...auth },
    body: buildMailCommarea(
      { from: 'batch@corp.example', to: 'ops@corp.example', subject: 'from the command line test', body: 'hi' },
      37,
    ),
  });
  const r = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
  t.equal(r.rc, 0);
  t.match(r.relayReply, /^250 Ok: captured as 1$/);

  const captured = (await (await fetch(`${url}/captured`, { headers: auth })).json()) as Array<{
    id: number;
    subject: string;
    messageId: string;
  }>;
  t.match(captured, [{ id: 1, subject: 'from the command line test', messageId: r.messageId }]);
  const eml = Buffer.from(await (await fetch(`${url}/captured/1`, { headers: auth })).arrayBuffer());
  t.equal((await fetch(`${url}/captured/2`, { headers: auth })).status, 404);

  // The compiled command in a process of its own, reading the journal the region writes;
  // the other commands run in this process (another one than the region's all the same).
  const list = await cicsmail(['journal', 'list'], { CICSMAIL_DATA: dir });
  t.equal(list.code, 0);
  t.match(list.stdout, /^ {5}1 {2}SENT {6}\S+ {2}ADMIN {5}MAIL {2}1 rcpt {2}"from the command line test"\n$/);
  const show = await inProcess(['journal', 'show', '1'], { CICSMAIL_DATA: dir });
  t.match(JSON.parse(show.stdout), { seq: 1, state: 'SENT', jobname: 'CLITEST', messageId: r.messageId });
  const bytes = await inProcessBytes(['journal', 'show', '1', '--message'], { CICSMAIL_DATA: dir });
  t.same(bytes.bytes, eml, 'the journal holds the bytes the relay captured');
  t.same(await inProcess(['journal', 'show', '999'], { CICSMAIL_DATA: dir }), {
    code: 1,
    stdout: '',
    stderr: 'cicsmail: no journal record 999\n',
  });
  t.equal(
    (await inProcess(['journal', 'list', '--state', 'failed'], { CICSMAIL_DATA: dir })).stdout,
    '',
    'filters: no FAILED mail',
  );
  t.match(
    (await inProcess(['journal', 'list', '--jobname', 'clitest', '--json'], { CICSMAIL_DATA: dir })).stdout,
    /^\{"tranid":"MAIL".*"seq":1,/,
  );
  t.match(JSON.parse((await inProcess(['journal', 'stats'], { CICSMAIL_DATA: dir })).stdout), {
    records: 1,
    byState: { SENT: 1 },
    byTranid: { MAIL: 1 },
  });
  const csvFile = `${dir}/journal.csv`;
  t.same(await inProcess(['journal', 'export', '--out', csvFile], { CICSMAIL_DATA: dir }), {
    code: 0,
    stdout: '',
    stderr: '',
  });
  const { readFileSync } = await import('node:fs');
  t.match(
    readFileSync(csvFile, 'utf8'),
    /^\ufeffseq,acceptedAt,userid,jobname,tranid,sender,recipients,attachments,subject,size,state,relayReply,messageId,sysid,requestKey,fates,suppressed\r\n1,[^,]+,ADMIN,CLITEST,MAIL,batch@corp\.example,1,0,from the command line test,\d+,SENT,250 Ok: captured as 1,<[^>]+>,CICSMAIL,,,\r\n$/,
  );
  t.match(
    (await inProcess(['journal', 'export', '--format', 'jsonl'], { CICSMAIL_DATA: dir })).stdout,
    /^\{"seq":1,.*"state":"SENT".*\}\n$/,
  );
  t.same(await inProcess(['journal', 'list', '--since', 'yesterday'], { CICSMAIL_DATA: dir }), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: --since 'yesterday' is not a time like 2026-11-28T13:00:00Z\n",
  });
  t.same(await inProcess(['journal', 'export', '--format', 'xls'], { CICSMAIL_DATA: dir }), {
    code: 2,
    stdout: '',
    stderr: "cicsmail: --format 'xls' is not csv or jsonl\n",
  });

  // Redeliver from the command line, while the region runs, to a relay of the test's own.
  const { startRelay } = await import('../helpers/relay.js');
  const other = await startRelay(t);
  const dry = await inProcess(['journal', 'replay', '--dry-run', '--relay', other.url], { CICSMAIL_DATA: dir });
  t.match(dry, { code: 0, stdout: /^ {5}1 {2}<[^>]+> {2}dry-run {2}1 rcpt\n$/ });
  const again = await inProcess(['journal', 'replay', '--jobname', 'CLITEST', '--relay', other.url], {
    CICSMAIL_DATA: dir,
  });
  t.match(again, { code: 0, stdout: /^ {5}1 {2}<[^>]+> {2}sent {2}250 /, stderr: '' });
  t.equal(other.mails[0]?.message.toString('latin1'), eml.toString('latin1'), 'the same bytes again');
  // The region's SMTP settings apply to a replay from the command line too.
  const strict = await inProcess(['journal', 'replay', '--jobname', 'CLITEST', '--relay', other.url], {
    CICSMAIL_DATA: dir,
    CICSMAIL_SMTP_STARTTLS: 'required',
  });
  t.match(strict, {
    code: 1,
    stdout:
      /^ {5}1 {2}<[^>]+> {2}deferred {2}no relay could be reached: STARTTLS required by CICSMAIL_SMTP_STARTTLS=required but not offered by smtp:\/\/127\.0\.0\.1:\d+\n$/,
  });
  t.equal(other.mails.length, 1, 'nothing sent in clear');
  t.same(await inProcess(['journal', 'replay'], { CICSMAIL_DATA: dir, CICSMAIL_RELAY: '' }), {
    code: 2,
    stdout: '',
    stderr:
      'cicsmail: journal replay needs a relay to send to: --relay smtp://host:port, or CICSMAIL_RELAY; ' +
      "a region with the capture relay (no CICSMAIL_RELAY) replays to it with --url URL (the region's address)\n",
  });
  t.match(JSON.parse((await inProcess(['journal', 'show', '1'], { CICSMAIL_DATA: dir })).stdout), {
    state: 'SENT',
    replays: [{ via: 'replay', outcome: 'sent' }],
  });

  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  t.equal(await exit, 0, 'SIGTERM: exit code 0');
  t.match(stdout, /region CICSMAIL draining on SIGTERM: 0 task\(s\) in flight\nregion CICSMAIL stopped\n$/);
});

t.test('npm start: builds and starts a region that prints where it listens; SIGTERM stops it with 0', async (t) => {
  const dir = t.testdir();
  const env: NodeJS.ProcessEnv = { ...process.env, CICSMAIL_PORT: '0', CICSMAIL_DATA: dir, CICSMAIL_WORKERS: '1' };
  delete env.CICSMAIL_RELAY;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  // A group of its own: npm runs the build and then the region as its children, and a test
  // that fails before the SIGTERM below must not leave the region running.
  const child = spawn('npm', ['start', '--silent'], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  t.teardown(() => {
    try {
      process.kill(-(child.pid as number), 'SIGKILL');
    } catch {
      // the group has ended
    }
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    // The build (tsc) takes 20 s on an idle machine, past 100 s on one at a load of 28.
    const timer = setTimeout(() => reject(new Error(`no start line in: ${out}`)), 300_000);
    child.stdout.on('data', () => {
      const m = /^region CICSMAIL listening on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
  });
  t.equal(
    (await fetch(`${url}/captured`)).status,
    401,
    'a region with no users file makes an administrator: nobody else gets in',
  );
  t.match(out, /^no users yet: administrator ADMIN created with password \S+ \(shown once/m);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  t.equal(await exit, 0);
});
