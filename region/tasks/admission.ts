// Task limits, as CICS has them: the region runs at most MAXTASKS tasks at once and queues
// the rest (up to a bound); a transaction class runs at most MAXACTIVE of its tasks and
// purges new ones once PURGETHRESH of them wait (abend AKCC). A task enters its class first,
// then the region. A queued task that outlives its time limit leaves the queue without running.

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

/** A task's way in: its slots in its class and the region once `entered` resolves. */
export interface Admission {
  readonly entered: Promise<void>;
  /** The task gives up waiting (its time limit came first): the slots it gets later are handed on. */
  abandon(): void;
  /** The task is over: its slots go to the next ones waiting. */
  release(): void;
}

/** Never settles: the continuation of a task that abandoned its wait. */
const NEVER = new Promise<void>(() => undefined);

/**
 * A slot in the task's class (where it has one) and then in the region, or why the task is
 * purged: a queue is at its threshold.
 */
export function admit(region: Gate, cls: { name: string; gate: Gate } | undefined): Admission | { purged: string } {
  const inClass = cls ? cls.gate.enter() : { entered: Promise.resolve(), abandon: () => undefined };
  if (inClass === 'purge') {
    const { maxActive, purgeThreshold } = (cls as { gate: Gate }).gate.limits;
    return {
      purged: `transaction class ${cls?.name} is full (MAXACTIVE ${maxActive}, PURGETHRESH ${purgeThreshold})`,
    };
  }
  const inRegion = region.enter();
  if (inRegion === 'purge') {
    inClass.abandon();
    void inClass.entered.then(() => cls?.gate.leave());
    return { purged: `the region is full (MAXTASKS ${region.limits.maxActive}, ${region.queued} tasks waiting)` };
  }
  let classHeld = false;
  let regionHeld = false;
  let abandoned = false;
  const entered = inClass.entered.then(() => {
    if (abandoned) {
      cls?.gate.leave();
      return NEVER;
    }
    classHeld = cls !== undefined;
    return inRegion.entered.then(() => {
      // Woken just as the time limit gave up on it: hand the slot on.
      if (abandoned) {
        region.leave();
        return NEVER;
      }
      regionHeld = true;
    });
  });
  return {
    entered,
    abandon: () => {
      abandoned = true;
      inClass.abandon();
      inRegion.abandon();
      if (classHeld) cls?.gate.leave();
      classHeld = false;
    },
    release: () => {
      if (regionHeld) region.leave();
      if (classHeld) cls?.gate.leave();
      regionHeld = classHeld = false;
    },
  };
}
