// A region of the run's own (`cicsmail load local`, and the benchmark): `cicsmail start` in a
// child process on a fresh temp data folder, sending to the relay given. A process of its
// own, so that the load generator does not share its event loop, and its memory and CPU
// can be read apart (/proc/PID/status, --cpu-prof). Its first start makes ADMIN and prints
// the password: the run uses that.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface LocalRegion {
  readonly url: string;
  readonly dataDir: string;
  /** ADMIN:password, as the region printed it. */
  readonly user: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** The region's standard output and error (its log). */
  readonly logFile: string;
  /** Resident set now and its peak so far, in bytes (Linux /proc; null elsewhere). */
  memory(): { rss: number; peak: number } | null;
  /** SIGTERM (the region drains), then SIGKILL after `graceMs`; removes the data folder unless `keep`. */
  stop(options?: { keep?: boolean; graceMs?: number }): Promise<number | null>;
}

export interface LocalRegionOptions {
  /** CICSMAIL_RELAY. */
  readonly relay: string;
  /** More environment for the region (CICSMAIL_WORKERS, CICSMAIL_LOG_LEVEL, ...). */
  readonly env?: Readonly<Record<string, string>>;
  /** Arguments for node before the script (--cpu-prof). */
  readonly nodeArgs?: readonly string[];
  readonly startTimeoutMs?: number;
  /** A data folder of the caller's (a journal built beforehand, without a users file); a fresh temp folder where not given. */
  readonly dataDir?: string;
}

/** bin/cicsmail.js of this checkout: found upwards from here (cli/load/ or dist/cli/load/). */
export function cicsmailBin(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'bin', 'cicsmail.js');
    if (existsSync(candidate)) return candidate;
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find bin/cicsmail.js above this module');
    dir = up;
  }
}

function readStatus(pid: number): { rss: number; peak: number } | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    const rss = kb('VmRSS');
    const peak = kb('VmHWM');
    return Number.isFinite(rss) && Number.isFinite(peak) ? { rss, peak } : null;
  } catch {
    return null;
  }
}

export async function startLocalRegion(options: LocalRegionOptions): Promise<LocalRegion> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'cicsmail-load-'));
  const logFile = join(dataDir, 'region.log');
  // A fresh log: what the region says now is read from it (a kept data folder holds the last run's).
  const out = openSync(logFile, 'w');
  // Settings of the environment that would point the region elsewhere are left out.
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) => !/^CICSMAIL_(DATA|PORT|HOST|RELAY|CONFIG|TLS_CERT|TLS_KEY|USER|URL)$/.test(k),
    ),
  );
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), cicsmailBin(), 'start'], {
    env: {
      ...inherited,
      CICSMAIL_DATA: dataDir,
      CICSMAIL_PORT: '0',
      CICSMAIL_HOST: '127.0.0.1',
      CICSMAIL_RELAY: options.relay,
      ...options.env,
    },
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve((exitCode = code))));

  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  let url: string | undefined;
  let user: string | undefined;
  while (url === undefined || user === undefined) {
    const text = log();
    url = /listening on (https?:\/\/\S+)/.exec(text)?.[1];
    const password = /administrator (\S+) created with password (\S+)/.exec(text);
    if (password) user = `${password[1]}:${password[2]}`;
    if (exitCode !== undefined)
      throw new Error(`the region exited with ${exitCode} before it listened:\n${text.slice(-2000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the region did not start within ${options.startTimeoutMs ?? 30_000} ms:\n${text.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const pid = child.pid as number;
  let stopped = false;
  return {
    url,
    dataDir,
    user,
    pid,
    child,
    logFile,
    memory: () => readStatus(pid),
    async stop({ keep = false, graceMs = 30_000 } = {}) {
      if (!stopped) {
        stopped = true;
        if (exitCode === undefined) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
          await exited;
          clearTimeout(timer);
        }
        if (!keep) rmSync(dataDir, { recursive: true, force: true });
      }
      return exitCode ?? null;
    },
  };
}
