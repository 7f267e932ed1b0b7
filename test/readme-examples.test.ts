// The README followed line by line: its shell examples, in order, each command line through
// sh in a folder of the test's own, against a region that stands in for `npm start` there
// (its journal in ./data, the capture relay as with no CICSMAIL_RELAY, HTTP on port 0, an
// ADMIN as the first start makes), with CICSMAIL_URL and CICSMAIL_USER as the README exports
// them. Each answer is checked exactly: HTTP status, X-CICS-Resp, RC, the mail that reached
// the relay; an output the README shows after a command is what the command printed. An
// example with no check here, or a check with no example, fails the test
// (test/helpers/doc-examples.ts, which the docs' own tests use too).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { simpleParser } from 'mailparser';
import { codePage } from '../cics/codepages.js';
import { recordToJson } from '../cics/copybook/json.js';
import { copybook } from '../cics/copybook/library.js';
import { readMailResponse } from '../client/mailca.js';
import { followDoc, type Check, type Run } from './helpers/doc-examples.js';
import { startRegion } from './helpers/region.js';
import { writeUsers } from './helpers/users.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

// The folder the README's commands run in, as the project folder: the fixture they name, and
// the region's ./data. One call: t.testdir() empties its folder each time.
const cwd = t.testdir({
  data: {},
  test: { fixtures: { 'mail-037.bin': readFileSync(join(root, 'test/fixtures/mail-037.bin')) } },
});
const ADMIN = { id: 'ADMIN', password: 'readme-admin-password' };
writeUsers(join(cwd, 'data'), [{ ...ADMIN, admin: true, transactions: ['*'], senders: ['*'] }]);
// No CICSMAIL_RELAY: the embedded capture relay, as in the README; myhost as in its outputs.
const region = await startRegion(t, { CICSMAIL_DATA: join(cwd, 'data'), CICSMAIL_HOSTNAME: 'myhost' });

// The environment of a shell the README set up: its two variables, nothing of npm's or
// cicsmail's beside them; npx offline, so that a command it cannot find locally fails rather
// than coming from the registry.
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|CICSMAIL_)/i.test(k))),
  CICSMAIL_USER: `${ADMIN.id}:${ADMIN.password}`,
  CICSMAIL_URL: region.url,
  npm_config_offline: 'true',
  npm_config_update_notifier: 'false',
};

const file = (name: string) => readFileSync(join(cwd, name));

/** The mail the capture relay received as its `id`th, read, and its bytes. */
async function captured(id: number) {
  const res = await region.fetch(`/captured/${id}`);
  if (res.status !== 200) throw new Error(`no captured mail ${id}: HTTP ${res.status}`);
  const raw = Buffer.from(await res.arrayBuffer());
  return Object.assign(await simpleParser(raw), { raw: raw.toString('utf8') });
}

/** The status line and headers curl -D - printed, names in lower case. */
function headersOf(stdout: Buffer): { status: string; headers: Record<string, string> } {
  const [status = '', ...lines] = stdout.toString('latin1').split('\r\n\r\n')[0]?.split('\r\n') ?? [];
  const headers = Object.fromEntries(
    lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]),
  );
  return { status, headers };
}

const mailAnswer = (t: Test, run: Run, seq: number) => {
  t.equal(run.code, 0, run.stderr);
  const { status, headers } = headersOf(run.stdout);
  t.equal(status, 'HTTP/1.1 200 OK');
  t.match(headers, { 'x-cics-resp': 'NORMAL', 'x-mail-rc': '0', 'x-journal-seq': String(seq) });
  t.match(readMailResponse(file('reply.bin'), 37), { rc: 0, reason: 'SENT', journalSeq: BigInt(seq) });
};

const CHECKS: Check[] = [
  { starts: 'npm install', skip: 'node_modules is installed; test/package.test.ts checks the engines' },
  { starts: 'npm start', skip: 'the region of this test stands in for it (test/cli/cli.test.ts starts one)' },
  { starts: "export CICSMAIL_USER='ADMIN:<password>'", skip: 'set: ADMIN with its password' },
  { starts: 'export CICSMAIL_URL=http://127.0.0.1:8080', skip: "set: the region's URL" },
  {
    starts: 'npm run example',
    // The build is npm test's; building here would rewrite dist/ under the other test files.
    instead: `node ${join(root, 'dist/scripts/example.js')}`,
    check: async (t) => {
      const mail = await captured(1);
      t.equal(mail.subject, 'DAILY REPORT OF DISK UTILIZATION');
      t.equal(region.journal().get(1)?.jobname, 'EXAMPLE');
    },
  },
  {
    starts: `curl -sS -u "$CICSMAIL_USER" -D - -o reply.bin -H 'Content-Type: application/octet-stream'`,
    check: async (t, run) => {
      mailAnswer(t, run, 2);
      t.match(headersOf(run.stdout).headers, {
        'x-mail-reason': 'SENT',
        'x-mail-reason-text': '250 Ok: captured as 2',
      });
      t.equal(region.journal().get(2)?.jobname, 'PAYROLL1');
      const mail = await captured(2);
      t.equal(mail.text, 'Please fix the bulb in the searchlight.\nVolume SYSRES is 97% full.\nGordon\n');
    },
  },
  {
    starts: 'npx cicsmail commarea reply.bin',
    check: (t, run) => {
      t.equal(run.code, 0, run.stderr);
      t.same(
        JSON.parse(run.stdout.toString('utf8')),
        recordToJson(file('reply.bin'), copybook('MAILCA'), codePage(37)),
        'the returned COMMAREA, field by field',
      );
    },
  },
  {
    starts: 'curl -sS -u "$CICSMAIL_USER" "$CICSMAIL_URL/captured"',
    check: (t, run) => {
      t.equal(run.code, 0, run.stderr);
      const list = JSON.parse(run.stdout.toString('utf8')) as { id: number; to: string[] }[];
      t.same(
        list.map((m) => m.id),
        [2, 1],
      );
      t.same(list[0]?.to, ['wayne@bar.com', 'robin@bar.com', 'alfred@bar.com', 'oracle@bar.com']);
    },
  },
  {
    starts: 'npx cicsmail journal list',
    check: (t, run) => {
      t.equal(run.code, 0, run.stderr);
      const lines = run.stdout.toString('utf8').trimEnd().split('\n');
      t.equal(lines.length, 2, 'a line a mail');
      for (const [i, line] of lines.entries()) t.match(line, new RegExp(`^\\s*${i + 1}\\s+SENT\\s`));
    },
  },
  {
    starts: 'npx cicsmail journal show 2 --message',
    check: async (t, run) => {
      t.equal(run.code, 0, run.stderr);
      const journaled = Buffer.from(await (await region.fetch('/journal/2/message')).arrayBuffer());
      t.ok(run.stdout.equals(journaled), 'the journaled bytes');
      t.equal((await captured(2)).raw, run.stdout.toString('utf8'), "curl's mail, as the relay got it");
    },
  },
  {
    starts: `curl -sS -u "$CICSMAIL_USER" -H 'Content-Type: application/json'`,
    check: async (t, run) => {
      t.equal(run.code, 0, run.stderr);
      t.match(JSON.parse(run.stdout.toString('utf8')), { mc_rc: 0, mc_reason: 'SENT', mc_journal_seq: 3 });
      const mail = await captured(3);
      t.equal(mail.subject, 'hello');
      t.equal(mail.text, 'Hi\n');
    },
  },
  {
    starts: "printf 'Plattenbelegung\\nSYSRES 97 %%\\n' | iconv -t IBM037 > report.txt",
    check: (t, run) => {
      t.equal(run.code, 0, run.stderr);
      t.equal(
        file('report.txt').toString('hex'),
        'd79381a3a385958285938587a4958725e2e8e2d9c5e240f9f7406c25',
        'EBCDIC 037',
      );
    },
  },
  {
    starts: 'head -c 1024 /dev/urandom > dump.bin',
    check: (t, run) => {
      t.equal(run.code, 0, run.stderr);
      t.equal(file('dump.bin').length, 1024);
    },
  },
  {
    starts: 'curl -sS -u "$CICSMAIL_USER" -D - -o reply.bin \\',
    check: async (t, run) => {
      mailAnswer(t, run, 4);
      const mail = await captured(4);
      t.same(
        mail.attachments.map((a) => [a.filename, a.contentType]),
        [
          ['report.txt', 'text/plain'],
          ['dump.bin', 'application/octet-stream'],
        ],
      );
      t.equal(
        mail.attachments[0]?.content.toString('utf8'),
        'Plattenbelegung\r\nSYSRES 97 %\r\n',
        'the text, in UTF-8',
      );
      t.ok(mail.attachments[1]?.content.equals(file('dump.bin')), 'the bytes, as they were');
    },
  },
  {
    starts: "cat > disk-report.txt <<'END'",
    check: (t, run) => t.equal(run.code, 0, run.stderr),
  },
  {
    starts: 'npx cicsmail send disk-report.txt',
    check: async (t, run) => {
      t.equal(run.code, 0, run.stderr);
      const mail = await captured(5);
      t.match(mail.subject, /^Disk report \d{4}-\d\d-\d\d from ADMIN$/, '&JOBNAME: the user id');
      t.equal(mail.from?.text, '"Nightly Batch" <batch@corp.example>');
      t.match(mail.raw, /^Importance: High\r$/m);
      t.equal(mail.text, 'SYSRES is 97 % full.\n');
      t.same(
        mail.attachments.map((a) => [a.filename, a.content.toString('utf8')]),
        [['report.csv', 'volume,used\r\nSYSRES,97\r\n']],
      );
      t.equal(region.journal().get(5)?.jobname, 'ADMIN');
    },
  },
  {
    starts: "printf '%s\\n' 'HELO BATCH' 'MAIL FROM:<batch@corp.example>'",
    check: (t, run) => {
      t.equal(run.code, 0, run.stderr);
      t.equal(
        file('spool.273').subarray(0, 28).toString('hex'),
        'c8c5d3d640c2c1e3c3c825d4c1c9d340c6d9d6d47a4c8281a38388b5',
        "'@' is x'B5'",
      );
    },
  },
  {
    starts: 'npx cicsmail send --tx SPOL --ccsid 273 --binary spool.273',
    check: async (t, run) => {
      t.equal(run.code, 0, run.stderr);
      t.match(run.stdout.toString('utf8'), /^RC=00 SEQ=6 MSGID=<[^>]+@myhost> 250 Ok: captured as 6\n$/);
      const mail = await captured(6);
      t.equal(mail.subject, 'Plattenbelegung');
      t.equal(mail.text, 'SYSRES ist zu 97 % voll.\n');
      t.match(region.journal().get(6)?.envelope, { from: 'batch@corp.example', to: ['ops@corp.example'] });
    },
  },
  {
    starts: 'npx cicsmail cemt i tas',
    check: (t, run) => {
      t.equal(run.code, 0, run.stderr);
      t.equal(run.stdout.toString('utf8'), 'no tasks\n', 'nothing runs between the examples');
    },
  },
  {
    starts: 'npx cicsmail cemt set tranclass BATCH --max-active 4 --purge-threshold 20',
    check: async (t, run) => {
      t.equal(run.code, 0, run.stderr);
      const answer = (await (await region.fetch('/cemt/region')).json()) as { classes: Record<string, unknown> };
      t.match(answer.classes.BATCH, { maxActive: 4, purgeThreshold: 20 });
    },
  },
  { starts: 'npx cicsmail load local', skip: 'a 25-second run; test/cli/load.test.ts runs load local' },
  { starts: 'npx cicsmail load "$CICSMAIL_URL"', skip: 'a 30-second run; test/cli/load.test.ts runs load URL' },
  { starts: 'npm test', skip: 'what runs this test' },
  { starts: 'stress-ng --cpu 2', skip: 'the whole suite beside a CPU hog: how it was measured on a busy machine' },
  { starts: 'npm run test:faults', skip: 'the fault suite, minutes long' },
  { starts: 'npm run test:fleet', skip: 'the fleet test, minutes long, with HAProxy' },
];

t.test('every shell example of the README runs as written and answers as the README says', async (t) => {
  await followDoc(t, {
    text: readme,
    cwd,
    env,
    checks: CHECKS,
    shownAs: (line) => line.replaceAll('http://127.0.0.1:8080', region.url),
  });
});
