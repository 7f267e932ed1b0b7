// Errors of copybooks and of the records laid out by them. Both carry a stable `code`.

/** A copybook that cannot be read: names the line and column. A definition error. */
export class CopybookError extends Error {
  readonly code = 'CICS_COPYBOOK_SYNTAX';
  constructor(
    readonly source: string,
    readonly line: number,
    readonly column: number,
    reason: string,
  ) {
    super(`${source}:${line}:${column}: ${reason}`);
    this.name = 'CopybookError';
  }
}

export type FieldProblem =
  /** The record ends before the item does. */
  | 'short'
  /** A packed or zoned digit or sign that is not valid. */
  | 'bad-number'
  /** A value outside what the PIC or OCCURS allows. */
  | 'out-of-range'
  /** A character the code page cannot hold, or a value of the wrong type. */
  | 'bad-value';

/** A record whose bytes (or values) do not fit its layout: names the item and why. */
export class FieldError extends Error {
  readonly code = 'CICS_FIELD';
  constructor(
    readonly field: string,
    readonly problem: FieldProblem,
    reason: string,
  ) {
    super(`${field}: ${reason}`);
    this.name = 'FieldError';
  }
}
