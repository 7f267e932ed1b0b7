// The journal's room: the free space of the file system under it, watched two ways.
// - RoomGauge (every write): LMDB must not meet a full disk. lmdb-js 3.5.6 formats the error of a page write that
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
// - RoomWatch (the region's main thread): lmdb-js grows its memory map by itself, so what
// runs out is the file system under it. The region refuses new tasks (503 NOSPACE) while
// less than the reserve is free, so that a task does not compose a mail only to fail at the
// journal, and the retry spool still has room to record its attempts. A task that did fail
// for want of room (another process took the space between two looks) keeps the region
// refusing until clearly more is free than at that moment.
import { statfsSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
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
  free: (dir) => freeOf(statfsSync(dir)),
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

/** Free bytes for this user, from a statfs reading. */
function freeOf(s: { bavail: number; bsize: number }): number {
  return s.bavail * s.bsize;
}

/** Space that must come back after a failed write before tasks are taken again. */
const RECOVERY_MARGIN = 1_048_576;

/** Whether the region may take new tasks: the reserve is free. */
export class RoomWatch {
  readonly #dir: string;
  readonly #reserve: number;
  #floor: number;
  #free = Number.POSITIVE_INFINITY;
  #low = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(dir: string, reserveBytes: number) {
    this.#dir = dir;
    this.#reserve = reserveBytes;
    this.#floor = reserveBytes;
  }

  /** Looks now, then every `pollMs`. */
  async start(pollMs = 1000): Promise<void> {
    await this.check();
    this.#timer = setInterval(() => void this.check().catch(() => undefined), pollMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async check(): Promise<void> {
    const free = await this.#statFree();
    this.#free = free;
    if (free >= this.#floor) this.#floor = this.#reserve;
    this.#low = free < this.#floor;
  }

  /** A write failed for want of room: refuse until RECOVERY_MARGIN more than now is free. */
  async exhausted(): Promise<void> {
    this.#low = true;
    const free = await this.#statFree();
    this.#free = free;
    this.#floor = Math.max(this.#reserve, free + RECOVERY_MARGIN);
  }

  /** Why a new task is refused, or undefined while there is room. */
  get refusal(): string | undefined {
    if (!this.#low) return undefined;
    return `the journal's file system has ${mib(this.#free)} free, less than the ${mib(this.#floor)} it needs (CICSMAIL_JOURNAL_RESERVE_MB); mail already accepted is kept`;
  }

  async #statFree(): Promise<number> {
    return freeOf(await statfs(this.#dir));
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}
