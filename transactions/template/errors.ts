// Errors of the shop's mail templates, each with a stable code (docs/errors.md). A definition
// error stops the start; a value error is a task's RC 8 (docs/reasons.md), never a throw out
// of the program.

/**
 * A template that cannot be used, named by its file and line (for one written inline: the
 * region file and the line of its string) and its key in the region file:
 * `templates/payslip.html:12: transactions.PAYS.templates.html: column 7: ps_nett is not …`.
 */
export class TemplateDefinitionError extends Error {
  readonly code = 'CICSMAIL_TEMPLATE';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly key: string,
    reason: string,
  ) {
    super(`${file}:${line}: ${key}: ${reason}`);
    this.name = 'TemplateDefinitionError';
  }
}

/**
 * A value a template cannot show as asked: a number past its PIC, a date that is no date
 * (`value`), a control character for a header (`control`).
 */
export class TemplateValueError extends Error {
  readonly code = 'CICSMAIL_TEMPLATE_VALUE';
  constructor(
    reason: string,
    readonly problem: 'value' | 'control' = 'value',
  ) {
    super(reason);
    this.name = 'TemplateValueError';
  }
}
