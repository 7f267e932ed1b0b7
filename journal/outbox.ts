// The webhooks' outbox: each event a subscriber wants (a mail sent, deferred, failed; a
// recipient delivered, delayed, bounced, suppressed) is written here in the same LMDB
// transaction as the record change it reports, so no change is told twice or lost; the
// region's webhook sender (region/plugins/webhooks.ts) POSTs it, each subscriber on its
// own schedule, until a 2xx or the event's expiry. An event's id never changes, however
// often it is sent: a receiver drops what it has seen. Nobody subscribed: nothing written.
import type { Database } from 'lmdb';
import { entryCount } from './entry-count.js';

export const WEBHOOK_EVENTS = ['sent', 'deferred', 'failed', 'delivered', 'delayed', 'bounced', 'suppressed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** Who wants what; the URL and the secret stay with the sender. */
export interface Subscriber {
  readonly name: string;
  readonly events: readonly WebhookEvent[];
}

/** What an event says (the `data` of its JSON). */
export interface EventData {
  readonly sysid: string;
  readonly seq: number;
  readonly messageId: string;
  /** The record's state (sent, deferred, failed). */
  readonly state?: string;
  readonly recipient?: string;
  readonly fate?: string;
  readonly status?: string;
  readonly diagnostic?: string;
  /** The relay's reply (sent, deferred, failed). */
  readonly reply?: string;
}

/** One subscriber's delivery of an event. */
export interface DeliveryState {
  readonly attempts: number;
  /** When it is tried next (epoch ms). */
  readonly nextAt: number;
  readonly state: 'pending' | 'done' | 'expired';
  /** What the last try came to (`HTTP 500`, `timeout`…). */
  readonly last: string | null;
}

export interface OutboxEntry {
  /** webhook-id: the same on every try. */
  readonly id: string;
  readonly type: `mail.${WebhookEvent}`;
  /** When the change happened (epoch ms): webhook-timestamp is when each try is signed. */
  readonly at: number;
  readonly data: EventData;
  readonly deliveries: Readonly<Record<string, DeliveryState>>;
}

export class Outbox {
  readonly #db: Database<OutboxEntry, number>;
  readonly #meta: Database<number, string>;
  readonly #subscribers: readonly Subscriber[];
  readonly #write: <T>(action: () => T) => Promise<T>;
  readonly #sysid: string;

  constructor(
    db: Database<OutboxEntry, number>,
    meta: Database<number, string>,
    subscribers: readonly Subscriber[],
    write: <T>(action: () => T) => Promise<T>,
    sysid: string,
  ) {
    this.#db = db;
    this.#meta = meta;
    this.#subscribers = subscribers;
    this.#write = write;
    this.#sysid = sysid;
  }

  /** Whether anyone wants this kind of event (a caller can skip building it). */
  wants(event: WebhookEvent): boolean {
    return this.#subscribers.some((s) => s.events.includes(event));
  }

  /**
   * Inside a write transaction: the event, for every subscriber that wants it, due at once.
   * Its number comes from the journal's meta and is never given again.
   */
  enqueueInTransaction(event: WebhookEvent, data: EventData, at: number): void {
    const names = this.#subscribers.filter((s) => s.events.includes(event)).map((s) => s.name);
    if (names.length === 0) return;
    const n = (this.#meta.get('lastEvent') ?? 0) + 1;
    void this.#meta.put('lastEvent', n);
    const deliveries = Object.fromEntries(
      names.map((name): [string, DeliveryState] => [name, { attempts: 0, nextAt: at, state: 'pending', last: null }]),
    );
    void this.#db.put(n, { id: `evt_${this.#sysid.toLowerCase()}_${n}`, type: `mail.${event}`, at, data, deliveries });
  }

  /** Events with a delivery pending, oldest first. */
  *pending(limit = 1000): Generator<{ readonly key: number; readonly entry: OutboxEntry }> {
    let n = 0;
    for (const { key, value } of this.#db.getRange({})) {
      if (n >= limit) return;
      if (Object.values(value.deliveries).some((d) => d.state === 'pending')) {
        n++;
        yield { key, entry: value };
      }
    }
  }

  /** Every event still in the outbox, oldest first (the console's view). */
  list(limit = 100): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const { value } of this.#db.getRange({ limit })) out.push(value);
    return out;
  }

  size(): number {
    return entryCount(this.#db);
  }

  /**
   * What one try of one subscriber's delivery came to; an event every subscriber is done
   * with (delivered or expired) leaves the outbox.
   */
  async settle(key: number, name: string, state: DeliveryState): Promise<void> {
    await this.#write(() => {
      const entry = this.#db.get(key);
      if (!entry?.deliveries[name]) return;
      const deliveries = { ...entry.deliveries, [name]: state };
      if (Object.values(deliveries).every((d) => d.state !== 'pending')) void this.#db.remove(key);
      else void this.#db.put(key, { ...entry, deliveries });
    });
  }
}
