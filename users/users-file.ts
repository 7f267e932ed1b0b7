// The region's users (CICS's external security manager, in one file): CICSMAIL_DATA/users.json
// holds each user's id, a scrypt hash of the password (never the password), whether they
// administer the region, the tranids they may run, the senders they may use and the
// sender policy. Written whole and renamed into place, so a reader never sees half a file.
import { randomBytes, scrypt, scryptSync, timingSafeEqual } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { wildcardMatch } from '../cics/patterns.js';
import { CONTROL } from '../cics/characters.js';
import { NAME8, NAME8_RULE } from '../cics/names.js';

export const USERS_FILE = 'users.json';

export type SenderPolicy = 'verify' | 'replace';

export interface UserRecord {
  readonly id: string;
  readonly admin: boolean;
  /** `scrypt$N$r$p$salt$hash`, salt and hash in base64. */
  readonly hash: string;
  /** Tranids the user may run; `*` and `?` patterns allowed (`S*`, `*`). */
  readonly transactions: readonly string[];
  /** Senders the user may use: addresses or patterns (`*@corp.example`). */
  readonly senders: readonly string[];
  /** The sender of a mail whose FROM is blank, and the From of `replace`. */
  readonly defaultSender: string | null;
  /** null: the region's CICSMAIL_SENDER_POLICY. */
  readonly policy: SenderPolicy | null;
  /** Tasks a minute the user may start; null: the region's CICSMAIL_RATE_LIMIT. */
  readonly rateLimit: number | null;
  readonly updatedAt: string;
}

interface UsersFile {
  readonly version: 1;
  readonly users: readonly UserRecord[];
}

export class UsersError extends Error {
  readonly code = 'CICSMAIL_USERS';
}

// scrypt with 32 MiB of memory a try (N=2^15, r=8): slow for a guesser, and the region
// verifies a user's password once, then keeps the answer (region/security/auth.ts).
const N = 32_768;
const R = 8;
const P = 1;
const MAXMEM = 64 * 1024 * 1024;

export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password.normalize('NFC'), salt, 32, { N, r: R, p: P, maxmem: MAXMEM });
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** As hashPassword, off the event loop (libuv's thread pool). */
export async function hashPasswordAsync(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize('NFC'), salt, 32, { N, r: R, p: P, maxmem: MAXMEM }, (err, key) =>
      err ? reject(err) : resolve(key),
    ),
  );
  return `scrypt$${N}$${R}$${P}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/** Whether `password` is the one `stored` was made from; constant time in the hash compare. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !n || !r || !p || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await new Promise<Buffer>((resolve, reject) =>
    scrypt(
      password.normalize('NFC'),
      Buffer.from(salt, 'base64'),
      expected.length,
      { N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export function mayRun(user: UserRecord, tranid: string): boolean {
  return user.transactions.some((p) => wildcardMatch(p, tranid));
}

export function checkPassword(password: string): void {
  if (password.length < 8) throw new UsersError('a password needs at least 8 characters');
  if (password.length > 200) throw new UsersError('a password has at most 200 characters');
  if (CONTROL.test(password)) throw new UsersError('a password holds no control characters');
}

/** The users file of a data folder, read again when it changes on disk (another process may edit it). */
export class UserStore {
  readonly file: string;
  #users = new Map<string, UserRecord>();
  #mtimeMs = -1;
  /** Counts reloads: a cache of verified passwords is good for one generation only. */
  generation = 0;

  constructor(dataDir: string) {
    this.file = join(dataDir, USERS_FILE);
    this.reload();
  }

  get exists(): boolean {
    return existsSync(this.file);
  }

  /** Reads the file again where it changed; an absent file is no users. */
  reload(): void {
    let mtimeMs: number;
    try {
      mtimeMs = statSync(this.file).mtimeMs;
    } catch {
      mtimeMs = 0;
    }
    if (mtimeMs === this.#mtimeMs) return;
    const users = new Map<string, UserRecord>();
    if (mtimeMs !== 0) {
      let parsed: UsersFile;
      try {
        parsed = JSON.parse(readFileSync(this.file, 'utf8')) as UsersFile;
      } catch (err) {
        throw new UsersError(`${this.file} cannot be read: ${(err as Error).message}`);
      }
      if (parsed.version !== 1 || !Array.isArray(parsed.users))
        throw new UsersError(`${this.file} is not a cicsmail users file (version 1)`);
      for (const u of parsed.users as readonly UserRecord[]) users.set(u.id, u);
    }
    this.#users = users;
    this.#mtimeMs = mtimeMs;
    this.generation++;
  }

  get(id: string): UserRecord | undefined {
    return this.#users.get(id.toUpperCase());
  }

  all(): UserRecord[] {
    return [...this.#users.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Adds or replaces a user, and writes the file. */
  put(user: UserRecord): void {
    if (!NAME8.test(user.id)) throw new UsersError(`'${user.id}' is not a user id: ${NAME8_RULE}`);
    this.#users.set(user.id, user);
    this.#save();
  }

  remove(id: string): boolean {
    const removed = this.#users.delete(id.toUpperCase());
    if (removed) this.#save();
    return removed;
  }

  #save(): void {
    const data: UsersFile = { version: 1, users: this.all() };
    const tmp = `${this.file}.${process.pid}.tmp`;
    // Only the owner reads it: the hashes are slow to crack, not impossible.
    writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
    this.#mtimeMs = statSync(this.file).mtimeMs;
    this.generation++;
  }
}

export interface NewUser {
  readonly id: string;
  readonly password: string;
  readonly admin?: boolean;
  readonly transactions?: readonly string[];
  readonly senders?: readonly string[];
  readonly defaultSender?: string | null;
  readonly policy?: SenderPolicy | null;
  readonly rateLimit?: number | null;
}

export function newUser(u: NewUser): UserRecord {
  const id = u.id.toUpperCase();
  if (!NAME8.test(id)) throw new UsersError(`'${u.id}' is not a user id: ${NAME8_RULE}`);
  checkPassword(u.password);
  return {
    id,
    admin: u.admin ?? false,
    hash: hashPassword(u.password),
    transactions: (u.transactions ?? ['MAIL', 'SEND', 'SPOL']).map((t) => t.toUpperCase()),
    senders: u.senders ?? [],
    defaultSender: u.defaultSender ?? null,
    policy: u.policy ?? null,
    rateLimit: u.rateLimit ?? null,
    updatedAt: new Date().toISOString(),
  };
}
