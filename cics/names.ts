// CICS names: a tranid is 1 to 4 characters of A-Z 0-9 @ # $; user ids, SYSIDs and
// transaction classes 1 to 8 of the same. People may type them in lower case: the `_ANY_CASE`
// patterns take that (the value is folded to upper case after), for JSON Schemas and URLs.

const CHARS = 'A-Z0-9@#$';
const CHARS_ANY_CASE = 'A-Za-z0-9@#$';

export const TRANID = new RegExp(`^[${CHARS}]{1,4}$`);
export const TRANID_ANY_CASE = new RegExp(`^[${CHARS_ANY_CASE}]{1,4}$`);

/** A user id, SYSID or transaction class. */
export const NAME8 = new RegExp(`^[${CHARS}]{1,8}$`);
export const NAME8_ANY_CASE = new RegExp(`^[${CHARS_ANY_CASE}]{1,8}$`);

/** What the patterns ask for, in words. */
export const NAME8_RULE = '1 to 8 characters of A-Z 0-9 @ # $';
