// Mail fate in the region's metrics: bounces taken and refused (by reason), webhook
// deliveries by subscriber, the outbox, the suppression list. Read when scraped, from the
// parts that count them (the listener, the webhook sender, the journal).
import { Gauge, type Registry } from 'prom-client';
import type { Journal } from '../journal/journal.js';
import type { ListenerCounts } from '../smtp/dsn/listener.js';

/** A webhook's counts, as the metrics and /cemt/webhooks show them. */
export interface WebhookCounts {
  readonly name: string;
  readonly url: string;
  readonly events: readonly string[];
  readonly paused: boolean;
  /** Events it took (2xx). */
  readonly delivered: number;
  /** Tries that failed (not 2xx, no answer). */
  readonly failedTries: number;
  /** Events given up at their expiry. */
  readonly expired: number;
}

export interface FateSources {
  readonly journal: Journal;
  readonly bounces: () => ListenerCounts & { readonly unchanged: number };
  readonly webhooks: () => readonly WebhookCounts[];
}

export function registerFateMetrics(registry: Registry, sources: FateSources): void {
  const registers = [registry];
  new Gauge({
    name: 'cicsmail_bounces',
    help: 'Bounces since start: taken (result="taken"; "unchanged" of them moved no fate) or refused, by reason (NOMAIL, NORECIPIENT, NOTOURS, RATE, ...).',
    labelNames: ['result'],
    registers,
    collect() {
      const counts = sources.bounces();
      this.set({ result: 'taken' }, counts.accepted);
      this.set({ result: 'unchanged' }, counts.unchanged);
      for (const [reason, n] of Object.entries(counts.refused)) this.set({ result: reason }, n);
    },
  });
  new Gauge({
    name: 'cicsmail_webhook_events',
    help: 'Webhook deliveries since start, by subscriber: delivered (2xx), failed tries, expired (given up).',
    labelNames: ['webhook', 'result'],
    registers,
    collect() {
      for (const w of sources.webhooks()) {
        this.set({ webhook: w.name, result: 'delivered' }, w.delivered);
        this.set({ webhook: w.name, result: 'failed_tries' }, w.failedTries);
        this.set({ webhook: w.name, result: 'expired' }, w.expired);
      }
    },
  });
  new Gauge({
    name: 'cicsmail_outbox_events',
    help: 'Webhook events in the outbox: not yet taken by every subscriber.',
    registers,
    collect() {
      this.set(sources.journal.outbox.size());
    },
  });
  new Gauge({
    name: 'cicsmail_suppressed_addresses',
    help: 'Addresses on the suppression list (expired entries included until removed).',
    registers,
    collect() {
      this.set(sources.journal.suppression.size());
    },
  });
}
