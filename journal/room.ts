// LMDB must not meet a full disk. lmdb-js 3.5.6 formats the error of a page write that
// fails into a 100-byte heap buffer with sprintf (mdb.c, mdb_page_flush: "Attempting to
// write page at position …, buffer sizes …"), and the message, with uninitialised sizes in
// it, can run past the buffer: glibc then aborts the process ("corrupted size vs.
// prev_size"), seen in the fault suite once in a few runs of a full disk. So the journal
// keeps a floor of free space that only its LMDB writes may use: a write that would leave
// less is refused (NOSPACE) before LMDB sees it, and message files never eat into it.
// Another process can still fill the disk in between; the region's own reserve
// (CICSMAIL_JOURNAL_RESERVE_MB) keeps that far off in practice.
// Reading the free space is a statfs call, 2 % of a worker's time when every write made
// one; far from full, a reading serves the writes of the next second (less what they took).
import { statfsSync } from 'node:fs';
import { JournalError } from './errors.js';

/** Free space LMDB keeps in hand: its commits write a few pages each, copied on write. */
export const LMDB_FLOOR_BYTES = 512 * 1024;
/** How long a reading of the free space serves, while the space is far from running out. */
export const READING_MS = 1000;
/** Within this much of the need, every write reads the free space again. */
export const NEAR_BYTES = 256 * 1024 * 1024;

const KIB = 1024;

export interface RoomSources {
  /** Free bytes of `dir`'s file system for this user; throws where it cannot say. */
  readonly free: (dir: string) => number;
  readonly now: () => number;
}

interface Reading {
  readonly at: number;
  readonly free: number;
  /** What the writes since the reading may have taken. */
  taken: number;
}

/** The free space of the journal's file systems, read again where it may have run low. */
export class RoomGauge {
  readonly #sources: RoomSources;
  readonly #readings = new Map<string, Reading>();

  constructor(sources: RoomSources) {
    this.#sources = sources;
  }

  /**
   * Throws CICSMAIL_JOURNAL_FULL where `dir`'s file system has less free than `bytes` and
   * the floor (`bytes` counted twice for LMDB, which writes new pages before it frees old ones).
   */
  ensure(dir: string, bytes: number, what: 'record' | 'file'): void {
    const taking = what === 'record' ? 2 * bytes : bytes;
    const need = LMDB_FLOOR_BYTES + taking;
    const now = this.#sources.now();
    const last = this.#readings.get(dir);
    if (last && now - last.at < READING_MS && last.free - last.taken - need > NEAR_BYTES) {
      last.taken += taking;
      return;
    }
    let free: number;
    try {
      free = this.#sources.free(dir);
    } catch {
      this.#readings.delete(dir);
      return; // A file system that cannot say: the write itself will tell.
    }
    this.#readings.set(dir, { at: now, free, taken: taking });
    if (free < need) fullError(free, need, what);
  }
}

const gauge = new RoomGauge({
  free: (dir) => {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  },
  now: () => performance.now(),
});

/** RoomGauge.ensure on this process's gauge (statfs and the monotonic clock). */
export function ensureRoom(dir: string, bytes: number, what: 'record' | 'file'): void {
  gauge.ensure(dir, bytes, what);
}

function fullError(free: number, need: number, what: 'record' | 'file'): never {
  throw new JournalError(
    'CICSMAIL_JOURNAL_FULL',
    `the journal cannot grow: its file system has ${Math.floor(free / KIB)} KiB free, less than the ${Math.ceil(need / KIB)} KiB this ${what === 'record' ? 'record' : 'message file'} needs with the ${LMDB_FLOOR_BYTES / KIB} KiB the journal keeps for its database`,
  );
}
