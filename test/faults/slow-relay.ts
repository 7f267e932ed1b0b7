// Fault 9: the relay answers, but slower than the region waits: a second late, where the
// region's time-outs are 400 ms here. Slow at the greeting (the command time-out: no
// session, nothing sent) and slow after the dot (the final time-out: the relay has the
// mail and keeps it, so the retry makes a second copy with the same Message-ID). The
// scripted relay delays each session on its own: smtp-sink's -W sleeps, and every session
// waits with the one that sleeps, so under concurrent load most replies come early.
import { startScriptedRelay } from './scripted-relay.js';
import { steadyFault } from './steady-fault.js';
import type { Scenario } from './table.js';

// Eight mails under way at once each wait 400 ms: about 20 mails a second get an answer.
const REQUESTS = 60;
const RATE = 20;
const DELAY_MS = 1000;

const slowGreeting: Scenario = {
  fault: '9. replies slower than the time-outs: greeting',
  async run(t) {
    const relay = await startScriptedRelay(t, { kind: 'slow-greeting', delayMs: DELAY_MS });
    return steadyFault(t, {
      fault: this.fault,
      relay,
      env: { CICSMAIL_SMTP_COMMAND_MS: '400' },
      requests: REQUESTS,
      rate: RATE,
      expect: {
        rc: 4,
        reason: 'NORELAY',
        state: 'DEFERRED',
        reply: /^no relay could be reached: no reply to greeting from smtp:\/\/127\.0\.0\.1:\d+ within 400 ms$/,
      },
    });
  },
};

const slowFinal: Scenario = {
  fault: '9. replies slower than the time-outs: after the dot',
  async run(t) {
    const relay = await startScriptedRelay(t, { kind: 'slow-final', delayMs: DELAY_MS });
    return steadyFault(t, {
      fault: this.fault,
      relay,
      env: { CICSMAIL_SMTP_FINAL_MS: '400' },
      requests: REQUESTS,
      rate: RATE,
      expect: {
        rc: 4,
        reason: 'NORELAY',
        state: 'DEFERRED',
        reply: /^no reply to end of data from smtp:\/\/127\.0\.0\.1:\d+ within 400 ms$/,
      },
      keepsUnanswered: true,
    });
  },
};

export const slowRelay: readonly Scenario[] = [slowGreeting, slowFinal];
