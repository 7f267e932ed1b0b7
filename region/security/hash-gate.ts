// Password hashes (scrypt, tens of milliseconds of CPU and 32 MiB each, slow on purpose)
// run a few at a time, as many as there are cores; the rest wait their turn in order, and
// past a bound the region answers that it is busy instead of queueing without end. A flood
// of logins then costs the region a bounded share of its CPU, whoever sends it.
import { availableParallelism } from 'node:os';
import { PasswordChecksBusy } from '../errors.js';

export class HashGate {
  readonly #concurrency: number;
  readonly #maxWaiting: number;
  #running = 0;
  readonly #waiting: Array<() => void> = [];
  /** Hashes run since start. */
  runs = 0;

  constructor(concurrency = availableParallelism(), maxWaiting = 256) {
    this.#concurrency = Math.max(1, concurrency);
    this.#maxWaiting = maxWaiting;
  }

  /** Hashes running now. */
  get running(): number {
    return this.#running;
  }

  /** Runs `hash` when a slot is free; rejects with PasswordChecksBusy where too many wait already. */
  async run<T>(hash: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#concurrency) {
      if (this.#waiting.length >= this.#maxWaiting) throw new PasswordChecksBusy();
      // The slot is handed over by the hash that ends: it stays counted as running.
      await new Promise<void>((resolve) => this.#waiting.push(resolve));
    } else {
      this.#running++;
    }
    this.runs++;
    try {
      return await hash();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#running--;
    }
  }
}
