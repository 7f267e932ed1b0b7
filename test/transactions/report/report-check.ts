// Reports made and read back with tools of their own: records encoded by glibc's iconv,
// PDFs read by poppler (pdftotext, pdfinfo), ZIPs by Info-ZIP's unzip.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PYTHON } from '../../helpers/python.js';

const iconvName = (ccsid: number) => `IBM${String(ccsid).padStart(3, '0')}`;

/** Fixed records: each text blank-padded to `lrecl` characters, in IBMnnn. */
export function fixedRecords(records: readonly string[], lrecl: number, ccsid: number): Buffer {
  const text = records.map((r) => r.padEnd(lrecl, ' ').slice(0, lrecl)).join('');
  return execFileSync('iconv', ['-f', 'UTF-8', '-t', iconvName(ccsid)], { input: text, maxBuffer: 1 << 28 });
}

/** Variable records, each after its RDW (length including the RDW, two zero bytes). */
export function variableRecords(records: readonly string[], ccsid: number): Buffer {
  return Buffer.concat(
    records.map((r) => {
      const data =
        r === '' ? Buffer.alloc(0) : execFileSync('iconv', ['-f', 'UTF-8', '-t', iconvName(ccsid)], { input: r });
      const rdw = Buffer.alloc(4);
      rdw.writeUInt16BE(data.length + 4, 0);
      return Buffer.concat([rdw, data]);
    }),
  );
}

function withFile<T>(bytes: Uint8Array, name: string, fn: (path: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'report-check-'));
  try {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return fn(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** pdfinfo's fields. */
export function pdfInfo(pdf: Uint8Array): Record<string, string> {
  return withFile(pdf, 'r.pdf', (path) => {
    const out = execFileSync('pdfinfo', [path]).toString('utf8');
    return Object.fromEntries(
      out
        .split('\n')
        .filter((l) => l.includes(':'))
        .map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim()]),
    );
  });
}

/** The text of pages `first` to `last` (1-based), each page's lines without trailing blanks. */
export function pdfPages(pdf: Uint8Array, first?: number, last?: number): string[][] {
  return withFile(pdf, 'r.pdf', (path) => {
    const range = [...(first ? ['-f', String(first)] : []), ...(last ? ['-l', String(last)] : [])];
    const out = execFileSync('pdftotext', ['-layout', ...range, path, '-'], { maxBuffer: 1 << 28 }).toString('utf8');
    const pages = out.split('\f');
    pages.pop(); // after the last form feed
    return pages.map((p) => p.split('\n').map((l) => l.trimEnd()));
  });
}

/**
 * `unzip -t`'s verdict, and the archive's one file (its name and bytes) as Python's zipfile
 * reads them: this unzip has no Unicode support and shows a UTF-8 name as `B++cher.txt`.
 */
export function unzipOne(zip: Uint8Array): { tested: string; name: string; utf8Flag: boolean; data: Buffer } {
  return withFile(zip, 'r.zip', (path) => {
    const tested = execFileSync('unzip', ['-t', path]).toString('utf8');
    const script = [
      'import json, sys, zipfile',
      'z = zipfile.ZipFile(sys.argv[1])',
      'i = z.infolist()',
      'assert len(i) == 1, len(i)',
      'print(json.dumps({"name": i[0].filename, "flag": i[0].flag_bits, "data": z.read(i[0]).hex()}))',
    ].join('\n');
    const out = JSON.parse(execFileSync(PYTHON, ['-c', script, path], { maxBuffer: 1 << 28 }).toString('utf8')) as {
      name: string;
      flag: number;
      data: string;
    };
    return { tested, name: out.name, utf8Flag: (out.flag & 0x800) !== 0, data: Buffer.from(out.data, 'hex') };
  });
}

/** Page `page` of a PDF as poppler renders it (or a PGM rendered before): greyscale PGM (P5) at `dpi`, its width, height and pixels. */
export function renderPage(
  pdf: Uint8Array,
  page: number,
  dpi: number,
  rendered?: Buffer,
): { width: number; height: number; pixels: Buffer; pgm: Buffer } {
  const pgm =
    rendered ??
    withFile(pdf, 'in.pdf', (path) =>
      execFileSync('pdftoppm', ['-gray', '-r', String(dpi), '-f', String(page), '-l', String(page), path], {
        maxBuffer: 1 << 26,
      }),
    );
  // P5\n<width> <height>\n<max>\n<pixels>
  const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 40).toString('latin1'));
  if (!header) throw new Error('pdftoppm wrote no PGM');
  return {
    width: Number(header[1]),
    height: Number(header[2]),
    pixels: pgm.subarray(header[0].length),
    pgm,
  };
}

/** A worksheet as openpyxl (Python's reader of XLSX) reads it: each cell's value, type and number format. */
export interface XlsxSheet {
  readonly sheets: string[];
  readonly title: string;
  readonly freeze: string | null;
  readonly rows: {
    readonly value: string | number | null;
    readonly type: string;
    readonly format: string;
    readonly bold: boolean;
  }[][];
}

/** The first worksheet of an XLSX, read by openpyxl under the system's Python (PYTHON: where openpyxl is). */
export function xlsxSheet(xlsx: Uint8Array): XlsxSheet {
  return withFile(xlsx, 'r.xlsx', (path) => {
    const script = [
      'import json, sys, openpyxl',
      'wb = openpyxl.load_workbook(sys.argv[1])',
      'ws = wb.worksheets[0]',
      'rows = [[{"value": c.value, "type": c.data_type, "format": c.number_format, "bold": bool(c.font.b)} for c in r] for r in ws.iter_rows()]',
      'print(json.dumps({"sheets": wb.sheetnames, "title": ws.title, "freeze": ws.freeze_panes, "rows": rows}))',
    ].join('\n');
    return JSON.parse(
      execFileSync(PYTHON, ['-W', 'ignore', '-c', script, path], { maxBuffer: 1 << 28 }).toString('utf8'),
    ) as XlsxSheet;
  });
}

/** The PDF's outline (bookmarks) as poppler's pdftohtml reads it: each entry's title and the sheet it opens. */
export function pdfOutline(pdf: Uint8Array, ownerPassword?: string): { title: string; page: number }[] {
  return withFile(pdf, 'r.pdf', (path) => {
    const password = ownerPassword === undefined ? [] : ['-opw', ownerPassword];
    const xml = execFileSync('pdftohtml', ['-xml', '-i', '-stdout', '-q', ...password, path], {
      maxBuffer: 1 << 28,
    }).toString('utf8');
    const outline = /<outline>([\s\S]*)<\/outline>/.exec(xml)?.[1] ?? '';
    const unescape = (s: string) =>
      s
        .replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>')
        .replace(/&quot;/g, '"')
        .replace(/&#39;/g, "'")
        .replace(/&amp;/g, '&');
    return [...outline.matchAll(/<item page="(\d+)">([^<]*)<\/item>/g)].map((m) => ({
      page: Number(m[1]),
      title: unescape(m[2] as string),
    }));
  });
}
