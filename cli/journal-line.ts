// A journal record as one line of `cicsmail journal list`: its reference (a sequence number,
// or SYSID:seq in a merged view), state, time, user, tranid, recipients, subject, the request
// key it was sent under, and why a DENIED one was refused.
import type { Denial, JournalRecord } from '../journal/record.js';

/** Why a DENIED record was refused: reason, detail, the caller's address, and how often within its minute. */
function denialText(d: Denial): string {
  const count = d.count ?? 1;
  const repeated = count > 1 ? `, ${count} times${d.lastAt ? ` to ${d.lastAt}` : ''}` : '';
  return `${d.reason} ${JSON.stringify(d.detail)} from ${d.remote}${repeated}`;
}

export function recordLine(r: JournalRecord, ref: string): string {
  return [
    ref.padStart(6),
    r.state.padEnd(8),
    r.acceptedAt,
    r.userid.padEnd(8),
    r.tranid.padEnd(4),
    `${r.envelope.to.length} rcpt`,
    JSON.stringify(r.subject),
    ...(r.requestKey !== undefined ? [`key ${r.requestKey}`] : []),
    ...(r.denial ? [denialText(r.denial)] : []),
  ].join('  ');
}
