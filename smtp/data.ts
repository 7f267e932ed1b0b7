// The message as DATA sends it (RFC 5321 4.5.2): dot-stuffed, ended with CRLF.CRLF, written
// with back-pressure so that the data block time-out of 4.5.3.2 can see it move.
import type { Socket } from 'node:net';

const CRLF_DOT = Buffer.from('\r\n.');
const CRLF = Buffer.from('\r\n');
export const END_OF_DATA = Buffer.from('.\r\n');
/** The most written at once: each drain then shows the relay took at least this much. */
const SLICE = 64 * 1024;

/** The bytes to write: the message cut before each dot that starts a line, which is doubled. */
function* pieces(bytes: Buffer): Generator<Buffer> {
  let start = 0;
  if (bytes[0] === 0x2e) yield Buffer.from('.');
  let at = bytes.indexOf(CRLF_DOT, 0);
  while (at !== -1) {
    // Through the CRLF and the dot, then the dot again from the next piece.
    yield bytes.subarray(start, at + 3);
    start = at + 2;
    at = bytes.indexOf(CRLF_DOT, at + 3);
  }
  yield bytes.subarray(start);
  const endsWithCrlf = bytes.length >= 2 && bytes[bytes.length - 2] === 0x0d && bytes[bytes.length - 1] === 0x0a;
  if (!endsWithCrlf) yield CRLF;
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
  message: Uint8Array,
  stallMs: number,
  onStall: (sent: number) => void,
  onEnd?: () => void,
): Promise<void> {
  const bytes = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
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
  socket.cork();
  for (const piece of pieces(bytes)) {
    for (let at = 0; at < piece.length; at += SLICE) {
      if (socket.destroyed) return;
      const slice = piece.subarray(at, at + SLICE);
      queued += slice.length;
      if (socket.write(slice)) continue;
      socket.uncork();
      if (!(await progress('drain'))) return;
      socket.cork();
    }
  }
  queued += END_OF_DATA.length;
  onEnd?.();
  const written = new Promise<void>((resolve) => socket.write(END_OF_DATA, () => resolve()));
  socket.uncork();
  await progress(written);
}
