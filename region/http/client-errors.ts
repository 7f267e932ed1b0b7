// Answers to requests that never became requests: HTTP the parser refused (a header block
// past Node's 16 KiB, a malformed request line) or that did not arrive in time. Node hands
// these to the server's 'clientError' before fastify sees a request, so they get the same
// RESP body and X-CICS-Resp as every other refusal here, written on the socket.
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';

interface Refusal {
  readonly status: number;
  readonly reason: string;
  readonly message: string;
}

function refusalOf(err: NodeJS.ErrnoException): Refusal {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        reason: 'Request Header Fields Too Large',
        message: 'the request headers are longer than 16 KiB together',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { status: 408, reason: 'Request Timeout', message: 'the request did not arrive in time' };
    default:
      return {
        status: 400,
        reason: 'Bad Request',
        message: `the request is not valid HTTP/1.1 (${String(err.code ?? 'unreadable').slice(0, 40)})`,
      };
  }
}

const abandoned = new WeakSet<Socket>();

/**
 * Says once per connection that its caller went away before its request was read: at info,
 * without a stack (a load test's clients or a batch job cancelled are no failure of the
 * region's), and counted. Node may report one such close twice: to 'clientError' and, where
 * fastify had the request already, as the request's error.
 */
export function callerWentAway(app: FastifyInstance, socket: Socket, detail: Record<string, unknown>): void {
  if (abandoned.has(socket)) return;
  abandoned.add(socket);
  app.log.info({ ...detail, ip: socket.remoteAddress }, 'the caller went away before its request was read');
  if (app.hasDecorator('metrics')) app.metrics.abandoned();
}

/** The server's 'clientError' handler (fastify's clientErrorHandler option); `this` is the region. */
export function answerClientError(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket): void {
  // A reset, or an end in the middle of a request: a caller gone, nothing to answer.
  if (err.code === 'ECONNRESET' || err.code === 'HPE_INVALID_EOF_STATE') {
    callerWentAway(this, socket, { code: err.code });
    return void socket.destroy();
  }
  if (socket.destroyed) return;
  const refusal = refusalOf(err);
  const body = JSON.stringify({ resp: 'INVREQ', resp2: 0, abcode: null, message: refusal.message });
  this.log.debug({ code: err.code }, refusal.message);
  if (this.hasDecorator('metrics')) this.metrics.refused('INVREQ', refusal.status);
  if (!socket.writable) return void socket.destroy();
  // Closed once written: the rest of what the caller sends is not read.
  socket.write(
    `HTTP/1.1 ${refusal.status} ${refusal.reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `X-CICS-Resp: INVREQ\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
