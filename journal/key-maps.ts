// Key maps kept by the region: for a burst report (SEND's ATTACH … BURST=), which key's part
// goes to whom, under a name a request gives (SEND's KEYMAP statement) instead of KEYMAIL
// statements of its own. In the journal's LMDB environment beside the suppression list, and
// for the same reasons: every worker reads it where it already reads the journal, a change
// (`cicsmail keymap`, CEMT) is seen by the next task at once, also while the region runs,
// and the change and its log line commit together. One entry a key, so that a request
// reads only the keys its parts have, and a change to one key rewrites only it. Every
// change, and who made it, goes to a log of its own that changes to the maps cannot rewrite.
import type { Database } from 'lmdb';
import { addrSpecProblem } from '../cics/addresses.js';
import { burstKey } from '../cics/burst-key.js';
import { CONTROL_OR_C1 } from '../cics/characters.js';

/** A map's name: 1 to 32 letters, digits, `_`, `-` or `.`, a letter or digit first; kept in upper case. */
export const MAP_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/;
export const MAP_NAME_RULE = '1 to 32 letters, digits, _, - or ., a letter or digit first';
/** Keys a map holds at most: a report bursts into 1,000 parts at most, and a map may serve several reports. */
export const MAX_MAP_KEYS = 10_000;
/** Recipients a key gives at most (the region's recipient limit applies to each mail as well). */
export const MAX_KEY_RECIPIENTS = 100;
/** The longest key: as long as a report's key is (report/page-key.ts MAX_KEY). */
export const MAX_MAP_KEY = 120;

export interface KeyMapEntry {
  /** The map's name, upper case. */
  readonly map: string;
  /** As a burst part's key is compared (burstKey). */
  readonly key: string;
  readonly recipients: readonly string[];
  readonly at: string;
  readonly by: string;
}

export interface KeyMapChange {
  readonly at: string;
  readonly action: 'set' | 'remove' | 'drop';
  readonly map: string;
  /** '' where a whole map was dropped. */
  readonly key: string;
  /** What the key gives after a set; what it gave before a remove; the number of keys a drop took. */
  readonly detail: string;
  readonly by: string;
}

export interface KeyMapSummary {
  readonly map: string;
  readonly keys: number;
  /** The newest change to one of its keys. */
  readonly at: string;
}

/** What is wrong with a change, for the operator (CLI exit 1, CEMT 400 or 404). */
export type KeyMapRefusal =
  | { readonly code: 'BADNAME'; readonly message: string }
  | { readonly code: 'BADKEY'; readonly message: string }
  | { readonly code: 'BADADDR'; readonly message: string }
  | { readonly code: 'TOOMANY'; readonly message: string }
  | { readonly code: 'NOTFOUND'; readonly message: string };

type Write = <T>(action: () => T) => Promise<T>;
type EntryKey = [string, string];

const clipped = (s: string, max = 40) => {
  const clean = s.replace(new RegExp(CONTROL_OR_C1.source, 'g'), '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
};

/** The stored form of a map's name, or what is wrong with it. */
export function mapName(name: string): string | KeyMapRefusal {
  if (!MAP_NAME.test(name)) return { code: 'BADNAME', message: `map name '${clipped(name)}' is not ${MAP_NAME_RULE}` };
  return name.toUpperCase();
}

export class KeyMaps {
  readonly #db: Database<Omit<KeyMapEntry, 'map' | 'key'>, EntryKey> | undefined;
  readonly #log: Database<KeyMapChange, number> | undefined;
  readonly #write: Write;
  readonly #now: () => number;
  readonly #maxKeys: number;

  /** Without databases (a journal opened to read that no writer has given maps): no maps. */
  constructor(
    db: Database<Omit<KeyMapEntry, 'map' | 'key'>, EntryKey> | undefined,
    log: Database<KeyMapChange, number> | undefined,
    write: Write,
    now: () => number,
    maxKeys = MAX_MAP_KEYS,
  ) {
    this.#db = db;
    this.#log = log;
    this.#write = write;
    this.#now = now;
    this.#maxKeys = maxKeys;
  }

  #range(map: string): { start: EntryKey; end: EntryKey } {
    // Keys sort after '' and before any string that starts with U+FFFF (none: keys are text).
    return { start: [map, ''], end: [map, '\uffff'] };
  }

  #logInTransaction(change: KeyMapChange): void {
    if (!this.#log) return;
    let next = 1;
    for (const last of this.#log.getKeys({ reverse: true, limit: 1 })) next = last + 1;
    void this.#log.put(next, change);
  }

  /**
   * Sets what a key of a map gives (making the map where it is new): replaces what it gave.
   * Refused, with nothing written, for a bad name, key or address, too many recipients, or
   * a map already holding MAX_MAP_KEYS other keys.
   */
  async set(
    name: string,
    key: string,
    recipients: readonly string[],
    by: string,
  ): Promise<KeyMapEntry | KeyMapRefusal> {
    const map = mapName(name);
    if (typeof map !== 'string') return map;
    const k = burstKey(key);
    if (k === '' || k.length > MAX_MAP_KEY || CONTROL_OR_C1.test(k))
      return {
        code: 'BADKEY',
        message: `key '${clipped(key)}' is not 1 to ${MAX_MAP_KEY} characters without controls`,
      };
    if (recipients.length === 0) return { code: 'BADADDR', message: `key '${clipped(k)}' needs an address` };
    if (recipients.length > MAX_KEY_RECIPIENTS)
      return {
        code: 'TOOMANY',
        message: `key '${clipped(k)}' would give ${recipients.length} addresses; at most ${MAX_KEY_RECIPIENTS}`,
      };
    for (const r of recipients) {
      const problem = addrSpecProblem(r);
      if (problem !== undefined) return { code: 'BADADDR', message: `key '${clipped(k)}': ${problem}` };
    }
    const db = this.#needDb();
    const at = new Date(this.#now()).toISOString();
    const value = { recipients: [...recipients], at, by };
    return this.#write(() => {
      if (db.get([map, k]) === undefined && db.getKeysCount(this.#range(map)) >= this.#maxKeys)
        return {
          code: 'TOOMANY',
          message: `map ${map} holds ${this.#maxKeys.toLocaleString('en-US')} keys, its most: remove one first`,
        } satisfies KeyMapRefusal;
      void db.put([map, k], value);
      this.#logInTransaction({ at, action: 'set', map, key: k, detail: recipients.join(', '), by });
      return { map, key: k, ...value };
    });
  }

  /** Takes a key out of a map (a map whose last key goes is no more); NOTFOUND where it was not there. */
  async remove(name: string, key: string, by: string): Promise<true | KeyMapRefusal> {
    const map = mapName(name);
    if (typeof map !== 'string') return map;
    const k = burstKey(key);
    const db = this.#needDb();
    const at = new Date(this.#now()).toISOString();
    return this.#write(() => {
      const entry = db.get([map, k]);
      if (entry === undefined)
        return { code: 'NOTFOUND', message: `map ${map} has no key '${clipped(k)}'` } satisfies KeyMapRefusal;
      void db.remove([map, k]);
      this.#logInTransaction({ at, action: 'remove', map, key: k, detail: entry.recipients.join(', '), by });
      return true as const;
    });
  }

  /** Removes a whole map; NOTFOUND where there is none of that name. Resolves with the keys it held. */
  async drop(name: string, by: string): Promise<number | KeyMapRefusal> {
    const map = mapName(name);
    if (typeof map !== 'string') return map;
    const db = this.#needDb();
    const at = new Date(this.#now()).toISOString();
    return this.#write(() => {
      let n = 0;
      for (const key of db.getKeys(this.#range(map))) {
        void db.remove(key);
        n++;
      }
      if (n === 0) return { code: 'NOTFOUND', message: `no key map ${map}` } satisfies KeyMapRefusal;
      this.#logInTransaction({ at, action: 'drop', map, key: '', detail: `${n} keys`, by });
      return n;
    });
  }

  /** Whether the region keeps a map of this name (one key at least). */
  has(name: string): boolean {
    const map = mapName(name);
    if (typeof map !== 'string' || !this.#db) return false;
    for (const _ of this.#db.getKeys({ ...this.#range(map), limit: 1 })) return true;
    return false;
  }

  /** What a key of a map gives, or undefined. One read. */
  recipients(name: string, key: string): readonly string[] | undefined {
    const map = mapName(name);
    if (typeof map !== 'string' || !this.#db) return undefined;
    return this.#db.get([map, burstKey(key)])?.recipients;
  }

  /** A map's keys in order after `after`, `limit` at most. */
  show(name: string, options: { after?: string; limit?: number } = {}): KeyMapEntry[] {
    const map = mapName(name);
    if (typeof map !== 'string' || !this.#db) return [];
    const { start, end } = this.#range(map);
    const from: EntryKey = options.after === undefined ? start : [map, `${burstKey(options.after)}\u0000`];
    const out: KeyMapEntry[] = [];
    for (const { key, value } of this.#db.getRange({ start: from, end, limit: options.limit ?? 100 }))
      out.push({ map, key: key[1], ...value });
    return out;
  }

  /** Every map with its count of keys, in name order: one pass over the keys (at most MAX_MAP_KEYS a map). */
  list(): KeyMapSummary[] {
    if (!this.#db) return [];
    const out: { map: string; keys: number; at: string }[] = [];
    for (const { key, value } of this.#db.getRange({})) {
      const last = out[out.length - 1];
      if (last?.map === key[0]) {
        last.keys++;
        if (value.at > last.at) last.at = value.at;
      } else out.push({ map: key[0], keys: 1, at: value.at });
    }
    return out;
  }

  /** The change log, newest first. */
  changes(limit = 100): KeyMapChange[] {
    const out: KeyMapChange[] = [];
    if (!this.#log) return out;
    for (const { value } of this.#log.getRange({ reverse: true, limit })) out.push(value);
    return out;
  }

  #needDb(): Database<Omit<KeyMapEntry, 'map' | 'key'>, EntryKey> {
    // Only a journal opened to read lacks it, and nothing that changes maps opens one so.
    if (!this.#db) throw new Error('the key maps are not open for writing');
    return this.#db;
  }
}
