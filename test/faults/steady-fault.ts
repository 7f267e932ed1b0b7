// The shape of most scenarios: a relay that misbehaves the same way for every mail. A probe
// (its COMMAREA read: RC, reason, the relay's reply), then steady load under the fault, every
// answer the same RC and its record in the same state with the same reply; then the fault
// is cleared, steady load goes on (every mail RC 0) while the retry spool drains the backlog,
// and answers, journal and relay are reconciled.
import { performance } from 'node:perf_hooks';
import type { Test } from 'tap';
import type { MailState } from '../../journal/states.js';
import { probeMail, steadyLoad, Tally } from './load.js';
import { reconcile, type FaultRelay } from './reconcile.js';
import { answersVersusJournal, faultRegion, states, waitDrained } from './region.js';
import { rowOf, type Row } from './table.js';

export interface SteadyFault {
  /** The table's name of the fault. */
  readonly fault: string;
  /** The relay, misbehaving (or down) already. */
  readonly relay: FaultRelay;
  /** Settings for the region beyond the suite's (e.g. shorter SMTP time-outs). */
  readonly env?: Record<string, string>;
  /** Mails under the fault (default 150). */
  readonly requests?: number;
  readonly rate?: number;
  /** What every mail comes to under the fault. */
  readonly expect: {
    readonly rc: 0 | 4 | 12;
    readonly reason: string;
    readonly state: MailState;
    /** MC-RELAY-REPLY and the journal's reply of the task's attempt. */
    readonly reply: RegExp;
  };
  /**
   * The relay keeps a mail it never answered (the dot was read, the reply never came): each
   * such mail arrives again when it is retried, with the same Message-ID.
   */
  readonly keepsUnanswered?: boolean;
  /**
   * Copies the relay may hold cut off: smtp-sink keeping mail is stopped to clear the fault,
   * and a retry under way then leaves a part of its mail in a file (sent again in full).
   */
  readonly cutOffAtClear?: number;
}

/** Mails sent after the fault is cleared, while the backlog drains. */
export const AFTER = 40;

export async function steadyFault(t: Test, spec: SteadyFault): Promise<Row> {
  const { expect } = spec;
  const requests = spec.requests ?? 150;
  const region = await faultRegion(t, spec.relay.url, spec.env);
  const journal = region.journal();
  const tally = new Tally();

  const probe = await probeMail(region.url);
  tally.addProbe(probe);
  t.match(
    probe,
    { status: 200, resp: 'NORMAL', rc: expect.rc, reason: expect.reason },
    `a probe mail: RC ${expect.rc} ${expect.reason}`,
  );
  t.match(probe.relayReply, expect.reply, `MC-RELAY-REPLY: ${probe.relayReply}`);

  const during = await steadyLoad(region.url, {
    requests,
    seed: 1,
    ...(spec.rate !== undefined ? { rate: spec.rate } : {}),
  });
  tally.addRun(during);
  t.same(
    during.recorder.byRc,
    { [expect.rc]: requests },
    `under the fault: ${requests} answers, every one RC ${expect.rc}`,
  );
  t.same(states(journal), { [expect.state]: requests + 1 }, `every mail journaled ${expect.state}`);
  t.same(
    answersVersusJournal(journal, tally.mails, (rc) =>
      rc === expect.rc ? { state: expect.state, reply: expect.reply } : undefined,
    ),
    [],
    "each answer's record: its state, and the relay's reply to the task",
  );

  const cleared = performance.now();
  const backlog = journal.backlog();
  await spec.relay.clear();
  const [after, drainMs] = await Promise.all([
    steadyLoad(region.url, { requests: AFTER, seed: 2 }),
    backlog > 0 ? waitDrained(journal, cleared) : null,
  ]);
  tally.addRun(after);
  t.same(after.recorder.byRc, { 0: AFTER }, `the fault cleared: ${AFTER} more mails, every one RC 0`);
  await waitDrained(journal);

  const result = reconcile(journal, tally.mails, spec.relay.received());
  const refused = expect.rc === 12;
  t.same(result.problems, [], 'answers, journal and relay agree');
  t.equal(result.lost, 0, 'lost: 0');
  if (spec.cutOffAtClear)
    t.ok(
      result.partial <= spec.cutOffAtClear,
      `cut off at the relay when the fault was cleared: ${result.partial}, at most the ${spec.cutOffAtClear} retries under way`,
    );
  else t.equal(result.partial, 0, 'no mail cut off at the relay');
  t.equal(
    result.delivered,
    refused ? AFTER : requests + 1 + AFTER,
    refused ? 'delivered: only the mails sent after the fault' : 'delivered: every mail',
  );
  t.equal(
    result.duplicated,
    spec.keepsUnanswered ? requests + 1 : 0,
    spec.keepsUnanswered ? 'every mail of the fault arrived again when retried' : 'no mail arrived twice',
  );
  t.same(
    states(journal),
    refused ? { FAILED: requests + 1, SENT: AFTER } : { SENT: requests + 1 + AFTER },
    refused ? 'refused mail FAILED, the rest SENT' : 'every mail SENT',
  );
  return rowOf(spec.fault, tally, result, drainMs);
}
