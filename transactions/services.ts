// What every program in a worker thread shares: the journal and a pool of connections to
// the relay. Made once per worker from the region's settings (piscina's workerData).
import { Journal } from '../journal/journal.js';
import { SmtpPool } from './smtp/pool.js';
import type { SmtpTimeouts } from './smtp/connection.js';
import type { RelayTarget } from './smtp/relay-url.js';

/** The settings a worker is started with; plain data, as it crosses a thread. */
export interface WorkerConfig {
  readonly dataDir: string;
  /** The region's name, `&SYSID` in SEND. */
  readonly sysid: string;
  /** The name given in EHLO and used in Message-IDs. */
  readonly hostname: string;
  readonly relays: readonly RelayTarget[];
  readonly smtp: {
    readonly maxConnections: number;
    readonly maxMailsPerConnection: number;
    readonly idleTimeout: number;
    readonly timeouts: SmtpTimeouts;
  };
}

export interface Services {
  readonly config: WorkerConfig;
  readonly journal: Journal;
  readonly smtp: SmtpPool;
}

export function createServices(config: WorkerConfig): Services {
  return {
    config,
    journal: Journal.open(config.dataDir),
    smtp: new SmtpPool({ ...config.smtp, relays: config.relays, clientName: config.hostname }),
  };
}
