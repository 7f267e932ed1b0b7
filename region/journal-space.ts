// Room for the journal. lmdb-js grows its memory map by itself, so what runs out is the
// file system under it. The region refuses new tasks (503 NOSPACE) while less than the
// reserve is free, so that a task does not compose a mail only to fail at the journal,
// and the retry spool still has room to record its attempts. A task that did fail for
// want of room (another process took the space between two looks) keeps the region
// refusing until clearly more is free than at that moment.
import { statfs } from 'node:fs/promises';

/** Space that must come back after a failed write before tasks are taken again. */
const RECOVERY_MARGIN = 1_048_576;

export class JournalSpace {
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
    const s = await statfs(this.#dir);
    return s.bavail * s.bsize;
  }
}

function mib(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MiB`;
}
