// Who calls: HTTP Basic credentials checked against the users file. A password is verified
// with scrypt once; the region then remembers that this user id and password go together
// (keyed by an HMAC under a key of this process, so the memory never holds a password)
// for as long as the user's hash stays the same: a change to another user, or to anything
// else of this one, keeps it. An unknown user id costs a scrypt run all the same, so that
// ids cannot be told apart by time. Credentials not proved yet wait their turn when their
// user id or their address has been guessing (login-throttle.ts), and the hashes run a few
// at a time (hash-gate.ts): those of a user who signed in within the last day first (they
// skip the address's spacing too; the user id's own still holds), then those from addresses
// that sent no wrong credentials this minute, then the guessing addresses, taking turns. A
// flood of wrong passwords from many addresses so keeps out none of the users who work here.
// What the lanes tell a flooder is which ids signed in lately, never a password.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import type { FastifyRequest } from 'fastify';
import { systemClock, type Clock } from '../../cics/clock.js';
import { hashPasswordAsync, verifyPassword, type UserRecord, type UserStore } from '../../users/users-file.js';
import { CredentialsInvalid, CredentialsMissing, LoginsThrottled, PasswordChecksBusy } from '../errors.js';
import { HashGate, type HashLane } from './hash-gate.js';
import { sourceOf } from './address-groups.js';
import { KeyThrottle, WINDOW_MS } from './login-throttle.js';
import { NAME8 } from '../../cics/names.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The caller, once authenticated. */
    caller: UserRecord | null;
  }
}

/** Remembered verifications at most; past it the memory starts again. */
const CACHE_LIMIT = 10_000;
/** A user who signed in within this long has the trusted lane. */
const TRUST_MS = 24 * 3_600_000;
/** The users file is read again at most this often. */
const RELOAD_MS = 1000;

export interface AuthRefusal {
  /** The user id as claimed; '' where none was given. */
  readonly userid: string;
  /** Whether the users file has that id: refusals of ids it has not are recorded by address, not by id. */
  readonly known: boolean;
  readonly reason: 'NOCREDS' | 'BADCREDS' | 'THROTTLED';
  readonly detail: string;
}

export interface AuthOptions {
  /** Wrong credentials an address may send in a minute before its new ones are spaced out (0: no limit). */
  readonly addressFailures: number;
  /** Wrong passwords a user id may get in a minute before its new attempts are spaced out (0: no limit). */
  readonly userFailures: number;
  readonly clock?: Clock;
  /** Password hashes at once; the cores where not given. */
  readonly hashConcurrency?: number;
}

export class Authenticator {
  readonly #store: UserStore;
  readonly #key = randomBytes(32);
  /** Credentials proved, by their HMAC: the hash they were proved against. */
  readonly #verified = new Map<string, string>();
  /** When each user last signed in with a password checked (epoch ms). */
  readonly #signedIn = new Map<string, number>();
  readonly #clock: Clock;
  readonly #gate: HashGate;
  readonly #byUser: KeyThrottle;
  readonly #byAddress: KeyThrottle;
  /** Verifications under way, by credentials key. */
  readonly #pending = new Map<string, Promise<boolean>>();
  /** A hash of a random password with the users' parameters: what an unknown id is checked against. */
  #decoy: Promise<string> | undefined;
  #checkedAt = -Infinity;
  /**
   * The credentials a keep-alive connection last proved, so that its next request with the
   * same header costs a comparison, not an HMAC. Compared in constant time: a proxy may
   * carry several callers' requests over one connection.
   */
  readonly #bySocket = new WeakMap<Socket, { header: Buffer; hash: string; id: string }>();

  constructor(store: UserStore, options: AuthOptions) {
    this.#store = store;
    this.#clock = options.clock ?? systemClock;
    this.#gate = new HashGate(options.hashConcurrency);
    this.#byUser = new KeyThrottle({ limit: options.userFailures, stepMs: 1000, maxWaitMs: 30_000 }, this.#clock);
    this.#byAddress = new KeyThrottle(
      { limit: options.addressFailures, stepMs: 250, maxWaitMs: Infinity },
      this.#clock,
    );
  }

  /** scrypt runs since start (each costs tens of milliseconds of CPU). */
  get passwordChecks(): number {
    return this.#gate.runs;
  }

  /** The user behind the request's credentials; throws NOTAUTH (401, 429) and reports the refusal. */
  async authenticate(request: FastifyRequest, onRefused: (refusal: AuthRefusal) => void): Promise<UserRecord> {
    const header = request.headers.authorization;
    this.#refresh();
    const socket = request.raw.socket;
    const again = header === undefined ? undefined : this.#provenOn(socket, header);
    if (again) return again;
    const { id, password, claimed } = credentialsOf(header, onRefused);
    const key = createHmac('sha256', this.#key).update(id).update('\0').update(password).digest('base64');
    const user = this.#store.get(id);
    const prove = (u: UserRecord) => {
      this.#bySocket.set(socket, { header: Buffer.from(header as string, 'latin1'), hash: u.hash, id: u.id });
      return u;
    };
    // Proved before against the hash the user still has.
    if (user && this.#verified.get(key) === user.hash) return prove(user);

    // Not proved yet: wait for the turn the guessing of this user id and address leaves.
    const address = request.ip;
    const known = user !== undefined;
    const trusted = await this.#turn(claimed, user, address, onRefused);

    // Unknown user or wrong password: the same answer, and the same cost, so that a caller
    // can tell neither which ids exist nor by how long an answer took.
    const lane: HashLane = trusted
      ? { trusted }
      : { trusted, source: sourceOf(address), clean: this.#byAddress.failures(address) === 0 };
    // An address whose checks the full line refused counts as guessing: a flood whose
    // requests are mostly refused busy would otherwise stay in the lane of clean addresses
    // and queue ahead of a user's first sign-in. Trusted users are spaced by id only.
    const valid =
      NAME8.test(id) &&
      (await this.#verifyOnce(key, password, user?.hash, lane).catch((err: unknown) => {
        if (err instanceof PasswordChecksBusy && !trusted) this.#failed(address);
        throw err;
      }));
    if (!user || !valid) {
      onRefused({ userid: claimed, known, reason: 'BADCREDS', detail: user ? 'wrong password' : 'unknown user' });
      this.#byUser.fail(claimed);
      this.#failed(address);
      throw new CredentialsInvalid();
    }
    if (this.#verified.size >= CACHE_LIMIT) this.#verified.clear();
    this.#verified.set(key, user.hash);
    if (this.#signedIn.size >= CACHE_LIMIT) this.#signedIn.clear();
    this.#signedIn.set(user.id, this.#clock.now());
    return prove(user);
  }

  /** The user whose credentials this connection proved last, where it sends the same header and their hash is the same. */
  #provenOn(socket: Socket, header: string): UserRecord | undefined {
    const proven = this.#bySocket.get(socket);
    if (proven === undefined) return undefined;
    const bytes = Buffer.from(header, 'latin1');
    if (bytes.length !== proven.header.length || !timingSafeEqual(bytes, proven.header)) return undefined;
    const user = this.#store.get(proven.id);
    return user?.hash === proven.hash ? user : undefined;
  }

  /**
   * Waits for the turn the guessing of this user id and address leaves; throws NOTAUTH (429)
   * where the user id is throttled. Whether the user signed in lately (the trusted lane).
   */
  async #turn(
    claimed: string,
    user: UserRecord | undefined,
    address: string,
    onRefused: (refusal: AuthRefusal) => void,
  ): Promise<boolean> {
    const byUser = this.#byUser.admit(claimed);
    if ('refusedForMs' in byUser) {
      onRefused({
        userid: claimed,
        known: user !== undefined,
        reason: 'THROTTLED',
        detail: `${this.#byUser.failures(claimed)} wrong passwords for ${claimed} within ${WINDOW_MS / 1000} s`,
      });
      const seconds = Math.ceil(byUser.refusedForMs / 1000);
      throw Object.assign(new LoginsThrottled(claimed, this.#byUser.failures(claimed), seconds), {
        retryAfter: seconds,
      });
    }
    // A user who signed in lately: its user id's spacing is guard enough, not its address's.
    const trusted = user !== undefined && this.#clock.now() - (this.#signedIn.get(user.id) ?? -Infinity) < TRUST_MS;
    const byAddress = trusted ? { waitMs: 0 } : this.#byAddress.admit(address);
    const waitMs = Math.max(byUser.waitMs, 'waitMs' in byAddress ? byAddress.waitMs : 0);
    if (waitMs > 0) await new Promise<void>((resolve) => this.#clock.setTimeout(resolve, waitMs));
    return trusted;
  }

  /**
   * One scrypt run for many requests with the same credentials at once: a burst of first
   * requests would otherwise each run one and stall the region. An unknown user's password
   * is checked against the decoy, for the same cost.
   */
  #verifyOnce(key: string, password: string, hash: string | undefined, lane: HashLane): Promise<boolean> {
    let pending = this.#pending.get(key);
    if (!pending) {
      pending = this.#gate
        .run(lane, async () => {
          if (hash !== undefined) return verifyPassword(password, hash);
          await verifyPassword(password, await this.#decoyHash());
          return false;
        })
        .finally(() => this.#pending.delete(key));
      this.#pending.set(key, pending);
    }
    return pending;
  }

  #decoyHash(): Promise<string> {
    this.#decoy ??= hashPasswordAsync(randomBytes(24).toString('base64url'));
    return this.#decoy;
  }

  /** Wrong credentials (or a busy refusal) from an address: it is guessing now, and so is what it has waiting. */
  #failed(address: string): void {
    this.#byAddress.fail(address);
    this.#gate.demote(sourceOf(address));
  }

  /**
   * Reads the users file again (at most once a second) where another process changed it.
   * What was proved stays proved for each user whose hash did not change.
   */
  #refresh(): void {
    const now = this.#clock.now();
    if (now - this.#checkedAt >= RELOAD_MS) {
      this.#checkedAt = now;
      this.#store.reload();
    }
  }
}

/** The user id (upper case), password and user id as a refusal may name it, from a Basic header; else NOTAUTH (401), reported. */
function credentialsOf(
  header: string | undefined,
  onRefused: (refusal: AuthRefusal) => void,
): { id: string; password: string; claimed: string } {
  const basic = header === undefined ? null : /^Basic +([A-Za-z0-9+/=]{1,1000})$/i.exec(header);
  if (!basic?.[1]) {
    onRefused({
      userid: '',
      known: false,
      reason: 'NOCREDS',
      detail: header === undefined ? 'no Authorization header' : 'an Authorization header that is not Basic',
    });
    throw new CredentialsMissing();
  }
  const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const id = (colon < 0 ? decoded : decoded.slice(0, colon)).toUpperCase();
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  const claimed = NAME8.test(id) ? id : id.slice(0, 8).replace(/[^\x21-\x7e]/g, '?');
  return { id, password, claimed };
}
