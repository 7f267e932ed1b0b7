// Dates as COBOL records keep them: YYYYMMDD, YYMMDD, Julian YYDDD and YYYYDDD, and the
// EIB's 0CYYDDD. Each becomes ISO 8601 `YYYY-MM-DD`, which Liquid's `date` filter formats
// further (the engine's dates are UTC, so the day stays the day). A date that is no date
// (month 13, 30 February, day 366 of a common year, zero, blanks) is a refusal naming it.

export type DateResult = { readonly ok: true; readonly iso: string } | { readonly ok: false; readonly reason: string };

/** YY 50-99 are 1950-1999 and YY 00-49 are 2000-2049, unless a template names another first year. */
export const DEFAULT_WINDOW_START = 1950;

export type DateForm = 'YYYYMMDD' | 'YYMMDD' | 'YYDDD' | 'YYYYDDD' | 'CYYDDD';

const WIDTH: Record<DateForm, number> = { YYYYMMDD: 8, YYMMDD: 6, YYDDD: 5, YYYYDDD: 7, CYYDDD: 6 };

/** The digits of a date field: a JSON number (leading zeros lost) or its text. */
function digitsOf(value: unknown, form: DateForm): string | null {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) return null;
    text = String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
    if (!/^\d+$/.test(text)) return null;
  } else return null;
  const width = WIDTH[form];
  // 0CYYDDD as the EIB holds it is seven digits with a leading zero.
  if (form === 'CYYDDD' && text.length === 7 && text.startsWith('0')) text = text.slice(1);
  if (text.length > width) return null;
  return text.padStart(width, '0');
}

function leap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function iso(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

function fromYearDay(year: number, dayOfYear: number, shown: string, form: DateForm): DateResult {
  const days = leap(year) ? 366 : 365;
  if (dayOfYear < 1 || dayOfYear > days)
    return { ok: false, reason: `${shown} is not a ${form} date: day ${dayOfYear} of ${year}, which has ${days}` };
  let month = 0;
  let day = dayOfYear;
  for (;;) {
    const inMonth = (DAYS_IN_MONTH[month] ?? 31) + (month === 1 && leap(year) ? 1 : 0);
    if (day <= inMonth) break;
    day -= inMonth;
    month++;
  }
  return { ok: true, iso: iso(year, month + 1, day) };
}

function fromYearMonthDay(year: number, month: number, day: number, shown: string, form: DateForm): DateResult {
  if (month < 1 || month > 12) return { ok: false, reason: `${shown} is not a ${form} date: month ${month}` };
  const inMonth = (DAYS_IN_MONTH[month - 1] ?? 31) + (month === 2 && leap(year) ? 1 : 0);
  if (day < 1 || day > inMonth)
    return { ok: false, reason: `${shown} is not a ${form} date: day ${day} of month ${month} of ${year}` };
  return { ok: true, iso: iso(year, month, day) };
}

function windowed(yy: number, start: number): number {
  const century = Math.floor(start / 100) * 100;
  const year = century + yy;
  return year < start ? year + 100 : year;
}

/**
 * The ISO date of a date field in `form`. `windowStart`: the first year of the hundred that
 * two-digit years fall in (YYMMDD, YYDDD).
 */
export function cobolDate(value: unknown, form: DateForm, windowStart = DEFAULT_WINDOW_START): DateResult {
  const shown = typeof value === 'string' ? `'${value.slice(0, 20)}'` : String(value);
  const digits = digitsOf(value, form);
  if (digits === null)
    return { ok: false, reason: `${shown} is not a ${form} date: ${WIDTH[form]} digits or fewer expected` };
  const n = (from: number, to: number) => Number(digits.slice(from, to));
  switch (form) {
    case 'YYYYMMDD':
      return fromYearMonthDay(n(0, 4), n(4, 6), n(6, 8), shown, form);
    case 'YYMMDD':
      return fromYearMonthDay(windowed(n(0, 2), windowStart), n(2, 4), n(4, 6), shown, form);
    case 'YYDDD':
      return fromYearDay(windowed(n(0, 2), windowStart), n(2, 5), shown, form);
    case 'YYYYDDD':
      return fromYearDay(n(0, 4), n(4, 7), shown, form);
    case 'CYYDDD':
      return fromYearDay(1900 + 100 * n(0, 1) + n(1, 3), n(3, 6), shown, form);
  }
}
