// cicsmail journal on a journal the test fills itself: a reader that goes away (`| head -1`)
// ends the command quietly with 0, in a process of its own; a list the limit cut says
// where to go on; DENIED rows say why.
import { spawn } from 'node:child_process';
import t from 'tap';
import { Journal } from '../../journal/journal.js';
import type { MailOrigin } from '../../journal/record.js';
import { BIN, cicsmail } from '../helpers/cli.js';
import { freshDir, type TestLike } from '../helpers/test-like.js';

function origin(i: number, subject: string): MailOrigin {
  return {
    tranid: 'MAIL',
    taskn: i,
    userid: 'BATCH1',
    jobname: 'PAYROLL1',
    ccsid: 37,
    envelope: { from: 'batch@corp.example', to: ['ops@corp.example'] },
    subject,
    attachments: 0,
    messageId: `<${i}@journal.test>`,
  };
}

/** A data folder whose journal holds `n` mails (ACCEPTED), subjects `subject(i)`. */
async function journalOf(t: TestLike, n: number, subject: (i: number) => string): Promise<string> {
  const dir = freshDir(t);
  const journal = Journal.open(dir);
  try {
    // At once: the writes share their commits.
    await Promise.all(Array.from({ length: n }, (_, i) => journal.accept(origin(i, subject(i)), Buffer.from('x'))));
  } finally {
    await journal.close();
  }
  return dir;
}

/**
 * `cicsmail ARGS` in a process of its own whose standard output is a pipe that the test
 * closes after the first line, as `| head -1` does; resolves with that line, the exit code
 * and standard error.
 */
function firstLineThenClose(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ line: string; code: number | null; signal: string | null; stderr: string }> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  let seen = '';
  let line = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    seen += d;
    const nl = seen.indexOf('\n');
    if (nl !== -1 && !child.stdout.destroyed) {
      line = seen.slice(0, nl);
      child.stdout.destroy();
    }
  });
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ line, code, signal, stderr })));
}

t.test('a reader that goes away after one line: exit code 0, nothing on standard error', async (t) => {
  // About a megabyte of output: far more than a pipe holds, so the command is still
  // writing when the reader goes.
  const dir = await journalOf(t, 2000, (i) => `report ${i} ${'x'.repeat(400)}`);
  const env = { CICSMAIL_DATA: dir };
  for (const [args, first] of [
    [['journal', 'export'], /^\ufeffseq,acceptedAt,userid,/],
    [['journal', 'export', '--format', 'jsonl'], /^\{"seq":1,/],
    [['journal', 'list', '--limit', '5000'], /^ {5}1 {2}ACCEPTED {2}/],
    [['journal', 'list', '--limit', '5000', '--json'], /^\{.*"seq":1,/],
  ] as const) {
    const what = args.join(' ');
    const run = await firstLineThenClose(args, env);
    t.match(run.line, first, `${what}: the first line`);
    t.same({ code: run.code, signal: run.signal, stderr: run.stderr }, { code: 0, signal: null, stderr: '' }, what);
  }
});

t.test('the same in this process: the command ends at the closed output, with 0', async (t) => {
  const dir = await journalOf(t, 3, (i) => `report ${i}`);
  const { PassThrough } = await import('node:stream');
  const { run } = await import('../../cli/main.js');
  const stdout = new PassThrough();
  let lines = 0;
  // The reader takes one line and goes; writing on meets EPIPE, as on a pipe.
  stdout.on('data', () => {
    lines++;
    stdout.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
  });
  const stderr = new PassThrough();
  let errText = '';
  stderr.setEncoding('utf8').on('data', (d: string) => (errText += d));
  const code = await run(['journal', 'list'], {
    env: { CICSMAIL_DATA: dir },
    stdin: new PassThrough(),
    stdout,
    stderr,
  });
  t.same({ code, errText, lines }, { code: 0, errText: '', lines: 1 });

  // Any other failure to write is one line and exit code 1.
  const full = new PassThrough();
  full.on('data', () => full.destroy(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' })));
  errText = '';
  const code2 = await run(['journal', 'list'], {
    env: { CICSMAIL_DATA: dir },
    stdin: new PassThrough(),
    stdout: full,
    stderr,
  });
  t.same(
    { code: code2, errText },
    { code: 1, errText: 'cicsmail: cannot write standard output: no space left on device\n' },
  );
});

t.test('list: where the limit cut the list, a last line on standard error says where to go on', async (t) => {
  const dir = await journalOf(t, 5, (i) => `report ${i}`);
  const env = { CICSMAIL_DATA: dir };
  const seqs = (stdout: string) => stdout.split('\n').flatMap((l) => (l ? [Number(/^ *(\d+) /.exec(l)?.[1])] : []));

  const first = await cicsmail(['journal', 'list', '--limit', '2'], env);
  t.same(
    { code: first.code, seqs: seqs(first.stdout), stderr: first.stderr },
    {
      code: 0,
      seqs: [1, 2],
      stderr: '… more records: use --after 2\n',
    },
  );
  const next = await cicsmail(['journal', 'list', '--limit', '2', '--after', '2'], env);
  t.same({ seqs: seqs(next.stdout), stderr: next.stderr }, { seqs: [3, 4], stderr: '… more records: use --after 4\n' });
  const last = await cicsmail(['journal', 'list', '--limit', '2', '--after', '4'], env);
  t.same({ seqs: seqs(last.stdout), stderr: last.stderr }, { seqs: [5], stderr: '' }, 'the end: no hint');
  const exact = await cicsmail(['journal', 'list', '--limit', '5'], env);
  t.same({ seqs: seqs(exact.stdout), stderr: exact.stderr }, { seqs: [1, 2, 3, 4, 5], stderr: '' }, 'all of them');
  const all = await cicsmail(['journal', 'list'], env);
  t.same({ lines: all.stdout.split('\n').length - 1, stderr: all.stderr }, { lines: 5, stderr: '' }, 'default 100');

  // --json stays one record a line: the hint is on standard error only.
  const json = await cicsmail(['journal', 'list', '--limit', '3', '--json'], env);
  t.same(
    {
      code: json.code,
      seqs: json.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
      stderr: json.stderr,
    },
    { code: 0, seqs: [1, 2, 3], stderr: '… more records: use --after 3\n' },
  );

  t.same(await cicsmail(['journal', 'list', '--limit', '0'], env), {
    code: 2,
    stdout: '',
    stderr: 'cicsmail: --limit is 1 or more\n',
  });
});

t.test('list: a DENIED row says why, from where, and how often', async (t) => {
  const dir = freshDir(t);
  const at = Date.parse('2026-11-28T13:00:00.000Z');
  const journal = Journal.open(dir, { now: () => at });
  const refused = (userid: string, tranid: string) => ({
    tranid,
    taskn: 0,
    userid,
    jobname: '',
    ccsid: 0,
    envelope: { from: '', to: [] },
    subject: '',
  });
  try {
    await journal.accept(origin(0, 'sent as asked'), Buffer.from('x'));
    await journal.deny({
      ...refused('NOBODY', 'MAIL'),
      denial: { reason: 'BADCREDS', detail: 'unknown user', remote: '192.0.2.7', count: 1 },
    });
    const seq = await journal.deny({
      ...refused('BATCH1', 'MAIL'),
      denial: { reason: 'BADCREDS', detail: 'wrong password', remote: '192.0.2.8', count: 1 },
    });
    await journal.countDenials(seq, 17, Date.parse('2026-11-28T13:00:41.000Z'));
    // A mail the sender check refused: its envelope and subject are on record too.
    await journal.deny({
      ...refused('BATCH1', 'SEND'),
      envelope: { from: 'ceo@corp.example', to: ['all@corp.example', 'ops@corp.example'] },
      subject: 'Bonus',
      denial: {
        reason: 'SENDER',
        detail: 'BATCH1 may not send as ceo@corp.example',
        remote: '192.0.2.8',
      },
    });
  } finally {
    await journal.close();
  }
  const list = await cicsmail(['journal', 'list'], { CICSMAIL_DATA: dir });
  t.equal(list.code, 0);
  t.equal(list.stderr, '');
  t.same(list.stdout.split('\n'), [
    '     1  ACCEPTED  2026-11-28T13:00:00.000Z  BATCH1    MAIL  1 rcpt  "sent as asked"',
    '     2  DENIED    2026-11-28T13:00:00.000Z  NOBODY    MAIL  0 rcpt  ""  BADCREDS "unknown user" from 192.0.2.7',
    '     3  DENIED    2026-11-28T13:00:00.000Z  BATCH1    MAIL  0 rcpt  ""  BADCREDS "wrong password" from 192.0.2.8, 17 times to 2026-11-28T13:00:41.000Z',
    '     4  DENIED    2026-11-28T13:00:00.000Z  BATCH1    SEND  2 rcpt  "Bonus"  SENDER "BATCH1 may not send as ceo@corp.example" from 192.0.2.8',
    '',
  ]);
  const denied = await cicsmail(['journal', 'list', '--state', 'denied', '--limit', '1'], { CICSMAIL_DATA: dir });
  t.match(denied, { code: 0, stdout: /^ {5}2 {2}DENIED .* BADCREDS "unknown user" from 192\.0\.2\.7\n$/ });
  t.equal(denied.stderr, '… more records: use --after 2\n', 'the hint counts the records that match');
});
