// Fault 12: a worker thread dies with tasks in it. The relay holds its reply after the dot
// until nine mails wait on it (the load's eight and a probe), then the test terminates the
// worker thread they run in, as a native crash would end it. Each of the nine answers ASRA
// (the contract's "the program failed unexpectedly"), its mail journaled ACCEPTED with its
// bytes; piscina starts a new worker and the load goes on, RC 0; the retry spool delivers
// the nine once their tasks are surely over (CICSMAIL_RETRY_ORPHAN_MS). The relay never
// answered the held mails, so it did not take them: nothing arrives twice.
//
// The dispatcher keeps its piscina pool in a private field (#pool), out of a test's reach,
// and the region has no hook to end a worker. The test wraps Piscina.prototype.run while the
// region runs, to learn which pool is the region's (its first task tells), and ends a thread
// of the pool's public `threads` with Worker.terminate(). No production code changes.
import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import { startRelay } from '../helpers/relay.js';
import { probeMail, steadyLoad, Tally } from './load.js';
import { reconcile, type Received } from './reconcile.js';
import { answersVersusJournal, FAULT_ENV, faultRegion, states, waitDrained } from './region.js';
import { rowOf, type Scenario } from './table.js';

const REQUESTS = 100;
const CONNECTIONS = 8;
const HELD = CONNECTIONS + 1;

const killed: Scenario = {
  fault: '12. worker thread killed mid-task',
  async run(t) {
    const pools = new Set<Piscina>();
    // eslint-disable-next-line @typescript-eslint/unbound-method -- applied to each pool below, then put back
    const run = Piscina.prototype.run;
    Piscina.prototype.run = function (this: Piscina, ...args: Parameters<Piscina['run']>) {
      pools.add(this);
      return run.apply(this, args);
    } as Piscina['run'];
    t.teardown(() => {
      Piscina.prototype.run = run;
    });

    let holding = true;
    let held = 0;
    const kept: Received[] = [];
    const relay = await startRelay(t, {
      options: {
        onData(stream, session, callback) {
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            // Held: read to the dot and never answered.
            if (holding) {
              held++;
              return;
            }
            kept.push({
              recipients: session.envelope.rcptTo.map((r) => r.address),
              message: Buffer.concat(chunks).toString('latin1'),
            });
            callback(null, `Ok: queued as ${kept.length}`);
          });
        },
      },
    });
    // Nine mails at once on one worker: room for them on its SMTP connections.
    const region = await faultRegion(t, relay.url, { CICSMAIL_SMTP_CONNECTIONS: '16' });
    const journal = region.journal();
    const tally = new Tally();

    let ended: Promise<unknown> | undefined;
    let cleared = 0;
    const probe = probeMail(region.url);
    const during = await steadyLoad(region.url, {
      requests: REQUESTS,
      seed: 1,
      connections: CONNECTIONS,
      onTick: () => {
        if (ended || held < HELD) return;
        holding = false;
        const pool = [...pools][0];
        t.equal(pools.size, 1, "the region's one piscina pool");
        t.equal(pool?.threads.length, 1, 'one worker thread');
        ended = pool?.threads[0]?.terminate().then(() => {
          cleared = performance.now();
        });
      },
    });
    tally.addRun(during);
    const answer = await probe;
    tally.addProbe(answer);
    await ended;
    t.ok(cleared > 0, `the worker was ended with ${HELD} tasks waiting on the relay`);
    t.match(
      answer,
      {
        status: 500,
        resp: 'INVREQ',
        abcode: 'ASRA',
        failure: { resp: 'INVREQ', abcode: 'ASRA', message: /^task \d+: worker failed: worker exited with code: 1$/ },
      },
      'the probe: 500 INVREQ ASRA, worker failed',
    );
    t.same(during.recorder.byAbend, { ASRA: CONNECTIONS }, `the ${CONNECTIONS} tasks of the load in the worker: ASRA`);
    t.same(during.recorder.byRc, { 0: REQUESTS - CONNECTIONS }, 'the rest, in the new worker: RC 0');
    t.same(
      answersVersusJournal(journal, tally.mails, (rc) =>
        rc === 0 ? { state: 'SENT', reply: /^250 Ok: queued as \d+$/ } : undefined,
      ),
      [],
      "each RC 0 answer's record: SENT",
    );
    const answered = new Set(tally.mails.map((m) => m.seq));
    const orphanSeqs = [...journal.scan()].filter((r) => !answered.has(r.seq)).map((r) => r.seq);
    t.equal(orphanSeqs.length, HELD, `${HELD} mails journaled and never answered: the ASRA tasks'`);

    const drainMs = await waitDrained(journal, cleared);
    const result = reconcile(journal, tally.mails, kept);
    t.same(result.problems, [], 'answers, journal and relay agree');
    t.equal(result.lost, 0, 'lost: 0');
    t.equal(result.delivered, REQUESTS + 1, 'delivered: every mail, the ASRA ones by the retry spool');
    t.equal(result.duplicated, 0, 'no mail arrived twice');
    t.same(states(journal), { SENT: REQUESTS + 1 }, 'every mail SENT');
    // Whenever the load ended: the killed tasks never tried their mails, and the spool left
    // them alone until the orphan time had passed since they were accepted.
    const orphanMs = Number(FAULT_ENV.CICSMAIL_RETRY_ORPHAN_MS);
    t.same(
      orphanSeqs
        .map((seq) => journal.get(seq)!)
        .filter((r) => {
          const first = r.attempts[0];
          return !first || first.via !== 'retry' || Date.parse(first.at) - Date.parse(r.acceptedAt) < orphanMs;
        })
        .map((r) => `SEQ=${r.seq} ${r.attempts.map((a) => `${a.via} ${a.at}`).join(', ')} accepted ${r.acceptedAt}`),
      [],
      `the ${HELD} mails of the ASRA tasks: first tried by the retry spool, ${orphanMs} ms or more after ACCEPTED`,
    );
    return rowOf(this.fault, tally, result, drainMs);
  },
};

export const workerKilled: readonly Scenario[] = [killed];
