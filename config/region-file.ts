// The region definition file (CICSMAIL_CONFIG): settings, transaction classes and
// transaction overrides in one JSON file, checked against a schema at start. A bad file
// stops the start with the key and the reason. Environment variables win over its settings.
import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject } from 'ajv';
import { ConfigError } from './errors.js';
import { NAME8, TRANID } from '../cics/names.js';

/** A transaction class's limits (TRANCLASS): MAXACTIVE and PURGETHRESH. */
export interface ClassLimits {
  readonly maxActive: number;
  /** Queued tasks at which a new one is purged; null: never purge (CICS: PURGETHRESH(NO)). */
  readonly purgeThreshold: number | null;
}

export interface TransactionOverride {
  readonly enabled?: boolean;
  readonly class?: string;
  readonly timeLimitMs?: number;
}

export interface RegionFile {
  /** CICSMAIL_* settings, as the environment gives them (the environment wins). */
  readonly settings: Readonly<Record<string, string | number | boolean>>;
  readonly classes: Readonly<Record<string, ClassLimits>>;
  readonly transactions: Readonly<Record<string, TransactionOverride>>;
}

/** The JSON Schema of a class's limits, in the region file and in CEMT SET TRANCLASS alike. */
export const CLASS_LIMITS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['maxActive'],
  properties: {
    maxActive: { type: 'integer', minimum: 1, maximum: 100_000 },
    purgeThreshold: { type: ['integer', 'null'], minimum: 0, maximum: 1_000_000 },
  },
} as const;

const schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    $comment: { type: 'string' },
    settings: {
      type: 'object',
      propertyNames: { pattern: '^CICSMAIL_[A-Z0-9_]+$' },
      additionalProperties: { type: ['string', 'number', 'boolean'] },
    },
    classes: {
      type: 'object',
      propertyNames: { pattern: NAME8.source },
      additionalProperties: CLASS_LIMITS_SCHEMA,
    },
    transactions: {
      type: 'object',
      propertyNames: { pattern: TRANID.source },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          enabled: { type: 'boolean' },
          class: { type: 'string', pattern: NAME8.source },
          timeLimitMs: { type: 'integer', minimum: 10, maximum: 86_400_000 },
        },
      },
    },
  },
} as const;

const validate = new Ajv({ allErrors: false, strict: true, allowUnionTypes: true }).compile(schema);

function keyOf(file: string, e: ErrorObject): string {
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'));
  if (e.keyword === 'additionalProperties')
    path.push(String((e.params as { additionalProperty: string }).additionalProperty));
  if (e.propertyName !== undefined) path.push(e.propertyName);
  return `${file}: ${path.length > 0 ? path.join('.') : '(the whole file)'}`;
}

function reasonOf(e: ErrorObject): string {
  if (e.propertyName !== undefined)
    return 'is not a valid name here (settings: CICSMAIL_…; classes: 1 to 8 of A-Z 0-9 @ # $; transactions: a tranid)';
  switch (e.keyword) {
    case 'additionalProperties':
      return 'is not a key of a region definition file (see docs/config.md)';
    default:
      return e.message ?? e.keyword;
  }
}

export function readRegionFile(file: string): RegionFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('CICSMAIL_CONFIG', `cannot read ${file}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${file}`, `not JSON: ${(err as Error).message}`);
  }
  if (!validate(data)) {
    const e = validate.errors?.[0];
    throw new ConfigError(e ? keyOf(file, e) : file, e ? reasonOf(e) : 'not valid');
  }
  const parsed = data as {
    settings?: RegionFile['settings'];
    classes?: Record<string, { maxActive: number; purgeThreshold?: number | null }>;
    transactions?: RegionFile['transactions'];
  };
  const classes: Record<string, ClassLimits> = {};
  for (const [name, c] of Object.entries(parsed.classes ?? {}))
    classes[name] = { maxActive: c.maxActive, purgeThreshold: c.purgeThreshold ?? null };
  for (const [tranid, t] of Object.entries(parsed.transactions ?? {})) {
    if (t.class !== undefined && !(t.class in classes))
      throw new ConfigError(`${file}: transactions.${tranid}.class`, `class ${t.class} is not defined under classes`);
  }
  return { settings: parsed.settings ?? {}, classes, transactions: parsed.transactions ?? {} };
}
