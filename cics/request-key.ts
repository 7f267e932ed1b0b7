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

/** What a task knows of its key: the key, and the mails an earlier run of it journaled. */
export interface TaskKey {
  readonly ref: RequestKeyRef;
  /**
   * The journal sequence of the next mail an earlier run of this request journaled (it was
   * cut off before it answered), in the order that run made them; undefined: this mail is
   * new. A program asks once a mail, so that the same mail is never journaled or sent twice.
   */
  readonly earlier: () => number | undefined;
}
