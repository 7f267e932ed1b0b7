// A bounded pool of reused SMTP connections to the smart hosts, tried in order (as z/OS
// CSSMTP tries its target servers). One pool per worker thread.
import type { MessageBytes } from '../cics/message-chunks.js';
import { SmtpConnection, type ConnectionOptions } from './connection.js';
import type { Delivery } from './delivery.js';
import type { DsnRequest } from './dsn/request.js';
import { SmtpError, smtpError } from './errors.js';
import type { RelayTarget } from './relay-url.js';

export interface PoolOptions extends ConnectionOptions {
  readonly relays: readonly RelayTarget[];
  /** Connections open at once, at most. */
  readonly maxConnections: number;
  /** Mails one connection carries before it is closed and replaced. */
  readonly maxMailsPerConnection: number;
  /** An idle connection is closed after this long. */
  readonly idleTimeout: number;
}

interface Idle {
  conn: SmtpConnection;
  timer: NodeJS.Timeout;
}

export class SmtpPool {
  #idle: Idle[] = [];
  #open = 0;
  #queue: Array<(conn: SmtpConnection | null) => void> = [];
  #closed = false;

  constructor(private readonly options: PoolOptions) {}

  /** Connections open now (busy or idle). */
  get openConnections(): number {
    return this.#open;
  }

  /**
   * Sends one mail from `from` (the envelope sender: the return path its bounces go to),
   * asking for DSNs as `dsn` says where the relay offers them. Never rejects for the
   * relay's sake: a relay that cannot be reached, a connection lost mid-mail, or a
   * `deadline` (epoch ms) passed, is a `deferred` delivery with its failure; only a bug
   * rejects.
   */
  async send(
    from: string,
    recipients: readonly string[],
    message: MessageBytes,
    deadline = Infinity,
    dsn?: DsnRequest,
  ): Promise<Delivery> {
    const relays = this.options.relays.map((r) => r.label).join(',');
    for (let attempt = 0; ; attempt++) {
      let conn: SmtpConnection;
      try {
        conn = await this.#acquireBy(deadline);
      } catch (err) {
        if (!(err instanceof SmtpError)) throw err;
        return { kind: 'deferred', relay: relays, reply: err.message, accepted: [], refused: [], failure: err.failure };
      }
      const reused = conn.mails > 0;
      const timer =
        deadline === Infinity
          ? undefined
          : setTimeout(
              () => conn.abort(`the relay did not finish the mail within the task's time limit`),
              Math.max(0, deadline - Date.now()),
            );
      try {
        const delivery = await conn.send(from, recipients, message, dsn);
        this.#release(conn);
        return delivery;
      } catch (err) {
        this.#release(conn);
        // A reused connection the relay had closed (quietly, or with 421) took nothing of
        // this mail; that says nothing of the relay, so try once more on a fresh one.
        if (!(err instanceof SmtpError)) throw err;
        if (err.retryable && reused && attempt === 0 && Date.now() < deadline) continue;
        return {
          kind: 'deferred',
          relay: conn.relay.label,
          reply: err.message,
          accepted: [],
          refused: [],
          failure: err.failure,
        };
      } finally {
        clearTimeout(timer);
      }
    }
  }

  /**
   * An idle connection, a new one where the bound allows, else a turn in the queue until
   * one is free or the deadline passes. A connection that opens after the deadline goes
   * to the idle list for the next mail.
   */
  async #acquireBy(deadline: number): Promise<SmtpConnection> {
    for (;;) {
      if (this.#closed) throw smtpError('closed', 'the SMTP pool is closed');
      while (this.#idle.length > 0) {
        const idle = this.#idle.pop() as Idle;
        clearTimeout(idle.timer);
        if (idle.conn.usable) return idle.conn;
        this.#discard(idle.conn);
      }
      if (this.#open < this.options.maxConnections) return this.#openBy(deadline);
      const conn = await new Promise<SmtpConnection | null>((resolve, reject) => {
        const waiter = (c: SmtpConnection | null) => {
          clearTimeout(timer);
          resolve(c);
        };
        const timer =
          deadline === Infinity
            ? undefined
            : setTimeout(
                () => {
                  const i = this.#queue.indexOf(waiter);
                  if (i !== -1) this.#queue.splice(i, 1);
                  reject(smtpError('timeout', "no connection to the relay was free within the task's time limit"));
                },
                Math.max(0, deadline - Date.now()),
              );
        this.#queue.push(waiter);
      });
      if (conn) return conn;
    }
  }

  async #openBy(deadline: number): Promise<SmtpConnection> {
    this.#open++;
    const opening = this.#connect().catch((err: Error) => {
      this.#open--;
      this.#wakeOne();
      throw err;
    });
    if (deadline === Infinity) return opening;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => {
          opening.then(
            (conn) => this.#release(conn),
            () => {},
          );
          reject(smtpError('timeout', "the relay did not answer within the task's time limit"));
        },
        Math.max(0, deadline - Date.now()),
      );
    });
    try {
      return await Promise.race([opening, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The first relay that answers; where none does, the last one's kind of failure with the reasons of all. */
  async #connect(): Promise<SmtpConnection> {
    const failures: SmtpError[] = [];
    for (const relay of this.options.relays) {
      try {
        return await SmtpConnection.open(relay, this.options);
      } catch (err) {
        if (!(err instanceof SmtpError)) throw err;
        failures.push(err);
      }
    }
    const kind = failures.at(-1)?.failure.kind ?? 'connect';
    const message = `no relay could be reached: ${failures.map((f) => f.message).join('; ')}`;
    throw kind === 'reply' ? smtpError('connect', message) : smtpError(kind, message);
  }

  #release(conn: SmtpConnection): void {
    if (this.#closed || !conn.usable || conn.mails >= this.options.maxMailsPerConnection) {
      this.#discard(conn);
      return;
    }
    const waiter = this.#queue.shift();
    if (waiter) {
      waiter(conn);
      return;
    }
    const timer = setTimeout(() => {
      const i = this.#idle.findIndex((x) => x.conn === conn);
      if (i !== -1) this.#idle.splice(i, 1);
      this.#discard(conn);
    }, this.options.idleTimeout);
    timer.unref();
    this.#idle.push({ conn, timer });
  }

  #discard(conn: SmtpConnection): void {
    conn.close();
    this.#open--;
    this.#wakeOne();
  }

  /** A waiter whose turn has come now that a connection slot is free: it connects itself. */
  #wakeOne(): void {
    this.#queue.shift()?.(null);
  }

  close(): void {
    this.#closed = true;
    for (const idle of this.#idle.splice(0)) {
      clearTimeout(idle.timer);
      idle.conn.close();
      this.#open--;
    }
    for (const waiter of this.#queue.splice(0)) waiter(null);
  }
}
