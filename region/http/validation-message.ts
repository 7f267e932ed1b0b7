// What a caller hears where a JSON body or query does not fit its schema: fastify's own
// words ("body/mc_subject must be string"), except for a property the schema does not have,
// where ajv says only "must NOT have additional properties". That one names the property,
// and the one that was most likely meant: `from` or `MC-FROM` for MAILCA's `mc_from`.
import type { FastifySchemaValidationError } from 'fastify';

/** The schema's own property that `key` most likely means: the same in lower case with `_` for `-`, or with the record's prefix. */
export function meantProperty(key: string, properties: readonly string[]): string | undefined {
  const plain = key.toLowerCase().replaceAll('-', '_');
  if (properties.includes(plain)) return plain;
  const suffixed = properties.filter((p) => p.endsWith(`_${plain}`));
  return suffixed.length === 1 ? suffixed[0] : undefined;
}

function message(e: FastifySchemaValidationError, dataVar: string): string {
  const where = `${dataVar}${e.instancePath || ''}`;
  const extra = (e.params as { additionalProperty?: unknown }).additionalProperty;
  if (e.keyword !== 'additionalProperties' || typeof extra !== 'string') return `${where} ${e.message ?? ''}`;
  const parent = (e as { parentSchema?: { properties?: Record<string, unknown>; description?: unknown } }).parentSchema;
  const properties = Object.keys(parent?.properties ?? {});
  const meant = meantProperty(extra, properties);
  const of =
    typeof parent?.description === 'string' && /^[A-Z0-9-]+$/.test(parent.description)
      ? ` of ${parent.description}`
      : '';
  return (
    `${where} has a property ${JSON.stringify(extra.slice(0, 64))} that is not one${of}` +
    (meant !== undefined
      ? `: did you mean ${JSON.stringify(meant)}?`
      : properties.length > 0 && properties.length <= 40
        ? ` (${properties.join(', ')})`
        : '')
  );
}

/** fastify's schemaErrorFormatter: the errors as one line. */
export function validationMessage(errors: FastifySchemaValidationError[], dataVar: string): Error {
  return new Error(errors.map((e) => message(e, dataVar)).join(', '));
}
