// The SMTP floor of the benchmark's CPU a mail: the least a client does to hand one composed
// mail to a relay. A few connections kept open, each sending MAIL, RCPT and DATA in one
// write (RFC 2920, as the region's client does), then at the 354 the message and its end,
// then the next mail at the 250; no composing, no journal: the message is read, its line ends
// made CRLF and its dots stuffed once, and the same bytes go each time. Run as a process of
// its own so that its CPU is its alone: after a warm-up it reads its own CPU time
// (process.cpuUsage: user and system, every thread) and the mails sent over the run, and
// prints them as JSON: {"mails","seconds","cpuUs"}.
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { BENCH_MAIL } from './mail.js';

/** One connection: replies read in order, each to the oldest waiting. */
class Session {
  readonly #socket: Socket;
  #text = '';
  #failure: Error | null = null;
  readonly #waiting: { resolve: (code: number) => void; reject: (err: Error) => void }[] = [];
  /** The relay's greeting. */
  readonly greeting: Promise<number>;

  constructor(socket: Socket) {
    this.#socket = socket;
    this.greeting = this.#reply();
    socket.setNoDelay(true);
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => this.#read(d));
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(new Error('the relay closed the connection')));
  }

  /** Writes `data` and waits for `replies` replies; their codes in order. */
  send(data: string | Buffer, replies: number): Promise<number[]> {
    const codes = Promise.all(Array.from({ length: replies }, () => this.#reply()));
    this.#socket.write(data);
    return codes;
  }

  async quit(): Promise<void> {
    await this.send('QUIT\r\n', 1);
    this.#socket.end();
  }

  #reply(): Promise<number> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => this.#waiting.push({ resolve, reject }));
  }

  #read(data: string): void {
    this.#text += data;
    for (let end = this.#text.indexOf('\r\n'); end >= 0; end = this.#text.indexOf('\r\n')) {
      const line = this.#text.slice(0, end);
      this.#text = this.#text.slice(end + 2);
      // "250-..." continues a reply; "250 ..." (or a bare code) ends it.
      if (line[3] !== '-') this.#waiting.shift()?.resolve(Number(line.slice(0, 3)));
    }
  }

  #fail(err: Error): void {
    this.#failure ??= err;
    for (const w of this.#waiting.splice(0)) w.reject(err);
  }
}

async function open(port: number): Promise<Session> {
  const socket = connect(port, '127.0.0.1');
  const session = new Session(socket);
  const greeting = await session.greeting;
  if (greeting !== 220) throw new Error(`the relay greeted with ${greeting}`);
  const [ehlo] = await session.send('EHLO bench.test\r\n', 1);
  if (ehlo !== 250) throw new Error(`the relay answered EHLO with ${ehlo}`);
  return session;
}

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    file: { type: 'string' },
    connections: { type: 'string', default: '8' },
    warmup: { type: 'string', default: '1' },
    run: { type: 'string', default: '5' },
  },
});
const port = Number(values.port);
const text = readFileSync(values.file ?? '', 'latin1').replace(/\r?\n/g, '\r\n');
const message = Buffer.from(`${text.replace(/^\./gm, '..')}${text.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1');
const envelope = `MAIL FROM:<${BENCH_MAIL.from}>\r\nRCPT TO:<${BENCH_MAIL.to[0]}>\r\nDATA\r\n`;

let sent = 0;
let stopping = false;
async function mails(session: Session): Promise<void> {
  while (!stopping) {
    const [mail, rcpt, data] = await session.send(envelope, 3);
    if (mail !== 250 || rcpt !== 250 || data !== 354)
      throw new Error(`the relay answered MAIL ${mail}, RCPT ${rcpt}, DATA ${data}`);
    const [end] = await session.send(message, 1);
    if (end !== 250) throw new Error(`the relay answered the message with ${end}`);
    sent++;
  }
}

try {
  const sessions = await Promise.all(Array.from({ length: Number(values.connections) }, () => open(port)));
  const sending = Promise.all(sessions.map(mails));
  // A failure of any session ends the wait at once (and is thrown here).
  await Promise.race([sleep(Number(values.warmup) * 1000), sending]);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const sent0 = sent;
  await Promise.race([sleep(Number(values.run) * 1000), sending]);
  const cpu = process.cpuUsage(cpu0);
  const seconds = (performance.now() - t0) / 1000;
  const measured = sent - sent0;
  stopping = true;
  await sending;
  await Promise.all(sessions.map((s) => s.quit()));
  console.log(JSON.stringify({ mails: measured, seconds, cpuUs: cpu.user + cpu.system }));
} catch (err) {
  console.error(`smtp-client: ${(err as Error).message}`);
  // The other sessions' sockets are still open.
  process.exit(1);
}
