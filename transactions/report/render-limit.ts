// How large a rendered report may grow: in proportion to its data, with room for the fixed
// cost of a small one. Every format's bytes grow with the data, but not by the same
// factor: a PDF sheet costs some 400 bytes whatever is on it, so a report of new pages
// alone (ASA `1`, two bytes a record) grew 200-fold (40 KB of data, a 12.7 MB mail).
import { reportFailure, type ReportFailure } from './errors.js';

/** Bytes any report may render to, whatever its size. */
export const RENDER_FLOOR = 1 << 20;
/** Bytes of rendered report a byte of data may add to the floor. */
export const RENDER_RATIO = 16;

const count = (n: number) => n.toLocaleString('en-US');

/** The most bytes a report of `dataBytes` bytes of data may render to. */
export const renderLimit = (dataBytes: number): number => RENDER_FLOOR + RENDER_RATIO * dataBytes;

/** RPTSIZE: the rendering passed its limit (at `page` of `pages`, where it was stopped early). */
export function tooBig(
  format: string,
  dataBytes: number,
  at?: { readonly page: number; readonly pages: number },
): ReportFailure {
  const where = at ? ` at page ${count(at.page)} of ${count(at.pages)}` : '';
  return reportFailure(
    'RPTSIZE',
    `as ${format} the report passes ${count(renderLimit(dataBytes))} bytes${where}, the limit for ${count(dataBytes)} bytes of data (1 MiB and ${RENDER_RATIO} bytes a byte of data)`,
  );
}
