// What a command says when a region fails it: the client's message (the region's or the
// network's words) and the flag or variable that fixes it, the same words in every command.
import {
  RegionAnswerInvalid,
  RegionAnswerTooLarge,
  RegionRefused,
  RegionTimedOut,
  RegionUnreachable,
} from '../client/errors.js';

/** What every command says where it has no credentials to give. */
export const GIVE_CREDENTIALS = 'give --user ID:PASSWORD or set CICSMAIL_USER';

/** `error`'s message, with what fixes it where a flag or variable can. */
export function explain(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const { message } = error;
  if (error instanceof RegionTimedOut) return `${message}; --timeout S waits longer`;
  if (error instanceof RegionUnreachable)
    return `${message}; is the region running, and is it the one --url (or CICSMAIL_URL) names?`;
  if (error instanceof RegionAnswerTooLarge || error instanceof RegionAnswerInvalid)
    return `${message}; is --url (or CICSMAIL_URL) a cicsmail region?`;
  if (error instanceof RegionRefused) {
    if (error.status === 401)
      return error.withCredentials
        ? `${message}; check the user id and password of --user (or CICSMAIL_USER)`
        : `${message}; ${GIVE_CREDENTIALS}`;
    if (error.status === 403 && /not an administrator/.test(message))
      return `${message}; --user (or CICSMAIL_USER) must name an administrator`;
  }
  return message;
}
