// Postfix's smtp-sink as a misbehaving relay: a process of its own on one loopback port for
// the whole scenario, started with a fault option (-Q, -r, -f, -q, -W: see `man smtp-sink`),
// killed (SIGKILL: the relay dies) and started again clean on the same port when the fault
// is cleared. Where it keeps mail (-d), each mail is a file: what the relay received.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { canConnect } from '../../bench/processes.js';
import { freshDir, type TestLike } from '../helpers/test-like.js';
import type { FaultRelay, Received } from './reconcile.js';

export const SMTP_SINK = '/usr/sbin/smtp-sink';

/** Why the smtp-sink scenarios cannot run here, or false. */
export const noSink: string | false = existsSync(SMTP_SINK)
  ? false
  : `${SMTP_SINK} is not installed (Debian's postfix package; .ci/run installs it)`;

/** The lowest port the kernel hands out as a connection's own (Linux; 32768 elsewhere). */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

/**
 * A loopback port free right now: the relay's for the scenario, though nothing listens on
 * it while the relay is down. Not one from port 0: that is in the kernel's ephemeral range,
 * and a connection to a port there with nothing listening can, now and then, get that very
 * port as its own and connect to itself (TCP simultaneous open), which is no refused
 * connection. A free port below the range cannot.
 */
export async function reservePort(): Promise<number> {
  const low = ephemeralLow();
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * Math.max(1, low - 10_000));
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (bound) {
      await new Promise((resolve) => server.close(resolve));
      return port;
    }
  }
  throw new Error(`no free loopback port between 10000 and ${low}`);
}

export interface SinkStart {
  /** smtp-sink's fault options, e.g. ['-r', 'MAIL']. */
  readonly flags?: readonly string[];
  /**
   * Keep each mail it receives (-d): a kept mail counts as delivered. Off for faults that
   * refuse the mail after the dot (smtp-sink dumps those too, but a relay that said 4xx or
   * 5xx has not taken the mail).
   */
  readonly keep?: boolean;
}

/**
 * Sinks running now. A test process that tap ends at its time-out runs no teardown: the
 * sinks go with it, not on as orphans (on a normal exit teardown has stopped them already).
 */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export class SinkRelay implements FaultRelay {
  readonly url: string;
  readonly port: number;
  readonly #dir: string;
  #child: ChildProcess | null = null;

  private constructor(port: number, dir: string) {
    this.port = port;
    this.url = `smtp://127.0.0.1:${port}`;
    this.#dir = dir;
  }

  /** A relay on a port of its own, not started yet (down until `start`). */
  static async create(t: TestLike): Promise<SinkRelay> {
    const dir = freshDir(t);
    chmodSync(dir, 0o777); // smtp-sink writes as nobody where run as root
    const relay = new SinkRelay(await reservePort(), dir);
    t.teardown(() => relay.stop('SIGKILL'));
    return relay;
  }

  get running(): boolean {
    return this.#child !== null;
  }

  async start(options: SinkStart = {}): Promise<void> {
    if (this.#child) throw new Error('smtp-sink runs already');
    const user = process.getuid?.() === 0 ? ['-u', 'nobody'] : [];
    const keep = options.keep === false ? [] : ['-d', `${this.#dir}/%H%M%S.`];
    const args = [...user, ...(options.flags ?? []), ...keep, `127.0.0.1:${this.port}`, '256'];
    // The port may still be held for a moment (a socket of the last run closing): try again.
    for (let attempt = 0; ; attempt++) {
      let stderr = '';
      const child = spawn(SMTP_SINK, args, { stdio: ['ignore', 'ignore', 'pipe'] });
      child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const deadline = Date.now() + 3000;
      while (Date.now() < deadline && child.exitCode === null && child.signalCode === null) {
        if (await canConnect(this.port)) {
          this.#child = child;
          running.add(child);
          child.once('exit', () => running.delete(child));
          return;
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      await stop(child, 'SIGKILL');
      if (attempt === 5) throw new Error(`smtp-sink ${args.join(' ')} did not listen: ${stderr.trim()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Ends the relay: SIGKILL is the relay dying (no QUIT, sockets reset), SIGTERM a stop. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (child) await stop(child, signal);
  }

  /** The fault cleared: the same relay, clean, keeping what it receives. */
  async clear(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Every mail file smtp-sink wrote (a relay killed mid-mail leaves a cut-off one). */
  received(): Received[] {
    return readdirSync(this.#dir).map((name) => {
      const text = readFileSync(join(this.#dir, name), 'latin1');
      // smtp-sink's own header lines, ending with its three-line Received header.
      const end = /\nReceived: [^\n]*\n\t[^\n]*\n\t[^\n]*\n/.exec(text);
      const head = end ? text.slice(0, end.index) : text;
      return {
        recipients: [...head.matchAll(/^X-Rcpt-Args: <([^>]*)>/gm)].map((m) => m[1] ?? ''),
        message: end ? text.slice(end.index + end[0].length) : '',
      };
    });
  }
}

async function stop(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await gone;
  clearTimeout(timer);
}
