// Each user's tasks and mails a minute (CICSMAIL_RATE_LIMIT), in memory the region and its
// workers share: the region counts a task as its request comes (the rate limit's store), and
// a SEND or SPOL task counts each mail of its input past the first as it takes it, so that a
// user held to N a minute cannot send thousands of mails through one task. Fixed windows of
// a minute, as @fastify/rate-limit's own store keeps them.

/** Users counted at once; past it, users share slots (a shared count holds them tighter, never looser). */
const SLOTS = 4096;

export class UserRate {
  /** Per slot: a lock, the count, then the window's start (ms since the epoch). */
  readonly buffer: SharedArrayBuffer;
  readonly #lock: Int32Array;
  readonly #count: Int32Array;
  readonly #start: BigInt64Array;
  /** In the region: which slot counts which user. */
  readonly #slots = new Map<string, number>();

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(SLOTS * 4 * 2 + SLOTS * 8)) {
    this.buffer = buffer;
    this.#lock = new Int32Array(buffer, 0, SLOTS);
    this.#count = new Int32Array(buffer, SLOTS * 4, SLOTS);
    this.#start = new BigInt64Array(buffer, SLOTS * 8, SLOTS);
  }

  /** In the region: the user's slot. */
  slotOf(userid: string): number {
    let slot = this.#slots.get(userid);
    if (slot === undefined) {
      slot = this.#slots.size < SLOTS ? this.#slots.size : hash(userid) % SLOTS;
      this.#slots.set(userid, slot);
    }
    return slot;
  }

  /** Counts one (a task's request) in the slot's window; the count with it and when the window ends. */
  add(slot: number, windowMs: number, now: number): { current: number; endsAt: number } {
    return this.#locked(slot, () => {
      const start = this.#window(slot, windowMs, now);
      const current = Atomics.add(this.#count, slot, 1) + 1;
      return { current, endsAt: start + windowMs };
    });
  }

  /** Counts one (a mail past a task's first) where the window has room under `max`; false where it has none. */
  take(slot: number, max: number, windowMs: number, now: number): boolean {
    return this.#locked(slot, () => {
      this.#window(slot, windowMs, now);
      if (Atomics.load(this.#count, slot) >= max) return false;
      Atomics.add(this.#count, slot, 1);
      return true;
    });
  }

  /** The window's start, a new one begun where the last is over. */
  #window(slot: number, windowMs: number, now: number): number {
    const start = Number(Atomics.load(this.#start, slot));
    if (start + windowMs > now) return start;
    Atomics.store(this.#start, slot, BigInt(now));
    Atomics.store(this.#count, slot, 0);
    return now;
  }

  /** A few loads and stores under the slot's lock: the region and the workers change a count. */
  #locked<T>(slot: number, work: () => T): T {
    while (Atomics.compareExchange(this.#lock, slot, 0, 1) !== 0) {
      // Another thread holds it for a few instructions.
    }
    try {
      return work();
    } finally {
      Atomics.store(this.#lock, slot, 0);
    }
  }
}

/** FNV-1a, for a user past the slots. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** The minute of CICSMAIL_RATE_LIMIT. */
export const RATE_WINDOW_MS = 60_000;
