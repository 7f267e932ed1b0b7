// A request key (the Idempotency-Key of a transaction): what a task carries of it down to
// the journal, which stores it in the same commit as the task's first mail. A key belongs
// to the user and the tranid that sent it, so `id` names all three.

/** 1 to 64 printable ASCII characters: a UUID fits, and so does MAILCA's MC-KEY. */
export const REQUEST_KEY = /^[\x21-\x7e]{1,64}$/;
export const REQUEST_KEY_RULE = '1 to 64 printable ASCII characters (x21 to x7E)';

/** At most 64 characters of a refused key, its controls shown as `?`: it goes into an answer and a log. */
export function printableKey(key: string): string {
  return key.slice(0, 64).replace(/[^\x20-\x7e]/g, '?');
}

export interface RequestKeyRef {
  /** The key's identity in the store: user, tranid and key. */
  readonly id: string;
  /** The key as the caller sent it. */
  readonly key: string;
  /** SHA-256 (hex) of what the request asks: tranid, code page, COMMAREA and containers. */
  readonly digest: string;
}

/** The store's name of `key` sent by `userid` for `tranid`. */
export function requestKeyId(userid: string, tranid: string, key: string): string {
  return `${userid}\u0000${tranid}\u0000${key}`;
}

/**
 * The key a burst report's part `index` (1-based) is journaled under: the request's key, a
 * slash and the index (`PAYROLL-2026-12-06/7`). It is looked for only among the mails of
 * its own request's key, so a request key that happens to read the same is no clash.
 */
export function partKey(key: string, index: number): string {
  return `${key}/${index}`;
}

/** What a task knows of its key: the key, and the mails an earlier run of it journaled. */
export interface TaskKey {
  readonly ref: RequestKeyRef;
  /** The key the mail's journal record names: the request's (`ref.key`), or a burst part's (partKey). */
  readonly recordKey: string;
  /**
   * The journal sequence of the next mail an earlier run of this request journaled (it was
   * cut off before it answered), in the order that run made them; undefined: this mail is
   * new. A program asks once a mail, so that the same mail is never journaled or sent twice.
   */
  readonly earlier: () => number | undefined;
  /**
   * The key of a burst report's part: its mail is journaled under partKey, and the mail an
   * earlier run journaled for it is found by that key, not by its place among the request's
   * mails: a part suppressed or sent nowhere in one run may go in the next (the list, a
   * key map changed), and the parts after it must still find their own.
   */
  readonly part: (index: number) => TaskKey;
  /**
   * A journaled mail's settle (its relay's answer on record), handed over unwritten: the
   * worker writes it when the task's next mail is settled, or at the task's end in the same
   * turn as the key's answer, so that both go in one commit, the task's one wait for the
   * disk (transactions/worker.ts). `submit` writes it and never rejects for a full disk:
   * the record then stays ACCEPTED, the retry spool's.
   */
  readonly settling: (submit: () => Promise<void>) => void;
}
