// One HTTP request to a region with limits on what it may cost the caller: time to set up
// the connection, time until the answer starts, time until it ends, and its size. A region
// that accepts and never answers, trickles its answer or sends without end fails the call
// with the limit it broke, and the caller goes on (a merged journal view leaves that region
// out). Written on node:http rather than fetch(): fetch cannot tell the connection's set-up
// from the wait for the answer, and reads a body it is given whole before a caller can count it.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { RegionAnswerTooLarge, RegionTimedOut, RegionUnreachable, type TimeoutPhase } from './errors.js';

export interface AnswerLimits {
  /** From the request's start until the connection (and TLS) is set up. */
  readonly connectMs: number;
  /** From the request's start until the answer's status line and headers have come. */
  readonly firstByteMs: number;
  /** From the request's start until the answer's last byte. */
  readonly answerMs: number;
  /** The largest answer body taken; a larger one is not read on. */
  readonly maxBytes: number;
}

const MIB = 1024 * 1024;

/**
 * The largest answer a command takes: a page of 1,000 journal records, a journaled mail of
 * the region's largest size (CICSMAIL_MAX_MESSAGE_MB, 35), with room to spare.
 */
export const MAX_ANSWER_BYTES = 64 * MIB;

/** A route that reads or sets (journal, CEMT, captured mail): a minute to start answering, two to finish. */
export const ROUTE_LIMITS: AnswerLimits = {
  connectMs: 10_000,
  firstByteMs: 60_000,
  answerMs: 120_000,
  maxBytes: MAX_ANSWER_BYTES,
};

/**
 * A task or a replay: it answers when it is done, and a batch job's time limit may be
 * minutes (120 s by default; docs/config.md gives SEND 300 s): ten minutes to start.
 */
export const TASK_LIMITS: AnswerLimits = {
  connectMs: 10_000,
  firstByteMs: 600_000,
  answerMs: 660_000,
  maxBytes: MAX_ANSWER_BYTES,
};

/** The limits of one `--timeout` in seconds: the answer, started and finished, within it; the connection within 10 s of it. */
export function limitsOf(timeoutMs: number, maxBytes = MAX_ANSWER_BYTES): AnswerLimits {
  return { connectMs: Math.min(10_000, timeoutMs), firstByteMs: timeoutMs, answerMs: timeoutMs, maxBytes };
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Buffer;
}

export interface HttpRequestInit {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array;
}

/** A duration as people read it: 250 ms, 5 s, 2.5 s. */
export function duration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Number((ms / 1000).toFixed(1))} s`;
}

function headersOf(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  return headers;
}

/**
 * `init` sent to `url`; resolves with the whole answer, whatever its status. Rejects with
 * RegionUnreachable (no connection, or it broke), RegionTimedOut (a time limit, naming
 * which) or RegionAnswerTooLarge. `label` names the region in those messages.
 */
export function httpRequestWithin(
  url: string,
  init: HttpRequestInit,
  limits: AnswerLimits,
  label: string = new URL(url).origin,
): Promise<HttpAnswer> {
  const target = new URL(url);
  const tls = target.protocol === 'https:';
  const send = tls ? httpsRequest : httpRequest;
  const body = init.body;
  return new Promise<HttpAnswer>((resolve, reject) => {
    const timers = new Set<NodeJS.Timeout>();
    let settled = false;
    let received = 0;
    const settle = (error: Error | null, answer?: HttpAnswer) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      if (error) {
        req.destroy();
        reject(error);
      } else resolve(answer as HttpAnswer);
    };
    const within = (ms: number, phase: TimeoutPhase, message: () => string) => {
      const timer = setTimeout(() => settle(new RegionTimedOut(phase, ms, message())), ms);
      timers.add(timer);
      return () => {
        clearTimeout(timer);
        timers.delete(timer);
      };
    };
    const req = send(target, {
      method: init.method ?? 'GET',
      headers: { ...init.headers, ...(body ? { 'content-length': String(body.byteLength) } : {}) },
    });
    req.on('socket', (socket) => {
      // A kept-alive connection is set up already.
      if (!socket.connecting) return;
      const connected = within(
        limits.connectMs,
        'connect',
        () => `the region at ${label} did not take a connection within ${duration(limits.connectMs)}`,
      );
      socket.once(tls ? 'secureConnect' : 'connect', connected);
    });
    const started = within(
      limits.firstByteMs,
      'first byte',
      () => `the region at ${label} took the request but gave no answer within ${duration(limits.firstByteMs)}`,
    );
    within(
      limits.answerMs,
      'answer',
      () =>
        `the region at ${label} did not finish its answer within ${duration(limits.answerMs)} (${received.toLocaleString('en')} bytes had come)`,
    );
    const tooLarge = (size: string) =>
      new RegionAnswerTooLarge(
        limits.maxBytes,
        `the region at ${label} sent an answer of ${size}, more than the ${limits.maxBytes.toLocaleString('en')} bytes taken; the rest was not read`,
      );
    req.on('response', (res) => {
      started();
      const declared = Number(res.headers['content-length']);
      if (declared > limits.maxBytes) return settle(tooLarge(`${declared.toLocaleString('en')} bytes`));
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > limits.maxBytes) return settle(tooLarge('more'));
        chunks.push(chunk);
      });
      res.on('end', () =>
        settle(null, { status: res.statusCode ?? 0, headers: headersOf(res), body: Buffer.concat(chunks) }),
      );
      const broke = (error?: Error) =>
        settle(
          new RegionUnreachable(
            `the connection to the region at ${label} broke before its answer was complete${error ? `: ${error.message}` : ''}`,
          ),
        );
      res.on('error', broke);
      res.on('close', () => {
        if (!res.complete) broke();
      });
    });
    req.on('error', (error) => settle(new RegionUnreachable(`cannot reach the region at ${label}: ${error.message}`)));
    req.end(body);
  });
}
