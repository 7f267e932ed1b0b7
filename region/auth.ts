// Who calls: HTTP Basic credentials checked against the users file. A password is verified
// with scrypt once; the region then remembers that this user id and password go together
// (keyed by an HMAC under a key of this process, so the memory never holds a password) until
// the users file changes. Transaction security and the administrator's routes are here too.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { CredentialsInvalid, CredentialsMissing, LoginsThrottled } from './errors.js';
import { USERID, verifyPassword, type UserRecord, type UserStore } from '../security/users.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, once authenticated. */
    caller: UserRecord | null;
  }
}

/** Remembered verifications at most; past it the memory starts again. */
const CACHE_LIMIT = 10_000;
/** Wrong credentials from one address are counted over this window. */
export const FAILURE_WINDOW_MS = 60_000;

export interface AuthRefusal {
  /** The user id as claimed; '' where none was given. */
  readonly userid: string;
  readonly reason: 'NOCREDS' | 'BADCREDS' | 'THROTTLED';
  readonly detail: string;
}

export class Authenticator {
  readonly #store: UserStore;
  readonly #key = randomBytes(32);
  readonly #verified = new Map<string, string>();
  /** scrypt runs since start (each costs tens of milliseconds of CPU). */
  passwordChecks = 0;
  /** Verifications under way, by credentials key. */
  readonly #pending = new Map<string, Promise<boolean>>();
  #generation = -1;
  #checkedAt = 0;
  /**
   * The credentials a keep-alive connection last proved, so that its next request with the
   * same header costs a comparison, not an HMAC. Compared in constant time: a proxy may
   * carry several callers' requests over one connection.
   */
  readonly #bySocket = new WeakMap<Socket, { header: Buffer; generation: number; id: string }>();

  /** Wrong credentials an address may send a window; 0: no limit. */
  readonly #maxFailures: number;
  /** Wrong credentials by address in the current window, and whether its refusal is on record. */
  readonly #failures = new Map<string, { since: number; count: number; reported: boolean }>();

  constructor(store: UserStore, maxFailures = 0) {
    this.#store = store;
    this.#maxFailures = maxFailures;
  }

  /** The user behind the request's credentials; throws NOTAUTH (401) and reports the denial. */
  async authenticate(request: FastifyRequest, onDenied: (denial: AuthRefusal) => void): Promise<UserRecord> {
    const header = request.headers.authorization;
    this.#refresh();
    const socket = request.raw.socket;
    const proven = header === undefined ? undefined : this.#bySocket.get(socket);
    if (proven !== undefined && proven.generation === this.#generation && header !== undefined) {
      const bytes = Buffer.from(header, 'latin1');
      if (bytes.length === proven.header.length && timingSafeEqual(bytes, proven.header)) {
        const user = this.#store.get(proven.id);
        if (user) return user;
      }
    }
    const basic = header === undefined ? null : /^Basic +([A-Za-z0-9+/=]{1,1000})$/i.exec(header);
    if (!basic?.[1]) {
      onDenied({
        userid: '',
        reason: 'NOCREDS',
        detail: header === undefined ? 'no Authorization header' : 'an Authorization header that is not Basic',
      });
      throw new CredentialsMissing();
    }
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const id = (colon < 0 ? decoded : decoded.slice(0, colon)).toUpperCase();
    const password = colon < 0 ? '' : decoded.slice(colon + 1);
    const claimed = USERID.test(id) ? id : id.slice(0, 8).replace(/[^\x21-\x7e]/g, '?');
    const key = createHmac('sha256', this.#key).update(id).update('\0').update(password).digest('base64');
    const user = this.#store.get(id);
    const prove = (u: UserRecord) => {
      this.#bySocket.set(socket, {
        header: Buffer.from(header as string, 'latin1'),
        generation: this.#generation,
        id: u.id,
      });
      return u;
    };
    if (user && this.#verified.get(key) === user.id) return prove(user);
    // Credentials not proved before cost a scrypt run: an address that keeps guessing gets none.
    const address = request.ip;
    const failures = this.#failuresOf(address);
    if (failures && this.#maxFailures > 0 && failures.count >= this.#maxFailures) {
      if (!failures.reported) {
        failures.reported = true;
        onDenied({
          userid: claimed,
          reason: 'THROTTLED',
          detail: `${failures.count} wrong user ids or passwords from ${address} within ${FAILURE_WINDOW_MS / 1000} s`,
        });
      }
      throw new LoginsThrottled(failures.count, FAILURE_WINDOW_MS / 1000);
    }
    // Unknown user or wrong password: the same answer, so a caller cannot tell which ids exist.
    if (!user || !USERID.test(id) || !(await this.#verifyOnce(key, password, user.hash))) {
      onDenied({ userid: claimed, reason: 'BADCREDS', detail: user ? 'wrong password' : 'unknown user' });
      this.#countFailure(address);
      throw new CredentialsInvalid();
    }
    if (this.#verified.size >= CACHE_LIMIT) this.#verified.clear();
    this.#verified.set(key, user.id);
    return prove(user);
  }

  /**
   * One scrypt run for many requests with the same credentials at once: a burst of first
   * requests would otherwise each run one (about 50 ms of CPU apiece) and stall the region.
   */
  #verifyOnce(key: string, password: string, hash: string): Promise<boolean> {
    let pending = this.#pending.get(key);
    if (!pending) {
      this.passwordChecks++;
      pending = verifyPassword(password, hash).finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  /** The address's failures in the current window, where it has any. */
  #failuresOf(address: string): { since: number; count: number; reported: boolean } | undefined {
    const entry = this.#failures.get(address);
    if (entry && Date.now() - entry.since >= FAILURE_WINDOW_MS) {
      this.#failures.delete(address);
      return undefined;
    }
    return entry;
  }

  #countFailure(address: string): void {
    if (this.#maxFailures === 0) return;
    const entry = this.#failuresOf(address);
    if (entry) {
      entry.count++;
      return;
    }
    // Bounded: many addresses at once start the count again rather than grow without end.
    if (this.#failures.size >= CACHE_LIMIT) this.#failures.clear();
    this.#failures.set(address, { since: Date.now(), count: 1, reported: false });
  }

  /** Reads the users file again (at most once a second) where another process changed it. */
  #refresh(): void {
    const now = Date.now();
    if (now - this.#checkedAt >= 1000) {
      this.#checkedAt = now;
      this.#store.reload();
    }
    if (this.#store.generation !== this.#generation) {
      this.#generation = this.#store.generation;
      this.#verified.clear();
    }
  }
}
