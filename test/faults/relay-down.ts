// Faults 1 and 2: no relay to talk to. Down when the region starts (connection refused) and
// up later; and killed with SIGKILL in the middle of a run (sockets reset, mails cut off
// mid-DATA), back a moment later on the same port.
import { performance } from 'node:perf_hooks';
import { probeMail, steadyLoad, Tally } from './load.js';
import { reconcile } from './reconcile.js';
import { answersVersusJournal, faultRegion, states, waitDrained } from './region.js';
import { noSink, SinkRelay } from './sink-relay.js';
import { steadyFault } from './steady-fault.js';
import { rowOf, type Scenario } from './table.js';

const REFUSED =
  /^no relay could be reached: connect to smtp:\/\/127\.0\.0\.1:\d+ failed: connect ECONNREFUSED 127\.0\.0\.1:\d+$/;

const downAtStart: Scenario = {
  fault: '1. relay down at start, up later',
  skip: noSink,
  async run(t) {
    // Not started: nothing listens on its port until the fault is cleared.
    const relay = await SinkRelay.create(t);
    return steadyFault(t, {
      fault: this.fault,
      relay,
      expect: { rc: 4, reason: 'NORELAY', state: 'DEFERRED', reply: REFUSED },
    });
  },
};

const MID_RUN = 500;
/** Answers before the relay is killed; how long it stays away. */
const KILL_AFTER = 120;
const AWAY_MS = 800;

const diesMidRun: Scenario = {
  fault: '2. relay dies mid-run (SIGKILL), returns',
  skip: noSink,
  async run(t) {
    const relay = await SinkRelay.create(t);
    await relay.start();
    const region = await faultRegion(t, relay.url);
    const journal = region.journal();
    const tally = new Tally();
    const probe = await probeMail(region.url);
    tally.addProbe(probe);
    t.match(probe, { status: 200, rc: 0, reason: 'SENT', relayReply: '250 2.0.0 Ok' }, 'before the fault: RC 0 SENT');

    let died: Promise<void> | undefined;
    let back: Promise<void> | undefined;
    let cleared = 0;
    const run = await steadyLoad(region.url, {
      requests: MID_RUN,
      seed: 1,
      rate: 250,
      onTick: (answered) => {
        if (died || answered < KILL_AFTER) return;
        died = relay.stop('SIGKILL');
        back = died
          .then(() => new Promise((r) => setTimeout(r, AWAY_MS)))
          .then(() => relay.start())
          .then(() => {
            cleared = performance.now();
          });
      },
    });
    tally.addRun(run);
    await back;
    t.ok(cleared > 0, 'the relay died and came back during the run');
    const { byRc } = run.recorder;
    t.same(Object.keys(byRc).sort(), ['0', '4'], `answers RC 0 and RC 4 only: ${JSON.stringify(byRc)}`);
    t.equal((byRc['0'] ?? 0) + (byRc['4'] ?? 0), MID_RUN, 'every request answered');
    t.ok((byRc['0'] ?? 0) >= KILL_AFTER, 'RC 0 until the relay died');
    // While it was away: refused connections; or the connection it died on, as the socket
    // saw its end (a reset, a close, or a write after the relay's side had ended).
    const lostConnection =
      /^(no relay could be reached: connect to smtp:\/\/127\.0\.0\.1:\d+ failed: connect ECONNREFUSED 127\.0\.0\.1:\d+|smtp:\/\/127\.0\.0\.1:\d+ closed the connection|connection to smtp:\/\/127\.0\.0\.1:\d+ failed: (read ECONNRESET|This socket has been ended by the other party))$/;
    t.same(
      answersVersusJournal(journal, tally.mails, (rc) =>
        rc === 0
          ? { state: 'SENT', reply: /^250 2\.0\.0 Ok$/ }
          : rc === 4
            ? { state: ['DEFERRED', 'SENT'], reply: lostConnection }
            : undefined,
      ),
      [],
      "each answer's record: RC 0 SENT, RC 4 deferred for a lost relay",
    );

    const drainMs = await waitDrained(journal, cleared);
    const result = reconcile(journal, tally.mails, relay.received());
    t.same(result.problems, [], 'answers, journal and relay agree');
    t.equal(result.lost, 0, 'lost: 0');
    t.equal(result.delivered, MID_RUN + 1, 'delivered: every mail');
    // Only a mail under way when the relay died can be cut off there, or have arrived whole
    // without its reply (then it arrives again, same Message-ID).
    t.ok(
      result.partial <= 8 && result.duplicated <= 8,
      `cut off ${result.partial}, arrived twice ${result.duplicated}: at most the 8 mails under way`,
    );
    t.same(states(journal), { SENT: MID_RUN + 1 }, 'every mail SENT');
    return rowOf(this.fault, tally, result, drainMs);
  },
};

export const relayDown: readonly Scenario[] = [downAtStart, diesMidRun];
