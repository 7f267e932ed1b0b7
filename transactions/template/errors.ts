// Errors of the shop's mail templates, each with a stable code (docs/errors.md). A definition
// error stops the start; a value error is a task's RC 8 (docs/reasons.md), never a throw out
// of the program.

/** A template that cannot be used: names the file (or the region file's key), line, column and why. */
export class TemplateDefinitionError extends Error {
  readonly code = 'CICSMAIL_TEMPLATE';
  constructor(
    /** The template's file, or `region.json: transactions.PAYS.templates.subject` for one written inline. */
    readonly source: string,
    readonly line: number,
    readonly column: number,
    reason: string,
  ) {
    super(`${source}:${line}:${column}: ${reason}`);
    this.name = 'TemplateDefinitionError';
  }
}

/** A value a filter cannot show as asked (a number past its PIC, a date that is no date). */
export class TemplateValueError extends Error {
  readonly code = 'CICSMAIL_TEMPLATE_VALUE';
  constructor(reason: string) {
    super(reason);
    this.name = 'TemplateValueError';
  }
}
