// What a /cics request asks for, read from its path, headers and body, with the checks a
// task must pass before it is dispatched: the tranid and its definition, the caller's
// right to run it, the journal's room, the code page, the jobname, the COMMAREA (bytes or
// JSON view) and a channel's containers. Each refusal is an error of errors.ts.
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseCcsid, SUPPORTED_CCSIDS } from '../../cics/codepages.js';
import { MAX_COMMAREA, type CommareaInput, type Container } from '../../cics/task.js';
import type { UserRecord } from '../../users/users-file.js';
import type { DefinitionTable, TransactionDefinition } from '../definitions.js';
import {
  CcsidUnknown,
  CommareaTooLong,
  JobnameInvalid,
  JournalFull,
  RequestInvalid,
  TranidInvalid,
  TransactionDisabled,
  TransactionUnknown,
} from '../errors.js';
import type { RoomWatch } from '../../journal/room.js';
import { boundaryOf, MultipartError, parseFormData } from '../http/multipart.js';
import { parseJson } from '../http/json-body.js';
import type { RegionSecurity } from '../security/region-security.js';
import { TRANID } from '../../cics/names.js';
import type { RequestKeyRef } from '../../cics/request-key.js';
import { requestKeyOf } from './request-key.js';
import { keyInBody } from './keys-in-body.js';

/** A task as the request asks for it, checked and ready to dispatch. */
export interface PendingTask {
  readonly definition: TransactionDefinition;
  /** The user it runs for (a surrogate's, where an administrator named one). */
  readonly caller: UserRecord;
  readonly ccsid: number;
  /** X-CICS-Jobname, upper case; '' where none was given. */
  readonly jobname: string;
  readonly commarea: CommareaInput;
  readonly containers: readonly Container[];
  /** The request key (Idempotency-Key), where the request has one. */
  readonly requestKey?: RequestKeyRef;
  /** X-Mail-From-Mail: the mail of its input a text transaction (SEND, SPOL) starts at. */
  readonly fromMail?: number;
}

/** What the checks read: the region's services. */
export interface TaskChecks {
  readonly definitions: DefinitionTable;
  readonly security: RegionSecurity;
  readonly room: RoomWatch;
  /** The region's code page, for a request that names none. */
  readonly ccsid: number;
}

const JOBNAME = /^[\x21-\x7e]{1,8}$/;
/** The header that says where a SEND or SPOL goes on (its answer's restart point). */
const FROM_MAIL = 'x-mail-from-mail';
/** A whole number from 1, no longer than any input could make it. */
const MAIL_NUMBER = /^[1-9]\d{0,8}$/;
// CICS container names: 1 to 16 characters.
const CONTAINER = /^[\x21-\x7e]{1,16}$/;

/**
 * The task `request` asks for under `name` (its tranid as given), or the refusal as an
 * error. X-CICS-Tranid goes on the answer as soon as the name is one.
 */
export function pendingTaskOf(
  request: FastifyRequest,
  reply: FastifyReply,
  name: string,
  checks: TaskChecks,
): PendingTask {
  const tranid = name.toUpperCase();
  if (!TRANID.test(tranid)) throw new TranidInvalid(name.slice(0, 40));
  void reply.header('X-CICS-Tranid', tranid);
  const definition = checks.definitions.get(tranid);
  if (!definition) throw new TransactionUnknown(tranid);
  const caller = checks.security.checkTransaction(request, tranid);
  if (!definition.enabled) throw new TransactionDisabled(tranid);
  const noRoom = checks.room.refusal;
  if (noRoom !== undefined) throw new JournalFull(noRoom);
  const ccsid = ccsidOf(request, checks.ccsid);
  const jobHeader = request.headers['x-cics-jobname'];
  const jobname = jobHeader === undefined ? '' : String(jobHeader).toUpperCase();
  if (jobHeader !== undefined && !JOBNAME.test(jobname)) throw new JobnameInvalid(jobname.slice(0, 20));
  const { commarea, containers } = commareaOf(request, ccsid);
  if (commarea.form === 'bytes' && commarea.bytes.length > MAX_COMMAREA)
    throw new CommareaTooLong(commarea.bytes.length);
  const fromMail = fromMailOf(request);
  const asked = { tranid, userid: caller.id, ccsid, commarea, containers, ...(fromMail ? { fromMail } : {}) };
  const requestKey = requestKeyOf(request, asked, keyInBody(definition, commarea, containers, ccsid));
  return {
    definition,
    caller,
    ccsid,
    jobname,
    commarea,
    containers,
    ...(requestKey ? { requestKey } : {}),
    ...(fromMail ? { fromMail } : {}),
  };
}

/** X-Mail-From-Mail, where given: 1 (the input's first mail) or more; 1 is as if not given. */
function fromMailOf(request: FastifyRequest): number | undefined {
  const header = request.headers[FROM_MAIL];
  if (header === undefined) return undefined;
  const text = String(header).trim();
  if (!MAIL_NUMBER.test(text))
    throw new RequestInvalid(
      `X-Mail-From-Mail '${text.slice(0, 20).replace(/[^\x20-\x7e]/g, '?')}' is not a mail's number (1 the input's first)`,
    );
  const n = Number(text);
  return n === 1 ? undefined : n;
}

/** The body as the content type parsers left it: a buffer (bytes, or a channel to read), or parsed JSON. */
function commareaOf(request: FastifyRequest, ccsid: number): { commarea: CommareaInput; containers: Container[] } {
  const contentType = String(request.headers['content-type'] ?? '');
  if (/^multipart\/form-data\b/i.test(contentType) && Buffer.isBuffer(request.body))
    return readChannel(request.body, contentType, ccsid);
  if (Buffer.isBuffer(request.body) || request.body === undefined)
    return { commarea: { form: 'bytes', bytes: request.body ?? Buffer.alloc(0) }, containers: [] };
  return { commarea: { form: 'json', json: request.body }, containers: [] };
}

function ccsidOf(request: FastifyRequest, fallback: number): number {
  const header = request.headers['x-cics-ccsid'];
  if (header === undefined) return fallback;
  const text = String(header);
  const parsed = parseCcsid(text);
  if (parsed === undefined) throw new CcsidUnknown(text.slice(0, 20), SUPPORTED_CCSIDS.join(', '));
  return parsed;
}

/** The COMMAREA and containers of a multipart/form-data channel. */
function readChannel(
  body: Buffer,
  contentType: string,
  ccsid: number,
): { commarea: CommareaInput; containers: Container[] } {
  let parts;
  try {
    parts = parseFormData(body, boundaryOf(contentType));
  } catch (err) {
    if (err instanceof MultipartError) throw new RequestInvalid(`the channel cannot be read: ${err.message}`);
    throw err;
  }
  let commarea: CommareaInput | undefined;
  const containers: Container[] = [];
  const names = new Set<string>();
  for (const part of parts) {
    const type = part.contentType || 'application/octet-stream';
    if (part.name === 'DFHCOMMAREA') {
      if (commarea) throw new RequestInvalid('the channel has DFHCOMMAREA twice: which one is the COMMAREA?');
      commarea = /^application\/json\b/i.test(type)
        ? { form: 'json', json: parseJson(part.data.toString('utf8'), 'the DFHCOMMAREA part') }
        : { form: 'bytes', bytes: part.data };
      continue;
    }
    if (!CONTAINER.test(part.name))
      throw new RequestInvalid(`container name '${part.name.slice(0, 20)}' is not 1 to 16 printable characters`);
    if (names.has(part.name)) throw new RequestInvalid(`container ${part.name} comes twice`);
    names.add(part.name);
    const char = /^text\//i.test(type);
    let partCcsid = ccsid;
    const charset = /;\s*charset="?([^";\s]+)"?/i.exec(type)?.[1];
    if (char && charset !== undefined) {
      const parsed = parseCcsid(charset);
      if (parsed === undefined)
        throw new RequestInvalid(
          `container ${part.name}: charset ${charset} is not an EBCDIC code page (ibm-NNN or cpNNN: ${SUPPORTED_CCSIDS.join(', ')})`,
        );
      partCcsid = parsed;
    }
    containers.push({
      name: part.name,
      kind: char ? 'char' : 'bit',
      ccsid: partCcsid,
      contentType: type,
      filename: part.filename,
      data: part.data,
    });
  }
  return { commarea: commarea ?? { form: 'bytes', bytes: new Uint8Array(0) }, containers };
}
