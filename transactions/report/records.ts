// Records of a report: fixed (F) records of LRECL bytes, variable (V) records after their
// RDWs, or lines; each with its carriage control byte split off (where RECFM says A or M)
// and its trailing blanks dropped, as a printer would not show them.
import type { CodePage } from '../../cics/codepages.js';
import { textLines } from '../../cics/text-lines.js';
import { reportFailure, type ReportFailure } from './errors.js';

export type Control = 'none' | 'asa' | 'machine';

export interface RecordFormat {
  /** As written, upper case: `FBA`. */
  readonly recfm: string;
  /** F: fixed records of LRECL bytes; V: each record after its 4-byte RDW. */
  readonly kind: 'F' | 'V';
  readonly control: Control;
  /** F: the record length; V: the longest record, RDW included. None: F records are the data's lines. */
  readonly lrecl?: number;
}

export interface ReportRecord {
  /** The carriage control byte in EBCDIC (ASA `1` is x'F1'), or -1 where the format has none. */
  readonly control: number;
  /** The rest of the record, decoded, without trailing blanks. */
  readonly text: string;
}

/** The longest fixed record (and, less its RDW, variable one) a data set may hold. */
export const MAX_LRECL = 32_760;

/** More records than this (a 32 MB container of LRECL=1) is refused rather than laid out. */
export const MAX_RECORDS = 1_000_000;

/** An ASA blank: single space (a record with no byte left for its control, after trimming). */
const ASA_BLANK = 0x40;
/** Machine code x'09': write, then space one line. */
const MACHINE_WRITE = 0x09;

const hex = (n: number, digits: number) => n.toString(16).toUpperCase().padStart(digits, '0');
const count = (n: number) => n.toLocaleString('en-US');

function trimEnd(s: string): string {
  let end = s.length;
  while (end > 0 && s.charCodeAt(end - 1) === 0x20) end--;
  return end === s.length ? s : s.slice(0, end);
}

function tooMany(): ReportFailure {
  return reportFailure('BADRECS', `more than ${count(MAX_RECORDS)} records`);
}

/** The records of data set bytes in EBCDIC. F without LRECL: the data's lines (NL, LF) are its records. */
export function recordsOfBytes(bytes: Uint8Array, format: RecordFormat, cp: CodePage): ReportRecord[] | ReportFailure {
  if (format.kind === 'F' && format.lrecl === undefined) return recordsOfLines(textLines(cp.decode(bytes)), format, cp);
  // One decode for the whole data: an EBCDIC code page is one character a byte, so the
  // text's offsets are the bytes' offsets.
  const text = cp.decode(bytes);
  if (text.length !== bytes.length)
    throw new Error(`code page ${cp.ccsid} decoded ${bytes.length} bytes to ${text.length} characters`);
  const cc = format.control === 'none' ? 0 : 1;
  const records: ReportRecord[] = [];
  const push = (start: number, end: number) => {
    const control =
      cc === 0 ? -1 : start < end ? (bytes[start] as number) : format.control === 'asa' ? ASA_BLANK : MACHINE_WRITE;
    records.push({ control, text: trimEnd(text.slice(Math.min(start + cc, end), end)) });
  };
  if (format.kind === 'F') {
    const lrecl = format.lrecl as number;
    if (bytes.length % lrecl !== 0)
      return reportFailure(
        'BADRECS',
        `${count(bytes.length)} bytes of RECFM=${format.recfm} data are not a multiple of LRECL=${lrecl} (${count(Math.floor(bytes.length / lrecl))} records and ${bytes.length % lrecl} bytes)`,
      );
    if (bytes.length / lrecl > MAX_RECORDS) return tooMany();
    for (let at = 0; at < bytes.length; at += lrecl) push(at, at + lrecl);
    return records;
  }
  let at = 0;
  while (at < bytes.length) {
    const n = records.length + 1;
    const where = `record ${count(n)} at byte ${count(at)}`;
    if (bytes.length - at < 4)
      return reportFailure('BADRECS', `${where}: the RDW is cut short, ${bytes.length - at} bytes left`);
    const length = ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
    const flags = ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number);
    const rdw = `RDW x'${hex(length, 4)}${hex(flags, 4)}'`;
    if (flags !== 0)
      return reportFailure('BADRECS', `${where}: ${rdw} has its last two bytes set (spanned records are not read)`);
    if (length < 4)
      return reportFailure('BADRECS', `${where}: ${rdw} gives a length of ${length}, less than its own 4`);
    if (format.lrecl !== undefined && length > format.lrecl)
      return reportFailure('BADRECS', `${where}: ${rdw} gives ${length} bytes, more than LRECL=${format.lrecl}`);
    if (at + length > bytes.length)
      return reportFailure('BADRECS', `${where}: ${rdw} gives ${length} bytes, only ${bytes.length - at} are left`);
    if (records.length === MAX_RECORDS) return tooMany();
    push(at + 4, at + length);
    at += length;
  }
  return records;
}

const reverseMaps = new Map<number, ReadonlyMap<string, number>>();

/** Character → EBCDIC byte of a code page, to find a line's control byte again. */
function bytesOf(cp: CodePage): ReadonlyMap<string, number> {
  let map = reverseMaps.get(cp.ccsid);
  if (!map) {
    const m = new Map<string, number>();
    for (let b = 255; b >= 0; b--) m.set(cp.chars[b] as string, b);
    reverseMaps.set(cp.ccsid, (map = m));
  }
  return map;
}

/**
 * The records of text already cut into lines (a SEND ATTACH block, a container without
 * LRECL): each line a record; with RECFM=F and LRECL, a longer line is cut into records
 * of LRECL characters, as records written without line ends.
 */
export function recordsOfLines(
  lines: readonly string[],
  format: RecordFormat | undefined,
  cp: CodePage,
): ReportRecord[] | ReportFailure {
  // The line after the last line end is no record.
  const last = lines.length > 0 && lines[lines.length - 1] === '' ? lines.length - 1 : lines.length;
  const cc = format === undefined || format.control === 'none' ? 0 : 1;
  const map = bytesOf(cp);
  const records: ReportRecord[] = [];
  const push = (record: string, n: number): ReportFailure | undefined => {
    if (records.length === MAX_RECORDS) return tooMany();
    if (cc === 0) {
      records.push({ control: -1, text: trimEnd(record) });
      return undefined;
    }
    const first = record[0];
    const control = first === undefined ? (format?.control === 'asa' ? ASA_BLANK : MACHINE_WRITE) : map.get(first);
    if (control === undefined)
      return reportFailure(
        'BADCTL',
        `line ${count(n)}: U+${hex(record.charCodeAt(0), 4)} is no character of CCSID ${cp.ccsid}`,
      );
    records.push({ control, text: trimEnd(record.slice(1)) });
    return undefined;
  };
  for (let i = 0; i < last; i++) {
    const line = lines[i] as string;
    const lrecl = format?.lrecl;
    if (lrecl !== undefined && format?.kind === 'V' && line.length > lrecl - 4)
      return reportFailure(
        'BADRECS',
        `line ${count(i + 1)}: ${line.length} characters, more than LRECL=${lrecl} holds after its RDW`,
      );
    if (lrecl === undefined || format?.kind === 'V' || line.length <= lrecl) {
      const failure = push(line, i + 1);
      if (failure) return failure;
      continue;
    }
    for (let at = 0; at < line.length; at += lrecl) {
      const failure = push(line.slice(at, at + lrecl), i + 1);
      if (failure) return failure;
    }
  }
  return records;
}
