// What every program in a worker thread shares: the journal and a pool of connections to
// the relay. Made once per worker from the region's settings (piscina's workerData).
import { BroadcastChannel, threadId } from 'node:worker_threads';
import { Journal } from '../journal/journal.js';
import { AuditTrail } from '../journal/audit-trail.js';
import type { RetryPolicy } from '../journal/retry.js';
import { SmtpPool } from '../smtp/pool.js';
import type { SmtpTimeouts } from '../smtp/connection.js';
import type { RelayTarget } from '../smtp/relay-url.js';
import type { StartTlsMode } from '../smtp/relay-url.js';
import type { FateSettings } from '../smtp/dsn/request.js';
import type { Subscriber } from '../journal/outbox.js';

/** The settings a worker is started with; plain data, as it crosses a thread. */
export interface WorkerConfig {
  readonly dataDir: string;
  /** BroadcastChannel on which the region asks its workers to close before it ends them. */
  readonly shutdownChannel: string;
  /** The region's name, `&SYSID` in SEND. */
  readonly sysid: string;
  /** The name given in EHLO and used in Message-IDs. */
  readonly hostname: string;
  readonly relays: readonly RelayTarget[];
  readonly retry: RetryPolicy;
  /** URL of the sender verification exit module (CICSMAIL_SENDER_EXIT), null where none. */
  readonly senderExit: string | null;
  /** Mail fate: who wants which webhook events (written to the outbox with the record), how long a bounce suppresses. */
  readonly fate?: {
    readonly subscribers: readonly Subscriber[];
    readonly suppressDays: number;
    /** RELAYED or DELAYED this long after the relay took a mail reads EXPIRED (0: never). */
    readonly windowMs: number;
  };
  readonly smtp: {
    readonly maxConnections: number;
    readonly maxMailsPerConnection: number;
    readonly idleTimeout: number;
    readonly timeouts: SmtpTimeouts;
    readonly starttls: StartTlsMode;
    readonly ca: string | null;
    /** Each mail's own return path and the DSNs it asks for; null or absent: neither. */
    readonly fate?: FateSettings | null;
  };
}

export interface Services {
  readonly config: WorkerConfig;
  readonly journal: Journal;
  readonly smtp: SmtpPool;
  /** The mails this worker's programs refuse, on record: one record a kind a minute. */
  readonly trail: AuditTrail;
}

export function createServices(config: WorkerConfig): Services {
  const journal = Journal.open(config.dataDir, {
    retry: config.retry,
    sysid: config.sysid,
    ...(config.fate ? { fate: config.fate } : {}),
  });
  return {
    config,
    journal,
    smtp: new SmtpPool({ ...config.smtp, relays: config.relays, clientName: config.hostname }),
    // A record the disk cannot take is not the task's failure: the refusal stands all the same.
    trail: new AuditTrail(journal, () => undefined),
  };
}

/**
 * What the region and its workers say on the shutdown channel: a worker is `up` once it has
 * opened its services (piscina loads the worker module with its first task), the region asks
 * them all to `close`, each says when it has `closed`.
 */
export type ShutdownMessage =
  | { readonly kind: 'up'; readonly threadId: number }
  | { readonly kind: 'close' }
  | { readonly kind: 'closed'; readonly threadId: number };

/**
 * Says the worker is up, and closes its services when the region asks on `shutdownChannel`
 * (QUIT to the relay, the journal closed), then says so: a worker thread that is terminated
 * gets no other chance.
 */
export function closeOnShutdown(services: Services): void {
  const channel = new BroadcastChannel(services.config.shutdownChannel);
  channel.unref();
  const say = (message: ShutdownMessage) => channel.postMessage(message);
  channel.onmessage = (event) => {
    if (((event as MessageEvent).data as ShutdownMessage).kind !== 'close') return;
    services.smtp.close();
    void services.trail
      .close()
      .then(() => services.journal.close())
      .finally(() => {
        say({ kind: 'closed', threadId });
        channel.close();
      });
  };
  say({ kind: 'up', threadId });
}
