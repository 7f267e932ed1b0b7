// Where a report's lines go on paper: orientation, font size and lines a sheet, from the
// options and the report's widest line and longest page. Courier is 0.6 em wide.
import type { Page } from './carriage.js';
import { PAPER_SIZE, type Orientation, type ReportOptions } from './options.js';

/** Courier's advance, in em. */
export const CHAR_WIDTH = 0.6;
/** Line height, in em. */
export const LEADING = 1.1;
const LARGEST = 10;
const SMALLEST = 4;
/** Pages longer than this are not shrunk to fit a sheet: they go on over the next. */
const FIT_LINES = 100;

export interface Layout {
  readonly orientation: Orientation;
  /** Points. */
  readonly width: number;
  readonly height: number;
  readonly fontSize: number;
  readonly leading: number;
  readonly linesPerSheet: number;
}

function widest(pages: readonly Page[]): number {
  let max = 0;
  for (const page of pages)
    for (const line of page) {
      if (line.text.length > max) max = line.text.length;
      for (const over of line.over ?? []) if (over.length > max) max = over.length;
    }
  return max;
}

const fits = (room: number, units: number, em: number) => room / Math.max(units, 1) / em;

export function layoutOf(pages: readonly Page[], options: ReportOptions): Layout {
  const columns = widest(pages);
  const tallest = pages.reduce((max, page) => Math.max(max, page.length), 0);
  const [short, long] = PAPER_SIZE[options.paper];
  const m = options.margin;
  // Landscape where portrait would need a font under 7 points for the widest line.
  const orientation = options.orientation ?? (fits(short - 2 * m, columns, CHAR_WIDTH) < 7 ? 'landscape' : 'portrait');
  const [width, height] = orientation === 'portrait' ? [short, long] : [long, short];
  let fontSize = options.fontSize;
  if (fontSize === undefined) {
    let size = Math.min(LARGEST, fits(width - 2 * m, columns, CHAR_WIDTH));
    if (tallest <= FIT_LINES) size = Math.min(size, fits(height - 2 * m, tallest, LEADING));
    fontSize = Math.max(SMALLEST, Math.floor(size * 10) / 10);
  }
  const leading = fontSize * LEADING;
  return {
    orientation,
    width,
    height,
    fontSize,
    leading,
    linesPerSheet: Math.max(1, Math.floor((height - 2 * m) / leading + 1e-9)),
  };
}
