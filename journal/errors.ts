// Errors of the journal, each with a stable code (documented in docs/errors.md).

export type JournalErrorCode =
  /** The journal folder cannot be opened or created. */
  | 'CICSMAIL_JOURNAL_OPEN'
  /** A sequence number that names no record. */
  | 'CICSMAIL_JOURNAL_NO_RECORD'
  /** The disk (or quota) holding the journal is full: nothing was written. */
  | 'CICSMAIL_JOURNAL_FULL'
  /** A write failed for another reason (an I/O error): nothing was written. */
  | 'CICSMAIL_JOURNAL_WRITE'
  /** Verify was asked for while records written before the indexes are still being indexed. */
  | 'CICSMAIL_JOURNAL_INDEXING';

export class JournalError extends Error {
  constructor(
    readonly code: JournalErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'JournalError';
  }
}
