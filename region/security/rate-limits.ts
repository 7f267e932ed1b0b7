// A user's requests a minute, counted per user (after authentication: the key is the user,
// not the address): tasks on /cics and the mails of SEND and SPOL past a task's first
// (CICSMAIL_RATE_LIMIT or the user's own: the workers count those), and requests on
// the operators' routes (CICSMAIL_REQUEST_RATE_LIMIT). Past it, 429 with Retry-After and one
// DENIED record a minute (the audit trail counts the rest).
import rateLimit, { type RateLimitPluginOptions } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { UserRecord } from '../../users/users-file.js';
import { RateLimited } from '../errors.js';
import { RATE_WINDOW_MS, type UserRate } from '../../cics/user-rate.js';

/** What a refusal puts on the audit trail. */
export interface AuditEntry {
  readonly tranid: string;
  readonly userid: string;
  readonly reason: string;
  readonly detail: string;
}

/** Keeps a refused request on record (RegionSecurity.audit). */
export type Audit = (request: FastifyRequest, entry: AuditEntry) => void;

export interface UserLimit {
  /** Requests a minute the user may make; 0: no limit. */
  readonly max: (user: UserRecord) => number;
  /** What is counted, for the refusal's words: "tasks", "requests". */
  readonly what: string;
  /** The tranid a refused request asked for, where it names one. */
  readonly tranid: (request: FastifyRequest) => string;
  /** Counts kept where the workers count too (tasks' mails, cics/user-rate.ts); else the plugin's own. */
  readonly shared?: UserRate;
}

/** @fastify/rate-limit's store (its `incr`) over the counts the workers share. */
function sharedStore(rate: UserRate, now: () => number) {
  return class SharedStore {
    incr(key: string, done: (err: Error | null, res: { current: number; ttl: number }) => void): void {
      const at = now();
      const { current, endsAt } = rate.add(rate.slotOf(key), RATE_WINDOW_MS, at);
      done(null, { current, ttl: endsAt - at });
    }

    child(): SharedStore {
      return this;
    }
  };
}

/**
 * Registers the user's limit on the routes of `app`: a route's own onRequest hook, so after
 * the context's authentication and before the body is read and anything is checked.
 */
export async function limitPerUser(app: FastifyInstance, audit: Audit, limit: UserLimit): Promise<void> {
  const caller = (request: FastifyRequest) => request.caller as UserRecord;
  const none = { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false } as const;
  const options: RateLimitPluginOptions = {
    hook: 'onRequest',
    timeWindow: RATE_WINDOW_MS,
    keyGenerator: (request) => caller(request).id,
    allowList: (request) => limit.max(caller(request)) === 0,
    max: (request) => limit.max(caller(request)),
    ...(limit.shared ? { store: sharedStore(limit.shared, Date.now) } : {}),
    addHeadersOnExceeding: none,
    addHeaders: { ...none, 'retry-after': true },
    onExceeded: (request) => {
      audit(request, {
        tranid: limit.tranid(request),
        userid: caller(request).id,
        reason: 'RATE',
        detail: `more than ${limit.max(caller(request))} ${limit.what} a minute`,
      });
    },
    errorResponseBuilder: (request, context) =>
      new RateLimited(caller(request).id, context.max, limit.what, context.after),
  };
  await app.register(rateLimit, options);
}
