// The bench's (a) with mail fate on against off: the same region and load, as it comes
// (the program's sender, no DSN); with a bounce address (each mail's own return path,
// RET/ENVID/NOTIFY/ORCPT on the wire, smtp-sink offering DSN) and the bounce listener up;
// and that with a webhook subscribed to every event (each SENT writes an outbox event in
// its record's transaction; the subscriber is a port nothing answers on, so the events stay
// in the outbox and are tried again, as behind a receiver that is down). Alternated, so
// that a drift of the machine falls on each.
import type { PayloadPool } from '../cli/load/payloads.js';
import { summarize } from '../cli/load/record.js';
import { auth, load, notOk, perSecond, regionFor } from './region-load.js';

export type FateVariant = 'off' | 'dsn' | 'webhook';

export interface FateRun {
  readonly variant: FateVariant;
  readonly txPerSec: number;
  readonly p50: number;
  readonly p99: number;
  readonly notRc0: number;
}

const DSN_ENV: Readonly<Record<string, string>> = {
  CICSMAIL_SYSID: 'BENCH',
  CICSMAIL_BOUNCE_ADDRESS: 'bounce+{sysid}.{seq}@bounce.bench.test',
  CICSMAIL_DSN_NOTIFY: 'success,failure,delay',
  CICSMAIL_BOUNCE_LISTEN: '127.0.0.1:0',
};

/** Each variant's settings. */
export const FATE_ENV: Readonly<Record<FateVariant, Readonly<Record<string, string>>>> = {
  off: { CICSMAIL_SYSID: 'BENCH' },
  dsn: DSN_ENV,
  webhook: {
    ...DSN_ENV,
    // Port 9 (discard) on loopback: nothing listens; tries fail at once and wait their turn.
    CICSMAIL_WEBHOOKS: JSON.stringify([
      { url: 'http://127.0.0.1:9/fate', secret: `whsec_${Buffer.alloc(32, 7).toString('base64')}` },
    ]),
  },
};

export async function fateOnOff(
  relay: string,
  pool: PayloadPool,
  options: { readonly rounds: number; readonly connections: number; readonly warmupS: number; readonly runS: number },
): Promise<FateRun[]> {
  const runs: FateRun[] = [];
  for (let round = 0; round < options.rounds; round++) {
    for (const variant of ['off', 'dsn', 'webhook'] as const) {
      const region = await regionFor(relay, { env: FATE_ENV[variant] });
      try {
        await load(region.url, pool, auth(region), { connections: options.connections, durationS: options.warmupS });
        const run = await load(region.url, pool, auth(region), {
          connections: options.connections,
          durationS: options.runS,
        });
        const l = summarize(run.recorder.histogram);
        runs.push({ variant, txPerSec: perSecond(run), p50: l.p50, p99: l.p99, notRc0: notOk(run) });
      } finally {
        await region.stop();
      }
    }
  }
  return runs;
}
