// Requests with a key, one at a time a key: the first runs its task; a repeat that comes
// while it runs waits for its answer (no second task); a repeat after it hears the stored
// answer again; a different request under the same key is refused. Which keys run now is
// known only here, on the region's main thread, where every task is dispatched; what was
// answered (or journaled by a run cut off by a crash) is the journal's (request-keys.ts).
import type { Clock } from '../../cics/clock.js';
import type { RequestKeyRef } from '../../cics/request-key.js';
import type { StoredAnswer } from '../../cics/task-answer.js';
import type { RequestKeys } from '../../journal/request-keys.js';
import { KeyBusy, KeyMismatch } from '../errors.js';

export type KeyedAnswer = { readonly answer: StoredAnswer; readonly replayed: boolean };

interface Running {
  readonly digest: string;
  readonly ended: Promise<void>;
}

export class KeyedTasks {
  readonly #keys: RequestKeys;
  readonly #clock: Clock;
  readonly #running = new Map<string, Running>();

  constructor(keys: RequestKeys, clock: Clock) {
    this.#keys = keys;
    this.#clock = clock;
  }

  /**
   * The answer for `ref`: stored, or from `start` (given the mails an earlier run journaled),
   * which resolves with the answer once stored, or throws where its task did not run to its
   * end (then nothing is answered for the key, and the next repeat runs it again). A repeat
   * waits `waitMs` at most for a running task, then hears KeyBusy.
   */
  async run(
    ref: RequestKeyRef,
    waitMs: number,
    start: (earlier: readonly number[]) => Promise<StoredAnswer>,
  ): Promise<KeyedAnswer> {
    const giveUpAt = this.#clock.now() + waitMs;
    for (;;) {
      const running = this.#running.get(ref.id);
      if (running) {
        if (running.digest !== ref.digest) throw new KeyMismatch(ref.key);
        if (!(await this.#within(running.ended, giveUpAt - this.#clock.now()))) throw new KeyBusy(ref.key);
        continue;
      }
      const stored = this.#keys.get(ref.id);
      if (stored && stored.digest !== ref.digest) throw new KeyMismatch(ref.key);
      if (stored?.answer) return { answer: stored.answer, replayed: true };
      let end!: () => void;
      const ended = new Promise<void>((resolve) => (end = resolve));
      this.#running.set(ref.id, { digest: ref.digest, ended });
      try {
        return { answer: await start(stored?.seqs ?? []), replayed: false };
      } finally {
        this.#running.delete(ref.id);
        end();
      }
    }
  }

  /** Whether `ended` comes within `ms`. */
  async #within(ended: Promise<void>, ms: number): Promise<boolean> {
    if (ms <= 0) return false;
    let timer: unknown;
    const late = new Promise<false>((resolve) => (timer = this.#clock.setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([ended.then(() => true as const), late]);
    } finally {
      this.#clock.clearTimeout(timer);
    }
  }
}
