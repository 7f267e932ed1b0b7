// A load run through a region restart. autocannon reconnects at once after a connection
// error and writes the next request into the new connection, counting it made: against a
// port nobody listens on, each connection fails hundreds of times a second, and a run
// gave up (1,000 errors) a tenth of a second into a restart, or spent its --requests on
// refusals. Here a connection waits before it connects again (50 ms, doubling to 1 s); a
// request that never reached the region (refused) is made again, and one a broken
// connection took with it is counted unanswered (the region may have run it); the run
// gives up only when no answer has come for the whole of --reconnect while connections fail.

/** The part of autocannon's client (lib/httpClient.js, not in its types) that reconnecting wraps. */
export interface ReconnectingClient {
  destroyed: boolean;
  reqsMade: number;
  readonly pipelinedRequests: { size(): number; clear(): void };
  readonly parser: Parser;
  _connect(this: ReconnectingClient): void;
  on(event: 'connError', listener: (err: NodeJS.ErrnoException) => void): unknown;
  on(event: 'response', listener: () => void): unknown;
}

interface Parser {
  readonly type?: unknown;
  initialize?(type: unknown): void;
}

/** The part of autocannon's client that limitAnswers uses (lib/httpClient.js, lib/pipelinedRequestsQueue.js). */
export interface AnswerLimitedClient {
  readonly destroyed: boolean;
  /** The request whose answer is being read: its bytes so far. */
  readonly pipelinedRequests: { peek(): { readonly bytes: number } | undefined };
  readonly parser: Parser;
  _connect(): void;
  _destroyConnection(): void;
  on(event: 'body', listener: () => void): unknown;
}

/** Connection errors after which the request never reached the region: it is made again. */
const NOT_SENT = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ENOTFOUND', 'EAI_AGAIN']);

const FIRST_WAIT_MS = 50;
const LONGEST_WAIT_MS = 1000;

/** The wait before the `failures`-th reconnect in a row (1, 2, ...): doubling, a little spread so that connections do not knock together. */
export function reconnectDelayMs(failures: number, random: () => number = Math.random): number {
  const base = Math.min(LONGEST_WAIT_MS, FIRST_WAIT_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.75 + random() / 2));
}

export interface ConnectionEvents {
  /** A connection failed; `unanswered` requests went with it, `resent` ones never reached the region and are made again. */
  failed(error: NodeJS.ErrnoException, unanswered: number, resent: number): void;
  /** The region closed a connection that still had `unanswered` requests on it. */
  closed(unanswered: number): void;
}

/** The state of one client's reconnecting, for the pacing of --rate. */
export interface Reconnect {
  /** A reconnect is due: the client has no connection to write to. */
  readonly waiting: boolean;
}

/** When a reconnect runs: the system's timers, or a test's clock. */
export interface ReconnectTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  readonly random?: () => number;
}

const systemTimers: ReconnectTimers = { setTimeout: (fn, ms) => setTimeout(fn, ms) };

/**
 * Makes `client` reconnect with a wait after a failed connection, and tells `events` what
 * each failure cost. Call it from autocannon's setupClient (before the first connect).
 */
export function reconnectWithBackoff(
  client: ReconnectingClient,
  events: ConnectionEvents,
  timers: ReconnectTimers = systemTimers,
): Reconnect {
  const state = { waiting: false, failures: 0, afterError: false };
  // eslint-disable-next-line @typescript-eslint/unbound-method -- autocannon's own, called with this client below
  const connect = client._connect;
  // Called before autocannon's own listener, which reconnects at once (through _connect below).
  client.on('connError', (error) => {
    const lost = client.pipelinedRequests.size();
    // The queue would pair the next answers with requests that are gone (wrong latencies).
    client.pipelinedRequests.clear();
    if (lost > 0) resetParser(client);
    const resent = error.code !== undefined && NOT_SENT.has(error.code) ? lost : 0;
    client.reqsMade -= resent;
    state.failures++;
    state.afterError = true;
    events.failed(error, lost - resent, resent);
  });
  client.on('response', () => {
    state.failures = 0;
  });
  client._connect = function reconnect(this: ReconnectingClient) {
    // A reconnect is due already (autocannon's answer timer may call this meanwhile).
    if (this.destroyed || state.waiting) return;
    if (!state.afterError) {
      // The region ended the connection ('end') with requests on it: they went unanswered.
      const lost = this.pipelinedRequests.size();
      if (lost > 0) {
        this.pipelinedRequests.clear();
        events.closed(lost);
      }
      // A new connection starts a new answer: after autocannon's time-out the parser was
      // in the middle of the old one, and read the next answer as its rest.
      resetParser(this);
      return connect.call(this);
    }
    state.afterError = false;
    state.waiting = true;
    timers.setTimeout(
      () => {
        state.waiting = false;
        if (!this.destroyed) connect.call(this);
      },
      reconnectDelayMs(state.failures, timers.random),
    );
  };
  return state;
}

/**
 * Ends an answer larger than `maxBytes` on `client`: autocannon keeps each answer's body as
 * a string until it is complete, so an answer without end (a broken region, or one that is
 * not a region) would grow without bound. The connection is dropped and made anew, the
 * next request goes on it, and `onTooLarge` counts the one that was cut off. Done a tick
 * later, out of the HTTP parser's own callback, which goes on with the chunk it has.
 */
export function limitAnswers(client: AnswerLimitedClient, maxBytes: number, onTooLarge: () => void): void {
  let due = false;
  client.on('body', () => {
    const head = client.pipelinedRequests.peek();
    if (due || !head || head.bytes <= maxBytes) return;
    due = true;
    setImmediate(() => {
      due = false;
      // The answer ended meanwhile, or the client did: nothing to cut off.
      if (client.destroyed || client.pipelinedRequests.peek() !== head) return;
      onTooLarge();
      client._destroyConnection();
      resetParser(client);
      client._connect();
    });
  });
}

/** A response cut off mid-way must not be read on into the next connection's. */
function resetParser(client: { readonly parser: Parser }): void {
  const { parser } = client;
  if (typeof parser.initialize === 'function') parser.initialize(parser.type);
}

/**
 * Outages: from the first connection failure after an answer until the next answer. The
 * run gives up where one lasts longer than `giveUpMs`.
 */
export class Outages {
  #since: number | null = null;
  #longestMs = 0;
  count = 0;
  gaveUp = false;

  constructor(readonly giveUpMs: number) {}

  /** A connection failed at `now`; true where the outage has now lasted too long. */
  failed(now: number): { started: boolean; tooLong: boolean } {
    let started = false;
    if (this.#since === null) {
      this.#since = now;
      this.count++;
      started = true;
    }
    const lasted = now - this.#since;
    this.#longestMs = Math.max(this.#longestMs, lasted);
    if (lasted > this.giveUpMs) this.gaveUp = true;
    return { started, tooLong: this.gaveUp };
  }

  /** An answer came at `now`: the outage, if any, is over; resolves to how long it lasted. */
  answered(now: number): number | null {
    if (this.#since === null) return null;
    const lasted = now - this.#since;
    this.#longestMs = Math.max(this.#longestMs, lasted);
    this.#since = null;
    return lasted;
  }

  get longestMs(): number {
    return this.#longestMs;
  }
}
