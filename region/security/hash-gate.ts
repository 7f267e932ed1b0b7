// Password hashes (scrypt, tens of milliseconds of CPU and 32 MiB each, slow on purpose)
// run a few at a time, as many as there are cores; the rest wait their turn, and past a
// bound the region answers that it is busy instead of queueing without end. A flood of
// logins then costs the region a bounded share of its CPU, whoever sends it, and locks no
// one else out. The waiting hashes go in three lanes, each served before the next: users who
// signed in lately; then addresses with no wrong credentials this minute and no other check
// waiting; then the others, which take turns (one address, or an IPv6 /64, is one queue
// among the others, not the whole line). Once the bound is reached, the newest of the
// longest queue gives way to a newcomer from elsewhere.
import { availableParallelism } from 'node:os';
import { PasswordChecksBusy } from '../errors.js';

interface Waiter {
  readonly go: () => void;
  readonly refuse: (err: Error) => void;
}

/**
 * Which lane a hash waits in: trusted (its user signed in lately), or by its source, clean
 * where that source sent no wrong credentials lately.
 */
export type HashLane =
  { readonly trusted: true } | { readonly trusted: false; readonly source: string; readonly clean: boolean };

/** Queues by source, taking turns (a Map keeps the order its keys came in). */
type Rotation = Map<string, Waiter[]>;

export class HashGate {
  readonly #concurrency: number;
  readonly #maxWaiting: number;
  #running = 0;
  /** Credentials of users who signed in lately: served before any other queue. */
  readonly #trusted: Waiter[] = [];
  /** Sources with no wrong credentials lately, then those with some. */
  readonly #clean: Rotation = new Map();
  readonly #guessing: Rotation = new Map();
  /** Waiting in the two rotations. */
  #waiting = 0;
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

  /** Hashes waiting now, in every queue. */
  get waiting(): number {
    return this.#waiting + this.#trusted.length;
  }

  /** Runs `hash` when its turn comes; rejects with PasswordChecksBusy where its queue is refused. */
  async run<T>(lane: HashLane, hash: () => Promise<T>): Promise<T> {
    if (this.#running >= this.#concurrency) {
      // The slot is handed over by the hash that ends: it stays counted as running.
      await new Promise<void>((go, refuse) => this.#enqueue(lane, { go, refuse }));
    } else {
      this.#running++;
    }
    this.runs++;
    try {
      return await hash();
    } finally {
      const next = this.#next();
      if (next) next.go();
      else this.#running--;
    }
  }

  /**
   * A source that just sent wrong credentials (or was refused busy): what it has waiting in
   * the clean lane moves to the guessing one, so that the first burst of a flood, which came
   * before any of its guesses failed, does not stay ahead of the users who come after it.
   */
  demote(source: string): void {
    const waiters = this.#clean.get(source);
    if (waiters === undefined) return;
    this.#clean.delete(source);
    const queue = this.#guessing.get(source);
    if (queue) queue.push(...waiters);
    else this.#guessing.set(source, waiters);
  }

  #enqueue(lane: HashLane, waiter: Waiter): void {
    if (lane.trusted) {
      if (this.#trusted.length >= this.#maxWaiting) return waiter.refuse(new PasswordChecksBusy());
      this.#trusted.push(waiter);
      return;
    }
    // A source with a check waiting already is trying several credentials at once (the same
    // credentials share one check): a person signing in has one, a flood's first burst many,
    // which came before any of its guesses could fail. It waits with the guessing sources.
    const clean = lane.clean && !this.#clean.has(lane.source) && !this.#guessing.has(lane.source);
    if (lane.clean && !clean) this.demote(lane.source);
    const rotation = clean ? this.#clean : this.#guessing;
    const queue = rotation.get(lane.source) ?? [];
    if (this.#waiting >= this.#maxWaiting) {
      // Full: a clean newcomer takes the place of the newest of the longest guessing queue,
      // however short (a flood from many addresses has one or two waiting each). Otherwise
      // the longest queue of the newcomer's own lane gives up its newest, unless the
      // newcomer's is about that long itself.
      const guessing = clean ? longestOf(this.#guessing) : undefined;
      const longest = guessing ?? longestOf(rotation);
      const fair = guessing !== undefined || (longest !== undefined && longest.waiters.length > queue.length + 1);
      if (longest === undefined || longest.waiters === queue || !fair) return waiter.refuse(new PasswordChecksBusy());
      (longest.waiters.pop() as Waiter).refuse(new PasswordChecksBusy());
      if (longest.waiters.length === 0) longest.rotation.delete(longest.source);
      this.#waiting--;
    }
    queue.push(waiter);
    if (queue.length === 1) rotation.set(lane.source, queue);
    this.#waiting++;
  }

  /** The next to run: the trusted lane first, then the clean sources', then the others', one from each source in turn. */
  #next(): Waiter | undefined {
    const trusted = this.#trusted.shift();
    if (trusted) return trusted;
    const next = nextOf(this.#clean) ?? nextOf(this.#guessing);
    if (next) this.#waiting--;
    return next;
  }
}

/** The longest queue; of equal ones, the last to come, which has waited least. */
function longestOf(rotation: Rotation): { rotation: Rotation; source: string; waiters: Waiter[] } | undefined {
  let found: { rotation: Rotation; source: string; waiters: Waiter[] } | undefined;
  for (const [source, waiters] of rotation)
    if (!found || waiters.length >= found.waiters.length) found = { rotation, source, waiters };
  return found;
}

/** The first of the source whose turn it is; that source goes to the back of the line. */
function nextOf(rotation: Rotation): Waiter | undefined {
  for (const [source, waiters] of rotation) {
    const next = waiters.shift() as Waiter;
    rotation.delete(source);
    if (waiters.length > 0) rotation.set(source, waiters);
    return next;
  }
  return undefined;
}
