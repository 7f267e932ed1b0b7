// The `cicsmail` command in tests: run in the test's process, or a region started as a process of its own.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The command's launcher, for tests that spawn it. */
export const BIN = fileURLToPath(new URL('../../bin/cicsmail.js', import.meta.url));

export interface CommandRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** A command run with its standard output as bytes too (a mail, an export). */
export interface CommandBytes extends CommandRun {
  readonly bytes: Buffer;
}

/**
 * `cicsmail ARGS` run in this process, as the command line runs it, with its own streams:
 * standard input is `input` (a pipe, never a terminal), the environment is `env` alone.
 * For what a command does; a test of the process itself (exit codes, signals, another
 * process reading the journal) spawns `bin/cicsmail.js`.
 */
export async function cicsmail(
  args: readonly string[],
  env: Record<string, string> = {},
  input: string | Buffer = '',
): Promise<CommandRun> {
  const { code, stdout, stderr } = await cicsmailBytes(args, env, input);
  return { code, stdout, stderr };
}

/** As `cicsmail`, with standard output as bytes too. */
export async function cicsmailBytes(
  args: readonly string[],
  env: Record<string, string> = {},
  input: string | Buffer = '',
): Promise<CommandBytes> {
  const { PassThrough } = await import('node:stream');
  const { run } = await import('../../cli/main.js');
  const stdin = new PassThrough();
  stdin.end(input);
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const chunks = { out: [] as Buffer[], err: [] as Buffer[] };
  stdout.on('data', (c: Buffer) => chunks.out.push(c));
  stderr.on('data', (c: Buffer) => chunks.err.push(c));
  const code = await run(args, { env: { ...env }, stdin, stdout, stderr });
  const bytes = Buffer.concat(chunks.out);
  return { code, stdout: bytes.toString('utf8'), stderr: Buffer.concat(chunks.err).toString('utf8'), bytes };
}

/**
 * The compiled `cicsmail ARGS` in a process of its own, its environment the test's and `env`,
 * `input` piped in (a batch job's way): for exit codes and what only a process shows.
 */
export function cicsmailProcess(
  args: readonly string[],
  env: Record<string, string> = {},
  options: { input?: string; encoding?: BufferEncoding } = {},
): Promise<CommandRun> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, encoding: options.encoding ?? 'utf8' },
      (err, stdout, stderr) =>
        resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin?.end(options.input ?? '');
  });
}

/** A region in a process of its own (the compiled `cicsmail start`), for tests that kill or signal it. */
export function startRegionProcess(
  dataDir: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'start'], {
    env: { ...process.env, CICSMAIL_PORT: '0', CICSMAIL_DATA: dataDir, CICSMAIL_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start line: ${out}`)), 120_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({ child, url: m[1], output: () => out });
      }
    });
    child.on('exit', (code) => reject(new Error(`region exited with ${code}: ${out}`)));
  });
}
