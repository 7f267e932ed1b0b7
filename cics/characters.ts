// The kinds of characters that input is checked for, in every layer alike.

/** C0 controls and DEL: never in a header, an envelope address or a password. */
export const CONTROL = /[\x00-\x1f\x7f]/;

/**
 * C0 controls, DEL and the C1 controls (U+0080–U+009F, what EBCDIC's own controls decode
 * to): never in a field of a COMMAREA, a statement or an address.
 */
export const CONTROL_OR_C1 = /[\x00-\x1f\x7f-\x9f]/;

/** Text of ASCII only. */
export const ASCII = /^[\x00-\x7f]*$/;
