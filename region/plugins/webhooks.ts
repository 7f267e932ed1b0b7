// The webhook sender: the outbox's events (journal/outbox.ts), POSTed to each subscriber of
// CICSMAIL_WEBHOOKS and signed as the Standard Webhooks specification says (webhook-id,
// webhook-timestamp, webhook-signature: HMAC-SHA256 by the specification's own package,
// `standardwebhooks`). A subscriber that does not answer 2xx is tried again on the
// specification's schedule until the event's expiry (CICSMAIL_WEBHOOK_EXPIRY_HOURS); the
// id stays the same on every try, so the receiver drops a repeat. An event is in the
// outbox from the transaction that made it, so a crash between the change and the POST
// sends it after the restart: at least once. CEMT pauses and resumes a subscriber.
import fp from 'fastify-plugin';
import { Webhook } from 'standardwebhooks';
import { systemClock, type Clock } from '../../cics/clock.js';
import type { WebhookTarget } from '../../config/fate.js';
import type { RegionConfig } from '../../config/settings.js';
import type { DeliveryState, Outbox, OutboxEntry } from '../../journal/outbox.js';
import { registerFateMetrics, type WebhookCounts } from '../fate-metrics.js';

declare module 'fastify' {
  interface FastifyInstance {
    readonly webhooks: WebhookSender;
  }
}

/** The waits after each failed try: the specification's example schedule (5 s, 5 min, 30 min, 2 h, 5 h, then 10 h). */
const BACKOFF_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000];
/** A subscriber that has not answered within this is a failed try. */
const TIMEOUT_MS = 10_000;
/** Tries under way at once, over all subscribers. */
const CONCURRENCY = 8;

export interface WebhookSenderOptions {
  readonly outbox: Outbox;
  readonly targets: readonly WebhookTarget[];
  readonly expiryMs: number;
  readonly pollMs: number;
  readonly clock?: Clock;
  readonly onError?: (err: Error) => void;
}

export class WebhookSender {
  readonly #options: WebhookSenderOptions;
  readonly #clock: Clock;
  readonly #signers = new Map<string, Webhook>();
  readonly #paused = new Set<string>();
  readonly #counts = new Map<string, { delivered: number; failedTries: number; expired: number }>();
  #timer: unknown;
  #running: Promise<void> | null = null;
  #again = false;
  #stopped = false;

  constructor(options: WebhookSenderOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    for (const target of options.targets) {
      this.#signers.set(target.name, new Webhook(target.secret.slice('whsec_'.length)));
      this.#counts.set(target.name, { delivered: 0, failedTries: 0, expired: 0 });
    }
  }

  start(): void {
    if (this.#options.targets.length > 0) this.wake();
  }

  /** Look at the outbox now (an event was just written). */
  wake(): void {
    if (this.#stopped) return;
    if (this.#running) {
      this.#again = true;
      return;
    }
    this.#schedule(0);
  }

  /** Resolves once the round under way, if any, is over. */
  async whenIdle(): Promise<void> {
    while (this.#running) await this.#running;
  }

  #schedule(delay: number): void {
    if (this.#stopped) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = this.#clock.setTimeout(() => {
      this.#running ??= this.#round()
        .catch((err: Error) => this.#options.onError?.(err))
        .finally(() => {
          this.#running = null;
          const again = this.#again;
          this.#again = false;
          this.#schedule(again ? 0 : this.#options.pollMs);
        });
    }, delay);
  }

  /** True where the subscriber exists; its events wait in the outbox while paused. */
  pause(name: string, paused: boolean): boolean {
    if (!this.#signers.has(name)) return false;
    if (paused) this.#paused.add(name);
    else {
      this.#paused.delete(name);
      this.wake();
    }
    return true;
  }

  counts(): WebhookCounts[] {
    return this.#options.targets.map((t) => ({
      name: t.name,
      url: t.url,
      events: t.events,
      paused: this.#paused.has(t.name),
      ...(this.#counts.get(t.name) ?? { delivered: 0, failedTries: 0, expired: 0 }),
    }));
  }

  /** Every delivery due now, CONCURRENCY at a time. */
  async #round(): Promise<void> {
    const now = this.#clock.now();
    const due: { key: number; entry: OutboxEntry; target: WebhookTarget; state: DeliveryState }[] = [];
    for (const { key, entry } of this.#options.outbox.pending()) {
      for (const target of this.#options.targets) {
        const state = entry.deliveries[target.name];
        if (state?.state === 'pending' && state.nextAt <= now && !this.#paused.has(target.name))
          due.push({ key, entry, target, state });
      }
    }
    const lanes = Array.from({ length: Math.min(CONCURRENCY, due.length) }, async () => {
      for (let next = due.shift(); next && !this.#stopped; next = due.shift()) {
        await this.#try(next.key, next.entry, next.target, next.state);
      }
    });
    await Promise.all(lanes);
  }

  /** One POST of one event to one subscriber, and what it came to, on record. */
  async #try(key: number, entry: OutboxEntry, target: WebhookTarget, state: DeliveryState): Promise<void> {
    const body = JSON.stringify({ type: entry.type, timestamp: new Date(entry.at).toISOString(), data: entry.data });
    // Signed when sent: the receiver checks the timestamp against its own clock.
    const sentAt = new Date();
    const signature = this.#signers.get(target.name)?.sign(entry.id, sentAt, body) ?? '';
    let last: string;
    try {
      const res = await fetch(target.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': entry.id,
          'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
          'webhook-signature': signature,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await res.body?.cancel();
      last = `HTTP ${res.status}`;
      if (res.ok) {
        this.#count(target.name, 'delivered');
        await this.#options.outbox.settle(key, target.name, {
          ...state,
          attempts: state.attempts + 1,
          state: 'done',
          last,
        });
        return;
      }
    } catch (err) {
      last = (err as Error).name === 'TimeoutError' ? 'no answer in time' : (err as Error).message.slice(0, 200);
    }
    this.#count(target.name, 'failedTries');
    const attempts = state.attempts + 1;
    const now = this.#clock.now();
    const nextAt = now + (BACKOFF_MS[Math.min(attempts, BACKOFF_MS.length) - 1] ?? 0);
    const expired = nextAt - entry.at >= this.#options.expiryMs;
    if (expired) this.#count(target.name, 'expired');
    await this.#options.outbox.settle(key, target.name, {
      attempts,
      nextAt,
      state: expired ? 'expired' : 'pending',
      last,
    });
  }

  #count(name: string, what: 'delivered' | 'failedTries' | 'expired'): void {
    const counts = this.#counts.get(name);
    if (counts) counts[what]++;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#clock.clearTimeout(this.#timer);
    await this.#running;
  }
}

export default fp<{ config: RegionConfig; clock?: Clock | undefined }>(
  async (app, { config, clock }) => {
    const sender = new WebhookSender({
      outbox: app.journal.outbox,
      targets: config.fate.webhooks,
      expiryMs: config.fate.webhookExpiryMs,
      pollMs: 1000,
      onError: (err) => app.log.error({ err }, 'webhooks: a round failed'),
      ...(clock ? { clock } : {}),
    });
    app.decorate('webhooks', sender);
    registerFateMetrics(app.metrics.registry, {
      journal: app.journal,
      bounces: () => app.bounceCounts(),
      webhooks: () => sender.counts(),
    });
    // A bounce on record: its events go at once rather than at the next look.
    app.onFateRecorded(() => sender.wake());
    app.addHook('onReady', async () => sender.start());
    app.addHook('onClose', async () => sender.stop());
  },
  { name: 'webhooks', dependencies: ['journal', 'bounce-listener', 'metrics'] },
);
