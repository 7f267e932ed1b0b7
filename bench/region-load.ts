// What the benchmark's parts share to drive a region: a region of its own in a process of
// its own, its credentials, a load run with the benchmark's settings, and the figures read
// off a run.
import { startLocalRegion, type LocalRegion } from '../cli/load/local-region.js';
import type { PayloadPool } from '../cli/load/payloads.js';
import { preflight, runLoad, type RunResult } from '../cli/load/run.js';

export interface RegionOptions {
  /** CICSMAIL_WORKERS; the region's default where not given. */
  readonly workers?: number;
  /** Where the region leaves its CPU profile (--cpu-prof), if anywhere. */
  readonly cpuProfDir?: string;
  /** More settings (CICSMAIL_CONFIG). */
  readonly env?: Readonly<Record<string, string>>;
}

/** A region in a process of its own, its password verified once (scrypt) before any load. */
export async function regionFor(relay: string, options: RegionOptions = {}): Promise<LocalRegion> {
  const region = await startLocalRegion({
    relay,
    env: {
      CICSMAIL_HOSTNAME: 'bench.test',
      ...(options.workers !== undefined ? { CICSMAIL_WORKERS: String(options.workers) } : {}),
      ...options.env,
    },
    ...(options.cpuProfDir ? { nodeArgs: ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] } : {}),
  });
  await preflight(region.url, auth(region));
  return region;
}

export function auth(region: LocalRegion): string {
  return `Basic ${Buffer.from(region.user, 'utf8').toString('base64')}`;
}

export async function load(
  url: string,
  pool: PayloadPool,
  authorization: string | undefined,
  options: { connections: number; durationS?: number; requests?: number; rate?: number; keys?: string },
): Promise<RunResult> {
  return runLoad({
    url,
    pool,
    ...(authorization ? { authorization } : {}),
    connections: options.connections,
    ...(options.requests !== undefined ? { requests: options.requests } : { durationS: options.durationS ?? 5 }),
    ...(options.rate !== undefined ? { rate: options.rate } : {}),
    ...(options.keys !== undefined ? { keys: options.keys } : {}),
    timeoutS: 60,
    keepMails: false,
  });
}

export function perSecond(run: RunResult): number {
  return run.recorder.answered / run.elapsedS;
}

/** Answers that were not RC 0, and requests that got no answer. */
export function notOk(run: RunResult): number {
  const ok = run.recorder.byRc['0'] ?? 0;
  return run.recorder.answered - ok + run.recorder.errors;
}

/** "1 worker", "2 workers": how the bench's lines name a region's worker count. */
export function workersText(n: number): string {
  return `${n} worker${n === 1 ? '' : 's'}`;
}

/** The middle of the figures (the upper one of an even count); 0 where there are none. */
export function median(xs: readonly number[]): number {
  return [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
}
