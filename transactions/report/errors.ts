// What can be wrong with a report: stable codes (they become the mail's reason, RC 8,
// docs/reasons.md) and a message that names the option, record or byte at fault.
import { CONTROL_OR_C1 } from '../../cics/characters.js';

export const REPORT_CODES = {
  /** RECFM= or LRECL= is not a record format or length. */
  BADRECFM: 'RECFM= or LRECL= is not a record format or length the region reads',
  /** The data does not fit its record format: not a multiple of LRECL, a bad RDW, a record past LRECL, too many lines. */
  BADRECS: 'the report data does not fit its RECFM and LRECL (length, RDW, record size, too many lines)',
  /** A carriage control character or byte that is not ASA or machine code. */
  BADCTL: 'a record whose carriage control is not ASA or machine code, as its RECFM says',
  /** FORMAT= or one of its options (ORIENTATION, PAPER, FONTSIZE, MARGIN, SEPARATOR, INDEX) is wrong. */
  BADRPTOP: 'FORMAT= or a report option (ORIENTATION, PAPER, FONTSIZE, MARGIN, SEPARATOR, INDEX) is wrong',
  /** The rendered report would be larger than its data allows (render-limit.ts): 1 MiB and 16 bytes a byte of data. */
  RPTSIZE: 'the rendered report is larger than its data allows (1 MiB and 16 bytes a byte of data)',
} as const;

export type ReportCode = keyof typeof REPORT_CODES;

export interface ReportFailure {
  readonly code: ReportCode;
  readonly message: string;
}

export const reportFailure = (code: ReportCode, message: string): ReportFailure => ({ code, message });

export const isReportFailure = (value: unknown): value is ReportFailure =>
  typeof value === 'object' && value !== null && 'code' in value && 'message' in value && !('filename' in value);

/** Caller text quoted in a message, cut short and with controls shown as `?`. */
export function shown(value: string, max = 20): string {
  const clean = value.replace(new RegExp(CONTROL_OR_C1.source, 'g'), '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}
