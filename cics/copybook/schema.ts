// The JSON Schema a record's JSON view implies (json.ts): requests are validated with it
// and it is what the OpenAPI document shows for each transaction with a copybook.
import type { Item, RecordLayout } from './layout.js';

export type JsonSchema = { [key: string]: unknown };

const DECIMAL = '^\\s*[+-]?(\\d+(\\.\\d*)?|\\.\\d+)\\s*$';

function itemSchema(item: Item, countsOptional: ReadonlySet<string>): JsonSchema {
  if (
    item.kind === 'elementary' &&
    item.occurs?.dependingOn &&
    item.picture.category === 'alphanumeric' &&
    item.size === 1
  ) {
    return {
      type: 'string',
      maxLength: item.occurs.max,
      description: `${item.name}: PIC X OCCURS ${item.occurs.min} TO ${item.occurs.max} DEPENDING ON ${item.occurs.dependingOn}`,
    };
  }
  let one: JsonSchema;
  if (item.kind === 'group') {
    one = groupSchema(item.children, countsOptional, item.name);
  } else if (item.picture.category === 'alphanumeric') {
    const conditions = item.conditions.map((c) => `${c.name} ${JSON.stringify(c.values)}`).join(', ');
    const description = `${item.name}: PIC ${item.picture.source}${conditions ? ` (88: ${conditions})` : ''}`;
    one = { type: 'string', maxLength: item.size, description };
  } else {
    const limit = 10 ** item.picture.length / 10 ** Math.max(0, item.picture.scale);
    const usage =
      item.usage === 'display'
        ? 'DISPLAY'
        : item.usage === 'packed'
          ? 'COMP-3'
          : item.usage === 'binary'
            ? 'COMP'
            : 'COMP-5';
    one = {
      anyOf: [
        {
          type: 'number',
          ...(item.usage === 'comp-5'
            ? {}
            : { exclusiveMaximum: limit, exclusiveMinimum: item.picture.signed ? -limit : -1 }),
        },
        { type: 'string', pattern: DECIMAL },
      ],
      description: `${item.name}: PIC ${item.picture.source} ${usage}`,
    };
  }
  if (!item.occurs) return one;
  return {
    type: 'array',
    maxItems: item.occurs.max,
    ...(item.occurs.dependingOn ? { minItems: item.occurs.min } : {}),
    items: one,
  };
}

function groupSchema(children: readonly Item[], countsOptional: ReadonlySet<string>, name: string): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const child of children) {
    if (child.name === 'FILLER' || child.redefines !== undefined) continue;
    properties[child.jsonName] = itemSchema(child, countsOptional);
  }
  return { type: 'object', additionalProperties: false, properties, description: name };
}

/** Every property optional (missing ones are blanks, zeros or VALUE), none unknown. */
export function jsonSchemaOf(layout: RecordLayout): JsonSchema {
  const counts = new Set<string>();
  for (const item of layout.items.values()) if (item.occurs?.dependingOn) counts.add(item.occurs.dependingOn);
  return groupSchema(layout.root.children, counts, layout.root.name);
}
