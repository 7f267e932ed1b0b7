// The processes the benchmark runs beside itself: Postfix's smtp-sink (the relay every
// sender sends to), the fastify echo server (the HTTP ceiling) and Postfix's smtp-source
// (the SMTP ceilings), each in a process of its own so that they do not share the load
// generator's event loop.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { BENCH_MAIL } from './mail.js';

export const SMTP_SINK = '/usr/sbin/smtp-sink';
export const SMTP_SOURCE = '/usr/sbin/smtp-source';

/** Why the benchmark cannot run here, or null. */
export function benchUnavailable(): string | null {
  for (const tool of [SMTP_SINK, SMTP_SOURCE]) {
    if (!existsSync(tool)) return `${tool} is not installed (Debian's postfix package; .ci/run installs it)`;
  }
  return null;
}

/** A port free right now (bound on 0 and closed; another process may take it first). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** Whether something listens on the loopback port now. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

export interface Child {
  readonly child: ChildProcess;
  stop(): Promise<void>;
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await gone;
    clearTimeout(timer);
  };
}

/** smtp-sink on loopback: takes every mail and drops it (`-u nobody` where run as root). */
export async function startSmtpSink(): Promise<Child & { url: string; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const user = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
    const child = spawn(SMTP_SINK, [...user, `127.0.0.1:${port}`, '1000'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && child.exitCode === null) {
      if (await canConnect(port)) return { child, url: `smtp://127.0.0.1:${port}`, port, stop: stopper(child) };
      await new Promise((r) => setTimeout(r, 30));
    }
    await stopper(child)();
    if (attempt === 3) throw new Error(`smtp-sink did not listen on 127.0.0.1:${port}: ${stderr.trim()}`);
  }
}

/** The fastify echo server (bench/echo-server.js) in a child process. */
export async function startEchoServer(): Promise<Child & { url: string }> {
  const script = fileURLToPath(new URL('./echo-server.js', import.meta.url));
  const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`the echo server did not start: ${out}`)), 10_000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`the echo server exited with ${code}: ${out}`)));
  });
  return { child, url, stop: stopper(child) };
}

/**
 * smtp-source -d: `messages` over `sessions` connections kept open, to smtp-sink on `port`;
 * messages a second, wall clock. The message is a file's (`-F`, LF line ends) or a payload
 * of `length` bytes that smtp-source makes up (`-l`, its few headers besides).
 */
export async function smtpSource(
  port: number,
  message: { readonly file: string } | { readonly length: number },
  messages: number,
  sessions: number,
): Promise<number> {
  const argv = [
    '-d',
    '-s',
    String(sessions),
    '-m',
    String(messages),
    ...('file' in message ? ['-F', message.file] : ['-l', String(message.length)]),
    '-f',
    BENCH_MAIL.from,
    '-t',
    BENCH_MAIL.to[0] as string,
    `127.0.0.1:${port}`,
  ];
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(SMTP_SOURCE, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`smtp-source exited with ${code}: ${stderr.trim()}`)),
    );
  });
  return messages / ((performance.now() - t0) / 1000);
}
