// The journal's filter as the operators' routes take it (a query string, or the replay's
// body): one schema for its fields, one reading of it.
import { FilterError, MAIL_STATES, parseFilter, type FilterText, type RecordFilter } from '../../journal/query.js';
import { FATES } from '../../journal/states.js';
import { TRANID_ANY_CASE } from '../../cics/names.js';
import { RequestInvalid } from '../errors.js';

export const FILTER_SCHEMA = {
  state: { type: 'string', enum: [...MAIL_STATES] },
  fate: { type: 'string', enum: [...FATES] },
  user: { type: 'string', minLength: 1, maxLength: 64 },
  tranid: { type: 'string', pattern: TRANID_ANY_CASE.source },
  jobname: { type: 'string', minLength: 1, maxLength: 8 },
  recipient: { type: 'string', minLength: 1, maxLength: 254 },
  messageId: { type: 'string', minLength: 1, maxLength: 998 },
  // Longer than a key may be: parseFilter says what is wrong with it, in words.
  key: { type: 'string', minLength: 1, maxLength: 1000 },
  since: { type: 'string', minLength: 1, maxLength: 40 },
  until: { type: 'string', minLength: 1, maxLength: 40 },
};

/**
 * The filter the text asks for, or a 400 saying why it cannot be one. A fate filter reads
 * each recipient's fate now (EXPIRED past the region's window).
 */
export function filterOf(q: FilterText, fateWindowMs: number): RecordFilter {
  try {
    return parseFilter(q, { now: Date.now(), windowMs: fateWindowMs });
  } catch (err) {
    if (err instanceof FilterError) throw new RequestInvalid(`${err.key} ${err.message}`);
    throw err;
  }
}
