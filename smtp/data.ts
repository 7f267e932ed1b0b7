// The message as DATA sends it (RFC 5321 4.5.2): dot-stuffed, ended with CRLF.CRLF, written
// with back-pressure so that the data block time-out of 4.5.3.2 can see it move. A message
// in chunks (a large one, read from its file) is stuffed chunk by chunk, a line start
// carried across their seams, and never joined.
import type { Socket } from 'node:net';
import { isChunked, type MessageBytes } from '../cics/message-chunks.js';

const CRLF_DOT = Buffer.from('\r\n.');
const CRLF = Buffer.from('\r\n');
const EMPTY = Buffer.alloc(0);
export const END_OF_DATA = Buffer.from('.\r\n');
/** The most written at once: each drain then shows the relay took at least this much. */
const SLICE = 64 * 1024;

const DOT = Buffer.from('.');

/**
 * Dot-stuffing over a message in any number of chunks: each chunk is cut before each dot
 * that starts a line, and that dot doubled. What decides a line start at a chunk's first
 * octets (the last two octets before it) is carried from the chunk before.
 */
export class DotStuffer {
  /** The last two octets so far; none yet at the message's start, where a line starts too. */
  #before: readonly [number, number] | null = null;

  /** The pieces of `chunk` to write, with a dot before each dot that starts a line. */
  *pieces(chunk: Buffer): Generator<Buffer> {
    if (chunk.length === 0) return;
    let start = 0;
    const [b2, b1] = this.#before ?? [0x0d, 0x0a];
    // A dot that starts a line at the chunk's first or second octet, the CRLF before it (in part) in the chunk before.
    const lineAt = b2 === 0x0d && b1 === 0x0a ? 0 : b1 === 0x0d && chunk[0] === 0x0a ? 1 : -1;
    if (lineAt !== -1 && chunk[lineAt] === 0x2e) {
      if (lineAt > 0) yield chunk.subarray(0, lineAt);
      yield DOT;
      start = lineAt;
    }
    let at = chunk.indexOf(CRLF_DOT, 0);
    while (at !== -1) {
      // Through the CRLF and the dot, then the dot again from the next piece.
      yield chunk.subarray(start, at + 3);
      start = at + 2;
      at = chunk.indexOf(CRLF_DOT, at + 3);
    }
    yield chunk.subarray(start);
    this.#before =
      chunk.length >= 2 ? [chunk[chunk.length - 2] ?? 0, chunk[chunk.length - 1] ?? 0] : [b1, chunk[0] ?? 0];
  }

  /** A CRLF where the message did not end with one, so that the end of data starts a line. */
  *end(): Generator<Buffer> {
    if (!(this.#before?.[0] === 0x0d && this.#before[1] === 0x0a)) yield CRLF;
  }
}

/**
 * Writes the message and the end of data; resolves once the last byte went to the OS. A
 * small message goes in one corked write. Where the relay takes none of it for `stallMs`
 * (the data block time-out), `onStall` is called with the bytes that did leave, and
 * writing stops; the caller ends the connection. `onEnd` is called as the final dot is
 * written: from then on the relay may have the mail.
 */
export async function writeMessage(
  socket: Socket,
  message: MessageBytes,
  stallMs: number,
  onStall: (sent: number) => void,
  onEnd?: () => void,
): Promise<void> {
  let queued = 0;
  // Settles on the drain (or the last write's callback), the socket's close, or the time-out.
  const progress = (event: 'drain' | Promise<void>) =>
    new Promise<boolean>((resolve) => {
      const done = (moved: boolean) => {
        clearTimeout(timer);
        socket.off('drain', onDrain).off('close', onClose);
        resolve(moved);
      };
      const onDrain = () => done(true);
      const onClose = () => done(false);
      const timer = setTimeout(() => {
        done(false);
        onStall(queued - socket.writableLength);
      }, stallMs);
      if (event === 'drain') socket.once('drain', onDrain);
      else void event.then(onDrain);
      socket.once('close', onClose);
    });
  const stuffer = new DotStuffer();
  /** Writes pieces; false where the socket is gone or the relay stalled. */
  const write = async (pieces: Iterable<Buffer>): Promise<boolean> => {
    for (const piece of pieces) {
      for (let at = 0; at < piece.length; at += SLICE) {
        if (socket.destroyed) return false;
        const slice = piece.subarray(at, at + SLICE);
        queued += slice.length;
        if (socket.write(slice)) continue;
        socket.uncork();
        if (!(await progress('drain'))) return false;
        socket.cork();
      }
    }
    return true;
  };
  socket.cork();
  if (!isChunked(message)) {
    if (!(await write(stuffer.pieces(Buffer.from(message.buffer, message.byteOffset, message.byteLength))))) return;
  } else {
    for await (const chunk of message.chunks()) {
      if (!(await write(stuffer.pieces(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength))))) return;
      // The chunk's memory is the next chunk's: wait until the socket has handed all of it on.
      if (socket.writableLength > 0) {
        socket.uncork();
        const flushed = new Promise<void>((resolve) => socket.write(EMPTY, () => resolve()));
        if (!(await progress(flushed))) return;
        socket.cork();
      }
    }
  }
  if (!(await write(stuffer.end()))) return;
  queued += END_OF_DATA.length;
  onEnd?.();
  const written = new Promise<void>((resolve) => socket.write(END_OF_DATA, () => resolve()));
  socket.uncork();
  await progress(written);
}
