// A request body read into one buffer of its own. Fastify's `parseAs: 'buffer'` keeps every
// chunk and joins them at the end, so a 20 MB channel briefly holds 40 MB; here the chunks
// are copied, as they come, into a buffer sized from Content-Length. The buffer owns its
// memory (no pool slab), so it can be moved to a worker instead of copied.
//
// The socket's chunks are garbage once copied, but their memory (outside V8's heap) goes
// back only when the small objects that hold them are collected, and a thread that reads a
// large body makes few other objects: the chunks of one 10 MB body, or of several, stayed
// (peak RSS growth with 10 MB attachments 36 MB; with a scavenge after each such body, 22).
// So a body of LARGE_TASK_BYTES or more is followed by one collection of the young
// generation only (a scavenge: a few ms, where a full collection of the main thread's heap
// takes tens), and has one each LARGE_TASK_BYTES while it comes in, so that its chunks are
// never all held at once beside it; bodies ending together share one. Only where the
// process's entry turned gc() on (cli/start.ts).
import type { IncomingMessage } from 'node:http';
import { errorCodes, type FastifyRequest } from 'fastify';
import { exposedCollector } from '../../cics/collect.js';
import { LARGE_TASK_BYTES, MemoryRelease } from '../../transactions/release-memory.js';

let chunksRelease: MemoryRelease | undefined;

/** After a large body: its chunks' memory back now. */
function releaseChunks(bytes: number): void {
  if (!chunksRelease) {
    const collect = exposedCollector();
    if (!collect) return;
    chunksRelease = new MemoryRelease(() => collect({ type: 'minor' }));
  }
  chunksRelease.afterTask(bytes);
}

/** Reads the whole body, at most `limit` bytes, with fastify's own errors for too long or cut bodies. */
export function readBody(request: FastifyRequest, payload: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length']);
  const known = Number.isSafeInteger(declared) && declared >= 0;
  if (known && declared > limit) return Promise.reject(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
  return new Promise<Buffer>((resolve, reject) => {
    // Without a Content-Length (chunked), the chunks are kept and joined once at the end.
    const body = known ? Buffer.allocUnsafeSlow(declared) : null;
    const chunks: Buffer[] = [];
    let received = 0;
    // Where the last scavenge was asked for: one every LARGE_TASK_BYTES while a body comes.
    let released = 0;
    const finish = (err: Error | null, result?: Buffer) => {
      payload.removeListener('data', onData);
      payload.removeListener('end', onEnd);
      payload.removeListener('error', finish);
      if (err) reject(err);
      else resolve(result as Buffer);
    };
    const onData = (chunk: Buffer) => {
      const end = received + chunk.length;
      if (end > limit) return finish(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
      if (body) {
        if (end > body.length) return finish(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
        chunk.copy(body, received);
      } else {
        chunks.push(chunk);
      }
      received = end;
      if (body && received - released >= LARGE_TASK_BYTES) {
        released = received;
        releaseChunks(LARGE_TASK_BYTES);
      }
    };
    const onEnd = () => {
      if (body) {
        if (received !== body.length) return finish(new errorCodes.FST_ERR_CTP_INVALID_CONTENT_LENGTH());
        releaseChunks(received);
        return finish(null, body);
      }
      const whole = Buffer.allocUnsafeSlow(received);
      let at = 0;
      for (const c of chunks) at += c.copy(whole, at);
      chunks.length = 0;
      releaseChunks(received);
      finish(null, whole);
    };
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', finish);
    payload.resume();
  });
}

/** The body's memory, where the body is all of it and it can be moved to another thread. */
export function ownMemory(bytes: Uint8Array): ArrayBuffer | null {
  const buffer = bytes.buffer;
  return buffer instanceof ArrayBuffer && bytes.byteOffset === 0 && bytes.byteLength === buffer.byteLength
    ? buffer
    : null;
}
