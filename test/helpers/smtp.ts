// The relay client in tests: a pool with short time limits, and deliveries to compare.
import type { Delivery, SmtpFailure } from '../../smtp/delivery.js';
import { SmtpPool, type PoolOptions } from '../../smtp/pool.js';
import { parseRelayUrls } from '../../smtp/relay-url.js';
import type { TestLike } from './test-like.js';

/** The delivery of a mail that never reached a relay: deferred, with the failure's kind and words. */
export function unreachable(kind: Exclude<SmtpFailure['kind'], 'reply'>, relay: string, reply: string): Delivery {
  return {
    kind: 'deferred',
    relay,
    reply,
    accepted: [],
    refused: [],
    failure: { kind, message: reply } as SmtpFailure,
  };
}

/**
 * A delivery the relay answered with a refusal: its fields, and its failure's kind and words
 * apart (the failure holds the parsed reply), for `t.same` and `t.match` each.
 */
export function refusal(d: Delivery): { delivery: Omit<Delivery, 'failure'>; failure: SmtpFailure | undefined } {
  if (d.kind === 'sent') return { delivery: d, failure: undefined };
  const { failure, ...rest } = d;
  return { delivery: rest, failure };
}

/** An SMTP client pool for tests, closed in teardown: short timeouts, a few connections. */
export function testPool(t: TestLike, url: string, options: Partial<PoolOptions> = {}): SmtpPool {
  const p = new SmtpPool({
    relays: parseRelayUrls(url),
    clientName: 'client.test',
    maxConnections: 4,
    maxMailsPerConnection: 100,
    idleTimeout: 5000,
    timeouts: { connect: 2000, command: 2000, final: 2000 },
    ...options,
  });
  t.teardown(() => p.close());
  return p;
}
