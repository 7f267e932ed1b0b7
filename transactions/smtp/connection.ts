// One SMTP client connection to a relay (RFC 5321), reused for many mails. With PIPELINING
// (RFC 2920) a mail's MAIL, RCPT and DATA commands go out in one write.
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { formatReply, ReplyParser, type SmtpReply } from './reply.js';
import type { RelayTarget } from './relay-url.js';

export interface SmtpTimeouts {
  /** TCP (and TLS) connect. */
  readonly connect: number;
  /** The 220 greeting, EHLO and other commands. */
  readonly command: number;
  /** The reply after the final dot. */
  readonly final: number;
}

export interface ConnectionOptions {
  /** The name this client gives in EHLO. */
  readonly clientName: string;
  readonly timeouts: SmtpTimeouts;
}

export interface RefusedRecipient {
  readonly recipient: string;
  readonly reply: string;
}

/** What became of one mail on one relay. */
export interface Delivery {
  /** sent: every recipient but those refused for good has it; deferred: somebody must wait; failed: refused for good. */
  readonly kind: 'sent' | 'deferred' | 'failed';
  readonly relay: string;
  readonly reply: string;
  readonly refused: readonly RefusedRecipient[];
  /** Recipients the relay took the mail for (it answered 2xx after the dot). */
  readonly accepted?: readonly string[];
}

/** The connection broke or a reply did not come in time: the mail's fate is not known. */
export class ConnectionLost extends Error {
  readonly code = 'CICSMAIL_SMTP_LOST';
  constructor(
    message: string,
    /** True where nothing of the current mail was taken: trying again elsewhere is safe. */
    readonly retryable: boolean,
  ) {
    super(message);
  }
}

interface Waiter {
  resolve(reply: SmtpReply): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  what: string;
}

const CRLF_DOT = Buffer.from('\r\n.');
const END_OF_DATA = Buffer.from('.\r\n');
const CRLF = Buffer.from('\r\n');

export class SmtpConnection {
  readonly relay: RelayTarget;
  readonly extensions = new Map<string, string>();
  /** Mails this connection carried to their end (whatever the reply). */
  mails = 0;
  #socket: Socket;
  #waiters: Waiter[] = [];
  #broken: string | null = null;
  #busy = false;

  private constructor(relay: RelayTarget, socket: Socket, private readonly options: ConnectionOptions) {
    this.relay = relay;
    this.#socket = socket;
    const parser = new ReplyParser(
      (reply) => this.#onReply(reply),
      (message) => this.#fail(`protocol error from ${relay.label}: ${message}`),
    );
    socket.on('data', (chunk: Buffer) => parser.push(chunk));
    socket.on('error', (err) => this.#fail(`connection to ${relay.label} failed: ${err.message}`));
    socket.on('close', () => this.#fail(`${relay.label} closed the connection`));
  }

  /** Connects, reads the greeting, says EHLO (HELO where EHLO is refused), AUTH where asked. */
  static async open(relay: RelayTarget, options: ConnectionOptions): Promise<SmtpConnection> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = relay.secure
        ? tlsConnect({ host: relay.host, port: relay.port, servername: relay.host })
        : netConnect({ host: relay.host, port: relay.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(new Error(`connect to ${relay.label} timed out after ${options.timeouts.connect} ms`));
      }, options.timeouts.connect);
      s.once(relay.secure ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`connect to ${relay.label} failed: ${err.message}`));
      });
    });
    socket.setNoDelay(true);
    const conn = new SmtpConnection(relay, socket, options);
    try {
      await conn.#handshake();
    } catch (err) {
      conn.close();
      throw err;
    }
    return conn;
  }

  get usable(): boolean {
    return this.#broken === null && !this.#busy;
  }

  async #handshake(): Promise<void> {
    const greeting = await this.#expect('greeting');
    if (greeting.code !== 220) throw new Error(`${this.relay.label} greeted with ${formatReply(greeting)}`);
    this.#write(`EHLO ${this.options.clientName}\r\n`);
    let hello = await this.#expect('EHLO');
    if (hello.code === 250) {
      for (const line of hello.lines.slice(1)) {
        const [keyword = '', ...rest] = line.trim().split(/\s+/);
        this.extensions.set(keyword.toUpperCase(), rest.join(' '));
      }
    } else {
      this.#write(`HELO ${this.options.clientName}\r\n`);
      hello = await this.#expect('HELO');
      if (hello.code !== 250) throw new Error(`${this.relay.label} refused HELO: ${formatReply(hello)}`);
    }
    if (this.relay.user !== undefined) await this.#auth();
  }

  async #auth(): Promise<void> {
    const mechanisms = (this.extensions.get('AUTH') ?? '').toUpperCase().split(/\s+/);
    if (!mechanisms.includes('PLAIN')) {
      throw new Error(`${this.relay.label} offers no AUTH PLAIN (offers: ${mechanisms.join(' ') || 'none'})`);
    }
    const token = Buffer.from(`\0${this.relay.user ?? ''}\0${this.relay.pass ?? ''}`, 'utf8').toString('base64');
    this.#write(`AUTH PLAIN ${token}\r\n`);
    const reply = await this.#expect('AUTH');
    if (reply.code !== 235) throw new Error(`${this.relay.label} refused the credentials: ${formatReply(reply)}`);
  }

  /**
   * Sends one mail. Resolves with what the relay answered; rejects with ConnectionLost
   * where the connection broke or timed out (the mail may or may not have arrived).
   */
  async send(from: string, recipients: readonly string[], message: Uint8Array): Promise<Delivery> {
    if (this.#busy) throw new Error('SmtpConnection.send while a mail is under way (a bug in the pool)');
    if (this.#broken) throw new ConnectionLost(this.#broken, true);
    this.#busy = true;
    try {
      return await this.#transaction(from, recipients, message);
    } finally {
      this.#busy = false;
      this.mails++;
    }
  }

  async #transaction(from: string, recipients: readonly string[], message: Uint8Array): Promise<Delivery> {
    const relay = this.relay.label;
    const sizeLimit = Number(this.extensions.get('SIZE') ?? '0');
    if (sizeLimit > 0 && message.byteLength > sizeLimit) {
      return { kind: 'failed', relay, reply: `552 5.3.4 message of ${message.byteLength} bytes is over the relay's SIZE limit of ${sizeLimit}`, refused: [] };
    }
    const size = this.extensions.has('SIZE') ? ` SIZE=${message.byteLength}` : '';
    const mailCmd = `MAIL FROM:<${from}>${size}\r\n`;
    const rcptCmds = recipients.map((r) => `RCPT TO:<${r}>\r\n`);
    let answered = false;
    const expect = async (what: string, timeout?: number) => {
      const reply = await this.#expect(what, timeout).catch((err: Error) => {
        throw new ConnectionLost(err.message, !answered);
      });
      answered = true;
      return reply;
    };

    let mailReply: SmtpReply;
    const rcptReplies: SmtpReply[] = [];
    let dataReply: SmtpReply | undefined;
    if (this.extensions.has('PIPELINING')) {
      this.#write(mailCmd + rcptCmds.join('') + 'DATA\r\n');
      const pending = [this.#expect('MAIL FROM'), ...recipients.map(() => this.#expect('RCPT TO')), this.#expect('DATA')];
      // Every reply is awaited (in order) so that none arrives unclaimed.
      const settled = await Promise.allSettled(pending);
      const first = settled[0];
      // A relay that says 421 closes at once; the replies after it never come.
      if (first?.status === 'fulfilled' && first.value.code === 421) return this.#closing(first.value, true);
      const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failure) {
        const closing = settled.find((s): s is PromiseFulfilledResult<SmtpReply> => s.status === 'fulfilled' && s.value.code === 421);
        if (closing) return this.#closing(closing.value, false);
        throw new ConnectionLost((failure.reason as Error).message, first?.status === 'rejected');
      }
      const replies = settled.map((s) => (s as PromiseFulfilledResult<SmtpReply>).value);
      mailReply = replies[0] as SmtpReply;
      rcptReplies.push(...replies.slice(1, 1 + recipients.length));
      dataReply = replies[replies.length - 1];
    } else {
      this.#write(mailCmd);
      mailReply = await expect('MAIL FROM');
      if (mailReply.code === 421) return this.#closing(mailReply, true);
      if (mailReply.code < 300) {
        for (const cmd of rcptCmds) {
          this.#write(cmd);
          const reply = await expect('RCPT TO');
          if (reply.code === 421) return this.#closing(reply, false);
          rcptReplies.push(reply);
        }
        if (rcptReplies.some((r) => r.code < 300)) {
          this.#write('DATA\r\n');
          dataReply = await expect('DATA');
        }
      }
    }
    const closing = [mailReply, ...rcptReplies, dataReply].find((r) => r?.code === 421);
    if (closing) return this.#closing(closing, false);

    const done = (kind: Delivery['kind'], reply: SmtpReply | string, refused: readonly RefusedRecipient[] = [], accepted: readonly string[] = []): Delivery =>
      ({ kind, relay, reply: typeof reply === 'string' ? reply : formatReply(reply), refused, ...(accepted.length > 0 ? { accepted } : {}) });

    if (mailReply.code >= 300) {
      if (dataReply?.code === 354) await this.#abortData(expect);
      await this.#reset(expect);
      // After a refused MAIL the RCPT replies (503, bad sequence) say nothing of recipients.
      return done(mailReply.code < 500 ? 'deferred' : 'failed', mailReply);
    }
    const refused: RefusedRecipient[] = [];
    rcptReplies.forEach((reply, i) => {
      if (reply.code >= 300) refused.push({ recipient: recipients[i] ?? '', reply: formatReply(reply) });
    });
    // A recipient refused for now (4xx) must get the mail later: the mail is not done.
    const temporary = rcptReplies.find((r) => r.code >= 400 && r.code < 500);
    if (refused.length === recipients.length) {
      if (dataReply?.code === 354) await this.#abortData(expect);
      await this.#reset(expect);
      return done(temporary ? 'deferred' : 'failed', temporary ?? (rcptReplies[0] as SmtpReply), refused);
    }
    if (!dataReply || dataReply.code !== 354) {
      // Only 354 lets the message go; anything else, a 2xx too, means it did not.
      await this.#reset(expect);
      if (!dataReply) return done('deferred', `${relay} gave no reply to DATA`, refused);
      return done(dataReply.code >= 500 ? 'failed' : 'deferred', dataReply, refused);
    }
    this.#writeMessage(message);
    const final = await expect('end of data', this.options.timeouts.final);
    if (final.code === 421) return this.#closing(final, false);
    if (final.code >= 300) return done(final.code < 500 ? 'deferred' : 'failed', final, refused);
    const taken = recipients.filter((_, i) => (rcptReplies[i]?.code ?? 500) < 300);
    return done(temporary ? 'deferred' : 'sent', final, refused, taken);
  }

  /**
   * The relay said 421 (RFC 5321 3.8: it is closing the channel). The mail is deferred with
   * that reply; where it was the first reply to this mail, nothing of it reached the relay,
   * which the pool may try again on a fresh connection.
   */
  #closing(reply: SmtpReply, first: boolean): never | Delivery {
    const text = formatReply(reply);
    this.#fail(`${this.relay.label} is closing: ${text}`);
    if (first) throw new ConnectionLost(text, true);
    return { kind: 'deferred', relay: this.relay.label, reply: text, refused: [] };
  }

  /** Ends the connection now (a task's deadline passed); the mail under way is lost to it. */
  abort(reason: string): void {
    this.#fail(reason);
  }

  /** After a 354 that came though no recipient was taken: end the empty message. */
  async #abortData(expect: (what: string) => Promise<SmtpReply>): Promise<void> {
    this.#socket.write(END_OF_DATA);
    await expect('end of empty data');
  }

  /** RSET after a refused mail, so the next one starts clean; a relay that refuses RSET is left. */
  async #reset(expect: (what: string) => Promise<SmtpReply>): Promise<void> {
    if (this.#broken) return;
    this.#write('RSET\r\n');
    const reply = await expect('RSET');
    if (reply.code !== 250) this.#fail(`${this.relay.label} refused RSET: ${formatReply(reply)}`);
  }

  /** The message, dot-stuffed (RFC 5321 4.5.2), then CRLF.CRLF, in one corked write. */
  #writeMessage(message: Uint8Array): void {
    const socket = this.#socket;
    const bytes = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
    socket.cork();
    let start = 0;
    if (bytes[0] === 0x2e) socket.write('.');
    let at = bytes.indexOf(CRLF_DOT, 0);
    while (at !== -1) {
      // Write through the CRLF and the dot, then the dot again from the next chunk.
      socket.write(bytes.subarray(start, at + 3));
      start = at + 2;
      at = bytes.indexOf(CRLF_DOT, at + 3);
    }
    socket.write(bytes.subarray(start));
    const endsWithCrlf = bytes.length >= 2 && bytes[bytes.length - 2] === 0x0d && bytes[bytes.length - 1] === 0x0a;
    if (!endsWithCrlf) socket.write(CRLF);
    socket.write(END_OF_DATA);
    socket.uncork();
  }

  #write(text: string): void {
    this.#socket.write(text, 'latin1');
  }

  #expect(what: string, timeout = this.options.timeouts.command): Promise<SmtpReply> {
    if (this.#broken) return Promise.reject(new Error(this.#broken));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        what,
        timer: setTimeout(() => this.#fail(`no reply to ${what} from ${this.relay.label} within ${timeout} ms`), timeout),
      };
      this.#waiters.push(waiter);
    });
  }

  #onReply(reply: SmtpReply): void {
    const waiter = this.#waiters.shift();
    if (!waiter) {
      // A reply nobody asked for: a 421 on an idle connection, or a confused server.
      this.#fail(`${this.relay.label} said ${formatReply(reply)} unasked`);
      return;
    }
    clearTimeout(waiter.timer);
    waiter.resolve(reply);
  }

  #fail(reason: string): void {
    if (this.#broken === null) this.#broken = reason;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.reject(new Error(reason));
    }
    this.#socket.destroy();
  }

  /** Says QUIT where it can and closes; never throws. */
  close(): void {
    if (this.#broken === null && !this.#busy) {
      this.#broken = 'closed by the client';
      this.#socket.end('QUIT\r\n');
      this.#socket.setTimeout(1000, () => this.#socket.destroy());
      return;
    }
    this.#fail('closed by the client');
  }
}
