// Fault 6: the relay refuses some recipients and takes the mail for the others. A relay of
// the test helpers (smtp-server) decides recipient by recipient: audit… mailboxes do not
// exist (550, for good), storage… mailboxes are full (452, for now, until the fault is
// cleared). The load's mails have one to four recipients drawn from ten mailbox names, so
// every mix occurs; each mail's RC follows from its recipients, and in the end the journal
// says exactly who got it (the relay agrees) and who never will.
import { performance } from 'node:perf_hooks';
import type { MailState } from '../../journal/states.js';
import { smtpError, startRelay } from '../helpers/relay.js';
import { probeMail, steadyLoad, Tally } from './load.js';
import { reconcile, type FaultRelay } from './reconcile.js';
import { answersVersusJournal, faultRegion, states, waitDrained } from './region.js';
import { AFTER } from './steady-fault.js';
import { rowOf, type Scenario } from './table.js';

const unknown = (a: string) => a.toLowerCase().startsWith('audit');
const full = (a: string) => a.toLowerCase().startsWith('storage');
const QUEUED = /^250 Ok: queued as \d+$/;
const UNKNOWN = /^550 5\.1\.1 <audit[^>]*>: no such user$/;
const FULL = /^452 4\.2\.2 <storage[^>]*>: mailbox full$/;

/** What the relay's answers to these recipients make of a mail while the fault lasts. */
function verdict(to: readonly string[]): { rc: number; state: MailState; reply: RegExp } {
  const others = to.filter((a) => !unknown(a) && !full(a));
  // Somebody put off: the mail waits for them (the others have it already).
  if (to.some(full)) return { rc: 4, state: 'DEFERRED', reply: others.length > 0 ? QUEUED : FULL };
  if (others.length === 0) return { rc: 12, state: 'FAILED', reply: UNKNOWN };
  return { rc: 0, state: 'SENT', reply: QUEUED };
}

const REQUESTS = 200;

const someRefused: Scenario = {
  fault: '6. some RCPT refused (550 for good, 452 for now)',
  async run(t) {
    let fault = true;
    const relay = await startRelay(t, {
      rcptTo: (a) =>
        unknown(a.address)
          ? smtpError(550, `5.1.1 <${a.address}>: no such user`)
          : fault && full(a.address)
            ? smtpError(452, `4.2.2 <${a.address}>: mailbox full`)
            : undefined,
    });
    const faulty: FaultRelay = {
      url: relay.url,
      received: () => relay.mails.map((m) => ({ recipients: m.to, message: m.message.toString('latin1') })),
      clear: async () => {
        fault = false;
      },
    };
    const region = await faultRegion(t, relay.url);
    const journal = region.journal();
    const tally = new Tally();

    const probes = [
      [
        'ops@corp.example, audit@corp.example',
        { rc: 0, reason: 'PARTIAL' },
        /^250 Ok: queued as \d+; refused: audit@corp\.example 550 5\.1\.1 <audit@corp\.example>: no such user$/,
      ],
      [
        'audit@corp.example, audit2@corp.example',
        { rc: 12, reason: 'RCPTREJ' },
        /^550 5\.1\.1 <audit@corp\.example>: no such user; refused: audit@corp\.example 550 5\.1\.1 <audit@corp\.example>: no such user; audit2@corp\.example 550 5\.1\.1 <audit2@corp\.example>: no such user$/,
      ],
      [
        'ops@corp.example, storage@corp.example',
        { rc: 4, reason: 'DEFERRED' },
        /^250 Ok: queued as \d+; refused: storage@corp\.example 452 4\.2\.2 <storage@corp\.example>: mailbox full$/,
      ],
    ] as const;
    for (const [to, answer, reply] of probes) {
      const probe = await probeMail(region.url, to);
      tally.addProbe(probe);
      t.match(probe, { status: 200, ...answer }, `a probe to ${to}: RC ${answer.rc} ${answer.reason}`);
      t.match(probe.relayReply, reply, `MC-RELAY-REPLY: ${probe.relayReply}`);
    }

    const during = await steadyLoad(region.url, { requests: REQUESTS, seed: 1 });
    tally.addRun(during);
    const byVerdict: Record<string, number> = {};
    for (const { seq } of during.recorder.mails) {
      const rc = String(verdict(journal.get(seq)?.envelope.to ?? []).rc);
      byVerdict[rc] = (byVerdict[rc] ?? 0) + 1;
    }
    t.same(during.recorder.byRc, byVerdict, `under the fault, RCs as the recipients say: ${JSON.stringify(byVerdict)}`);
    t.ok(Object.keys(byVerdict).length === 3, 'RC 0, RC 4 and RC 12 all occur');
    t.same(
      answersVersusJournal(journal, tally.mails, (rc, seq) => {
        const v = verdict(journal.get(seq)?.envelope.to ?? []);
        return v.rc === rc ? v : undefined;
      }),
      [],
      "each answer's RC, and its record's state and reply, as its recipients say",
    );

    const cleared = performance.now();
    await faulty.clear();
    const [after, drainMs] = await Promise.all([
      steadyLoad(region.url, { requests: AFTER, seed: 2 }),
      waitDrained(journal, cleared),
    ]);
    tally.addRun(after);
    t.same(
      Object.keys(after.recorder.byRc).filter((rc) => rc !== '0' && rc !== '12'),
      [],
      'the fault cleared: RC 0, or RC 12 where every recipient is unknown',
    );
    await waitDrained(journal);

    const result = reconcile(journal, tally.mails, faulty.received());
    t.same(result.problems, [], 'answers, journal and relay agree: the journal says who got each mail');
    t.equal(result.lost, 0, 'lost: 0');
    t.equal(result.duplicated, 0, 'nobody got a mail twice (a retry goes only to those still waiting)');
    const wrong: string[] = [];
    let failed = 0;
    for (const r of journal.scan()) {
      const refused = r.envelope.to.filter(unknown);
      if (refused.length === r.envelope.to.length) failed++;
      const want = {
        state: refused.length === r.envelope.to.length ? 'FAILED' : 'SENT',
        failed: refused.sort().join(','),
        pending: '',
      };
      const got = { state: r.state, failed: [...r.failed].sort().join(','), pending: r.pending.join(',') };
      if (JSON.stringify(got) !== JSON.stringify(want))
        wrong.push(`SEQ=${r.seq}: ${JSON.stringify(got)}, not ${JSON.stringify(want)}`);
    }
    t.same(
      wrong.slice(0, 10),
      [],
      'every record: SENT with the unknown recipients failed, or FAILED where all were unknown; nobody pending',
    );
    t.equal(result.delivered, result.journaled - failed, 'delivered: every mail with a recipient that exists');
    t.same(states(journal), { SENT: result.journaled - failed, FAILED: failed });
    return rowOf(this.fault, tally, result, drainMs);
  },
};

export const recipientsRefused: readonly Scenario[] = [someRefused];
