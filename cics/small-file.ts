// A file a setting names (the region file, a template, a copybook, a PEM file), read whole
// only where it is a regular file of bounded size: a name that points at /dev/zero, a FIFO
// or a file of gigabytes is refused at once with the reason, rather than read for ever.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';

/** What a file named by a setting may be, at most, where the setting does not say. */
export const SMALL_FILE_BYTES = 16 * 1024 * 1024;

export type SmallFile = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly reason: string };

/**
 * The file's bytes, or why they are not read: not there, not a regular file, larger than
 * `limit`. `what` names it in the reason (`the CA file`).
 */
export function readSmallFile(path: string, limit = SMALL_FILE_BYTES, what = ''): SmallFile {
  const name = what === '' ? path : `${what} ${path}`;
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO nobody writes to must not wait for a writer.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    return {
      ok: false,
      reason: `cannot read ${name}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    };
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return { ok: false, reason: `${name} is not a regular file` };
    if (stat.size > limit) return { ok: false, reason: `${name} is ${stat.size} bytes; at most ${limit} are read` };
    // Read to the end, but no further than the limit: a file that grows meanwhile is refused too.
    const chunks: Buffer[] = [];
    let length = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1 << 20, limit + 1 - length));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      length += n;
      if (length > limit) return { ok: false, reason: `${name} is larger than ${limit} bytes` };
    }
    return { ok: true, bytes: Buffer.concat(chunks, length) };
  } finally {
    closeSync(fd);
  }
}
