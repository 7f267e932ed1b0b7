// Which records have what the journal keeps beside them. Each index (RECORD_INDEXES), the
// counts and the task index is written with every record (or task entry) from the number
// the first writer that knew it gave next (meta `from:NAME`); those before are added by
// Journal.indexLegacy, oldest first (meta `to:NAME`: done up to there). So a journal
// written before the indexes, or before one of them (a new index in a later version), gets
// it once, a batch at a time, and until then queries read the records it lacks one by one.
import type { Database } from 'lmdb';
import { LAST_SEQ, RECORD_INDEXES, TASK_INDEX } from './indexes.js';

/** The counts' name among what is kept. */
export const COUNTS = 'counts';

/** What is kept for each record: every index and the counts. */
export const RECORD_KEPT: readonly string[] = [...RECORD_INDEXES.map((i) => i.name), COUNTS];

/** What is kept for each task log entry. */
export const TASK_KEPT: readonly string[] = [TASK_INDEX];

/** Numbers (inclusive) of records or task entries that lack something kept. */
export interface Span {
  readonly from: number;
  readonly to: number;
}

export class Coverage {
  readonly #meta: Database<number, string>;
  /** Names kept for every number: never again otherwise (spans only shrink). */
  readonly #complete = new Set<string>();

  constructor(meta: Database<number, string>) {
    this.#meta = meta;
  }

  /** Names the journal has never started to keep (a writer starts them). */
  unstarted(names: readonly string[]): string[] {
    return names.filter((name) => this.#meta.get(`from:${name}`) === undefined);
  }

  /** Starts keeping `names` from number `next` on (inside a write transaction). */
  start(names: readonly string[], next: number): void {
    for (const name of this.unstarted(names)) {
      void this.#meta.put(`from:${name}`, next);
      void this.#meta.put(`to:${name}`, 0);
    }
  }

  /** The numbers that lack `name`, or null where none does. A name never started: all of them. */
  span(name: string): Span | null {
    if (this.#complete.has(name)) return null;
    const from = this.#meta.get(`from:${name}`);
    if (from === undefined) return { from: 1, to: LAST_SEQ };
    const to = this.#meta.get(`to:${name}`) ?? 0;
    if (to >= from - 1) {
      this.#complete.add(name);
      return null;
    }
    return { from: to + 1, to: from - 1 };
  }

  /** Whether number `n` has `name`. */
  covers(name: string, n: number): boolean {
    const span = this.span(name);
    return span === null || n < span.from || n > span.to;
  }

  /** One span over all that `names` lack (those between included), or null. */
  union(names: readonly string[]): Span | null {
    let out: Span | null = null;
    for (const name of names) {
      const s = this.span(name);
      if (s) out = out ? { from: Math.min(out.from, s.from), to: Math.max(out.to, s.to) } : s;
    }
    return out;
  }

  /** `name` is kept up to `to` now (inside a write transaction). */
  advance(name: string, to: number): void {
    void this.#meta.put(`to:${name}`, to);
  }
}
