// LMDB must not meet a full disk. lmdb-js 3.5.6 formats the error of a page write that
// fails into a 100-byte heap buffer with sprintf (mdb.c, mdb_page_flush: "Attempting to
// write page at position …, buffer sizes …"), and the message, with uninitialised sizes in
// it, can run past the buffer: glibc then aborts the process ("corrupted size vs.
// prev_size"), seen in the fault suite once in a few runs of a full disk. So the journal
// keeps a floor of free space that only its LMDB writes may use: a write that would leave
// less is refused (NOSPACE) before LMDB sees it, and message files never eat into it.
// Another process can still fill the disk in between; the region's own reserve
// (CICSMAIL_JOURNAL_RESERVE_MB) keeps that far off in practice.
import { statfsSync } from 'node:fs';
import { JournalError } from './errors.js';

/** Free space LMDB keeps in hand: its commits write a few pages each, copied on write. */
export const LMDB_FLOOR_BYTES = 512 * 1024;

const KIB = 1024;

/**
 * Throws CICSMAIL_JOURNAL_FULL where `dir`'s file system has less free than `bytes` and the
 * floor (`bytes` counted twice for LMDB, which writes new pages before it frees old ones).
 */
export function ensureRoom(dir: string, bytes: number, what: 'record' | 'file'): void {
  let free: number;
  try {
    const s = statfsSync(dir);
    free = s.bavail * s.bsize;
  } catch {
    return; // A file system that cannot say: the write itself will tell.
  }
  const need = LMDB_FLOOR_BYTES + (what === 'record' ? 2 * bytes : bytes);
  if (free < need) {
    throw new JournalError(
      'CICSMAIL_JOURNAL_FULL',
      `the journal cannot grow: its file system has ${Math.floor(free / KIB)} KiB free, less than the ${Math.ceil(need / KIB)} KiB this ${what === 'record' ? 'record' : 'message file'} needs with the ${LMDB_FLOOR_BYTES / KIB} KiB the journal keeps for its database`,
    );
  }
}
