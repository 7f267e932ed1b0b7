// The suppression list: addresses mail is not sent to. A hard bounce (5.x.x) puts its
// recipient on it, in the transaction that records the bounce (journal/fate.ts); an
// operator adds and removes by hand (`cicsmail suppress`, CEMT). Each entry expires after
// CICSMAIL_SUPPRESS_DAYS (0: never). Every change, and who made it, is kept in a log of its
// own that the list's changes cannot rewrite.
import type { Database } from 'lmdb';
import { entryCount } from './entry-count.js';

export interface Suppression {
  /** As first seen; the key is its lower-case form. */
  readonly address: string;
  /** BOUNCED: a hard bounce put it there; MANUAL: an operator. */
  readonly reason: 'BOUNCED' | 'MANUAL';
  /** The bounce's status (`5.1.1`), or '' for an operator's entry. */
  readonly status: string;
  readonly detail: string;
  /** The record whose bounce put it there. */
  readonly source: { readonly sysid: string; readonly seq: number } | null;
  readonly at: string;
  /** When it stops counting (ISO 8601); null: never. */
  readonly expiresAt: string | null;
  /** Who: the operator's user id, or `bounce`. */
  readonly by: string;
}

export interface SuppressionChange {
  readonly at: string;
  readonly action: 'add' | 'remove';
  readonly address: string;
  readonly by: string;
  readonly reason: string;
  readonly detail: string;
}

const DAY = 86_400_000;

/** The key an address is kept under: domains are case-blind, and every mail system folds local parts too. */
export function suppressionKey(address: string): string {
  return address.trim().toLowerCase();
}

export class SuppressionList {
  readonly #db: Database<Suppression, string>;
  readonly #log: Database<SuppressionChange, number>;
  readonly #write: <T>(action: () => T) => Promise<T>;
  readonly #now: () => number;
  readonly #days: number;

  constructor(
    db: Database<Suppression, string>,
    log: Database<SuppressionChange, number>,
    write: <T>(action: () => T) => Promise<T>,
    now: () => number,
    days: number,
  ) {
    this.#db = db;
    this.#log = log;
    this.#write = write;
    this.#now = now;
    this.#days = days;
  }

  #expiry(at: number, days = this.#days): string | null {
    return days > 0 ? new Date(at + days * DAY).toISOString() : null;
  }

  #logInTransaction(change: SuppressionChange): void {
    let next = 1;
    for (const last of this.#log.getKeys({ reverse: true, limit: 1 })) next = last + 1;
    void this.#log.put(next, change);
  }

  /** Inside a write transaction: a hard bounce's recipient on the list (again, from now), logged. */
  bouncedInTransaction(
    address: string,
    status: string,
    detail: string,
    source: { sysid: string; seq: number },
    at: number,
  ): Suppression {
    const iso = new Date(at).toISOString();
    const entry: Suppression = {
      address,
      reason: 'BOUNCED',
      status,
      detail: detail.slice(0, 500),
      source,
      at: iso,
      expiresAt: this.#expiry(at),
      by: 'bounce',
    };
    void this.#db.put(suppressionKey(address), entry);
    this.#logInTransaction({
      at: iso,
      action: 'add',
      address,
      by: 'bounce',
      reason: 'BOUNCED',
      detail: `${status} ${source.sysid}.${source.seq}`,
    });
    return entry;
  }

  /** An operator's entry; `days` overrides the region's expiry (0: never). */
  async add(address: string, by: string, detail: string, days?: number): Promise<Suppression> {
    const at = this.#now();
    const iso = new Date(at).toISOString();
    const entry: Suppression = {
      address,
      reason: 'MANUAL',
      status: '',
      detail: detail.slice(0, 500),
      source: null,
      at: iso,
      expiresAt: this.#expiry(at, days),
      by,
    };
    await this.#write(() => {
      void this.#db.put(suppressionKey(address), entry);
      this.#logInTransaction({ at: iso, action: 'add', address, by, reason: 'MANUAL', detail: entry.detail });
    });
    return entry;
  }

  /** Takes an address off the list; false where it was not on it. */
  async remove(address: string, by: string, detail = ''): Promise<boolean> {
    const iso = new Date(this.#now()).toISOString();
    return this.#write(() => {
      const key = suppressionKey(address);
      const entry = this.#db.get(key);
      if (!entry) return false;
      void this.#db.remove(key);
      this.#logInTransaction({ at: iso, action: 'remove', address: entry.address, by, reason: entry.reason, detail });
      return true;
    });
  }

  /** The entry that counts now for this address, if any (an expired one does not). */
  get(address: string, now = this.#now()): Suppression | undefined {
    const entry = this.#db.get(suppressionKey(address));
    if (!entry || (entry.expiresAt !== null && Date.parse(entry.expiresAt) <= now)) return undefined;
    return entry;
  }

  /** Of these addresses, those suppressed now. One lookup an address. */
  suppressed(addresses: readonly string[], now = this.#now()): string[] {
    return addresses.filter((a) => this.get(a, now) !== undefined);
  }

  /** Entries in address order after `after`, expired ones included (they show their expiry). */
  list(options: { after?: string; limit?: number } = {}): Suppression[] {
    const out: Suppression[] = [];
    const start = options.after === undefined ? {} : { start: `${suppressionKey(options.after)}\u0000` };
    for (const { value } of this.#db.getRange({ ...start, limit: options.limit ?? 100 })) out.push(value);
    return out;
  }

  /** The change log, newest first. */
  changes(limit = 100): SuppressionChange[] {
    const out: SuppressionChange[] = [];
    for (const { value } of this.#log.getRange({ reverse: true, limit })) out.push(value);
    return out;
  }

  size(): number {
    return entryCount(this.#db);
  }
}
