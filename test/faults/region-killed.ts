// Fault 10: the region itself dies. A region process (the compiled `cicsmail start`, two
// workers) under steady load is killed with SIGKILL, and started again on the same journal:
// mail it answered is in the journal, mail it was working on when it died (accepted, not
// answered) is delivered by the new region's retry spool at once (design invariant 2); a
// mail the relay had taken before the record of it was written may arrive twice, with the
// same Message-ID.
import { performance } from 'node:perf_hooks';
import { Journal } from '../../journal/journal.js';
import { startRegionProcess } from '../helpers/cli.js';
import { freshDir } from '../helpers/test-like.js';
import { writeUsers } from '../helpers/users.js';
import { steadyLoad, Tally } from './load.js';
import { reconcile } from './reconcile.js';
import { answersVersusJournal, distProblem, FAULT_ENV, states, waitDrained } from './region.js';
import { noSink, SinkRelay } from './sink-relay.js';
import { AFTER } from './steady-fault.js';
import { rowOf, type Scenario } from './table.js';

const REQUESTS = 600;
const CONNECTIONS = 16;
const KILL_AFTER = 200;

const killed: Scenario = {
  fault: '10. region killed (SIGKILL), restarted on its journal',
  skip: noSink,
  async run(t) {
    // The region processes run dist/: it must be built from these sources.
    const stale = distProblem();
    if (stale) throw new Error(stale);
    const relay = await SinkRelay.create(t);
    await relay.start();
    const dir = freshDir(t);
    writeUsers(dir);
    // The transactions' own time limits (a process has no test definitions): the orphan time
    // stays its default, as a new start makes whatever a crash left ACCEPTED due at once.
    const { CICSMAIL_RETRY_ORPHAN_MS: _orphan, ...env } = FAULT_ENV;
    const settings = { ...env, CICSMAIL_RELAY: relay.url, CICSMAIL_WORKERS: '2', CICSMAIL_HOSTNAME: 'region.test' };
    const first = await startRegionProcess(dir, settings);
    t.teardown(() => first.child.kill('SIGKILL'));
    const exited = new Promise((resolve) => first.child.once('exit', resolve));
    const tally = new Tally();

    let dead = false;
    const during = await steadyLoad(first.url, {
      requests: REQUESTS,
      seed: 1,
      rate: 400,
      connections: CONNECTIONS,
      onTick: (answered) => {
        if (dead || answered < KILL_AFTER) return;
        dead = true;
        first.child.kill('SIGKILL');
      },
    });
    tally.addRun(during);
    await exited;
    t.ok(dead, 'the region was killed under load');
    t.same(
      Object.keys(during.recorder.byRc),
      ['0'],
      `before it died: ${during.recorder.byRc['0']} answers, every one RC 0`,
    );
    t.ok((during.recorder.byRc['0'] ?? 0) >= KILL_AFTER, `at least ${KILL_AFTER} answers`);

    const second = await startRegionProcess(dir, settings);
    const restarted = performance.now();
    t.teardown(() => second.child.kill('SIGKILL'));
    const journal = Journal.open(dir, { readOnly: true });
    t.teardown(() => journal.close());
    const answered = new Set(tally.mails.map((m) => m.seq));
    const orphans = [...journal.scan()].filter((r) => !answered.has(r.seq));
    t.ok(
      orphans.length <= CONNECTIONS,
      `${orphans.length} mails journaled but never answered: at most the ${CONNECTIONS} in flight`,
    );
    t.same(
      orphans.filter((r) => r.state !== 'ACCEPTED' && r.state !== 'SENT').map((r) => `SEQ=${r.seq} ${r.state}`),
      [],
      'each was ACCEPTED when the region died (or SENT where its task finished but its answer never left)',
    );
    tally.addUnanswered(orphans.length);

    const [after, drainMs] = await Promise.all([
      steadyLoad(second.url, { requests: AFTER, seed: 2 }),
      waitDrained(journal, restarted),
    ]);
    tally.addRun(after);
    t.same(after.recorder.byRc, { 0: AFTER }, `the restarted region: ${AFTER} more mails, every one RC 0`);
    await waitDrained(journal);
    t.same(
      answersVersusJournal(journal, tally.mails, (rc) =>
        rc === 0 ? { state: 'SENT', reply: /^250 2\.0\.0 Ok$/ } : undefined,
      ),
      [],
      "each answer's record: SENT, the relay's 250",
    );

    const result = reconcile(journal, tally.mails, relay.received());
    t.same(result.problems, [], 'answers, journal and relay agree');
    t.equal(result.lost, 0, 'lost: 0');
    t.equal(result.partial, 0, 'no mail cut off at the relay');
    t.equal(result.delivered, result.journaled, 'delivered: every journaled mail, answered or not');
    t.ok(
      result.duplicated <= orphans.length,
      `arrived twice: ${result.duplicated}, at most the mails under way when the region died`,
    );
    t.same(states(journal), { SENT: result.journaled }, 'every mail SENT');

    const stopped = new Promise((resolve) => second.child.once('exit', resolve));
    second.child.kill('SIGTERM');
    t.equal(await stopped, 0, 'the restarted region drains and exits 0 on SIGTERM');
    t.match(second.output(), /^region CICSMAIL stopped$/m, 'and says it stopped (its journal closed)');
    return rowOf(this.fault, tally, result, orphans.length > 0 ? drainMs : null);
  },
};

export const regionKilled: readonly Scenario[] = [killed];
