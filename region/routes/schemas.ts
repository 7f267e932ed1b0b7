// Schemas that more than one file of routes checks with. Query strings and path parameters
// are text; the region's ajv coerces nothing (a JSON COMMAREA must not be bent), so numbers
// here are checked as digits and converted.

/** A journal record's sequence number or a captured mail's id. */
export const DIGITS = { type: 'string', pattern: '^[0-9]{1,15}$' };

/** How many entries a listing gives at most: 1 to 1000. */
export const LIMIT = { type: 'string', pattern: '^([1-9][0-9]{0,2}|1000)$' };
