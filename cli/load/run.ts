// One load run: autocannon sends the pool's requests over `connections` keep-alive
// connections, for a duration or a number of requests, and every answer is recorded
// (latency, RESP, abend, RC, journal sequence numbers).
//
// --rate: autocannon's own overallRate releases each connection's share of a second in a
// burst at the start of that second (lib/httpClient.js: reqsMadeThisSecond, reset by a
// 1 s interval), and measures latency from when a request was written: a slow answer
// holds back the requests behind it and hides their wait (coordinated omission). So for a
// fixed arrival rate the run paces autocannon's clients instead: request k is due at
// start + k/rate, a free connection waits for the next due time, and latency is measured
// from the due time, not from the write. A region that falls behind shows it as latency.
import type { IncomingHttpHeaders } from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import type { PayloadPool } from './payloads.js';
import { answerOf, type TaskAnswer } from '../../client/protocol.js';
import { RegionClient, type ClientLimits } from '../../client/region-client.js';
import { isLostAnswer, KeyRetries, retryWaitMs, type KeyedRequest, type KeyFigures } from './key-retry.js';
import { Recorder } from './record.js';
import {
  limitAnswers,
  Outages,
  reconnectWithBackoff,
  type AnswerLimitedClient,
  type Reconnect,
  type ReconnectingClient,
} from './reconnect.js';

export interface RunOptions {
  /** The region's base URL (http://host:port). */
  readonly url: string;
  readonly pool: PayloadPool;
  /** The Authorization header value, if any. */
  readonly authorization?: string;
  readonly connections: number;
  /** Seconds to run; or `requests` in all. */
  readonly durationS?: number;
  readonly requests?: number;
  /** Requests a second, as a fixed arrival rate; undefined: as fast as the connections go. */
  readonly rate?: number;
  /** Seconds to wait for an answer. */
  readonly timeoutS: number;
  /**
   * A fresh request key (Idempotency-Key) on every request, made from this prefix and a
   * count; a request whose answer was lost is sent again with its key until it is answered.
   */
  readonly keys?: string;
  /** Times a key is sent again at most (default KEY_RETRIES); it is retried for at most timeoutS + reconnectS. */
  readonly keyRetries?: number;
  /** Keep each answer's journal sequence numbers (for --verify). */
  readonly keepMails: boolean;
  /** Called every `tickMs` with the recorder (for a progress line). */
  readonly onTick?: (recorder: Recorder, elapsedS: number) => void;
  readonly tickMs?: number;
  /** Seconds without an answer, while connections fail, after which the run gives up (default RECONNECT_S). */
  readonly reconnectS?: number;
  /** The region stopped answering (connections fail: `error`), or answers again after `lastedMs`. */
  readonly onOutage?: (event: { readonly error: NodeJS.ErrnoException } | { readonly lastedMs: number }) => void;
}

export interface RunResult {
  readonly recorder: Recorder;
  /** From the first request to the last answer. */
  readonly elapsedS: number;
  readonly startedAt: Date;
  /** Requests sent (those a refused connection never carried, and that were made again, left out). */
  readonly sent: number;
  /** Times the region could not be reached, and whether the run gave up on it. */
  readonly outages: Outages;
  /** With keys: keys sent, retried, answered, given up. */
  readonly keys: KeyFigures | null;
}

/** The part of autocannon's client that retrying a key uses (lib/httpClient.js). */
interface KeyedClient {
  destroyed: boolean;
  reqsMade: number;
  readonly requestIterator: { rebuildRequest(): unknown };
  _doRequest(this: KeyedClient): void;
  on(event: 'response', listener: () => void): unknown;
}

/** A connection's keyed request: the one on the way, and the one to send again. */
interface ClientKeys {
  inFlight?: KeyedRequest;
  retrying?: KeyedRequest;
  waiting: boolean;
}

/** How many times a key is sent again at most. */
const KEY_RETRIES = 30;

/** The part of autocannon's client that pacing wraps (lib/httpClient.js; not in its types). */
interface PacedClient {
  destroyed: boolean;
  reqsMade: number;
  responseMax?: number;
  _doRequest(this: PacedClient): void;
}

/** How long a run waits for a region that cannot be reached: longer than a restart takes. */
export const RECONNECT_S = 30;

/**
 * The largest answer a load run takes (a COMMAREA is at most 32,763 bytes; a SEND report
 * a line a mail): a larger one is cut off and counted an error.
 */
export const MAX_LOAD_ANSWER_BYTES = 4 * 1024 * 1024;

export async function runLoad(options: RunOptions): Promise<RunResult> {
  const { pool, rate } = options;
  if (options.requests === undefined && options.durationS === undefined)
    throw new Error('give a duration or a number of requests');
  const start = performance.now();
  const startedAt = new Date();
  const recorder = new Recorder({ keepMails: options.keepMails, start });
  const headers: Record<string, string> = { ...pool.headers };
  if (options.authorization) headers.authorization = options.authorization;

  let next = 0;
  const first = pool.get(0);
  // With keys every request differs in its key header: none is built once.
  const fixed = pool.size === 1 && first.parts.length === 1 && options.keys === undefined;
  // A key is retried while a request could still be answered, or its region come back.
  const keys =
    options.keys !== undefined
      ? new KeyRetries(options.keys, {
          maxRetries: options.keyRetries ?? KEY_RETRIES,
          maxAgeMs: (options.timeoutS + (options.reconnectS ?? RECONNECT_S)) * 1000,
        })
      : undefined;
  // The connection whose request autocannon builds now (setupRequest is called inside its
  // _doRequest, which knows the client; setupRequest does not).
  let building: { readonly client: KeyedClient; readonly state: ClientKeys } | undefined;
  // onResponse (per request) sees the headers, the tracker's 'response' (per client) the
  // latency; autocannon calls them one after the other in the same tick, so the answer is
  // handed from one to the other here.
  let handed: TaskAnswer | undefined;
  let handedRetryAfter: string | undefined;
  let handedKey: string | undefined;
  const due = new WeakMap<object, number>();

  const outages = new Outages((options.reconnectS ?? RECONNECT_S) * 1000);
  let resent = 0;
  let stop: (() => void) | undefined;
  const connectionEvents = {
    failed(error: NodeJS.ErrnoException, unanswered: number, again: number) {
      const now = performance.now();
      resent += again;
      recorder.connectionFailed(error.code ?? 'ERROR', error.message, unanswered, now);
      const outage = outages.failed(now);
      if (outage.started) options.onOutage?.({ error });
      if (outage.tooLong) stop?.();
    },
    closed(unanswered: number) {
      recorder.unanswered(unanswered, 'the region closed the connection before it answered', performance.now());
    },
  };

  let pace: ((client: PacedClient, reconnect: Reconnect) => void) | undefined;
  if (rate !== undefined) {
    const interval = 1000 / rate;
    // The first request is due a moment after the clients exist.
    const origin = performance.now() + 20;
    let slot = 0;
    pace = (c, reconnect) => {
      // eslint-disable-next-line @typescript-eslint/unbound-method -- autocannon's own, called with its client below
      const send = c._doRequest;
      if (typeof send !== 'function')
        throw new Error('this autocannon has no client._doRequest to pace: --rate cannot be kept');
      let pending = false;
      c._doRequest = function paced(this: PacedClient) {
        // One request at a time a connection: a new connection asks again while a slot waits.
        if (this.destroyed || pending) return;
        // The call that ends a client with --requests sends nothing: it takes no slot.
        if (this.responseMax && this.reqsMade >= this.responseMax) return send.call(this);
        const at = origin + slot++ * interval;
        const wait = at - performance.now();
        // Latency counts from the due time, or from the write where that came first
        // (a timer may fire a little early; a wait under half a millisecond is not kept).
        const go = () => {
          due.set(this, Math.min(at, performance.now()));
          send.call(this);
        };
        if (wait <= 0.5) return go();
        pending = true;
        setTimeout(() => {
          pending = false;
          // A slot that falls while the connection waits to reconnect goes unused: the
          // reconnect asks for the next one.
          if (!this.destroyed && !reconnect.waiting) go();
        }, wait);
      };
    };
  }
  const setupClient = (client: autocannon.Client) => {
    const keyedClient = keys ? keyRetrying(client as unknown as KeyedClient, keys) : undefined;
    const reconnect = reconnectWithBackoff(client as unknown as ReconnectingClient, connectionEvents);
    limitAnswers(client as unknown as AnswerLimitedClient, MAX_LOAD_ANSWER_BYTES, () =>
      recorder.error(
        `an answer larger than ${MAX_LOAD_ANSWER_BYTES.toLocaleString('en')} bytes: cut off, not read on`,
        false,
        performance.now(),
      ),
    );
    pace?.(client as unknown as PacedClient, reconnect);
    keyedClient?.();
  };

  /**
   * A connection that sends a request whose answer was lost again, with its key: the
   * innermost wrap of _doRequest says which connection builds (and keeps autocannon's count
   * of requests made at the key's first send, so --requests counts keys); the outermost,
   * put on after pacing, decides between a retry, a wait and giving up.
   */
  function keyRetrying(c: KeyedClient, k: KeyRetries): () => void {
    const state: ClientKeys = { waiting: false };
    // eslint-disable-next-line @typescript-eslint/unbound-method -- autocannon's own, called with its client below
    const send = c._doRequest;
    c._doRequest = function buildKeyed(this: KeyedClient) {
      if (state.retrying) this.reqsMade = state.retrying.madeBefore;
      building = { client: this, state };
      try {
        send.call(this);
        if (state.inFlight) state.inFlight.sends++;
      } finally {
        building = undefined;
        state.retrying = undefined;
      }
    };
    // The first request was built with the client, before it was known: built again as this connection's.
    building = { client: c, state };
    try {
      c.requestIterator.rebuildRequest();
    } finally {
      building = undefined;
    }
    c.on('response', () => {
      const r = state.inFlight;
      if (!r) return;
      if (handed && isLostAnswer(handed.status)) {
        r.notBefore = performance.now() + retryWaitMs(handedRetryAfter, r.retries + 1);
        return;
      }
      handedKey = r.key;
      state.inFlight = undefined;
      k.answered(r);
    });
    return () => {
      // eslint-disable-next-line @typescript-eslint/unbound-method -- as above
      const next = c._doRequest;
      c._doRequest = function retryKeyed(this: KeyedClient) {
        if (this.destroyed || state.waiting) return;
        // One built and not yet written (the client's first) is no retry.
        const r = state.inFlight;
        if (r && r.sends > 0) {
          const now = performance.now();
          const decision = k.decide(r, now);
          if (decision.kind === 'wait') {
            state.waiting = true;
            setTimeout(() => {
              state.waiting = false;
              if (!this.destroyed) this._doRequest();
            }, decision.ms);
            return;
          }
          if (decision.kind === 'retry') {
            k.retry(r);
            state.retrying = r;
          } else {
            // Counted apart (its last send was counted already, as an error or an answer).
            k.gaveUp(r, decision.why);
            state.inFlight = undefined;
          }
        }
        next.call(this);
      };
    };
  }

  // A paced connection may wait connections/rate seconds for its slot: autocannon's answer
  // timer runs from the last write, so it must be longer than that.
  const timeoutS =
    rate !== undefined ? Math.max(options.timeoutS, Math.ceil(options.connections / rate) + 10) : options.timeoutS;

  let finished!: (result: autocannon.Result) => void;
  let failed!: (err: Error) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => {
    finished = resolve;
    failed = reject;
  });
  const cannonOptions: autocannon.Options = {
    url: options.url,
    connections: options.connections,
    ...(options.requests !== undefined ? { amount: options.requests } : { duration: options.durationS ?? 10 }),
    timeout: timeoutS,
    // No bailout: connection errors are the region restarting, until --reconnect says otherwise.
    setupClient,
    requests: [
      {
        method: 'POST',
        path: first.path,
        headers: { ...headers, 'content-type': first.contentType },
        // One small payload (the benchmark's one mail) is built into a request once; else
        // each request takes the next payload of the pool. A large attachment stays out of
        // autocannon's options, which every client deep-copies.
        ...(fixed
          ? { body: first.parts[0] as Buffer }
          : {
              setupRequest: (request: autocannon.Request) => {
                let key: string | undefined;
                let index: number;
                if (!keys) index = next++;
                else if (!building)
                  index = 0; // the client's first, built again once it is known
                else if (building.state.retrying) ({ key, index } = building.state.retrying);
                else {
                  index = next++;
                  const r = keys.fresh(index, performance.now(), building.client.reqsMade);
                  building.state.inFlight = r;
                  key = r.key;
                }
                const payload = pool.get(index);
                const body = payload.parts.length === 1 ? (payload.parts[0] as Buffer) : Buffer.concat(payload.parts);
                return {
                  ...request,
                  path: payload.path,
                  headers: {
                    ...headers,
                    'content-type': payload.contentType,
                    ...(key !== undefined ? { 'idempotency-key': key } : {}),
                  },
                  body,
                };
              },
            }),
        onResponse: (
          status: number,
          _body: string,
          _context: object,
          responseHeaders: IncomingHttpHeaders | undefined,
        ) => {
          handed = answerOf(status, responseHeaders ?? {});
          handedRetryAfter = responseHeaders?.['retry-after'];
        },
      },
    ],
  };
  const instance = autocannon(cannonOptions, (err: Error | null, result: autocannon.Result) =>
    err ? failed(err) : finished(result),
  );
  stop = () => instance.stop();

  instance.on('response', (client: autocannon.Client, statusCode: number, _bytes: number, responseTimeMs: number) => {
    const now = performance.now();
    const answer = handed ?? answerOf(statusCode, {});
    handed = undefined;
    const key = handedKey;
    handedKey = undefined;
    const from = rate !== undefined ? due.get(client) : undefined;
    recorder.answer(answer, from !== undefined ? (now - from) * 1000 : responseTimeMs * 1000, now, key);
    const lastedMs = outages.answered(now);
    if (lastedMs !== null) options.onOutage?.({ lastedMs });
  });
  instance.on('reqError', (err: NodeJS.ErrnoException) => {
    // A connection's errors are counted where it failed (connectionEvents); these are time-outs.
    if (err.code !== undefined) return;
    recorder.error(err.message || String(err), /timed out/.test(err.message), performance.now());
  });

  const tick = options.onTick;
  const timer = tick
    ? setInterval(() => tick(recorder, (performance.now() - start) / 1000), options.tickMs ?? 1000)
    : undefined;
  timer?.unref();
  let result: autocannon.Result;
  try {
    result = await done;
  } finally {
    if (timer) clearInterval(timer);
  }
  const end = performance.now();
  recorder.finish(end);
  return {
    recorder,
    elapsedS: (end - start) / 1000,
    startedAt,
    sent: result.requests.sent - resent,
    outages,
    keys: keys?.figures ?? null,
  };
}

/**
 * The region answers, and takes the credentials. A tranid that cannot exist is refused
 * (TRANSIDERR) after the credentials are checked, so nothing runs and nothing is journaled;
 * and the region has verified the password once (scrypt, slow on purpose) before the
 * connections start, instead of once for each of them at the same moment.
 */
export async function preflight(url: string, authorization: string, limits?: ClientLimits): Promise<void> {
  const region = new RegionClient(url, authorization, limits);
  const { answer, body } = await region.runTask('LOAD-PREFLIGHT', {
    parts: [],
    contentType: 'application/octet-stream',
  });
  if (answer.status === 401) throw region.refused(answer.status, body.toString('utf8'));
}
