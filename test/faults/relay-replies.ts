// Faults 3 to 5: the relay answers, but not 250. smtp-sink's own fault options: -Q CONNECT
// (421 and hang up at the greeting), -r COMMAND (a soft reject, "450 4.3.0 Error: command
// failed") and -f COMMAND (a hard reject, "500 5.3.0 Error: command failed") at MAIL,
// RCPT, DATA or after the dot. -r and -f turn PIPELINING off (man smtp-sink): the region
// then sends one command at a time. A sink that refuses after the dot keeps nothing (-d
// off): smtp-sink would dump the refused mail, but a relay that said 4xx or 5xx has not
// taken it.
import { noSink, SinkRelay } from './sink-relay.js';
import { steadyFault, type SteadyFault } from './steady-fault.js';
import type { Scenario } from './table.js';

function sinkFault(fault: string, flags: readonly string[], expect: SteadyFault['expect']): Scenario {
  return {
    fault,
    skip: noSink,
    async run(t) {
      const relay = await SinkRelay.create(t);
      await relay.start({ flags, keep: false });
      return steadyFault(t, { fault, relay, expect });
    },
  };
}

const SOFT = /^450 4\.3\.0 Error: command failed$/;
const HARD = /^500 5\.3\.0 Error: command failed$/;
const STEPS = [
  ['MAIL', 'at MAIL'],
  ['RCPT', 'at RCPT'],
  ['DATA', 'at DATA'],
  ['.', 'after the dot'],
] as const;

export const relayReplies: readonly Scenario[] = [
  sinkFault('3. 421 at greeting', ['-Q', 'CONNECT'], {
    rc: 4,
    reason: 'NORELAY',
    state: 'DEFERRED',
    reply: /^no relay could be reached: smtp:\/\/127\.0\.0\.1:\d+ greeted with 421 4\.0\.0 Server closing connection$/,
  }),
  // Every recipient put off for now is the mail put off: DEFERRED, not RCPTREJ.
  ...STEPS.map(([command, where]) =>
    sinkFault(`4. 4xx ${where}`, ['-r', command], { rc: 4, reason: 'DEFERRED', state: 'DEFERRED', reply: SOFT }),
  ),
  // Every recipient refused for good is RCPTREJ; a refusal of the whole mail REJECTED.
  ...STEPS.map(([command, where]) =>
    sinkFault(`5. 5xx ${where}`, ['-f', command], {
      rc: 12,
      reason: command === 'RCPT' ? 'RCPTREJ' : 'REJECTED',
      state: 'FAILED',
      reply: HARD,
    }),
  ),
];
