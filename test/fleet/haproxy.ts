// HAProxy (Debian's haproxy) for the fleet test: deploy/haproxy/haproxy.cfg itself, run in
// the foreground on loopback with the test's addresses and short checks. Its log lines
// (errors only: a 502, a redispatch, a server DOWN or UP) are kept with the moment each
// arrived; its admin socket answers `show stat`, polled for a server's changes. Killed in
// teardown.
import { spawn, spawnSync } from 'node:child_process';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { TestLike } from '../helpers/test-like.js';

export const HAPROXY_CFG = fileURLToPath(new URL('../../deploy/haproxy/haproxy.cfg', import.meta.url));

/** Why HAProxy cannot run here, or false. */
export function noHaproxy(): string | false {
  const probe = spawnSync('haproxy', ['-v'], { encoding: 'utf8' });
  return probe.status === 0 ? false : "haproxy is not installed (Debian's haproxy; .ci/run installs it)";
}

export interface LogLine {
  /** performance.now() when the line arrived. */
  readonly at: number;
  readonly text: string;
}

export interface Haproxy {
  readonly url: string;
  readonly lines: LogLine[];
  /** `show stat` on the admin socket: a row a server, by name. */
  stat(): Promise<Map<string, Record<string, string>>>;
  /** Each change of a server's status as `show stat` reports it, polled every 100 ms from now on. */
  watch(server: string): { readonly changes: StatusChange[]; stop(): void };
}

export interface StatusChange {
  /** performance.now() of the first poll that saw it. */
  readonly at: number;
  readonly status: string;
  /** Sessions the server had been given so far. */
  readonly stot: number;
}

/** The check settings of the test: inter 500ms fall 2 rise 2. */
export const FAST_CHECKS = { CHECK_INTER: '500ms', CHECK_FALL: '2', CHECK_RISE: '2' } as const;

export async function startHaproxy(
  t: TestLike,
  options: { port: number; regions: readonly string[]; dir: string },
): Promise<Haproxy> {
  const socket = join(options.dir, 'admin.sock');
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    ...FAST_CHECKS,
    HAPROXY_BIND: `127.0.0.1:${options.port}`,
    HAPROXY_SOCKET: socket,
  };
  options.regions.forEach((address, i) => (env[`CICSMAIL_REGION${i + 1}`] = address));
  const check = spawnSync('haproxy', ['-c', '-q', '-f', HAPROXY_CFG], { env, encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`haproxy -c: ${check.stderr}${check.stdout}`);
  const child = spawn('haproxy', ['-db', '-f', HAPROXY_CFG], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const lines: LogLine[] = [];
  let pending = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk;
    let nl: number;
    while ((nl = pending.indexOf('\n')) !== -1) {
      lines.push({ at: performance.now(), text: pending.slice(0, nl) });
      pending = pending.slice(nl + 1);
    }
  });
  let errors = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (errors += chunk));

  const stat = () =>
    new Promise<Map<string, Record<string, string>>>((resolve, reject) => {
      const conn = createConnection(socket);
      let text = '';
      conn.setEncoding('utf8');
      conn.on('connect', () => conn.end('show stat\n'));
      conn.on('data', (d: string) => (text += d));
      conn.on('error', reject);
      conn.on('end', () => {
        const [header, ...rows] = text.trim().split('\n');
        const names = (header ?? '').replace(/^# /, '').split(',');
        const out = new Map<string, Record<string, string>>();
        for (const row of rows) {
          const cells = row.split(',');
          const record = Object.fromEntries(names.map((n, i) => [n, cells[i] ?? '']));
          out.set(`${record.pxname}/${record.svname}`, record);
        }
        resolve(out);
      });
    });

  // Up once its socket answers; every region UP (two checks in a row) before the test goes on.
  const started = performance.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`haproxy exited with ${child.exitCode}: ${errors}`);
    const rows = await stat().catch(() => undefined);
    const up = options.regions.every((_, i) => rows?.get(`regions/region${i + 1}`)?.status === 'UP');
    if (up) break;
    if (performance.now() - started > 60_000) throw new Error(`haproxy: the regions are not all UP: ${errors}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  const watch = (server: string) => {
    const changes: StatusChange[] = [];
    let stopped = false;
    void (async () => {
      while (!stopped) {
        const row = (await stat().catch(() => undefined))?.get(server);
        if (row && row.status !== changes.at(-1)?.status)
          changes.push({ at: performance.now(), status: row.status ?? '?', stot: Number(row.stot) });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    return { changes, stop: () => (stopped = true) };
  };
  return {
    url: `http://127.0.0.1:${options.port}`,
    lines,
    stat,
    watch,
  };
}
