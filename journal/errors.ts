// Errors of the journal, each with a stable code (documented in docs/errors.md).

export type JournalErrorCode =
  /** The journal folder cannot be opened or created. */
  | 'CICSMAIL_JOURNAL_OPEN'
  /** A sequence number that names no record. */
  | 'CICSMAIL_JOURNAL_NO_RECORD';

export class JournalError extends Error {
  constructor(
    readonly code: JournalErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'JournalError';
  }
}
