// SMTP servers for tests on port 0, closed in teardown: a real one (smtp-server) that keeps
// what it receives and can refuse on cue, and a scripted one for faults smtp-server cannot make.
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import type { TestLike } from './test-like.js';

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
  /** Milliseconds to wait after the final dot before the reply (a slow relay); asked mail by mail. */
  readonly delayMs?: () => number;
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
        // Kept as soon as the dot came, as a relay that queues it and is slow to say so.
        const reply = `Ok: queued as ${mails.length}`;
        const delay = faults.delayMs?.() ?? 0;
        if (delay > 0) setTimeout(() => cb(null, reply), delay);
        else cb(null, reply);
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
