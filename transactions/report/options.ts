// The options of a report, as a SEND ATTACH statement (RECFM=FBA LRECL=133 FORMAT=ZIP/PDF)
// or a channel part's Content-Type parameters (`text/plain; recfm=FBA; lrecl=133;
// format=zip/pdf`) give them: checked once, every wrong one refused with what is wrong.
import { reportFailure, shown, type ReportFailure } from './errors.js';
import { MAX_LRECL, type Control, type RecordFormat } from './records.js';
import { BURST_KEYS, readBurst, type Burst } from './burst.js';
import { readKeySpec, type KeySpec } from './page-key.js';
import { PROTECTION_KEYS, readProtection, type Protection } from './protection.js';

export type OutputFormat = 'txt' | 'html' | 'pdf' | 'csv' | 'xlsx';
export type Orientation = 'portrait' | 'landscape';
export type Paper = 'a4' | 'letter';

export interface ReportOptions {
  /** How the data is cut into records; none: its lines are the records, without carriage control. */
  readonly records?: RecordFormat;
  readonly format: OutputFormat;
  /** The rendered report goes inside a ZIP archive. */
  readonly zip: boolean;
  /** None: landscape where the widest line would not fit portrait. */
  readonly orientation?: Orientation;
  readonly paper: Paper;
  /** Points; none: the largest (up to 10) at which the lines fit. */
  readonly fontSize?: number;
  /** Points, on every side. */
  readonly margin: number;
  /** CSV and XLSX: what separates the report's fields (and the CSV's). */
  readonly separator: string;
  /** PDF: bookmarks from each page's key, where the key changes. */
  readonly index?: KeySpec;
  /** Passwords and a PDF's permissions (protection.ts). */
  readonly protection?: Protection;
  /** Split into parts (burst.ts). */
  readonly burst?: Burst;
}

/** The option keywords, in the order the docs list them. */
export const REPORT_KEYS = [
  'RECFM',
  'LRECL',
  'FORMAT',
  'ORIENTATION',
  'PAPER',
  'FONTSIZE',
  'MARGIN',
  'SEPARATOR',
  'INDEX',
  ...PROTECTION_KEYS,
  ...BURST_KEYS,
];

/** Width and height in points, portrait. */
export const PAPER_SIZE: Readonly<Record<Paper, readonly [number, number]>> = {
  a4: [595.28, 841.89],
  letter: [612, 792],
};

export const DEFAULT_MARGIN = 28.35; // 10 mm
const SEPARATOR_NAMES: Readonly<Record<string, string>> = { TAB: '\t', COMMA: ',', SEMICOLON: ';', PIPE: '|' };
const RECFM = /^([FV])(B?)([AM]?)$/;
const FORMATS: Readonly<Record<string, OutputFormat>> = {
  TXT: 'txt',
  TEXT: 'txt',
  HTML: 'html',
  PDF: 'pdf',
  CSV: 'csv',
  XLSX: 'xlsx',
};
const PAGE_KEYS = ['ORIENTATION', 'PAPER', 'FONTSIZE', 'MARGIN'];

const upper = (s: string) => s.replace(/[a-z]+/g, (m) => m.toUpperCase());

/**
 * The report options among `params` (keys upper case), or undefined where none of
 * REPORT_KEYS is there (the attachment is no report). Keys that are not report options
 * are not looked at: the caller checks its own.
 */
export function readReportOptions(params: ReadonlyMap<string, string>): ReportOptions | ReportFailure | undefined {
  if (!REPORT_KEYS.some((k) => params.has(k))) return undefined;
  const bad = (message: string) => reportFailure('BADRPTOP', message);
  const records = readRecords(params.get('RECFM'), params.get('LRECL'));
  if (records !== undefined && 'code' in records) return records;

  const formatText = params.get('FORMAT') ?? 'TXT';
  const parts = upper(formatText).split('/');
  const zip = parts[0] === 'ZIP';
  if (zip) parts.shift();
  const inner = parts.length === 0 ? 'TXT' : parts.length === 1 ? (parts[0] as string) : '';
  const format = FORMATS[inner];
  if (format === undefined)
    return bad(`FORMAT=${shown(formatText)} is not TXT, HTML, PDF, CSV, XLSX, ZIP or ZIP/ with one of them`);

  for (const key of PAGE_KEYS)
    if (params.has(key) && format !== 'pdf' && format !== 'html')
      return bad(`${key}= is for FORMAT=PDF or HTML, not ${upper(formatText)}`);
  if (params.has('SEPARATOR') && format !== 'csv' && format !== 'xlsx')
    return bad(`SEPARATOR= is for FORMAT=CSV or XLSX, not ${upper(formatText)}`);

  let orientation: Orientation | undefined;
  const orientationText = params.get('ORIENTATION');
  if (orientationText !== undefined) {
    const o = upper(orientationText);
    if (o !== 'PORTRAIT' && o !== 'LANDSCAPE')
      return bad(`ORIENTATION=${shown(orientationText)} is not PORTRAIT or LANDSCAPE`);
    orientation = o === 'PORTRAIT' ? 'portrait' : 'landscape';
  }
  const paperText = params.get('PAPER') ?? 'A4';
  const paper = upper(paperText) === 'A4' ? 'a4' : upper(paperText) === 'LETTER' ? 'letter' : undefined;
  if (paper === undefined) return bad(`PAPER=${shown(paperText)} is not A4 or LETTER`);

  let fontSize: number | undefined;
  const sizeText = params.get('FONTSIZE');
  if (sizeText !== undefined) {
    fontSize = /^\d{1,2}(\.\d{1,2})?$/.test(sizeText) ? Number(sizeText) : NaN;
    if (!(fontSize >= 4 && fontSize <= 36)) return bad(`FONTSIZE=${shown(sizeText)} is not a size of 4 to 36 points`);
  }
  let margin = DEFAULT_MARGIN;
  const marginText = params.get('MARGIN');
  if (marginText !== undefined) {
    const m = /^(\d{1,3}(?:\.\d{1,2})?)(PT|MM|IN)?$/.exec(upper(marginText));
    const [short] = PAPER_SIZE[paper];
    const points = m ? Number(m[1]) * (m[2] === 'MM' ? 72 / 25.4 : m[2] === 'IN' ? 72 : 1) : NaN;
    if (!(points >= 0)) return bad(`MARGIN=${shown(marginText)} is not a length (36, 36pt, 10mm, 0.5in)`);
    if (short - 2 * points < 72)
      return bad(`MARGIN=${shown(marginText)} leaves less than an inch of ${upper(paperText)} paper to print on`);
    margin = points;
  }
  let separator = ',';
  const separatorText = params.get('SEPARATOR');
  if (separatorText !== undefined) {
    const named = SEPARATOR_NAMES[upper(separatorText)];
    if (named !== undefined) separator = named;
    else if (/^[\x21-\x7e]$/.test(separatorText) && separatorText !== '"') separator = separatorText;
    else
      return bad(
        `SEPARATOR=${shown(separatorText)} is not one printable character other than a quote, or TAB, COMMA, SEMICOLON, PIPE`,
      );
  }
  let index: KeySpec | undefined;
  const indexText = params.get('INDEX');
  if (indexText !== undefined) {
    if (format !== 'pdf') return bad(`INDEX= is for FORMAT=PDF, not ${upper(formatText)}`);
    const spec = readKeySpec('INDEX', indexText);
    if ('code' in spec) return spec;
    index = spec;
  }
  const protection = readProtection(params, format, zip, upper(formatText));
  if (protection !== undefined && 'code' in protection) return protection;
  const burst = readBurst(params);
  if (burst !== undefined && 'code' in burst) return burst;
  return {
    ...(records ? { records } : {}),
    format,
    zip,
    ...(orientation ? { orientation } : {}),
    paper,
    ...(fontSize !== undefined ? { fontSize } : {}),
    margin,
    separator,
    ...(index ? { index } : {}),
    ...(protection ? { protection } : {}),
    ...(burst ? { burst } : {}),
  };
}

function readRecords(
  recfmText: string | undefined,
  lreclText: string | undefined,
): RecordFormat | ReportFailure | undefined {
  const bad = (message: string) => reportFailure('BADRECFM', message);
  if (recfmText === undefined)
    return lreclText === undefined ? undefined : bad(`LRECL=${shown(lreclText)} without RECFM=`);
  const recfm = upper(recfmText);
  const m = RECFM.exec(recfm);
  if (!m) return bad(`RECFM=${shown(recfmText)} is not F, FB, V or VB, with A (ASA) or M (machine) control or none`);
  const kind = m[1] as 'F' | 'V';
  const control: Control = m[3] === 'A' ? 'asa' : m[3] === 'M' ? 'machine' : 'none';
  if (lreclText === undefined) return { recfm, kind, control };
  const min = (kind === 'V' ? 5 : 1) + (control === 'none' ? 0 : 1);
  const max = kind === 'V' ? MAX_LRECL - 4 : MAX_LRECL;
  const lrecl = /^\d{1,6}$/.test(lreclText) ? Number(lreclText) : NaN;
  if (!(lrecl >= min && lrecl <= max))
    return bad(`LRECL=${shown(lreclText)}: RECFM=${recfm} takes LRECL=${min} to ${max}`);
  return { recfm, kind, control, lrecl };
}

/**
 * The parameters of a Content-Type value (`text/plain; charset=ibm-037; recfm=FBA`) by
 * upper-case name, values unquoted; a string where a report parameter comes twice or a
 * quoted value is not closed. Other parameters given twice keep their first value.
 */
export function contentTypeParams(value: string): Map<string, string> | string {
  const params = new Map<string, string>();
  const semi = value.indexOf(';');
  let i = semi === -1 ? value.length : semi + 1;
  while (i < value.length) {
    const eq = value.indexOf('=', i);
    const next = value.indexOf(';', i);
    if (eq === -1 || (next !== -1 && next < eq)) {
      // A parameter without a value is none of the report's: left alone, as before reports.
      i = next === -1 ? value.length : next + 1;
      continue;
    }
    const key = upper(value.slice(i, eq).trim());
    let j = eq + 1;
    while (value[j] === ' ') j++;
    let v: string;
    if (value[j] === '"') {
      const close = value.indexOf('"', j + 1);
      if (close === -1) return `the quoted value of Content-Type parameter ${shown(key)} is not closed`;
      v = value.slice(j + 1, close);
      const after = value.indexOf(';', close);
      i = after === -1 ? value.length : after + 1;
    } else {
      const end = value.indexOf(';', j);
      v = value.slice(j, end === -1 ? undefined : end).trim();
      i = end === -1 ? value.length : end + 1;
    }
    if (params.has(key)) {
      if (REPORT_KEYS.includes(key)) return `the Content-Type parameter ${key.toLowerCase()} comes twice`;
      continue;
    }
    params.set(key, v);
  }
  return params;
}
