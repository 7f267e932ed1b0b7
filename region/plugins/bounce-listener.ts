// The bounce listener as a service of the region (CICSMAIL_BOUNCE_LISTEN): an SMTP port
// for the region's return paths only (smtp/dsn/listener.ts), whose every bounce, read, goes
// to the mail's record in the journal (journal/fate.ts) with its bytes, in one transaction
// with the webhooks' events and the suppression it causes. A bounce the journal refuses
// (no such mail, never sent, no recipient of it) is refused with its reason and counted.
import { readFileSync } from 'node:fs';
import fp from 'fastify-plugin';
import { systemClock, type Clock } from '../../cics/clock.js';
import type { RegionConfig } from '../../config/settings.js';
import type { FateReport } from '../../journal/fate.js';
import type { BounceReading } from '../../smtp/dsn/bounce.js';
import {
  BounceListener,
  type BounceVerdict,
  type ListenerCounts,
  type ReceivedBounce,
} from '../../smtp/dsn/listener.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** The bounce listener where CICSMAIL_BOUNCE_LISTEN starts one. */
    readonly bounceListener: BounceListener | null;
    /** Bounces taken that moved no fate (a duplicate, a late delay), and the listener's counts. */
    readonly bounceCounts: () => ListenerCounts & { readonly unchanged: number };
    /** Called after each bounce is on record (the webhook sender sends its events at once). */
    onFateRecorded(listener: () => void): void;
  }
}

/** A reading as the journal takes it: ORCPT before Final-Recipient, the diagnostic's text. */
export function fateReportOf(reading: Exclude<BounceReading, { kind: 'refused' }>): FateReport {
  if (reading.kind === 'guess') {
    const { action, status, diagnostic, addresses } = reading;
    return { kind: 'guess', action, status, diagnostic, addresses };
  }
  return {
    kind: 'dsn',
    recipients: reading.recipients.map((r) => ({
      addresses: [r.originalRecipient, r.finalRecipient]
        .filter((a) => a !== null && (a.type === 'rfc822' || a.type === 'utf-8' || a.type === ''))
        .map((a) => a?.value ?? ''),
      action: r.action,
      status: r.status,
      diagnostic: r.diagnostic?.value ?? '',
    })),
  };
}

export default fp<{ config: RegionConfig; clock?: Clock | undefined }>(
  async (app, { config, clock = systemClock }) => {
    const listen = config.fate.listen;
    const returnPath = config.smtp.fate?.returnPath;
    let unchanged = 0;
    const recorded: (() => void)[] = [];
    app.decorate('onFateRecorded', (listener: () => void) => {
      recorded.push(listener);
    });
    let listener: BounceListener | null = null;
    const onBounce = async (bounce: ReceivedBounce): Promise<BounceVerdict> => {
      const { sysid, seq } = bounce.reading;
      const result = await app.journal.fate.record(seq, sysid, fateReportOf(bounce.reading), bounce.raw, clock.now());
      if (!result.ok) return { accept: false, reason: result.reason, detail: result.detail };
      if (result.moved.length === 0) unchanged++;
      for (const tell of recorded) tell();
      return { accept: true };
    };
    if (listen && returnPath) {
      listener = await BounceListener.start({
        host: listen.host,
        port: listen.port,
        name: config.hostname,
        returnPath,
        sysid: config.sysid,
        maxBytes: config.fate.maxBytes,
        ratePerMinute: config.fate.ratePerMinute,
        maxClients: config.fate.maxClients,
        // STARTTLS with the region's own certificate, where it has one.
        ...(config.tls ? { tls: { cert: readFileSync(config.tls.cert), key: readFileSync(config.tls.key) } } : {}),
        clock,
        onBounce,
      });
      const started = listener;
      app.addHook('onClose', () => started.close());
      app.log.info({ port: started.port }, 'bounce listener: listening');
    }
    app.decorate('bounceListener', listener);
    app.decorate('bounceCounts', () => ({ ...(listener?.counts() ?? { accepted: 0, refused: {} }), unchanged }));
  },
  { name: 'bounce-listener', dependencies: ['journal'] },
);
