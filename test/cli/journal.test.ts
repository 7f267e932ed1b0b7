// cicsmail journal on a journal the test fills itself: a reader that goes away (`| head -1`)
// ends the command quietly with 0, in a process of its own; a list the limit cut says
// where to go on; DENIED rows say why.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { Journal, type MailOrigin } from '../../journal/journal.js';
import { freshDir, type TestLike } from '../helpers.js';

const BIN = fileURLToPath(new URL('../../bin/cicsmail.js', import.meta.url));

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
