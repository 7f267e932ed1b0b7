// A server that talks HTTP like a region until it does not: it takes connections and fails
// a caller in one way (silent, trickling, without end, malformed), for the client's limits.
// Real HTTP on port 0; every connection ended in teardown.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TestLike } from './test-like.js';

export type Handler = (req: IncomingMessage, res: ServerResponse, server: FakeRegion) => void;

export interface FakeRegion {
  readonly url: string;
  /** Bytes of answer bodies written so far (what an endless answer cost the server). */
  readonly written: number;
  /** Requests taken, by method and path. */
  readonly requests: string[];
  /** Writes `chunk` as part of an answer and counts it. */
  write(res: ServerResponse, chunk: Buffer | string): boolean;
}

export async function startFakeRegion(t: TestLike, handle: Handler): Promise<FakeRegion> {
  const sockets = new Set<Socket>();
  const state = {
    url: '',
    written: 0,
    requests: [] as string[],
    write(res: ServerResponse, chunk: Buffer | string): boolean {
      state.written += Buffer.byteLength(chunk);
      return res.write(chunk);
    },
  };
  const server = createServer((req, res) => {
    state.requests.push(`${req.method} ${req.url}`);
    // A broken connection is what these answers come to; nothing to report.
    res.on('error', () => {});
    req.resume();
    handle(req, res, state);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return state;
}

/** Accepts the request and never answers. */
export const silent: Handler = () => {};

/** Starts a 200 JSON answer and sends a byte every 20 ms, never ending it. */
export const trickling: Handler = (req, res, server) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  const timer = setInterval(() => server.write(res, ' '), 20);
  res.on('close', () => clearInterval(timer));
};

/** A 200 answer without end, as fast as the caller takes it (chunked). */
export const endless: Handler = (req, res, server) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  const chunk = Buffer.alloc(64 * 1024, 0x20);
  const more = () => {
    while (!res.destroyed && server.write(res, chunk));
  };
  res.on('drain', more);
  more();
};

/** A 200 JSON answer of `body`, with the headers a region sends. */
export function answering(body: unknown, sysid = 'FAKE'): Handler {
  return (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'x-cics-sysid': sysid });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}
