// A region in the test's process on port 0, its journal in a fresh folder, closed in teardown.
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { buildRegion, type RegionOptions } from '../../region/app.js';
import { loadConfig, type RegionConfig } from '../../config/settings.js';
import type { Journal } from '../../journal/journal.js';
import type { NewUser } from '../../users/users-file.js';
import { freshDir, type TestLike } from './test-like.js';
import { basicAuth, TESTER, writeUsers } from './users.js';

export interface TestRegion {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly config: RegionConfig;
  /** TESTER's Authorization header. */
  readonly auth: string;
  /** POST /cics/{tranid} with an octet-stream body, as TESTER unless headers say otherwise. */
  post(tranid: string, body: Uint8Array, headers?: Record<string, string>): Promise<Response>;
  /** fetch() on the region's URL, as TESTER unless `init.headers` names another authorization. */
  fetch(path: string, init?: RequestInit): Promise<Response>;
  /** The region's journal, as its main thread reads it. */
  journal(): Journal;
}

export async function startRegion(
  t: TestLike,
  env: Record<string, string> = {},
  options: RegionOptions & { users?: readonly NewUser[] } = {},
): Promise<TestRegion> {
  const dataDir = env.CICSMAIL_DATA ?? freshDir(t);
  writeUsers(dataDir, options.users);
  const config = loadConfig({
    CICSMAIL_DATA: dataDir,
    CICSMAIL_PORT: '0',
    CICSMAIL_WORKERS: '1',
    CICSMAIL_HOSTNAME: 'region.test',
    ...env,
  });
  const app = await buildRegion(config, options);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  t.teardown(() => app.close());
  const auth = basicAuth(TESTER.id, TESTER.password);
  return {
    app,
    url,
    config,
    auth,
    post: (tranid, body, headers = {}) =>
      fetch(`${url}/cics/${tranid}`, {
        method: 'POST',
        headers: { authorization: auth, 'content-type': 'application/octet-stream', ...headers },
        body,
      }),
    fetch: (path, init = {}) => {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization')) headers.set('authorization', auth);
      return fetch(`${url}${path}`, { ...init, headers });
    },
    journal: () => app.journal,
  };
}
