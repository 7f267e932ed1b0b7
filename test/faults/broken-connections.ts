// Faults 7 and 8: the connection ends in the middle of a mail. A reset (TCP RST) once the
// message data starts to arrive, from the scripted relay (smtp-sink cannot break a
// connection mid-DATA); and a hang-up after the final dot, before any reply, from smtp-sink
// -q . which keeps the mail it read: the region cannot know the relay has it, retries, and
// the mail arrives twice, with the same Message-ID (at least once, design invariant 2).
import { startScriptedRelay } from './scripted-relay.js';
import { noSink, SinkRelay } from './sink-relay.js';
import { steadyFault } from './steady-fault.js';
import type { Scenario } from './table.js';

const resetMidData: Scenario = {
  fault: '7. connection reset mid-DATA',
  async run(t) {
    const relay = await startScriptedRelay(t, { kind: 'reset-mid-data' });
    return steadyFault(t, {
      fault: this.fault,
      relay,
      expect: {
        rc: 4,
        reason: 'NORELAY',
        state: 'DEFERRED',
        reply: /^connection to smtp:\/\/127\.0\.0\.1:\d+ failed: read ECONNRESET$/,
      },
    });
  },
};

const droppedAfterDot: Scenario = {
  fault: '8. connection dropped after the dot, before the reply',
  skip: noSink,
  async run(t) {
    const relay = await SinkRelay.create(t);
    await relay.start({ flags: ['-q', '.'], keep: true });
    return steadyFault(t, {
      fault: this.fault,
      relay,
      expect: {
        rc: 4,
        reason: 'NORELAY',
        state: 'DEFERRED',
        reply: /^smtp:\/\/127\.0\.0\.1:\d+ closed the connection$/,
      },
      keepsUnanswered: true,
      // The retry spool's mails under way when the sink is stopped (CICSMAIL_RETRY_CONCURRENCY).
      cutOffAtClear: 8,
    });
  },
};

export const brokenConnections: readonly Scenario[] = [resetMidData, droppedAfterDot];
