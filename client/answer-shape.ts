// The shapes of the region's JSON answers that a caller reads field by field (journal pages
// and records, stats, replays), checked before anything is read from them: a region of
// another version, a proxy's page or a broken one must fail the call with what is wrong
// (`records/3/seq must be integer`), never with a TypeError from deep inside a command.
// Properties beyond these are allowed: a newer region may say more.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { RegionAnswerInvalid } from './errors.js';

const ajv = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true });

export interface Shape<T> {
  /** What the answer is, for the message: `GET /journal`. */
  readonly what: string;
  /** The value as T, or RegionAnswerInvalid naming the first thing wrong and the region. */
  check(value: unknown, region: string): T;
}

function problem(e: ErrorObject | undefined): string {
  if (!e) return 'it is not what the region gives';
  const at = e.instancePath === '' ? 'the answer' : e.instancePath.slice(1);
  return `${at} ${e.message ?? 'is wrong'}`;
}

export function shapeOf<T>(what: string, schema: object): Shape<T> {
  const validate: ValidateFunction = ajv.compile(schema);
  return {
    what,
    check(value, region) {
      if (validate(value)) return value as T;
      throw new RegionAnswerInvalid(
        `${what} of the region at ${region} is not what a cicsmail region answers: ${problem(validate.errors?.[0])}`,
      );
    },
  };
}

const text = { type: 'string' } as const;
const count = { type: 'integer', minimum: 0 } as const;
const counts = { type: 'object', additionalProperties: count } as const;

/** A journal record as the merged view, the list's lines and the export read it. */
export const RECORD_SCHEMA = {
  type: 'object',
  required: [
    'seq',
    'acceptedAt',
    'state',
    'userid',
    'jobname',
    'tranid',
    'subject',
    'messageId',
    'envelope',
    'attachments',
    'size',
    'relayReply',
  ],
  properties: {
    seq: { type: 'integer', minimum: 1 },
    sysid: text,
    acceptedAt: text,
    state: { enum: ['ACCEPTED', 'SENT', 'DEFERRED', 'FAILED', 'DENIED'] },
    userid: text,
    jobname: text,
    tranid: text,
    subject: text,
    messageId: text,
    envelope: {
      type: 'object',
      required: ['from', 'to'],
      properties: { from: text, to: { type: 'array', items: text } },
    },
    attachments: count,
    size: count,
    relayReply: { type: ['string', 'null'] },
    denial: {
      type: 'object',
      required: ['reason', 'detail', 'remote'],
      properties: { reason: text, detail: text, remote: text, count: count, lastAt: text },
    },
  },
} as const;

/** GET /journal: a page of records and where the next one starts. */
export const JOURNAL_PAGE_SCHEMA = {
  type: 'object',
  required: ['sysid', 'records', 'next'],
  properties: {
    sysid: text,
    records: { type: 'array', items: RECORD_SCHEMA },
    next: { type: ['integer', 'null'], minimum: 1 },
  },
} as const;

/** GET /journal/stats. */
export const STATS_SCHEMA = {
  type: 'object',
  required: ['records', 'byState', 'byTranid', 'bytes'],
  properties: { records: count, byState: counts, byTranid: counts, bytes: count },
} as const;

/** POST /journal/replay in mode redeliver. */
export const REPLAY_SCHEMA = {
  type: 'object',
  required: ['sysid', 'results'],
  properties: {
    sysid: text,
    results: {
      type: 'array',
      items: {
        type: 'object',
        required: ['seq', 'messageId', 'recipients'],
        properties: {
          seq: { type: 'integer', minimum: 1 },
          messageId: text,
          recipients: { type: 'array', items: text },
          outcome: { enum: ['sent', 'deferred', 'failed'] },
          reply: text,
        },
      },
    },
  },
} as const;
