// The request key of a /cics request: from the Idempotency-Key header or from the request
// itself (keys-in-body.ts), checked, and with the digest of what the request asks, so that
// a repeat can be told from a different request under the same key.
import { createHash, type Hash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import {
  printableKey,
  REQUEST_KEY,
  REQUEST_KEY_RULE,
  requestKeyId,
  type RequestKeyRef,
} from '../../cics/request-key.js';
import type { CommareaInput, Container } from '../../cics/task.js';
import { KeyInvalid } from '../errors.js';

const KEY_HEADER = 'idempotency-key';

/** What the request asks, as the digest reads it. */
export interface AskedTask {
  readonly tranid: string;
  readonly userid: string;
  readonly ccsid: number;
  readonly commarea: CommareaInput;
  readonly containers: readonly Container[];
  /** X-Mail-From-Mail: a request that starts further on in its input asks something else. */
  readonly fromMail?: number;
}

/**
 * The request's key, or undefined where it has none. `inBody` is the key the request
 * itself holds (MAILCA's MC-KEY, SEND's KEY, SPOL's header), where it holds one: it must
 * agree with the header where both are given.
 */
export function requestKeyOf(
  request: FastifyRequest,
  task: AskedTask,
  inBody: string | undefined,
): RequestKeyRef | undefined {
  // Node joins a header sent twice with ', ', which no key holds: refused as not a key.
  const header = request.headers[KEY_HEADER];
  // RFC 8941 sf-string: the draft's form is the key in double quotes; a bare token is taken too.
  const fromHeader = header === undefined ? undefined : unquoted(String(header));
  if (fromHeader !== undefined && inBody !== undefined && fromHeader !== inBody)
    throw new KeyInvalid(`Idempotency-Key '${fromHeader.slice(0, 64)}' and the request's own key '${inBody}' differ`);
  const key = fromHeader ?? inBody;
  if (key === undefined) return undefined;
  if (!REQUEST_KEY.test(key)) throw new KeyInvalid(`request key '${printableKey(key)}' is not ${REQUEST_KEY_RULE}`);
  return { id: requestKeyId(task.userid, task.tranid, key), key, digest: digestOf(task) };
}

function unquoted(value: string): string {
  const trimmed = value.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
}

/** SHA-256 over the tranid, the code page, the COMMAREA and every container, each part length-prefixed. */
export function digestOf(task: AskedTask): string {
  const hash = createHash('sha256');
  part(hash, task.tranid);
  part(hash, String(task.ccsid));
  if (task.commarea.form === 'bytes') {
    part(hash, 'bytes');
    part(hash, task.commarea.bytes);
  } else {
    part(hash, 'json');
    part(hash, canonicalJson(task.commarea.json));
  }
  for (const c of task.containers) {
    for (const text of [c.name, c.kind, String(c.ccsid), c.contentType, c.filename ?? '']) part(hash, text);
    part(hash, c.data);
  }
  // Only where given, so that the digests of requests without it stay as they were.
  if (task.fromMail !== undefined) part(hash, `from mail ${task.fromMail}`);
  return hash.digest('hex');
}

function part(hash: Hash, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.byteLength);
  hash.update(length);
  hash.update(bytes);
}

/**
 * JSON with every object's members in name order: the same view sent twice is the same
 * request, whatever its order. (Integer-like names come first, in number order, as the
 * engine keeps them: the same for both.)
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_name, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
