// A START request on POST /cics/{TRANID}: the transaction runs later, as EXEC CICS START
// INTERVAL(hhmmss) or TIME(hhmmss) has it, rather than now. Read from the request's headers
// (X-CICS-Start-Interval, X-CICS-Start-Time, X-CICS-Reqid); when it falls due is reckoned as
// CICS reckons it, in the region's local time.
import type { FastifyRequest } from 'fastify';
import { NAME8, NAME8_RULE } from '../../cics/names.js';
import { StartInvalid } from '../errors.js';

export type StartWhen = { readonly kind: 'interval' | 'time'; readonly hhmmss: string };

export interface StartAsked {
  readonly when: StartWhen;
  /** The REQID the caller chose; the region makes one where none is given. */
  readonly reqid?: string;
}

/** A TIME up to this long past is due at once; further past, it is the next day's (as CICS has it). */
export const TIME_EXPIRED_MS = 6 * 3600_000;

const HHMMSS = /^\d{1,6}$/;

/** The START `request` asks for, or null where it asks to run now; StartInvalid where it asks wrongly. */
export function startAsked(request: FastifyRequest): StartAsked | null {
  const header = (name: string) => {
    const value = request.headers[name];
    return value === undefined ? undefined : String(value).trim();
  };
  const interval = header('x-cics-start-interval');
  const time = header('x-cics-start-time');
  const reqid = header('x-cics-reqid');
  if (interval === undefined && time === undefined) {
    if (reqid !== undefined)
      throw new StartInvalid('X-CICS-Reqid names a START: give X-CICS-Start-Interval or X-CICS-Start-Time with it');
    return null;
  }
  if (interval !== undefined && time !== undefined)
    throw new StartInvalid('give X-CICS-Start-Interval or X-CICS-Start-Time, not both');
  const when: StartWhen =
    interval !== undefined ? { kind: 'interval', hhmmss: interval } : { kind: 'time', hhmmss: time as string };
  checkWhen(when);
  if (reqid === undefined) return { when };
  const id = reqid.toUpperCase();
  if (!NAME8.test(id)) throw new StartInvalid(`X-CICS-Reqid '${shown(reqid)}' is not ${NAME8_RULE}`);
  return { when, reqid: id };
}

const shown = (text: string) => text.slice(0, 20).replace(/[^\x20-\x7e]/g, '?');

function checkWhen(when: StartWhen): void {
  const name = when.kind === 'interval' ? 'X-CICS-Start-Interval' : 'X-CICS-Start-Time';
  if (!HHMMSS.test(when.hhmmss)) throw new StartInvalid(`${name} '${shown(when.hhmmss)}' is not hhmmss: 1 to 6 digits`);
  const { hh, mm, ss } = parts(when.hhmmss);
  if (mm > 59 || ss > 59) throw new StartInvalid(`${name} ${when.hhmmss}: minutes and seconds are 00 to 59`);
  if (when.kind === 'time' && hh > 23)
    throw new StartInvalid(`${name} ${when.hhmmss}: a time of day's hours are 00 to 23`);
}

function parts(hhmmss: string): { hh: number; mm: number; ss: number } {
  const digits = hhmmss.padStart(6, '0');
  return { hh: Number(digits.slice(0, 2)), mm: Number(digits.slice(2, 4)), ss: Number(digits.slice(4, 6)) };
}

/**
 * When a START falls due (epoch ms), asked at `now`: INTERVAL after now (hh up to 99); TIME
 * the next time of day it names in the region's local time, or now where that time passed
 * at most six hours ago (CICS's rule: a TIME further past is tomorrow's).
 */
export function dueAt(when: StartWhen, now: number): number {
  const { hh, mm, ss } = parts(when.hhmmss);
  if (when.kind === 'interval') return now + ((hh * 60 + mm) * 60 + ss) * 1000;
  const today = new Date(now);
  today.setHours(hh, mm, ss, 0);
  const at = today.getTime();
  if (at >= now) return at;
  if (now - at <= TIME_EXPIRED_MS) return now;
  const tomorrow = new Date(now);
  // setDate, not + 24 h: a day across a change of summer time is 23 or 25 hours.
  tomorrow.setDate(tomorrow.getDate() + 1);
  tomorrow.setHours(hh, mm, ss, 0);
  return tomorrow.getTime();
}
