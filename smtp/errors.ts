// The one error of the relay client, carrying its failure as data (smtp/delivery.ts). The
// pool turns it into a delivery; nothing outside smtp/ sees it thrown.
import type { SmtpFailure } from './delivery.js';

export class SmtpError extends Error {
  readonly code = 'CICSMAIL_SMTP';
  constructor(
    readonly failure: SmtpFailure,
    /** True where nothing of the current mail was taken: trying it again elsewhere is safe. */
    readonly retryable = false,
  ) {
    super(failure.message);
  }
}

export function smtpError<K extends Exclude<SmtpFailure['kind'], 'reply'>>(kind: K, message: string): SmtpError {
  return new SmtpError({ kind, message });
}
