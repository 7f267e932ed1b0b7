// The users of test regions: TESTER, an administrator every test region knows, and others a test adds.
import { newUser, UserStore, type NewUser, type UserRecord } from '../../users/users-file.js';

/** The user every test region knows: an administrator who may run anything as anyone. */
export const TESTER = { id: 'TESTER', password: 'tester-password' } as const;

export function basicAuth(id: string, password: string): string {
  return `Basic ${Buffer.from(`${id}:${password}`, 'utf8').toString('base64')}`;
}

let testerRecord: UserRecord | undefined;

/** Writes a users file (TESTER and `users`) into a data folder that has none yet. */
export function writeUsers(dataDir: string, users: readonly NewUser[] = []): void {
  const store = new UserStore(dataDir);
  if (store.exists) return;
  // scrypt is slow on purpose: TESTER's hash is made once a test process.
  testerRecord ??= newUser({
    id: TESTER.id,
    password: TESTER.password,
    admin: true,
    transactions: ['*'],
    senders: ['*'],
  });
  store.put(testerRecord);
  for (const u of users) store.put(newUser(u));
}
