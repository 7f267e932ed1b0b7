// Every way a task can fail before or instead of returning its COMMAREA, each with a
// stable code (docs/errors.md), and the one table that maps them to the contract's
// RESP, RESP2, abend code and HTTP status (docs/http.md).
import createError from '@fastify/error';
import type { TaskResult } from '../cics/task.js';

export const TransactionUnknown = createError<[string]>(
  'CICS_TRANSIDERR',
  "transaction '%s' is not defined in this region",
  404,
);
export const TranidInvalid = createError<[string]>(
  'CICS_TRANSIDERR_NAME',
  "'%s' is not a transaction id: 1 to 4 characters of A-Z 0-9 @ # $",
  404,
);
export const TransactionDisabled = createError<[string]>('CICS_DISABLED', "transaction '%s' is disabled", 503);
export const CommareaTooLong = createError<[number]>(
  'CICS_LENGERR_LONG',
  'COMMAREA of %d bytes is longer than 32,763',
  413,
);
export const CommareaShort = createError<[string]>('CICS_LENGERR_SHORT', '%s', 400);
export const RequestInvalid = createError<[string]>('CICS_INVREQ', '%s', 400);
export const CcsidUnknown = createError<[string, string]>(
  'CICS_CCSID',
  "X-CICS-CCSID '%s' is not a supported code page (supported: %s)",
  400,
);
export const JobnameInvalid = createError<[string]>(
  'CICS_JOBNAME',
  "X-CICS-Jobname '%s' is not 1 to 8 printable ASCII characters",
  400,
);
export const MediaTypeUnsupported = createError<[string, string]>(
  'CICS_MEDIA_TYPE',
  "Content-Type '%s' is not accepted here: send %s",
  415,
);
export const KeyInvalid = createError<[string]>('CICS_KEY', '%s', 400);
export const KeyMismatch = createError<[string]>(
  'CICS_KEY_MISMATCH',
  "request key '%s' was used for a different request (another body, code page or tranid): nothing was run or sent; a new request needs a new key",
  422,
);
export const KeyBusy = createError<[string]>(
  'CICS_KEY_BUSY',
  "the first request with key '%s' is still running past its time limit: ask again with the same key later",
  409,
);
export const NotFound = createError<[string]>('CICS_NOTFND', '%s', 404);
/** A mail the console's MIME parser will not take apart (past its limits); the journal keeps it whole. */
export const MailNotShown = createError<[string]>(
  'CICS_NOTSHOWN',
  'the console does not take this mail apart: %s; its bytes are whole in the journal (cicsmail journal export)',
  422,
);
export const RegionDraining = createError<[string]>(
  'CICS_SYSIDERR',
  'region %s is draining (shutting down) and takes no new requests: send to another region, or again once it has restarted',
  503,
);
/** The caller closed its connection before its request was read: nobody hears the answer. */
export const CredentialsMissing = createError(
  'CICS_NOTAUTH_NONE',
  'this region needs a user id and password (HTTP Basic)',
  401,
);
export const CredentialsInvalid = createError('CICS_NOTAUTH', 'user id or password not valid', 401);
export const LoginsThrottled = createError<[string, number, number]>(
  'CICS_NOTAUTH_THROTTLED',
  'too many wrong passwords for user %s (%d in the last minute): try again in %d s',
  429,
);
export const PasswordChecksBusy = createError(
  'CICS_NOTAUTH_BUSY',
  'the region is checking too many passwords at once; try again in a second',
  503,
);
export const TransactionNotAllowed = createError<[string, string]>(
  'CICS_NOTAUTH_TRAN',
  "user %s may not run transaction '%s'",
  403,
);
export const AdminOnly = createError<[string]>(
  'CICS_NOTAUTH_ADMIN',
  'user %s is not an administrator of this region',
  403,
);
export const CrossSiteRefused = createError<[string]>(
  'CICS_NOTAUTH_CROSSSITE',
  "a request that changes state must come from this region's own pages or from a program, not another site's page (%s)",
  403,
);
export const SurrogateNotAllowed = createError<[string, string]>(
  'CICS_NOTAUTH_SURROGATE',
  'user %s may not run tasks as %s: only an administrator may name another user (X-CICS-Userid)',
  403,
);
export const SurrogateUnknown = createError<[string]>(
  'CICS_USERID',
  "X-CICS-Userid names no user of this region: '%s'",
  400,
);
export const RateLimited = createError<[string, number, string, string]>(
  'CICS_RATE',
  'user %s has made %d %s this minute, the most allowed; retry in %s',
  429,
);
export const JournalFull = createError<[string]>('CICS_NOSPACE', '%s', 503);
export const TaskPurged = createError<[string]>('CICS_AKCC', '%s', 503);
export const TaskTimedOut = createError<[string]>('CICS_AICA', '%s', 500);
export const ProgramFailed = createError<[string]>('CICS_ASRA', '%s', 500);
export const ProgramUnknown = createError<[string]>('CICS_PGMIDERR', "program '%s' is not defined in this region", 404);
export const NewcopyRefused = createError<[string, string]>(
  'CICS_NEWCOPY',
  'NEWCOPY of program %s refused, its copy kept: %s',
  409,
);
export const StartInvalid = createError<[string]>('CICS_START', '%s', 400);
export const ReqidInUse = createError<[string]>(
  'CICS_REQID_INUSE',
  'a START of REQID %s waits or runs already: give another X-CICS-Reqid, or none for one of the region',
  409,
);

export interface CicsReply {
  readonly status: number;
  readonly resp: string;
  readonly resp2: number;
  readonly abcode: string | null;
  /** Seconds the caller should wait before trying again (Retry-After). */
  readonly retryAfter?: number;
}

/** error code → what the caller hears. Fastify's own codes for bodies it refuses are here too. */
export const REPLIES: Readonly<Record<string, CicsReply>> = {
  CICS_TRANSIDERR: { status: 404, resp: 'TRANSIDERR', resp2: 0, abcode: 'AEI1' },
  CICS_TRANSIDERR_NAME: { status: 404, resp: 'TRANSIDERR', resp2: 0, abcode: 'AEI1' },
  CICS_DISABLED: { status: 503, resp: 'DISABLED', resp2: 0, abcode: null },
  CICS_LENGERR_LONG: { status: 413, resp: 'LENGERR', resp2: 12, abcode: 'AEIV' },
  CICS_LENGERR_SHORT: { status: 400, resp: 'LENGERR', resp2: 11, abcode: 'AEIV' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, resp: 'LENGERR', resp2: 12, abcode: 'AEIV' },
  CICS_INVREQ: { status: 400, resp: 'INVREQ', resp2: 1, abcode: 'AEIP' },
  FST_ERR_VALIDATION: { status: 400, resp: 'INVREQ', resp2: 1, abcode: 'AEIP' },
  CICS_CCSID: { status: 400, resp: 'INVREQ', resp2: 2, abcode: null },
  CICS_JOBNAME: { status: 400, resp: 'INVREQ', resp2: 3, abcode: null },
  CICS_MEDIA_TYPE: { status: 415, resp: 'INVREQ', resp2: 4, abcode: null },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, resp: 'INVREQ', resp2: 4, abcode: null },
  CICS_KEY: { status: 400, resp: 'INVREQ', resp2: 6, abcode: null },
  CICS_KEY_MISMATCH: { status: 422, resp: 'INVREQ', resp2: 7, abcode: null },
  CICS_KEY_BUSY: { status: 409, resp: 'INVREQ', resp2: 8, abcode: null, retryAfter: 1 },
  CICS_NOTFND: { status: 404, resp: 'NOTFND', resp2: 0, abcode: null },
  CICS_NOTSHOWN: { status: 422, resp: 'INVREQ', resp2: 6, abcode: null },
  CICS_SYSIDERR: { status: 503, resp: 'SYSIDERR', resp2: 0, abcode: null, retryAfter: 1 },
  CICS_NOTAUTH_NONE: { status: 401, resp: 'NOTAUTH', resp2: 1, abcode: 'AEY7' },
  CICS_NOTAUTH: { status: 401, resp: 'NOTAUTH', resp2: 2, abcode: 'AEY7' },
  CICS_NOTAUTH_THROTTLED: { status: 429, resp: 'NOTAUTH', resp2: 3, abcode: 'AEY7', retryAfter: 60 },
  CICS_NOTAUTH_BUSY: { status: 503, resp: 'NOTAUTH', resp2: 4, abcode: 'AEY7', retryAfter: 1 },
  CICS_NOTAUTH_TRAN: { status: 403, resp: 'NOTAUTH', resp2: 101, abcode: 'AEY7' },
  CICS_NOTAUTH_ADMIN: { status: 403, resp: 'NOTAUTH', resp2: 102, abcode: 'AEY7' },
  CICS_NOTAUTH_SURROGATE: { status: 403, resp: 'NOTAUTH', resp2: 103, abcode: 'AEY7' },
  CICS_NOTAUTH_CROSSSITE: { status: 403, resp: 'NOTAUTH', resp2: 104, abcode: null },
  CICS_USERID: { status: 400, resp: 'USERIDERR', resp2: 8, abcode: null },
  CICS_RATE: { status: 429, resp: 'INVREQ', resp2: 5, abcode: null },
  CICS_NOSPACE: { status: 503, resp: 'NOSPACE', resp2: 0, abcode: null, retryAfter: 30 },
  CICS_AKCC: { status: 503, resp: 'INVREQ', resp2: 0, abcode: 'AKCC', retryAfter: 1 },
  CICS_AICA: { status: 500, resp: 'INVREQ', resp2: 0, abcode: 'AICA' },
  CICS_ASRA: { status: 500, resp: 'INVREQ', resp2: 0, abcode: 'ASRA' },
  CICS_PGMIDERR: { status: 404, resp: 'PGMIDERR', resp2: 0, abcode: null },
  CICS_NEWCOPY: { status: 409, resp: 'INVREQ', resp2: 6, abcode: null },
  CICS_START: { status: 400, resp: 'INVREQ', resp2: 7, abcode: null },
  CICS_REQID_INUSE: { status: 409, resp: 'INVREQ', resp2: 8, abcode: null },
};

const UNEXPECTED: CicsReply = { status: 500, resp: 'INVREQ', resp2: 0, abcode: 'ASRA' };

/** What the caller hears for an error that ended a request; an error may say its own Retry-After. */
export function cicsReplyOf(err: { code?: string; statusCode?: number; retryAfter?: number }): CicsReply {
  const known = err.code !== undefined ? REPLIES[err.code] : undefined;
  if (known) return err.retryAfter !== undefined ? { ...known, retryAfter: err.retryAfter } : known;
  // Other 4xx from fastify (a malformed request line, a bad header): the request's fault.
  if (err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500) {
    return { status: err.statusCode, resp: 'INVREQ', resp2: 0, abcode: null };
  }
  return UNEXPECTED;
}

/** A task that ended without its COMMAREA, as an error for the reply path. */
export function errorOfResult(result: Exclude<TaskResult, { kind: 'normal' }>): Error & { code: string } {
  if (result.kind === 'abend') {
    if (result.abcode === 'AKCC') return new TaskPurged(result.message);
    return result.abcode === 'AICA' ? new TaskTimedOut(result.message) : new ProgramFailed(result.message);
  }
  switch (result.condition) {
    case 'LENGERR':
      return new CommareaShort(result.message);
    case 'NOSPACE':
      return new JournalFull(result.message);
    case 'INVREQ':
      return new RequestInvalid(result.message);
  }
}
