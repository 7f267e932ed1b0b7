// Task limits, as CICS has them: the region runs at most MAXTASKS tasks at once and queues
// the rest (up to a bound); a transaction class runs at most MAXACTIVE of its tasks and
// purges new ones once PURGETHRESH of them wait (abend AKCC). A queued task that outlives
// its time limit leaves the queue without running.

import type { ClassLimits } from '../../config/region-file.js';

interface Waiter {
  wake(): void;
  abandoned: boolean;
}

/** A counting gate with a FIFO queue. */
export class Gate {
  limits: ClassLimits;
  #active = 0;
  readonly #queue: Waiter[] = [];

  constructor(limits: ClassLimits) {
    this.limits = limits;
  }

  get active(): number {
    return this.#active;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /** 'purge' where the queue is at its threshold; else a promise of the slot (already resolved where free). */
  enter(): 'purge' | { readonly entered: Promise<void>; abandon(): void } {
    if (this.#active < this.limits.maxActive && this.#queue.length === 0) {
      this.#active++;
      return { entered: Promise.resolve(), abandon: () => undefined };
    }
    const threshold = this.limits.purgeThreshold;
    if (threshold !== null && this.#queue.length >= threshold) return 'purge';
    let waiter!: Waiter;
    const entered = new Promise<void>((resolve) => {
      waiter = { wake: resolve, abandoned: false };
    });
    this.#queue.push(waiter);
    return {
      entered,
      abandon: () => {
        waiter.abandoned = true;
        const at = this.#queue.indexOf(waiter);
        if (at >= 0) this.#queue.splice(at, 1);
      },
    };
  }

  leave(): void {
    this.#active--;
    this.#admitWaiting();
  }

  /** After a leave or a raised limit: let in as many waiting tasks as now fit. */
  #admitWaiting(): void {
    while (this.#active < this.limits.maxActive && this.#queue.length > 0) {
      const next = this.#queue.shift() as Waiter;
      if (next.abandoned) continue;
      this.#active++;
      next.wake();
    }
  }

  setLimits(limits: ClassLimits): void {
    this.limits = limits;
    this.#admitWaiting();
  }
}
