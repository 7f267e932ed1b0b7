// PDF: a report on paper, in PDF's standard Courier (no font embedded), so its columns
// line up; every report page starts a sheet, and a page longer than a sheet goes on over
// the next. Overprinted records are drawn over their line, as a printer strikes them.
import { createRequire } from 'node:module';
import type PDFKitDocument from 'pdfkit';
import type { Page } from './carriage.js';
import { layoutOf } from './layout.js';
import { randomBytes } from 'node:crypto';
import type { ReportOptions } from './options.js';
import type { PdfProtection, Permit } from './protection.js';
import { pageKey } from './page-key.js';

// The standard fonts are encoded in WinAnsi: Latin-1 and these. Anything else shows as '?'.
const WIN_ANSI_EXTRA = '€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ';
const NOT_WIN_ANSI = new RegExp(`[^\\x20-\\x7e\\xa0-\\xff${WIN_ANSI_EXTRA}]`, 'gu');
const winAnsi = (s: string) => s.replace(NOT_WIN_ANSI, '?');

// pdfkit weighs 18 MB in a thread: it is loaded when a report is first asked for as a PDF,
// not with the mail programs that every worker loads.
const require = createRequire(import.meta.url);
let pdfkit: typeof PDFKitDocument | undefined;
const PDFDocument = (): typeof PDFKitDocument => (pdfkit ??= require('pdfkit') as typeof PDFKitDocument);

const PERMISSIONS: Readonly<Record<Permit, PDFKit.DocumentPermissions>> = {
  print: { printing: 'highResolution' },
  none: {},
  all: {
    printing: 'highResolution',
    modifying: true,
    copying: true,
    annotating: true,
    fillingForms: true,
    contentAccessibility: true,
    documentAssembly: true,
  },
};

/**
 * pdfkit's options for an encrypted PDF: AES-256 (PDF 1.7 extension level 3, which every
 * current reader opens); without an owner password, one made at random and forgotten, so
 * that the restrictions hold for everyone.
 */
function encryption(pdf: PdfProtection | undefined): Partial<PDFKit.PDFDocumentOptions> {
  if (pdf === undefined) return {};
  return {
    pdfVersion: '1.7ext3',
    ...(pdf.userPassword === undefined ? {} : { userPassword: pdf.userPassword }),
    ownerPassword: pdf.ownerPassword ?? randomBytes(24).toString('base64url'),
    permissions: PERMISSIONS[pdf.permit],
  };
}

/** Where the PDF passed its byte limit: the report page it was drawing. */
export interface PdfTooBig {
  readonly stoppedAt: number;
}

/**
 * The report as a PDF, or where it was stopped once its bytes passed `limit`: pdfkit
 * writes each sheet out as the next begins, so the bytes are counted sheet by sheet and
 * a report of empty pages costs no more than the limit's worth of work.
 */
export function renderPdf(
  pages: readonly Page[],
  title: string,
  options: ReportOptions,
  date: Date,
  limit = Infinity,
): Buffer | PdfTooBig {
  const layout = layoutOf(pages, options);
  const doc = new (PDFDocument())({
    autoFirstPage: false,
    compress: true,
    info: { Title: title, Creator: 'cicsmail', Producer: 'cicsmail', CreationDate: date, ModDate: date },
    ...encryption(options.protection?.pdf),
  });
  const chunks: Buffer[] = [];
  let written = 0;
  const take = () => {
    for (let chunk = doc.read() as Buffer | null; chunk !== null; chunk = doc.read() as Buffer | null) {
      chunks.push(chunk);
      written += chunk.length;
    }
  };
  const sheet = () => {
    doc.addPage({ size: [layout.width, layout.height], margin: 0 });
    doc.font('Courier').fontSize(layout.fontSize);
  };
  const m = options.margin;
  let lastKey = '';
  for (let p = 0; p < pages.length; p++) {
    const page = pages[p] as Page;
    // A bookmark where the key changes, on the page's first sheet: a run of pages with one
    // key (a branch over ten pages) is one entry.
    const key = options.index ? pageKey(page, options.index) : '';
    const mark = key !== '' && key !== lastKey;
    if (key !== '') lastKey = key;
    if (page.length === 0) sheet();
    if (mark && page.length === 0) doc.outline.addItem(key);
    for (let first = 0; first < page.length; first += layout.linesPerSheet) {
      sheet();
      if (mark && first === 0) doc.outline.addItem(key);
      take();
      if (written > limit) return { stoppedAt: p + 1 };
      const last = Math.min(page.length, first + layout.linesPerSheet);
      for (let i = first; i < last; i++) {
        const line = page[i];
        if (line === undefined) continue;
        const y = m + (i - first) * layout.leading;
        if (line.text.trim() !== '') doc.text(winAnsi(line.text), m, y, { lineBreak: false });
        for (const text of line.over ?? []) if (text.trim() !== '') doc.text(winAnsi(text), m, y, { lineBreak: false });
      }
    }
  }
  if (pages.length === 0) sheet();
  doc.end();
  // pdfkit writes as it goes and compresses synchronously: once ended, the whole file is
  // in the stream's buffer.
  take();
  if (written > limit) return { stoppedAt: pages.length };
  const pdf = Buffer.concat(chunks);
  if (pdf.subarray(-6).toString('latin1').trimEnd() !== '%%EOF') throw new Error('pdfkit did not finish the PDF');
  return pdf;
}
