// A relay of the scripted SMTP server (test/helpers.ts) for faults that must hit each
// session on its own, which smtp-sink cannot do: a reset once the message data arrives,
// and a greeting or a reply after the dot that comes later than the region waits
// (smtp-sink's -W and -w sleep, and every session waits with the one that sleeps). It
// keeps each mail it read to the dot, answered or not, as a real MTA may.
import { startScriptedSmtp, type ScriptedSession } from '../helpers/relay.js';
import { type TestLike } from '../helpers/test-like.js';
import type { FaultRelay, Received } from './reconcile.js';

export type ScriptedFault =
  /** TCP RST as the first bytes of the message arrive: the dot is never read. */
  | { readonly kind: 'reset-mid-data' }
  /** The greeting `delayMs` after the connection is taken. */
  | { readonly kind: 'slow-greeting'; readonly delayMs: number }
  /** The reply after the dot `delayMs` late; the mail is kept. */
  | { readonly kind: 'slow-final'; readonly delayMs: number };

const GREETING = '220 scripted ESMTP';

export async function startScriptedRelay(t: TestLike, initial: ScriptedFault): Promise<FaultRelay> {
  let fault: ScriptedFault | null = initial;
  const kept: Received[] = [];
  const envelopes = new WeakMap<ScriptedSession, string[]>();
  const later = (s: ScriptedSession, ms: number, line: string) => {
    const timer = setTimeout(() => {
      if (!s.socket.destroyed) s.socket.write(`${line}\r\n`);
    }, ms);
    s.socket.once('close', () => clearTimeout(timer));
  };
  const server = await startScriptedSmtp(t, {
    greet: null,
    onConnect: (s) => {
      if (fault?.kind === 'slow-greeting') later(s, fault.delayMs, GREETING);
      else s.socket.write(`${GREETING}\r\n`);
    },
    onLine: (line, s) => {
      const command = line.slice(0, 4).toUpperCase();
      if (command === 'EHLO') return ['250-scripted', '250 PIPELINING'];
      if (command === 'MAIL') {
        envelopes.set(s, []);
        return '250 2.1.0 Ok';
      }
      if (command === 'RCPT') {
        envelopes.get(s)?.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
        return '250 2.1.5 Ok';
      }
      if (command === 'DATA') {
        // Runs before the session's own listener: the reset comes before the dot is read.
        if (fault?.kind === 'reset-mid-data') s.socket.prependOnceListener('data', () => s.socket.resetAndDestroy());
        return '354 End data with <CR><LF>.<CR><LF>';
      }
      if (line === '.') {
        if (s.socket.destroyed) return null;
        const message = (s.data ?? []).map((l) => (l.startsWith('..') ? l.slice(1) : l)).join('\r\n');
        kept.push({ recipients: envelopes.get(s) ?? [], message });
        const reply = `250 2.0.0 Ok: queued as ${kept.length}`;
        if (fault?.kind !== 'slow-final') return reply;
        later(s, fault.delayMs, reply);
        return null;
      }
      if (command === 'QUIT') return '221 2.0.0 Bye';
      return '250 2.0.0 Ok';
    },
  });
  return {
    url: server.url,
    received: () => kept,
    clear: async () => {
      fault = null;
    },
  };
}
