// A report attachment: data set records (bytes, or lines already cut) with their record
// format and carriage control, rendered as TXT, HTML, PDF, CSV or XLSX, and zipped where
// asked; named with the right extension and MIME type.
import type { CodePage } from '../../cics/codepages.js';
import { textLines } from '../../cics/text-lines.js';
import type { Attachment } from '../mail/compose.js';
import { paginate, type Page } from './carriage.js';
import { reportFailure, shown, type ReportFailure } from './errors.js';
import type { OutputFormat, ReportOptions } from './options.js';
import { recordsOfBytes, recordsOfLines, type ReportRecord } from './records.js';
import { renderHtml } from './render-html.js';
import { burstPages, partName, type BurstPart } from './burst.js';
import { RENDER_FLOOR, RENDER_RATIO, renderLimit, tooBig } from './render-limit.js';
import { renderPdf, type PdfTooBig } from './render-pdf.js';
import { renderCsv, renderText } from './render-text.js';
import { renderXlsx } from './render-xlsx.js';
import { zipOne, zipOneProtected } from './zip.js';

export { readReportOptions, contentTypeParams, REPORT_KEYS, type ReportOptions } from './options.js';
export { isReportFailure, REPORT_CODES, type ReportCode, type ReportFailure } from './errors.js';
export type { BurstPart } from './burst.js';

/** The data: EBCDIC bytes as a data set holds them, or lines already decoded (a SEND ATTACH block). */
export type ReportInput = { readonly bytes: Uint8Array } | { readonly lines: readonly string[] };

const FORMAT_FILE: Readonly<Record<OutputFormat | 'zip', { ext: string; type: string }>> = {
  txt: { ext: 'txt', type: 'text/plain' },
  html: { ext: 'html', type: 'text/html' },
  pdf: { ext: 'pdf', type: 'application/pdf' },
  csv: { ext: 'csv', type: 'text/csv' },
  xlsx: { ext: 'xlsx', type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
  zip: { ext: 'zip', type: 'application/zip' },
};
// Extensions a report's name may have that its format replaces; any other is kept (PAYROLL.D240131).
const REPLACED = /\.(txt|text|lst|list|prt|rpt|out|log|csv|xlsx|html?|pdf|zip|sysout)$/i;

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

/** A report read and laid out, checked but not yet rendered: what rendering needs. */
export interface PreparedReport {
  /** The attachment's name as given. */
  readonly name: string;
  readonly options: ReportOptions;
  readonly pages: readonly Page[];
  /** The data's size: the rendered file's limit is in proportion to it. */
  readonly dataBytes: number;
  readonly date: Date;
  /** BURST=: the parts, each rendered on its own (renderReport's `part`). */
  readonly parts?: readonly BurstPart[];
}

/**
 * The report's records read and laid out in pages, its options and TYPE= checked: every
 * wrong input found before anything is rendered. Synchronous, so that SEND finds it as it
 * reads the ATTACH statement.
 */
export function prepareReport({ name, input, options, cp, date, type }: ReportRequest): PreparedReport | ReportFailure {
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
  const parts = options.burst ? burstPages(pages, options.burst.spec) : undefined;
  if (parts !== undefined && !Array.isArray(parts)) return parts;
  return { name, options, pages, dataBytes: sizeOf(input), date, ...(parts ? { parts } : {}) };
}

/**
 * A part's limit: its share of the report's (by its printed lines), and a share of the
 * floor, at least 64 KiB for a small part's fixed cost; all the parts together stay
 * within the report's limit and 64 KiB a part.
 */
function partLimit(report: PreparedReport, part: BurstPart): number {
  const lines = report.pages.reduce((n, page) => n + page.length, 0);
  const share = lines === 0 ? 0 : (report.dataBytes * part.lines) / lines;
  const parts = report.parts?.length ?? 1;
  return Math.max(64 * 1024, RENDER_FLOOR / parts) + RENDER_RATIO * share;
}

/**
 * The report as its attachment, or RPTSIZE where it renders larger than its data allows;
 * with `part`, that part of a burst report alone, named after its key.
 */
export async function renderReport(report: PreparedReport, part?: BurstPart): Promise<Attachment | ReportFailure> {
  const { options, date, dataBytes } = report;
  const pages = part ? part.pages : report.pages;
  const name = part ? partName(report.name, part) : report.name;
  const file = FORMAT_FILE[options.format];
  const filename = reportName(name, file.ext);
  const limit = part ? partLimit(report, part) : renderLimit(dataBytes);
  const content = await render(pages, filename, options, date, limit);
  const formatName = options.format.toUpperCase();
  if (typeof content !== 'string' && 'stoppedAt' in content)
    return tooBig(formatName, dataBytes, { page: content.stoppedAt, pages: pages.length });
  const rendered = typeof content === 'string' ? Buffer.byteLength(content, 'utf8') : content.length;
  if (rendered > limit) return tooBig(formatName, dataBytes);
  if (!options.zip) {
    return {
      filename,
      contentType: file.type,
      content: typeof content === 'string' ? { text: content } : { bytes: content },
    };
  }
  // Text in an archive has CRLF line ends, as the systems that open ZIPs expect.
  const inner = typeof content === 'string' ? content.replaceAll('\n', '\r\n') : content;
  const password = options.protection?.zipPassword;
  return {
    filename: reportName(name, 'zip'),
    contentType: FORMAT_FILE.zip.type,
    content: {
      bytes:
        password === undefined ? zipOne(filename, inner, date) : await zipOneProtected(filename, inner, date, password),
    },
  };
}

/** A report attachment from its data: prepareReport, then renderReport. */
export async function makeReport(request: ReportRequest): Promise<Attachment | ReportFailure> {
  const prepared = prepareReport(request);
  return 'code' in prepared ? prepared : renderReport(prepared);
}

/**
 * A report's attachments from its data: one, or with BURST= one a part (a MAIL container,
 * whose one mail takes all the parts).
 */
export async function makeReportAttachments(request: ReportRequest): Promise<Attachment[] | ReportFailure> {
  const prepared = prepareReport(request);
  if ('code' in prepared) return prepared;
  const attachments: Attachment[] = [];
  for (const part of prepared.parts ?? [undefined]) {
    const made = await renderReport(prepared, part);
    if ('code' in made) return made;
    attachments.push(made);
  }
  return attachments;
}

/** The data's size in bytes: a block's lines count with their line ends. */
function sizeOf(input: ReportInput): number {
  if ('bytes' in input) return input.bytes.length;
  let size = 0;
  for (const line of input.lines) size += line.length + 1;
  return size;
}

async function render(
  pages: readonly Page[],
  filename: string,
  options: ReportOptions,
  date: Date,
  limit: number,
): Promise<string | Buffer | PdfTooBig> {
  switch (options.format) {
    case 'txt':
      return renderText(pages);
    case 'csv':
      return renderCsv(pages, options.separator);
    case 'xlsx':
      return renderXlsx(pages, filename, options.separator);
    case 'html':
      return renderHtml(pages, filename, options);
    case 'pdf':
      return renderPdf(pages, filename, options, date, limit);
  }
}
