// One place to start what tests talk to: a region on port 0 with its journal in a fresh
// folder, and a real SMTP relay (smtp-server) on port 0 that keeps what it receives.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SMTPServer, type SMTPServerAddress, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { FastifyInstance } from 'fastify';
import { buildRegion, type RegionOptions } from '../region/app.js';
import { loadConfig, type RegionConfig } from '../config/settings.js';
import type { Journal } from '../journal/journal.js';
import { newUser, UserStore, type NewUser, type UserRecord } from '../security/users.js';
import type { Delivery, SmtpFailure } from '../smtp/delivery.js';
import { SmtpPool, type PoolOptions } from '../smtp/pool.js';
import { parseRelayUrls } from '../smtp/relay-url.js';

/** The part of tap's Test that the helpers use. */
export interface TestLike {
  testdir(content?: Record<string, never>): string;
  teardown(fn: () => unknown): void;
}

export interface ReceivedMail {
  readonly from: string;
  readonly to: readonly string[];
  readonly message: Buffer;
}

export interface Relay {
  readonly url: string;
  readonly port: number;
  readonly mails: ReceivedMail[];
  /** Each command line a client sent, as the relay read it (AUTH as smtp-server redacts it). */
  readonly commands: string[];
  readonly server: SMTPServer;
  /** Connections accepted since start. */
  readonly connections: () => number;
  close(): Promise<void>;
}

type Hook<A> = (arg: A, session: SMTPServerSession) => Error | undefined;
export interface RelayFaults {
  /** Return an error (with responseCode) to refuse. */
  readonly mailFrom?: Hook<SMTPServerAddress>;
  readonly rcptTo?: Hook<SMTPServerAddress>;
  /** Called with the whole message once received; an error refuses it after the dot. */
  readonly data?: Hook<Buffer>;
  readonly options?: Partial<SMTPServerOptions>;
}

export function smtpError(code: number, message: string): Error {
  return Object.assign(new Error(message), { responseCode: code });
}

/** A logger for smtp-server that keeps the command lines it logs and drops the rest. */
export function commandLog(lines: string[]): NonNullable<SMTPServerOptions['logger']> & object {
  const none = () => {};
  return {
    level: none,
    trace: none,
    info: none,
    warn: none,
    error: none,
    fatal: none,
    debug: (entry: { tnx?: string }, _prefix: string, line: string) => {
      if (entry.tnx === 'command') lines.push(line);
    },
  };
}

export async function startRelay(t: TestLike, faults: RelayFaults = {}): Promise<Relay> {
  const mails: ReceivedMail[] = [];
  const commands: string[] = [];
  let connections = 0;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: commandLog(commands),
    // Teardown may close the relay while a region still holds an idle connection.
    closeTimeout: 100,
    onConnect(_session, cb) {
      connections++;
      cb();
    },
    onMailFrom(address, session, cb) {
      cb(faults.mailFrom?.(address, session) ?? undefined);
    },
    onRcptTo(address, session, cb) {
      cb(faults.rcptTo?.(address, session) ?? undefined);
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const message = Buffer.concat(chunks);
        const refusal = faults.data?.(message, session);
        if (refusal) return cb(refusal);
        mails.push({
          from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
          to: session.envelope.rcptTo.map((r) => r.address),
          message,
        });
        cb(null, `Ok: queued as ${mails.length}`);
      });
    },
    ...faults.options,
  });
  // A client that dies mid-session (a region killed in a crash test) is no relay error.
  server.on('error', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;
  let closed = false;
  const close = () => {
    if (closed) return Promise.resolve();
    closed = true;
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  t.teardown(close);
  return { url: `smtp://127.0.0.1:${port}`, port, mails, commands, server, connections: () => connections, close };
}

/** The user every test region knows: an administrator who may run anything as anyone. */
export const TESTER = { id: 'TESTER', password: 'tester-password' } as const;

export function basicAuth(id: string, password: string): string {
  return `Basic ${Buffer.from(`${id}:${password}`, 'utf8').toString('base64')}`;
}

let testerRecord: UserRecord | undefined;

/** Writes a users file (TESTER and `users`) into a data folder that has none yet. */
export function writeUsers(dataDir: string, users: readonly NewUser[] = []): void {
  const store = new UserStore(dataDir);
  if (store.exists) return;
  // scrypt is slow on purpose: TESTER's hash is made once a test process.
  testerRecord ??= newUser({
    id: TESTER.id,
    password: TESTER.password,
    admin: true,
    transactions: ['*'],
    senders: ['*'],
  });
  store.put(testerRecord);
  for (const u of users) store.put(newUser(u));
}

export interface TestRegion {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly config: RegionConfig;
  /** TESTER's Authorization header. */
  readonly auth: string;
  /** POST /cics/{tranid} with an octet-stream body, as TESTER unless headers say otherwise. */
  post(tranid: string, body: Uint8Array, headers?: Record<string, string>): Promise<Response>;
  /** fetch() on the region's URL, as TESTER unless `init.headers` names another authorization. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The region's journal, as its main thread reads it. */
  journal(): Journal;
}

/**
 * A fresh folder of the test's own, removed in teardown. Not t.testdir(): tap empties that
 * folder on every call, so a test that asks for one after starting a region would wipe
 * the region's journal and users under it.
 */
export function freshDir(t: TestLike): string {
  const dir = mkdtempSync(join(tmpdir(), 'cicsmail-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function startRegion(
  t: TestLike,
  env: Record<string, string> = {},
  options: RegionOptions & { users?: readonly NewUser[] } = {},
): Promise<TestRegion> {
  const dataDir = env.CICSMAIL_DATA ?? freshDir(t);
  writeUsers(dataDir, options.users);
  const config = loadConfig({
    CICSMAIL_DATA: dataDir,
    CICSMAIL_PORT: '0',
    CICSMAIL_WORKERS: '1',
    CICSMAIL_HOSTNAME: 'region.test',
    ...env,
  });
  const app = await buildRegion(config, options);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  t.teardown(() => app.close());
  const auth = basicAuth(TESTER.id, TESTER.password);
  return {
    app,
    url,
    config,
    auth,
    post: (tranid, body, headers = {}) =>
      fetch(`${url}/cics/${tranid}`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/octet-stream', ...headers },
        body,
      }),
    fetch: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization')) headers.set('authorization', auth);
      return fetch(`${url}${path}`, { ...init, headers });
    },
    journal: () => app.journal,
  };
}

export interface ScriptedSession {
  readonly socket: import('node:net').Socket;
  /** Lines of the DATA phase collected so far, while in it. */
  data: string[] | null;
}

/**
 * A tiny SMTP server driven by a script, for faults smtp-server cannot make: `greet` says
 * the first line (or nothing; `onConnect` may say it later), `onLine` answers each command
 * line (return a reply, an array of them, or null to stay silent). DATA lines are collected
 * until the dot, then `onLine` gets '.' with the session's data.
 */
export async function startScriptedSmtp(
  t: TestLike,
  script: {
    greet?: string | null;
    onConnect?: (session: ScriptedSession) => void;
    onLine: (line: string, session: ScriptedSession) => string | string[] | null;
  },
): Promise<{ url: string; port: number; connections: () => number }> {
  const { createServer } = await import('node:net');
  let connections = 0;
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    const session: ScriptedSession = { socket, data: null };
    const greet = script.greet === undefined ? '220 scripted ESMTP' : script.greet;
    if (greet !== null) socket.write(`${greet}\r\n`);
    script.onConnect?.(session);
    let pending = '';
    socket.on('data', (chunk: Buffer) => {
      pending += chunk.toString('latin1');
      let nl: number;
      while ((nl = pending.indexOf('\r\n')) !== -1) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 2);
        if (session.data && line !== '.') {
          session.data.push(line);
          continue;
        }
        const reply = script.onLine(line, session);
        if (line.toUpperCase() === 'DATA' && reply !== null && String(reply).startsWith('354')) session.data = [];
        if (line === '.') session.data = null;
        if (reply !== null && !socket.destroyed)
          socket.write((Array.isArray(reply) ? reply : [reply]).map((r) => `${r}\r\n`).join(''));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as AddressInfo).port;
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `smtp://127.0.0.1:${port}`, port, connections: () => connections };
}

const BIN = fileURLToPath(new URL('../bin/cicsmail.js', import.meta.url));

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
  const { run } = await import('../cli/main.js');
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

export interface ChannelPart {
  readonly name: string;
  readonly filename?: string;
  readonly type?: string;
  readonly data: Buffer;
}

/** A channel (multipart/form-data) built by hand, so the test controls every byte. */
export function channelBody(
  parts: readonly ChannelPart[],
  boundary = 'cicsmail-test-boundary',
): { body: Buffer; type: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}\r\n`;
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`, 'utf8'), p.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}

/** The delivery of a mail that never reached a relay: deferred, with the failure's kind and words. */
export function unreachable(kind: Exclude<SmtpFailure['kind'], 'reply'>, relay: string, reply: string): Delivery {
  return {
    kind: 'deferred',
    relay,
    reply,
    accepted: [],
    refused: [],
    failure: { kind, message: reply } as SmtpFailure,
  };
}

/**
 * A delivery the relay answered with a refusal: its fields, and its failure's kind and words
 * apart (the failure holds the parsed reply), for `t.same` and `t.match` each.
 */
export function refusal(d: Delivery): { delivery: Omit<Delivery, 'failure'>; failure: SmtpFailure | undefined } {
  if (d.kind === 'sent') return { delivery: d, failure: undefined };
  const { failure, ...rest } = d;
  return { delivery: rest, failure };
}

/** An SMTP client pool for tests, closed in teardown: short timeouts, a few connections. */
export function testPool(t: TestLike, url: string, options: Partial<PoolOptions> = {}): SmtpPool {
  const p = new SmtpPool({
    relays: parseRelayUrls(url),
    clientName: 'client.test',
    maxConnections: 4,
    maxMailsPerConnection: 100,
    idleTimeout: 5000,
    timeouts: { connect: 2000, command: 2000, final: 2000 },
    ...options,
  });
  t.teardown(() => p.close());
  return p;
}
