// Fault 11, afterwards: a region whose journal's disk was full still drains and closes its
// journal on SIGTERM, the room back. (lmdb-js 3.5.6 never settles the flush promise of a
// write batch that fails, and its close waits for it: the journal now opens without
// overlapping sync, see Journal.open; the journal's own test checks Journal.close.)
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startRegionProcess } from '../helpers/cli.js';
import { freshDir } from '../helpers/test-like.js';
import { writeUsers } from '../helpers/users.js';
import { steadyLoad } from './load.js';
import { distProblem, TIME_LIMIT_MS } from './region.js';
import { noSink, SinkRelay } from './sink-relay.js';
import { cannotMount, smallDisk } from '../helpers/small-disk.js';
import type { Check } from './table.js';

const shutdownAfterFull: Check = {
  name: '11. journal out of space: SIGTERM afterwards drains and closes the journal',
  skip: noSink || cannotMount,
  async run(t) {
    const stale = distProblem();
    if (stale) throw new Error(stale);
    const dir = smallDisk(t, 4);
    const relay = await SinkRelay.create(t);
    await relay.start();
    writeUsers(dir);
    // A short time limit and drain bound: a task that hung would end the check soon, failing it.
    const definition = join(freshDir(t), 'region.json');
    writeFileSync(definition, JSON.stringify({ transactions: { MAIL: { timeLimitMs: TIME_LIMIT_MS } } }));
    const region = await startRegionProcess(dir, {
      CICSMAIL_RELAY: relay.url,
      CICSMAIL_CONFIG: definition,
      CICSMAIL_WORKERS: '1',
      CICSMAIL_JOURNAL_RESERVE_MB: '0',
      CICSMAIL_DRAIN_TIMEOUT_MS: '5000',
      CICSMAIL_LOG_LEVEL: 'warn',
    });
    t.teardown(() => region.child.kill('SIGKILL'));
    writeFileSync(join(dir, 'filler'), Buffer.alloc(3 * 1_048_576));
    const run = await steadyLoad(region.url, { requests: 300, seed: 1 });
    t.ok((run.recorder.byResp.NOSPACE ?? 0) > 0, `the disk filled: ${JSON.stringify(run.recorder.byResp)}`);
    rmSync(join(dir, 'filler'));
    // The region looks at its free space every second.
    await new Promise((r) => setTimeout(r, 1500));
    const exited = new Promise<number | null>((resolve) => region.child.once('exit', (code) => resolve(code)));
    const signalled = performance.now();
    region.child.kill('SIGTERM');
    const code = await exited;
    const ms = Math.round(performance.now() - signalled);
    const bound = /drain bound of 5000 ms reached/.test(region.output());
    t.equal(code, 0, `exit code 0, ${ms} ms after SIGTERM${bound ? ', at the drain bound' : ''}`);
    t.match(region.output(), /^region CICSMAIL stopped$/m, 'the region says it stopped: its journal closed');
  },
};

export const journalFullAfter: readonly Check[] = [shutdownAfterFull];
