// Bursting: one report split into parts, each mailed on its own (or several to one mail):
// where the page's key changes (BURST=KEY with KEY=, page-key.ts), every n pages
// (BURST=PAGES(n)), every n printed lines (BURST=LINES(n)), or at each page, or line, where
// a given text is printed (BURST=MATCH, line-match.ts). Every page is in exactly one part,
// in order; a page without a key (or a match) stays with the part before it.
import type { Line, Page } from './carriage.js';
import { reportFailure, shown, type ReportFailure } from './errors.js';
import { matchedLine, readLineMatch, type LineMatch } from './line-match.js';
import { lineKey, pageKey, readKeySpec, type KeySpec } from './page-key.js';

export type BurstSpec =
  | { readonly kind: 'key'; readonly key: KeySpec }
  | { readonly kind: 'pages'; readonly every: number }
  | { readonly kind: 'lines'; readonly every: number }
  | {
      readonly kind: 'match';
      readonly match: LineMatch;
      /** MATCH: a part from the page that holds the line; MATCH(LINE): from the line itself. */
      readonly at: 'page' | 'line';
      /** KEY=n-m: the key is these columns of the matching line; none: the whole line. */
      readonly columns?: { readonly from: number; readonly to: number };
    };

export interface Burst {
  readonly spec: BurstSpec;
  /** COMBINE=YES: the parts for the same recipients go in one mail. */
  readonly combine: boolean;
}

export interface BurstPart {
  /** 1-based. */
  readonly index: number;
  /** The pages' key (BURST=KEY), or the part's number. */
  readonly key: string;
  /** The report's pages the part holds, 1-based: a part cut by lines may share its first and last with its neighbours. */
  readonly firstPage: number;
  readonly lastPage: number;
  readonly pages: readonly Page[];
  /** Printed lines: the part's share of the report's rendered size is in proportion to them. */
  readonly lines: number;
}

export const BURST_KEYS = ['BURST', 'KEY', 'MATCH', 'MATCHCOL', 'COMBINE'];
/** A report is split into this many parts at most: each is a mail, sent within the task's time. */
export const MAX_PARTS = 1000;

const EVERY = /^(PAGES|LINES)\((\d{1,7})\)$/;
const MATCH_AT = /^MATCH(?:\((PAGE|LINE)\))?$/;

/** BURST=, KEY= and COMBINE= as given, or undefined where there is no BURST=. */
export function readBurst(params: ReadonlyMap<string, string>): Burst | ReportFailure | undefined {
  const text = params.get('BURST');
  const bad = (message: string) => reportFailure('BADRPTOP', message);
  if (text === undefined) {
    for (const key of ['KEY', 'MATCH', 'MATCHCOL', 'COMBINE'])
      if (params.has(key)) return bad(`${key}= goes with BURST=`);
    return undefined;
  }
  const upper = text.toUpperCase();
  const keyText = params.get('KEY');
  const matchAt = MATCH_AT.exec(upper);
  let spec: BurstSpec;
  if (matchAt) {
    const match = readLineMatch(params.get('MATCH'), params.get('MATCHCOL'));
    if ('code' in match) return match;
    const at = matchAt[1] === 'LINE' ? 'line' : 'page';
    if (keyText === undefined) spec = { kind: 'match', match, at };
    else {
      const key = readKeySpec('KEY', keyText);
      if ('code' in key) return key;
      if (key.kind !== 'columns' || key.line !== undefined)
        return bad(`KEY=${shown(keyText)}: with BURST=MATCH the key is columns n-m of the matching line`);
      spec = { kind: 'match', match, at, columns: { from: key.from, to: key.to } };
    }
  } else if (upper === 'KEY') {
    if (keyText === undefined)
      return bad('BURST=KEY needs KEY=, where on the page the key is (KEY=TITLE, 2-9, 3/10-30)');
    const key = readKeySpec('KEY', keyText);
    if ('code' in key) return key;
    spec = { kind: 'key', key };
  } else {
    const m = EVERY.exec(upper);
    const every = m ? Number(m[2]) : 0;
    if (!m || every < 1)
      return bad(`BURST=${shown(text)} is not KEY, MATCH, MATCH(LINE), PAGES(n) or LINES(n) with n from 1`);
    if (keyText !== undefined) return bad('KEY= goes with BURST=KEY or BURST=MATCH');
    spec = { kind: m[1] === 'PAGES' ? 'pages' : 'lines', every };
  }
  if (spec.kind !== 'match')
    for (const key of ['MATCH', 'MATCHCOL']) if (params.has(key)) return bad(`${key}= goes with BURST=MATCH`);
  const combineText = (params.get('COMBINE') ?? 'NO').toUpperCase();
  if (combineText !== 'YES' && combineText !== 'NO') return bad(`COMBINE=${shown(combineText)} is YES or NO`);
  return { spec, combine: combineText === 'YES' };
}

/** The parts of a report, or BADRPTOP where there would be more than MAX_PARTS. */
export function burstPages(pages: readonly Page[], spec: BurstSpec): BurstPart[] | ReportFailure {
  const parts: BurstPart[] = [];
  let open: { key: string; firstPage: number; lastPage: number; pages: Page[]; lines: number } | undefined;
  const close = () => {
    if (open) parts.push({ index: parts.length + 1, ...open });
    open = undefined;
  };
  // No key: the part's number, once the part before is closed.
  const start = (key: string | undefined, page: number) => {
    close();
    open = { key: key ?? String(parts.length + 1), firstPage: page, lastPage: page, pages: [], lines: 0 };
  };
  const add = (page: Page, number: number) => {
    if (!open) start(undefined, number);
    const o = open as NonNullable<typeof open>;
    o.pages.push(page);
    o.lines += page.length;
    o.lastPage = number;
  };
  for (let p = 0; p < pages.length; p++) {
    const page = pages[p] as Page;
    const number = p + 1;
    if (spec.kind === 'key') {
      const key = pageKey(page, spec.key);
      if (open === undefined || (key !== '' && key !== open.key)) start(key, number);
      add(page, number);
    } else if (spec.kind === 'match') {
      matchPage(page, number, spec, start, add);
    } else if (spec.kind === 'pages') {
      if (open === undefined || open.pages.length === spec.every) start(undefined, number);
      add(page, number);
    } else {
      // A page is cut where a part reaches its lines; the rest of it opens the next part.
      let at = 0;
      do {
        if (open === undefined || open.lines === spec.every) start(undefined, number);
        const o = open as NonNullable<typeof open>;
        const take = Math.min(spec.every - o.lines, page.length - at);
        // A page that fits whole is the page itself, not a copy of it.
        add(take === page.length ? page : page.slice(at, at + take), number);
        at += take;
      } while (at < page.length);
    }
    if (parts.length >= MAX_PARTS)
      return reportFailure('BADRPTOP', `BURST= makes more than ${MAX_PARTS.toLocaleString('en-US')} parts`);
  }
  close();
  return parts;
}

/**
 * BURST=MATCH: a part from the page that holds a matching line (its first such line is the
 * key), or with MATCH(LINE) from each matching line, the page cut there. A page is added
 * whole where it is not cut (no copy, as LINES(n)); pages before the first match make a
 * part of their own, known by its number.
 */
function matchPage(
  page: Page,
  number: number,
  spec: Extract<BurstSpec, { kind: 'match' }>,
  start: (key: string | undefined, page: number) => void,
  add: (page: Page, number: number) => void,
): void {
  const keyOf = (text: string) => lineKey(text, spec.columns);
  if (spec.at === 'page') {
    for (const line of page) {
      const text = matchedLine(line, spec.match);
      if (text === undefined) continue;
      start(keyOf(text) || undefined, number);
      break;
    }
    add(page, number);
    return;
  }
  let from = 0;
  for (let i = 0; i < page.length; i++) {
    const text = matchedLine(page[i] as Line, spec.match);
    if (text === undefined) continue;
    if (i > from) add(page.slice(from, i), number);
    start(keyOf(text) || undefined, number);
    from = i;
  }
  add(from === 0 ? page : page.slice(from), number);
}

/** A part's file name: the report's, its key (or number) before the extension: `PAYROLL.0042`. */
export function partName(name: string, part: BurstPart): string {
  const safe = part.key
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40);
  return `${name.replace(/\.[A-Za-z0-9]{1,8}$/, '') || 'report'}.${safe || String(part.index)}`;
}
