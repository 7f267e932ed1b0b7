// The report shapes the doubling tests of test/transactions/report/ run each stage on:
// hostile shapes among them (all overprints, all page ejects, all one-byte records, the
// longest records a format allows), and the sizes they grow to.
import type { Test } from 'tap';
import { codePage } from '../../cics/codepages.js';
import { recordsOfBytes, type ReportRecord } from '../../transactions/report/records.js';
import type { RecordFormat } from '../../transactions/report/records.js';
import { doublingText, LINEAR_RATIO, type Doubling } from './doubling.js';

export const cp = codePage(37);
export const DATE = new Date(Date.UTC(2026, 0, 31));

/** `n` records of `lrecl` bytes, each the text `record(i)` padded with blanks, in CCSID 037. */
export function fixed(n: number, lrecl: number, record: (i: number) => string): Buffer {
  const out = Buffer.alloc(n * lrecl, 0x40);
  for (let i = 0; i < n; i++) cp.encode(record(i).slice(0, lrecl)).copy(out, i * lrecl);
  return out;
}

/** A payroll page: a title, a heading underlined by an overprint, detail lines. */
export const payroll = (i: number) =>
  i % 53 === 0
    ? `1WEEKLY PAYROLL${' '.repeat(100)}PAGE ${i / 53 + 1}`
    : i % 53 === 1
      ? '0EMPLOYEE    NAME                 AMOUNT'
      : i % 53 === 2
        ? '+________    ____                 ______'
        : ` ${String(i).padStart(8, '0')}    EMPLOYEE ${String(i).padEnd(12)}${(i * 10.25).toFixed(2).padStart(14)}`;

export interface Shape {
  readonly name: string;
  readonly recfm: string;
  readonly lrecl: number;
  readonly record: (i: number) => string;
}

// The first character is the ASA control character where RECFM ends in A. The longest
// records first: measured after the shapes of many small records, whose garbage leaves the
// heap larger, their doubling read 3.1 (alone: 2.1); a file that measures several formats
// measures this shape of every format before the others.
export const SHAPES: readonly Shape[] = [
  { name: 'the longest records', recfm: 'FBA', lrecl: 32_760, record: (i) => ` ${'ABC,'.repeat(8189)}${i}` },
  { name: 'a payroll report', recfm: 'FBA', lrecl: 133, record: payroll },
  {
    name: 'all overprints',
    recfm: 'FBA',
    lrecl: 133,
    record: (i) => (i === 0 ? '1TITLE' : `+${String(i % 10).repeat(i % 132)}`),
  },
  { name: 'all page ejects', recfm: 'FBA', lrecl: 2, record: () => '1' },
  { name: 'all triple spaces', recfm: 'FBA', lrecl: 2, record: () => '-' },
  { name: 'all one-byte records', recfm: 'FB', lrecl: 1, record: (i) => String(i % 10) },
];

export const control = (shape: Shape) => (shape.recfm.endsWith('A') ? 'asa' : 'none');

export function recordFormat(shape: Shape): RecordFormat {
  return { recfm: shape.recfm, kind: 'F', control: control(shape), lrecl: shape.lrecl };
}

/** `n` records of the shape, read. */
export function records(shape: Shape, n: number): ReportRecord[] {
  const got = recordsOfBytes(fixed(n, shape.lrecl, shape.record), recordFormat(shape), cp);
  if (!Array.isArray(got)) throw new Error(got.message);
  return got;
}

/** Records to start from: a record of 32 KB is a lot of work already. */
export const start = (shape: Shape) => (shape.lrecl > 1000 ? 4 : 500);
/**
 * Data of 1 MB at most (2 MB doubled): past that, work that only moves bytes is paced by
 * the memory bus, which the other processes of a busy machine share, and its time scatters
 * (iconv's decode of 16 MB took 2 to 5.6 times as long as that of 8 MB).
 */
export const MAX_BYTES = 1 << 20;
/**
 * And 64 Ki records at most (128 Ki doubled): a record is an object, and past that the
 * records' heap outgrows the caches, each record dearer the more there are (all page
 * ejects, 256 Ki records of 2 bytes, measured 3.46 for a linear pass).
 */
export const MAX_RECORDS = 1 << 16;
export const sizes = (shape: Shape, first = start(shape)) => ({
  n: first,
  maxN: Math.min(MAX_RECORDS, Math.floor(MAX_BYTES / shape.lrecl)),
});

export function linear(t: Test, what: string, figures: Doubling): void {
  t.ok(figures.ratio < LINEAR_RATIO, `${what}: ${doublingText(figures)}`);
}
