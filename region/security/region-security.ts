// The region's security in one service: who calls (authentication), what they may run
// (transaction security), what they may send (passed to the task), and the audit trail
// of refused attempts (journal records in state DENIED).
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Journal } from '../../journal/journal.js';
import { systemClock, type Clock } from '../../cics/clock.js';
import { AuditTrail } from '../../journal/audit-trail.js';
import { limitPerUser, type AuditEntry } from './rate-limits.js';
import { Authenticator } from './auth.js';
import { networkOf } from './address-groups.js';
import type { SecurityConfig } from '../../config/settings.js';
import { AdminOnly, SurrogateNotAllowed, SurrogateUnknown, TransactionNotAllowed } from '../errors.js';
import type { TaskSecurity } from '../../cics/task.js';
import { mayRun, newUser, UserStore, type UserRecord } from '../../users/users-file.js';
import { TRANID_ANY_CASE } from '../../cics/names.js';

export class RegionSecurity {
  readonly users: UserStore;
  readonly #auth: Authenticator;
  readonly #config: SecurityConfig;
  /** Refused attempts on record, one a user, address and reason a minute. */
  readonly trail: AuditTrail;

  constructor(
    dataDir: string,
    config: SecurityConfig,
    journal: Journal,
    onAuditError: (err: Error) => void,
    clock: Clock = systemClock,
  ) {
    this.users = new UserStore(dataDir);
    this.#config = config;
    this.trail = new AuditTrail(journal, onAuditError, clock);
    this.#auth = new Authenticator(this.users, {
      addressFailures: config.authFailures,
      userFailures: config.authUserFailures,
      clock,
    });
  }

  /**
   * Where the data folder has no users file yet: one administrator, ADMIN, with a random
   * password to print once, so that a new region is usable at once and open to nobody who
   * did not see the password. The start command calls it once the region listens: a start
   * that fails before (the port taken) leaves no users file, and the next start makes the
   * administrator and prints its password, rather than a password nobody was shown.
   */
  createFirstAdmin(): { readonly id: string; readonly password: string } | null {
    if (this.users.exists) return null;
    const password = randomBytes(18).toString('base64url');
    this.users.put(newUser({ id: 'ADMIN', password, admin: true, transactions: ['*'], senders: ['*'] }));
    return { id: 'ADMIN', password };
  }

  /** Password hashes checked since start (scrypt runs). */
  get passwordChecks(): number {
    return this.#auth.passwordChecks;
  }

  /** onRequest hook: the caller must be a user. */
  readonly authenticate = async (request: FastifyRequest, _reply?: FastifyReply): Promise<void> => {
    // A request with no credentials at all is no one's attempt (a browser asks first, a
    // scanner knocks): answered 401, not journaled. Wrong credentials are.
    request.caller = await this.#auth.authenticate(request, (d) => {
      if (d.reason === 'NOCREDS') return;
      const entry = { tranid: tranidOf(request), userid: d.userid, reason: d.reason, detail: d.detail };
      if (d.known) return this.audit(request, entry);
      // Ids nobody has: one record a minute for the network they come from, whatever the
      // ids, so that random ids cannot make a record each. It names the first id it counts.
      const network = networkOf(request.ip);
      this.audit(
        request,
        { ...entry, detail: `${d.detail} (counted with every unknown id from ${network} in the minute)` },
        ['unknown', network, d.reason].join('\0'),
      );
    });
  };

  /**
   * onRequest hook of transactions: the caller must be a user; an administrator may run the
   * task as another user (X-CICS-Userid, as a RACF surrogate starts work for another id),
   * which redrive does so that a task runs again with its own user's rights, not the
   * operator's. Everything after (rate limit, transaction security, senders) is that user's.
   */
  readonly authenticateTask = async (request: FastifyRequest, reply?: FastifyReply): Promise<void> => {
    await this.authenticate(request, reply);
    const header = request.headers['x-cics-userid'];
    if (header === undefined) return;
    const caller = request.caller as UserRecord;
    const id = String(header).trim().toUpperCase();
    if (id === caller.id) return;
    if (!caller.admin) {
      this.audit(request, {
        tranid: tranidOf(request),
        userid: caller.id,
        reason: 'NOTSURROGATE',
        detail: `asked to run as ${id.slice(0, 8)}`,
      });
      throw new SurrogateNotAllowed(caller.id, id.slice(0, 8));
    }
    const user = this.users.get(id);
    if (!user) throw new SurrogateUnknown(id.slice(0, 8).replace(/[^\x21-\x7e]/g, '?'));
    request.caller = user;
  };

  /** preHandler hook (after the caller's rate limit, an onRequest hook): the caller must be an administrator. */
  readonly requireAdmin = async (request: FastifyRequest): Promise<void> => {
    const caller = request.caller as UserRecord;
    if (!caller.admin) {
      this.audit(request, {
        tranid: '',
        userid: caller.id,
        reason: 'NOTADMIN',
        detail: `${request.method} ${request.url.split('?')[0]?.slice(0, 100)}`,
      });
      throw new AdminOnly(caller.id);
    }
  };

  /**
   * The operators' routes of `app` (journal, captured mail, CEMT): a user (onRequest, before
   * the body is read), within the requests a minute a user may make, and an administrator.
   */
  async guardOperatorRoutes(app: FastifyInstance): Promise<void> {
    app.addHook('onRequest', this.authenticate);
    await limitPerUser(app, this.audit, this.operatorLimit);
    app.addHook('preHandler', this.requireAdmin);
  }

  /** Transaction security: throws NOTAUTH (403) where the caller may not run `tranid`. */
  checkTransaction(request: FastifyRequest, tranid: string): UserRecord {
    const caller = request.caller as UserRecord;
    if (!mayRun(caller, tranid)) {
      this.audit(request, {
        tranid,
        userid: caller.id,
        reason: 'NOTALLOWED',
        detail: `transaction ${tranid} is not in the user's list`,
      });
      throw new TransactionNotAllowed(caller.id, tranid);
    }
    return caller;
  }

  /** What a task of this user may send. */
  taskSecurity(user: UserRecord, remote: string): TaskSecurity {
    return {
      senders: user.senders,
      defaultSender: user.defaultSender,
      policy: user.policy ?? this.#config.senderPolicy,
      maxMessageBytes: this.#config.maxMessageBytes,
      maxRecipients: this.#config.maxRecipients,
      recipientDomains: this.#config.recipientDomains,
      remote,
    };
  }

  /** Tasks a minute the user may start; 0: no limit. */
  rateLimitOf(user: UserRecord): number {
    return user.rateLimit ?? this.#config.rateLimit;
  }

  /** Requests a minute a user may make to the operators' routes; 0: no limit. */
  get requestRateLimit(): number {
    return this.#config.requestRateLimit;
  }

  /** The per-user limit of the operators' routes, for `limitPerUser`. */
  readonly operatorLimit = {
    max: () => this.#config.requestRateLimit,
    what: 'requests',
    tranid: () => '',
  };

  /**
   * Keeps a refused attempt on record (not awaited: the answer does not wait for the audit);
   * the same user, address and reason within a minute are one record with a count.
   */
  readonly audit = (request: FastifyRequest, entry: AuditEntry, group?: string): void => {
    const jobname = String(request.headers['x-cics-jobname'] ?? '')
      .slice(0, 8)
      .toUpperCase();
    void this.trail.refuse(
      {
        tranid: entry.tranid,
        taskn: 0,
        userid: entry.userid,
        jobname,
        ccsid: 0,
        envelope: { from: '', to: [] },
        subject: '',
        denial: { reason: entry.reason, detail: entry.detail, remote: request.ip },
      },
      group,
    );
  };
}

/** The tranid of a /cics/{TRANID} request, '' for other routes. */
function tranidOf(request: FastifyRequest): string {
  const name = /^\/cics\/([^/?]*)/.exec(request.url)?.[1] ?? '';
  return TRANID_ANY_CASE.test(name) ? name.toUpperCase() : '';
}
