// A report attachment: data set records (bytes, or lines already cut) with their record
// format and carriage control, rendered as TXT, HTML, PDF or CSV, and zipped where asked;
// named with the right extension and MIME type.
import type { CodePage } from '../../cics/codepages.js';
import { textLines } from '../../cics/text-lines.js';
import type { Attachment } from '../mail/compose.js';
import { paginate, type Page } from './carriage.js';
import { reportFailure, shown, type ReportFailure } from './errors.js';
import type { OutputFormat, ReportOptions } from './options.js';
import { recordsOfBytes, recordsOfLines, type ReportRecord } from './records.js';
import { renderHtml } from './render-html.js';
import { renderLimit, tooBig } from './render-limit.js';
import { renderPdf, type PdfTooBig } from './render-pdf.js';
import { renderCsv, renderText } from './render-text.js';
import { zipOne } from './zip.js';

export { readReportOptions, contentTypeParams, REPORT_KEYS, type ReportOptions } from './options.js';
export { isReportFailure, REPORT_CODES, type ReportCode, type ReportFailure } from './errors.js';

/** The data: EBCDIC bytes as a data set holds them, or lines already decoded (a SEND ATTACH block). */
export type ReportInput = { readonly bytes: Uint8Array } | { readonly lines: readonly string[] };

const FORMAT_FILE: Readonly<Record<OutputFormat | 'zip', { ext: string; type: string }>> = {
  txt: { ext: 'txt', type: 'text/plain' },
  html: { ext: 'html', type: 'text/html' },
  pdf: { ext: 'pdf', type: 'application/pdf' },
  csv: { ext: 'csv', type: 'text/csv' },
  zip: { ext: 'zip', type: 'application/zip' },
};
// Extensions a report's name may have that its format replaces; any other is kept (PAYROLL.D240131).
const REPLACED = /\.(txt|text|lst|list|prt|rpt|out|log|csv|html?|pdf|zip|sysout)$/i;

/** The name with the extension of the format: `report.lst` → `report.pdf`, `PAYROLL.D240131` → `PAYROLL.D240131.pdf`. */
export function reportName(name: string, ext: string): string {
  const base = name.replace(REPLACED, '');
  return `${base === '' ? 'report' : base}.${ext}`;
}

/** The MIME type an attachment with these options goes out as. */
export function reportType(options: ReportOptions): string {
  return FORMAT_FILE[options.zip ? 'zip' : options.format].type;
}

export interface ReportRequest {
  /** The attachment's name as given; empty: `report`. */
  readonly name: string;
  readonly input: ReportInput;
  readonly options: ReportOptions;
  /** The code page of the data. */
  readonly cp: CodePage;
  /** The mail's date: the PDF's and the ZIP entry's. */
  readonly date: Date;
  /** A MIME type the caller gave (TYPE=): it must be the format's. */
  readonly type?: string;
}

export function makeReport({ name, input, options, cp, date, type }: ReportRequest): Attachment | ReportFailure {
  const expected = reportType(options);
  if (type !== undefined && type.toLowerCase() !== expected)
    return reportFailure(
      'BADRPTOP',
      `TYPE=${shown(type, 40)} is not the ${expected} of FORMAT=${options.zip ? 'ZIP/' : ''}${options.format.toUpperCase()}`,
    );
  const records: ReportRecord[] | ReportFailure =
    'bytes' in input
      ? options.records
        ? recordsOfBytes(input.bytes, options.records, cp)
        : recordsOfLines(textLines(cp.decode(input.bytes)), undefined, cp)
      : recordsOfLines(input.lines, options.records, cp);
  if (!Array.isArray(records)) return records;
  const pages = paginate(records, options.records?.control ?? 'none');
  if (!Array.isArray(pages)) return pages;
  const file = FORMAT_FILE[options.format];
  const filename = reportName(name, file.ext);
  const dataBytes = sizeOf(input);
  const content = render(pages, filename, options, date, renderLimit(dataBytes));
  const formatName = options.format.toUpperCase();
  if (typeof content !== 'string' && 'stoppedAt' in content)
    return tooBig(formatName, dataBytes, { page: content.stoppedAt, pages: pages.length });
  const rendered = typeof content === 'string' ? Buffer.byteLength(content, 'utf8') : content.length;
  if (rendered > renderLimit(dataBytes)) return tooBig(formatName, dataBytes);
  if (!options.zip) {
    return {
      filename,
      contentType: file.type,
      content: typeof content === 'string' ? { text: content } : { bytes: content },
    };
  }
  // Text in an archive has CRLF line ends, as the systems that open ZIPs expect.
  const inner = typeof content === 'string' ? content.replaceAll('\n', '\r\n') : content;
  return {
    filename: reportName(name, 'zip'),
    contentType: FORMAT_FILE.zip.type,
    content: { bytes: zipOne(filename, inner, date) },
  };
}

/** The data's size in bytes: a block's lines count with their line ends. */
function sizeOf(input: ReportInput): number {
  if ('bytes' in input) return input.bytes.length;
  let size = 0;
  for (const line of input.lines) size += line.length + 1;
  return size;
}

function render(
  pages: readonly Page[],
  filename: string,
  options: ReportOptions,
  date: Date,
  limit: number,
): string | Buffer | PdfTooBig {
  switch (options.format) {
    case 'txt':
      return renderText(pages);
    case 'csv':
      return renderCsv(pages, options.separator);
    case 'html':
      return renderHtml(pages, filename, options);
    case 'pdf':
      return renderPdf(pages, filename, options, date, limit);
  }
}
