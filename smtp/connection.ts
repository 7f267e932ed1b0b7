// One SMTP client connection to a relay (RFC 5321), reused for many mails. With PIPELINING
// (RFC 2920) a mail's MAIL, RCPT and DATA commands go out in one write.
import type { MessageBytes } from '../cics/message-chunks.js';
import type { Socket } from 'node:net';
import { authenticate } from './auth.js';
import { END_OF_DATA, writeMessage } from './data.js';
import type { Delivery, RefusedRecipient, SmtpFailure } from './delivery.js';
import type { DsnRequest } from './dsn/request.js';
import { planEnvelope, type EnvelopePlan } from './envelope.js';
import { SmtpError, smtpError } from './errors.js';
import { formatReply, ReplyParser, type SmtpReply } from './reply.js';
import type { RelayTarget } from './relay-url.js';
import { openSocket, secureSocket, startTlsMode, type TlsDefaults } from './tls.js';

/**
 * RFC 5321 4.5.3.2 lists per-step minimums: 220 greeting 5 min, MAIL 5, RCPT 5, DATA
 * initiation 2, each data block 3, DATA termination (the reply after the dot) 10. Here
 * `command` is every step but the last, `final` the last; the region's defaults are
 * shorter (a caller waits on the task, and a deferred mail goes to the retry spool).
 */
export interface SmtpTimeouts {
  /** TCP connect, and the TLS handshake (smtps or after STARTTLS). */
  readonly connect: number;
  /**
   * The greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA and RSET replies; also the data
   * block time-out: the relay taking none of the message for this long.
   */
  readonly command: number;
  /** The reply after the final dot, counted from when the last byte went to the OS. */
  readonly final: number;
}

export interface ConnectionOptions extends TlsDefaults {
  /** The name this client gives in EHLO. */
  readonly clientName: string;
  readonly timeouts: SmtpTimeouts;
}

interface Waiter {
  resolve(reply: SmtpReply): void;
  reject(err: SmtpError): void;
  /** Unset until the wait is armed (the reply after the dot: once the message is written). */
  timer: NodeJS.Timeout | undefined;
  what: string;
}

/** What the relay said to MAIL, to each RCPT, and to DATA where it was sent. */
interface EnvelopeReplies {
  readonly mail: SmtpReply;
  readonly rcpts: readonly SmtpReply[];
  readonly data: SmtpReply | undefined;
}

type EnvelopeToSend = Extract<EnvelopePlan, { kind: 'send' }>;

/** Waits for the next reply to the step named `what`. */
type Expect = (what: string, timeout?: number) => Promise<SmtpReply>;

/** The first recipient refused for now (4xx), whose refusal keeps the mail open. */
function temporaryOf(rcpts: readonly SmtpReply[]): SmtpReply | undefined {
  return rcpts.find((r) => r.code >= 400 && r.code < 500);
}

/** The mail's end: sent, or refused for now or for good with the reply that says so. */
function ending(
  relay: string,
  refusal: SmtpReply | null,
  reply: SmtpReply,
  refused: readonly RefusedRecipient[] = [],
  accepted: readonly string[] = [],
): Delivery {
  const text = formatReply(reply);
  if (refusal === null) return { kind: 'sent', relay, reply: text, accepted, refused };
  const failure: SmtpFailure = { kind: 'reply', reply: refusal, message: formatReply(refusal) };
  return { kind: refusal.code >= 500 ? 'failed' : 'deferred', relay, reply: text, accepted, refused, failure };
}

export class SmtpConnection {
  readonly relay: RelayTarget;
  readonly extensions = new Map<string, string>();
  /** Mails this connection carried to their end (whatever the reply). */
  mails = 0;
  /** TLS from the first byte (smtps) or after STARTTLS. */
  #encrypted: boolean;
  #socket: Socket;
  /** The TCP socket under TLS after STARTTLS, closed with it. */
  #plain: Socket | null = null;
  #parser!: ReplyParser;
  #detach: () => void = () => {};
  #waiters: Waiter[] = [];
  /** Why the connection can carry no more mail: the first failure it met. */
  #broken: SmtpFailure | null = null;
  #busy = false;
  /** The mail's final dot is written and its reply awaited: a deadline no longer cuts it (abort). */
  #afterDot = false;
  readonly #peer: string | undefined;

  private constructor(
    relay: RelayTarget,
    socket: Socket,
    private readonly options: ConnectionOptions,
  ) {
    this.relay = relay;
    this.#encrypted = relay.secure;
    this.#peer = socket.remoteAddress;
    this.#socket = socket;
    this.#attach(socket);
  }

  /** Reads replies from `socket` with a parser of its own (nothing read in clear carries over into TLS). */
  #attach(socket: Socket): void {
    const label = this.relay.label;
    const parser = new ReplyParser(
      (reply) => this.#onReply(reply),
      (message) => this.#fail({ kind: 'protocol', message: `protocol error from ${label}: ${message}` }),
    );
    const onData = (chunk: Buffer) => parser.push(chunk);
    const onError = (err: Error) =>
      this.#fail({ kind: 'broken', message: `connection to ${label} failed: ${err.message}` });
    const onClose = () => this.#fail({ kind: 'broken', message: `${label} closed the connection` });
    socket.on('data', onData).on('error', onError).on('close', onClose);
    this.#socket = socket;
    this.#parser = parser;
    this.#detach = () => socket.off('data', onData).off('error', onError).off('close', onClose);
  }

  /** Connects, reads the greeting, says EHLO (HELO where EHLO is refused), STARTTLS and AUTH where asked. */
  static async open(relay: RelayTarget, options: ConnectionOptions): Promise<SmtpConnection> {
    const socket = await openSocket(relay, options, options.timeouts.connect);
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
    if (greeting.code !== 220) throw smtpError('connect', `${this.relay.label} greeted with ${formatReply(greeting)}`);
    await this.#hello(true);
    await this.#startTls();
    if (this.relay.user !== undefined) {
      await authenticate({
        relay: this.relay,
        extensions: this.extensions,
        encrypted: this.#encrypted,
        peer: this.#peer,
        exchange: (line, what) => {
          this.#write(`${line}\r\n`);
          return this.#expect(what);
        },
      });
    }
  }

  /** EHLO, and its keywords; HELO where EHLO is refused, on the first greeting only. */
  async #hello(first: boolean): Promise<void> {
    this.extensions.clear();
    this.#write(`EHLO ${this.options.clientName}\r\n`);
    const hello = await this.#expect('EHLO');
    if (hello.code === 250) {
      for (const line of hello.lines.slice(1)) {
        const [keyword = '', ...rest] = line.trim().split(/\s+/);
        if (keyword !== '') this.extensions.set(keyword.toUpperCase(), rest.join(' '));
      }
      return;
    }
    if (!first) throw smtpError('tls', `${this.relay.label} refused EHLO after STARTTLS: ${formatReply(hello)}`);
    this.#write(`HELO ${this.options.clientName}\r\n`);
    const helo = await this.#expect('HELO');
    if (helo.code !== 250) throw smtpError('connect', `${this.relay.label} refused HELO: ${formatReply(helo)}`);
  }

  /**
   * STARTTLS (RFC 3207) as the relay's mode says. A refusal (454) leaves the session in
   * clear, which opportunistic accepts; a failed handshake or certificate leaves nothing
   * usable, and the relay is not used in any mode: falling back to clear text there
   * would let whoever spoiled the handshake read the mail.
   */
  async #startTls(): Promise<void> {
    if (this.relay.secure) return;
    const { mode, by } = startTlsMode(this.relay, this.options);
    if (mode === 'none') return;
    const label = this.relay.label;
    if (!this.extensions.has('STARTTLS')) {
      if (mode === 'required') throw smtpError('tls', `STARTTLS required by ${by} but not offered by ${label}`);
      return;
    }
    this.#write('STARTTLS\r\n');
    const reply = await this.#expect('STARTTLS');
    if (reply.code !== 220) {
      if (mode === 'required')
        throw smtpError('tls', `STARTTLS required by ${by} but ${label} refused it: ${formatReply(reply)}`);
      return;
    }
    // Bytes after the 220 came in clear and may be an attacker's (CVE-2011-0411 is the
    // server-side twin): RFC 3207 5 says to discard them; a relay that sends any is not
    // used (a whole reply has already ended the connection as unasked).
    if (this.#broken !== null) throw new SmtpError(this.#broken);
    if (this.#parser.buffered) throw smtpError('tls', `${label} sent more after its 220 to STARTTLS`);
    const plain = this.#socket;
    this.#detach();
    // Errors of the TCP socket now surface through the TLS socket.
    plain.on('error', () => {});
    this.#plain = plain;
    const secure = await secureSocket(this.relay, this.options, this.options.timeouts.connect, plain);
    this.#attach(secure);
    this.#encrypted = true;
    // RFC 3207 4.2: forget what the relay said in clear and ask again.
    await this.#hello(false);
  }

  /**
   * Sends one mail; `dsn` asks for its DSNs where the relay offers them. Resolves with what
   * the relay answered; rejects with an SmtpError where the connection broke or timed out
   * (the mail may or may not have arrived).
   */
  async send(from: string, recipients: readonly string[], message: MessageBytes, dsn?: DsnRequest): Promise<Delivery> {
    if (this.#busy) throw new Error('SmtpConnection.send while a mail is under way (a bug in the pool)');
    if (this.#broken) throw new SmtpError(this.#broken, true);
    this.#busy = true;
    try {
      return await this.#transaction(from, recipients, message, dsn);
    } finally {
      this.#busy = false;
      this.mails++;
    }
  }

  async #transaction(
    from: string,
    all: readonly string[],
    message: MessageBytes,
    dsn: DsnRequest | undefined,
  ): Promise<Delivery> {
    const relay = this.relay.label;
    const envelope = planEnvelope(this.extensions, relay, from, all, message, dsn);
    if (envelope.kind === 'refuse') {
      return {
        kind: 'failed',
        relay,
        reply: envelope.reply,
        accepted: [],
        refused: envelope.refused,
        failure: { kind: 'unsendable', message: envelope.reply },
      };
    }
    const delivery = await this.#mail(from, envelope, message);
    if (envelope.refused.length === 0) return delivery;
    // Those the relay was not asked about join those it refused, in the mail's order.
    const refused = [...envelope.refused, ...delivery.refused];
    const order = (r: RefusedRecipient) => all.indexOf(r.recipient);
    return { ...delivery, refused: refused.sort((a, b) => order(a) - order(b)) };
  }

  /**
   * One mail on the open session: the envelope (pipelined where offered), then the
   * message where the relay lets it go, and what came of it.
   */
  async #mail(from: string, envelope: EnvelopeToSend, message: MessageBytes): Promise<Delivery> {
    const { recipients, rcptParams } = envelope;
    const mailCmd = `MAIL FROM:<${from}>${envelope.params}\r\n`;
    const rcptCmds = recipients.map((r, i) => `RCPT TO:<${r}>${rcptParams[i] ?? ''}\r\n`);
    const expect = this.#expectInMail();
    const replies = this.extensions.has('PIPELINING')
      ? await this.#pipelined(mailCmd, rcptCmds)
      : await this.#serial(mailCmd, rcptCmds, expect);
    if ('kind' in replies) return replies;
    const closing = [replies.mail, ...replies.rcpts, replies.data].find((r) => r?.code === 421);
    if (closing) return this.#closing(closing, false);
    const refused: RefusedRecipient[] = [];
    replies.rcpts.forEach((reply, i) => {
      if (reply.code >= 300) refused.push({ recipient: recipients[i] ?? '', reply: formatReply(reply) });
    });
    return (
      (await this.#refusal(replies, refused, recipients.length, expect)) ??
      this.#data(message, recipients, replies, refused)
    );
  }

  /**
   * The wait for a reply within a mail, outside a pipelined batch: once the relay has
   * answered anything of it, a failure is no longer safe to try again elsewhere.
   */
  #expectInMail(): Expect {
    let answered = false;
    return async (what, timeout) => {
      const reply = await this.#expect(what, timeout).catch((err: SmtpError) => {
        throw new SmtpError(err.failure, !answered);
      });
      answered = true;
      return reply;
    };
  }

  /** MAIL, every RCPT and DATA in one write (RFC 2920), and their replies in order. */
  async #pipelined(mailCmd: string, rcptCmds: readonly string[]): Promise<EnvelopeReplies | Delivery> {
    this.#write(mailCmd + rcptCmds.join('') + 'DATA\r\n');
    const pending = [this.#expect('MAIL FROM'), ...rcptCmds.map(() => this.#expect('RCPT TO')), this.#expect('DATA')];
    // Every reply is awaited (in order) so that none arrives unclaimed.
    const settled = await Promise.allSettled(pending);
    const first = settled[0];
    // A relay that says 421 closes at once; the replies after it never come.
    if (first?.status === 'fulfilled' && first.value.code === 421) return this.#closing(first.value, true);
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) {
      const closing = settled.find(
        (s): s is PromiseFulfilledResult<SmtpReply> => s.status === 'fulfilled' && s.value.code === 421,
      );
      if (closing) return this.#closing(closing.value, false);
      throw new SmtpError((failure.reason as SmtpError).failure, first?.status === 'rejected');
    }
    const replies = settled.map((s) => (s as PromiseFulfilledResult<SmtpReply>).value);
    return { mail: replies[0] as SmtpReply, rcpts: replies.slice(1, -1), data: replies.at(-1) };
  }

  /** One command at a time: RCPT only after a taken MAIL, DATA only once a recipient is taken. */
  async #serial(mailCmd: string, rcptCmds: readonly string[], expect: Expect): Promise<EnvelopeReplies | Delivery> {
    this.#write(mailCmd);
    const mail = await expect('MAIL FROM');
    if (mail.code === 421) return this.#closing(mail, true);
    const rcpts: SmtpReply[] = [];
    if (mail.code >= 300) return { mail, rcpts, data: undefined };
    for (const cmd of rcptCmds) {
      this.#write(cmd);
      const reply = await expect('RCPT TO');
      if (reply.code === 421) return this.#closing(reply, false);
      rcpts.push(reply);
    }
    if (!rcpts.some((r) => r.code < 300)) return { mail, rcpts, data: undefined };
    this.#write('DATA\r\n');
    return { mail, rcpts, data: await expect('DATA') };
  }

  /**
   * The end of a mail whose message never went: MAIL refused, every recipient refused, or
   * no 354 to DATA. The session is reset for the next mail. Null where the message may go.
   */
  async #refusal(
    replies: EnvelopeReplies,
    refused: readonly RefusedRecipient[],
    recipients: number,
    expect: Expect,
  ): Promise<Delivery | null> {
    const relay = this.relay.label;
    const { mail, rcpts, data } = replies;
    if (mail.code >= 300) {
      if (data?.code === 354) await this.#abortData(expect);
      await this.#reset(expect);
      // After a refused MAIL the RCPT replies (503, bad sequence) say nothing of recipients.
      return ending(relay, mail, mail);
    }
    if (refused.length === recipients) {
      if (data?.code === 354) await this.#abortData(expect);
      await this.#reset(expect);
      const refusal = temporaryOf(rcpts) ?? rcpts[0]!;
      return ending(relay, refusal, refusal, refused);
    }
    if (data?.code === 354) return null;
    // Only 354 lets the message go; anything else, a 2xx too, means it did not.
    await this.#reset(expect);
    if (!data) {
      const message = `${relay} gave no reply to DATA`;
      return { kind: 'deferred', relay, reply: message, accepted: [], refused, failure: { kind: 'protocol', message } };
    }
    // Any other reply, a 2xx too, is a refusal: for good where it is 5xx, else for now.
    return ending(relay, data, data, refused);
  }

  /** The message after a 354, and the relay's reply after the dot. */
  async #data(
    message: MessageBytes,
    recipients: readonly string[],
    replies: EnvelopeReplies,
    refused: readonly RefusedRecipient[],
  ): Promise<Delivery> {
    const relay = this.relay.label;
    // Waiting for the reply starts now (a fast relay's reply must find it), its clock
    // once the whole message has left: a large mail on a slow link takes its own time.
    const stall = this.options.timeouts.command;
    const written = writeMessage(
      this.#socket,
      message,
      stall,
      (sent) =>
        this.#fail({
          kind: 'timeout',
          message: `${relay} took none of the message for ${stall} ms (${sent} bytes sent)`,
        }),
      () => (this.#afterDot = true),
    );
    const final = await this.#expect('end of data', this.options.timeouts.final, written)
      .catch((err: SmtpError) => {
        throw new SmtpError(err.failure, false);
      })
      .finally(() => (this.#afterDot = false));
    if (final.code === 421) return this.#closing(final, false);
    if (final.code >= 300) return ending(relay, final, final, refused);
    const taken = recipients.filter((_, i) => (replies.rcpts[i]?.code ?? 500) < 300);
    // A recipient refused for now (4xx) must get the mail later: the mail is not done.
    return ending(relay, temporaryOf(replies.rcpts) ?? null, final, refused, taken);
  }

  /**
   * The relay said 421 (RFC 5321 3.8: it is closing the channel). The mail is deferred with
   * that reply; where it was the first reply to this mail, nothing of it reached the relay,
   * which the pool may try again on a fresh connection.
   */
  #closing(reply: SmtpReply, first: boolean): never | Delivery {
    const text = formatReply(reply);
    this.#fail({ kind: 'broken', message: `${this.relay.label} is closing: ${text}` });
    const failure: SmtpFailure = { kind: 'reply', reply, message: text };
    if (first) throw new SmtpError(failure, true);
    return { kind: 'deferred', relay: this.relay.label, reply: text, accepted: [], refused: [], failure };
  }

  /**
   * Ends the connection now (a task's deadline passed); the mail under way is lost to it.
   * Not once its final dot is written: the relay may have taken it, and a mail cut off then
   * would be on record as not sent and sent again by the retry spool. Its reply has the
   * final time-out of its own.
   */
  abort(reason: string): void {
    if (this.#afterDot) return;
    this.#fail({ kind: 'timeout', message: reason });
  }

  /** After a 354 that came though no recipient was taken: end the empty message. */
  async #abortData(expect: Expect): Promise<void> {
    this.#socket.write(END_OF_DATA);
    await expect('end of empty data');
  }

  /** RSET after a refused mail, so the next one starts clean; a relay that refuses RSET is left. */
  async #reset(expect: Expect): Promise<void> {
    if (this.#broken) return;
    this.#write('RSET\r\n');
    const reply = await expect('RSET');
    if (reply.code !== 250)
      this.#fail({ kind: 'protocol', message: `${this.relay.label} refused RSET: ${formatReply(reply)}` });
  }

  /** Commands are ASCII but for SMTPUTF8 addresses, which go in UTF-8 (RFC 6531 3.3). */
  #write(text: string): void {
    this.#socket.write(text, 'utf8');
  }

  /** The next reply; its time-out runs from now, or from when `after` settles. */
  #expect(what: string, timeout = this.options.timeouts.command, after?: Promise<void>): Promise<SmtpReply> {
    if (this.#broken) return Promise.reject(new SmtpError(this.#broken));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { resolve, reject, what, timer: undefined };
      const arm = () => {
        if (this.#waiters.includes(waiter)) {
          waiter.timer = setTimeout(
            () =>
              this.#fail({
                kind: 'timeout',
                message: `no reply to ${what} from ${this.relay.label} within ${timeout} ms`,
              }),
            timeout,
          );
        }
      };
      this.#waiters.push(waiter);
      if (after) void after.then(arm, arm);
      else arm();
    });
  }

  #onReply(reply: SmtpReply): void {
    const waiter = this.#waiters.shift();
    if (!waiter) {
      // A reply nobody asked for: a 421 on an idle connection, or a confused server.
      this.#fail({ kind: 'protocol', message: `${this.relay.label} said ${formatReply(reply)} unasked` });
      return;
    }
    clearTimeout(waiter.timer);
    waiter.resolve(reply);
  }

  #fail(failure: SmtpFailure): void {
    if (this.#broken === null) this.#broken = failure;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) {
      clearTimeout(w.timer);
      w.reject(new SmtpError(failure));
    }
    this.#socket.destroy();
    this.#plain?.destroy();
  }

  /** Says QUIT where it can and closes; never throws. */
  close(): void {
    if (this.#broken === null && !this.#busy) {
      this.#broken = { kind: 'closed', message: 'closed by the client' };
      this.#socket.end('QUIT\r\n');
      this.#socket.setTimeout(1000, () => this.#socket.destroy());
      return;
    }
    this.#fail({ kind: 'closed', message: 'closed by the client' });
  }
}
