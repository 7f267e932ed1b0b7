// POST /cics/{TRANID}: a COMMAREA in (bytes, JSON view, or a channel of containers), a
// task run, the COMMAREA out in the form it came (or a RESP).
import rateLimit from '@fastify/rate-limit';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteShorthandOptions } from 'fastify';
import { loggedRequest } from '../../journal/task-log.js';
import { ownMemory, readBody } from '../body.js';
import type { UserRecord } from '../../security/users.js';
import { parseCcsid, SUPPORTED_CCSIDS } from '../../cics/codepages.js';
import { copybook } from '../../cics/copybook/library.js';
import { jsonSchemaOf } from '../../cics/copybook/schema.js';
import { TRANID } from '../definitions.js';
import {
  CcsidUnknown,
  cicsReplyOf,
  CommareaTooLong,
  errorOfResult,
  JobnameInvalid,
  JournalFull,
  RateLimited,
  RequestInvalid,
  TranidInvalid,
  TransactionDisabled,
  TransactionUnknown,
} from '../errors.js';
import { boundaryOf, MultipartError, parseFormData } from '../multipart.js';
import { MAX_COMMAREA, type CommareaInput, type Container } from '../../cics/task.js';

/** A whole channel: COMMAREA and containers (attachments) together. */
export const MAX_CHANNEL = 32 * 1024 * 1024;

const JOBNAME = /^[\x21-\x7e]{1,8}$/;
// CICS container names: 1 to 16 characters.
const CONTAINER = /^[\x21-\x7e]{1,16}$/;

function ccsidOf(request: FastifyRequest, fallback: number): number {
  const header = request.headers['x-cics-ccsid'];
  if (header === undefined) return fallback;
  const text = String(header);
  const parsed = parseCcsid(text);
  if (parsed === undefined) throw new CcsidUnknown(text.slice(0, 20), SUPPORTED_CCSIDS.join(', '));
  return parsed;
}

function parseJson(text: string, what: string): unknown {
  try {
    return text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    throw new RequestInvalid(`${what} is not JSON: ${(err as Error).message}`);
  }
}

/** The COMMAREA and containers of a multipart/form-data channel. */
function readChannel(body: Buffer, contentType: string, ccsid: number): { commarea: CommareaInput; containers: Container[] } {
  let parts;
  try {
    parts = parseFormData(body, boundaryOf(contentType));
  } catch (err) {
    if (err instanceof MultipartError) throw new RequestInvalid(`the channel cannot be read: ${err.message}`);
    throw err;
  }
  let commarea: CommareaInput = { form: 'bytes', bytes: new Uint8Array(0) };
  const containers: Container[] = [];
  const names = new Set<string>();
  for (const part of parts) {
    const type = part.contentType || 'application/octet-stream';
    if (part.name === 'DFHCOMMAREA') {
      commarea = /^application\/json\b/i.test(type)
        ? { form: 'json', json: parseJson(part.data.toString('utf8'), 'the DFHCOMMAREA part') }
        : { form: 'bytes', bytes: part.data };
      continue;
    }
    if (!CONTAINER.test(part.name)) throw new RequestInvalid(`container name '${part.name.slice(0, 20)}' is not 1 to 16 printable characters`);
    if (names.has(part.name)) throw new RequestInvalid(`container ${part.name} comes twice`);
    names.add(part.name);
    const char = /^text\//i.test(type);
    let partCcsid = ccsid;
    const charset = /;\s*charset="?([^";\s]+)"?/i.exec(type)?.[1];
    if (char && charset !== undefined) {
      const parsed = parseCcsid(charset);
      if (parsed === undefined) throw new RequestInvalid(`container ${part.name}: charset ${charset} is not an EBCDIC code page (ibm-NNN or cpNNN: ${SUPPORTED_CCSIDS.join(', ')})`);
      partCcsid = parsed;
    }
    containers.push({ name: part.name, kind: char ? 'char' : 'bit', ccsid: partCcsid, contentType: type, filename: part.filename, data: part.data });
  }
  return { commarea, containers };
}

export async function cicsRoutes(app: FastifyInstance): Promise<void> {
  const { definitions, dispatcher, config, space, journal, security, metrics } = app.region;

  // Every transaction has a user: credentials are checked before the body is read.
  app.addHook('onRequest', security.authenticateTask);
  // Tasks a minute per user, after authentication (the key is the user, not the address).
  await app.register(rateLimit, {
    hook: 'preHandler',
    timeWindow: 60_000,
    keyGenerator: (request) => (request.caller as UserRecord).id,
    allowList: (request) => security.rateLimitOf(request.caller as UserRecord) === 0,
    max: (request) => security.rateLimitOf(request.caller as UserRecord),
    addHeadersOnExceeding: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false },
    addHeaders: { 'x-ratelimit-limit': false, 'x-ratelimit-remaining': false, 'x-ratelimit-reset': false, 'retry-after': true },
    onExceeded: (request) => {
      const caller = request.caller as UserRecord;
      security.audit(request, { tranid: String((request.params as { tranid?: string }).tranid ?? request.url.split('/')[2] ?? '').slice(0, 4).toUpperCase(), userid: caller.id, reason: 'RATE', detail: `more than ${security.rateLimitOf(caller)} tasks a minute` });
    },
    errorResponseBuilder: (request, context) => new RateLimited((request.caller as UserRecord).id, context.max, context.after),
  });

  app.removeAllContentTypeParsers();
  // Bodies are read into a buffer of their own, so that a large channel can move to its worker.
  const body = (request: FastifyRequest, payload: IncomingMessage) => readBody(request, payload, MAX_CHANNEL);
  app.addContentTypeParser('application/octet-stream', body);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJson(String(body), 'the body'));
    } catch (err) {
      done(err as Error, undefined);
    }
  });
  app.addContentTypeParser('multipart/form-data', body);

  async function run(request: FastifyRequest, reply: FastifyReply, name: string) {
    const tranid = name.toUpperCase();
    if (!TRANID.test(tranid)) throw new TranidInvalid(name.slice(0, 40));
    void reply.header('X-CICS-Tranid', tranid);
    const definition = definitions.get(tranid);
    if (!definition) throw new TransactionUnknown(tranid);
    const caller = security.checkTransaction(request, tranid);
    if (!definition.enabled) throw new TransactionDisabled(tranid);
    const noRoom = space.refusal;
    if (noRoom !== undefined) throw new JournalFull(noRoom);
    const ccsid = ccsidOf(request, config.ccsid);
    const jobHeader = request.headers['x-cics-jobname'];
    const jobname = jobHeader === undefined ? '' : String(jobHeader).toUpperCase();
    if (jobHeader !== undefined && !JOBNAME.test(jobname)) throw new JobnameInvalid(jobname.slice(0, 20));

    let commarea: CommareaInput;
    let containers: Container[] = [];
    const contentType = String(request.headers['content-type'] ?? '');
    if (/^multipart\/form-data\b/i.test(contentType) && Buffer.isBuffer(request.body)) {
      ({ commarea, containers } = readChannel(request.body, contentType, ccsid));
    } else if (Buffer.isBuffer(request.body) || request.body === undefined) {
      commarea = { form: 'bytes', bytes: request.body ?? Buffer.alloc(0) };
    } else {
      commarea = { form: 'json', json: request.body };
    }
    if (commarea.form === 'bytes' && commarea.bytes.length > MAX_COMMAREA) throw new CommareaTooLong(commarea.bytes.length);

    // A channel too large for the task log moves to the worker (no copy); the log keeps its shape.
    const logged = loggedRequest(commarea, containers, config.taskLogKeepBytes);
    const memory = !logged.kept && Buffer.isBuffer(request.body) ? ownMemory(request.body) : null;
    const started = new Date();
    const { eib, result } = await dispatcher.run({
      definition,
      commarea,
      containers,
      ccsid,
      userid: caller.id,
      jobname,
      security: security.taskSecurity(caller, request.ip),
      transfer: memory ? [memory] : [],
    });
    void reply.header('X-CICS-Taskn', String(eib.eibtaskn));
    const failure = result.kind === 'normal' ? undefined : errorOfResult(result);
    const answer = failure ? cicsReplyOf(failure) : undefined;
    const durationMs = Date.now() - started.getTime();
    const mailRc = result.kind === 'normal' ? (result.mailRc ?? null) : null;
    metrics.taskEnded({
      tranid,
      resp: answer?.resp ?? 'NORMAL',
      abcode: answer?.abcode ?? null,
      mailRc,
      replies: result.kind === 'normal' ? (result.smtpReplies ?? []) : [],
      seconds: durationMs / 1000,
    });
    // One line a task: who ran what and how it ended; never a body or a password.
    request.log.info({ taskn: eib.eibtaskn, tranid, user: caller.id, jobname: jobname || undefined, rc: mailRc ?? undefined, resp: answer?.resp ?? 'NORMAL', abcode: answer?.abcode ?? undefined, ms: durationMs }, 'task');
    // For redrive; not awaited: the task log is a record for testing, not part of the answer.
    journal.tasks
      .add({
        at: started.toISOString(),
        taskn: eib.eibtaskn,
        tranid,
        userid: eib.eibusrid,
        jobname,
        ccsid,
        commarea: logged.commarea,
        containers: logged.containers,
        outcome: answer ? { kind: 'failed', resp: answer.resp, abcode: answer.abcode } : { kind: 'normal', rc: result.kind === 'normal' ? (result.mailRc ?? null) : null },
        journalSeqs: result.kind === 'normal' ? result.journalSeqs : [],
        durationMs,
      })
      .catch((err: Error) => request.log.warn({ err }, 'journal: the task log could not keep a task'));
    if (result.kind === 'condition' && result.condition === 'NOSPACE') void space.exhausted().catch((err: Error) => request.log.error({ err }, 'journal: cannot read free space'));
    if (failure || result.kind !== 'normal') throw failure;
    void reply.header('X-CICS-Resp', 'NORMAL');
    if (result.journalSeqs.length > 0) void reply.header('X-Journal-Seq', result.journalSeqs.join(','));
    if (result.mailRc !== undefined) void reply.header('X-Mail-RC', String(result.mailRc));
    if (commarea.form === 'json' && result.json) return reply.type('application/json').send(result.json);
    const out = result.commarea;
    return reply.type('application/octet-stream').send(Buffer.from(out.buffer, out.byteOffset, out.byteLength));
  }

  // Transactions with a copybook get a route of their own, so that the JSON view is checked
  // against its schema and the OpenAPI document shows it.
  for (const definition of definitions.all()) {
    if (!definition.copybook) continue;
    const schema = jsonSchemaOf(copybook(definition.copybook));
    const options: RouteShorthandOptions = {
      schema: {
        summary: `run ${definition.tranid}: ${definition.description}`,
        tags: ['transactions'],
        description: `The COMMAREA as application/octet-stream (${definition.copybook} in the request's CCSID), as its JSON view (below), or as multipart/form-data: a part DFHCOMMAREA and containers.`,
        // Only the JSON view is validated by schema; bytes and channels are checked by the copybook.
        body: { content: { 'application/json': { schema } } },
      },
    };
    app.post(`/cics/${definition.tranid}`, options, (request, reply) => run(request, reply, definition.tranid));
  }
  app.post<{ Params: { tranid: string } }>('/cics/:tranid', { schema: { hide: true } }, (request, reply) => run(request, reply, request.params.tranid));
}
