// The filters a COBOL shop's templates need beside Liquid's own: numbers edited by a PIC,
// dates from the forms records keep them in, blanks trimmed. docs/transactions.md lists them.
//   {{ ps_net_pay | pic: '$$$,$$9.99CR' }}   {{ ps_pay_date | yyyymmdd | date: '%d %B %Y' }}
//   {{ ps_hire_date | yyddd }}               {{ ps_name | squish }}
import { cobolDate, type DateForm } from './cobol-dates.js';
import { decimalOf, editNumber, parseEditPicture, PictureError, type EditPicture } from './edit-picture.js';
import { TemplateValueError } from './errors.js';

export type Filter = (value: unknown, ...args: unknown[]) => unknown;

/** Filters whose arguments are checked when the template is loaded (check.ts). */
export const DATE_FILTERS: Readonly<Record<string, DateForm>> = {
  yyyymmdd: 'YYYYMMDD',
  yymmdd: 'YYMMDD',
  yyddd: 'YYDDD',
  yyyyddd: 'YYYYDDD',
  cyyddd: 'CYYDDD',
};

/** Two-digit years fall in the hundred years from this one (a template may name another). */
export function windowStartOf(arg: unknown): number | string {
  if (arg === undefined) return 1950;
  return typeof arg === 'number' && Number.isInteger(arg) && arg >= 1000 && arg <= 9900
    ? arg
    : `the first year of the century window must be a whole number from 1000 to 9900, not ${shown(arg)}`;
}

/** A value quoted in a message: short, controls shown as `?`. */
export function shown(value: unknown): string {
  const text = typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
  const clean = text.replace(/[\x00-\x1f\x7f-\x9f]/g, '?');
  return clean.length > 40 ? `${clean.slice(0, 40)}...` : clean;
}

// Blanks and LOW-VALUES (x'00'), which a record holds where nothing was moved. Scanned by
// hand: `/[ ]+$/` tries each blank of a long run in turn, which is quadratic.
const isBlank = (code: number) => code === 0x20 || code === 0x00;

export function trimBlanks(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isBlank(text.charCodeAt(start))) start++;
  while (end > start && isBlank(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/** Trimmed, and each run of blanks inside made one blank. */
export function squishBlanks(text: string): string {
  return trimBlanks(text).replace(/[ \u0000]+/g, ' ');
}

/** The widest alphanumeric picture: a COMMAREA's length. */
const MAX_TEXT_WIDTH = 32_763;

/** The characters of an alphanumeric picture (`X(24)`, `XXX`, `A(3)`), or null for another. */
export function alphanumericWidth(picture: string): number | null {
  const text = picture.trim();
  if (!/^(?:[XA](?:\(\d+\))?)+$/i.test(text)) return null;
  let n = 0;
  for (const m of text.matchAll(/[XA](?:\((\d+)\))?/gi)) {
    const count = m[1] === undefined ? 1 : Number(m[1]);
    if (count < 1) throw new PictureError(picture, 'a repeat count must be at least 1');
    n += count;
  }
  if (n > MAX_TEXT_WIDTH) throw new PictureError(picture, `longer than ${MAX_TEXT_WIDTH} characters`);
  return n;
}

/** Text as MOVE leaves it in a PIC X(n) item: left-justified, padded with blanks, cut on the right. */
function moveText(value: unknown, width: number): string {
  const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
  if (text === null) throw new TemplateValueError(`${shown(value)} is not text for PIC X(${width})`);
  const chars = [...text];
  return chars.length >= width ? chars.slice(0, width).join('') : text + ' '.repeat(width - chars.length);
}

/** A picture cache the size of a region's templates: a picture made from data is not kept. */
const PICTURE_CACHE_SIZE = 512;

/** A set of filters with its own cache of pictures (one per engine, so per worker). */
export function cobolFilters(): Record<string, Filter> {
  const pictures = new Map<string, EditPicture>();
  const pictureOf = (source: string): EditPicture => {
    let pic = pictures.get(source);
    if (!pic) {
      pic = parseEditPicture(source);
      if (pictures.size < PICTURE_CACHE_SIZE) pictures.set(source, pic);
    }
    return pic;
  };
  const filters: Record<string, Filter> = {
    pic(value, picture) {
      if (typeof picture !== 'string')
        throw new TemplateValueError(`pic needs a picture string, not ${shown(picture)}`);
      const width = alphanumericWidth(picture);
      if (width !== null) return moveText(value, width);
      const pic = pictureOf(picture);
      const d = decimalOf(value);
      if (!d) throw new TemplateValueError(`${shown(value)} is not a number for PIC ${picture}`);
      const r = editNumber(d, pic);
      if (!r.ok) throw new TemplateValueError(r.reason);
      return r.text;
    },
    trim(value) {
      return typeof value === 'string' ? trimBlanks(value) : value;
    },
    squish(value) {
      return typeof value === 'string' ? squishBlanks(value) : value;
    },
  };
  for (const [name, form] of Object.entries(DATE_FILTERS)) {
    filters[name] = (value, window) => {
      const start = windowStartOf(window);
      if (typeof start === 'string') throw new TemplateValueError(`${name}: ${start}`);
      const r = cobolDate(value, form, start);
      if (!r.ok) throw new TemplateValueError(r.reason);
      return r.iso;
    };
  }
  return filters;
}
