// The cost of a request key: (a) with a fresh Idempotency-Key on every request against (a)
// without, on the same region, in rounds taken in turn so that the machine's drift falls on
// both; the medians compared, with the region's own CPU a mail beside the rate (on a
// machine that others load, steadier than a rate).
import type { PayloadPool } from '../cli/load/payloads.js';
import { cpuEach } from './cpu.js';
import { load, median, notOk, perSecond } from './region-load.js';

export interface KeyFigures {
  /** Medians of the rounds, tx/s. */
  readonly without: number;
  readonly withKeys: number;
  /** 1 - withKeys / without. */
  readonly cost: number;
  readonly cpuUsWithout: number;
  readonly cpuUsWithKeys: number;
  /** Each round's rate, in the order run. */
  readonly roundsWithout: readonly number[];
  readonly roundsWithKeys: readonly number[];
  readonly notRc0: number;
}

export async function keyCost(
  region: { readonly url: string; readonly pid: number },
  pool: PayloadPool,
  authorization: string | undefined,
  plan: { readonly rounds: number; readonly connections: number; readonly runS: number },
): Promise<KeyFigures> {
  const without: number[] = [];
  const withKeys: number[] = [];
  const cpuWithout: number[] = [];
  const cpuWithKeys: number[] = [];
  let bad = 0;
  const measured = async (keys: string | undefined, rates: number[], cpu: number[]) => {
    const { result: run, cpuUs } = await cpuEach(
      region.pid,
      () =>
        load(region.url, pool, authorization, {
          connections: plan.connections,
          durationS: plan.runS,
          ...(keys !== undefined ? { keys } : {}),
        }),
      (r) => r.recorder.answered,
    );
    rates.push(perSecond(run));
    if (cpuUs !== null) cpu.push(cpuUs);
    bad += notOk(run);
  };
  for (let round = 0; round < plan.rounds; round++) {
    await measured(undefined, without, cpuWithout);
    await measured(`bench-${process.pid}-${round}`, withKeys, cpuWithKeys);
  }
  const w = median(without);
  const k = median(withKeys);
  return {
    without: w,
    withKeys: k,
    cost: w > 0 ? 1 - k / w : 0,
    cpuUsWithout: median(cpuWithout),
    cpuUsWithKeys: median(cpuWithKeys),
    roundsWithout: without,
    roundsWithKeys: withKeys,
    notRc0: bad,
  };
}
