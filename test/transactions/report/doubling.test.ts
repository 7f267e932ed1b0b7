// Work in proportion to the data, for every stage of a report: records, carriage control
// and each format. Each input and its double are timed in the same test (test/doubling.ts):
// the ratio is about 2 where the work is linear, 4 where it is quadratic, as the
// overprints were (a 200 KB FBA report of `+` records took 83 s). Hostile shapes are
// among the inputs: all overprints, all page ejects, all one-byte records, the longest
// records a format allows.
import t, { type Test } from 'tap';
import { codePage } from '../../../cics/codepages.js';
import { paginate } from '../../../transactions/report/carriage.js';
import { recordsOfBytes, recordsOfLines, type ReportRecord } from '../../../transactions/report/records.js';
import { makeReport, readReportOptions, type ReportOptions } from '../../../transactions/report/report.js';
import type { RecordFormat } from '../../../transactions/report/records.js';
import { doubling, doublingText, LINEAR_RATIO, type Doubling } from '../../helpers/doubling.js';

const cp = codePage(37);
const DATE = new Date(Date.UTC(2026, 0, 31));

/** `n` records of `lrecl` bytes, each the text `record(i)` padded with blanks, in CCSID 037. */
function fixed(n: number, lrecl: number, record: (i: number) => string): Buffer {
  const out = Buffer.alloc(n * lrecl, 0x40);
  for (let i = 0; i < n; i++) cp.encode(record(i).slice(0, lrecl)).copy(out, i * lrecl);
  return out;
}

/** A payroll page: a title, a heading underlined by an overprint, detail lines. */
const payroll = (i: number) =>
  i % 53 === 0
    ? `1WEEKLY PAYROLL${' '.repeat(100)}PAGE ${i / 53 + 1}`
    : i % 53 === 1
      ? '0EMPLOYEE    NAME                 AMOUNT'
      : i % 53 === 2
        ? '+________    ____                 ______'
        : ` ${String(i).padStart(8, '0')}    EMPLOYEE ${String(i).padEnd(12)}${(i * 10.25).toFixed(2).padStart(14)}`;

interface Shape {
  readonly name: string;
  readonly recfm: string;
  readonly lrecl: number;
  readonly record: (i: number) => string;
}

// The first character is the ASA control character where RECFM ends in A.
const SHAPES: readonly Shape[] = [
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
  { name: 'the longest records', recfm: 'FBA', lrecl: 32_760, record: (i) => ` ${'ABC,'.repeat(8189)}${i}` },
];

const control = (shape: Shape) => (shape.recfm.endsWith('A') ? 'asa' : 'none');

function recordFormat(shape: Shape): RecordFormat {
  return { recfm: shape.recfm, kind: 'F', control: control(shape), lrecl: shape.lrecl };
}

function records(shape: Shape, n: number): ReportRecord[] {
  const got = recordsOfBytes(fixed(n, shape.lrecl, shape.record), recordFormat(shape), cp);
  if (!Array.isArray(got)) throw new Error(got.message);
  return got;
}

/** Records to start from: a record of 32 KB is a lot of work already. */
const start = (shape: Shape) => (shape.lrecl > 1000 ? 4 : 500);
/**
 * Data of 2 MB at most (4 MB doubled): past that, work that only moves bytes is paced by
 * the memory bus, which the other processes of a busy machine share, and its time scatters
 * (iconv's decode of 16 MB took 2 to 5.6 times as long as that of 8 MB).
 */
const MAX_BYTES = 2 << 20;
const sizes = (shape: Shape, first = start(shape)) => ({ n: first, maxN: Math.floor(MAX_BYTES / shape.lrecl) });

function linear(t: Test, what: string, figures: Doubling): void {
  t.ok(figures.ratio < LINEAR_RATIO, `${what}: ${doublingText(figures)}`);
}

t.test('records: F, V and lines, each shape', async (t) => {
  for (const shape of SHAPES) {
    const format = recordFormat(shape);
    linear(
      t,
      `F ${shape.name}`,
      await doubling(
        (n) => fixed(n, shape.lrecl, shape.record),
        (bytes) => recordsOfBytes(bytes, format, cp),
        sizes(shape),
      ),
    );
  }
  // V: the shortest record there is (an RDW and one byte) and the longest.
  const variable = (n: number, length: number) => {
    const record = Buffer.alloc(length, 0xc1);
    record.writeUInt16BE(length, 0);
    record.writeUInt16BE(0, 2);
    return Buffer.concat(Array<Buffer>(n).fill(record));
  };
  const vb: RecordFormat = { recfm: 'VB', kind: 'V', control: 'none' };
  const readV = (bytes: Buffer) => recordsOfBytes(bytes, vb, cp);
  linear(t, 'V one-byte records', await doubling((n) => variable(n, 5), readV, { n: 500, maxN: MAX_BYTES / 5 }));
  linear(t, 'V longest records', await doubling((n) => variable(n, 32_756), readV, { n: 4, maxN: MAX_BYTES / 32_756 }));
  const fba: RecordFormat = { recfm: 'FBA', kind: 'F', control: 'asa', lrecl: 133 };
  linear(
    t,
    'lines (a SEND block) cut at LRECL',
    await doubling(
      (n) => Array.from({ length: n }, (_, i) => payroll(i).repeat(3)),
      (lines) => recordsOfLines(lines, fba, cp),
      { n: 500 },
    ),
  );
});

t.test('carriage control: ASA and machine code, each shape', async (t) => {
  for (const shape of SHAPES) {
    linear(
      t,
      `${control(shape)} ${shape.name}`,
      await doubling(
        (n) => records(shape, n),
        (rs) => paginate(rs, control(shape)),
        sizes(shape),
      ),
    );
  }
  const machine = (code: number) => (n: number) =>
    Array.from({ length: n }, (_, i): ReportRecord => ({ control: code, text: String(i % 10).repeat(i % 132) }));
  const lay = (rs: ReportRecord[]) => paginate(rs, 'machine');
  linear(t, "machine: all overprints (x'01')", await doubling(machine(0x01), lay, { n: 500 }));
  linear(t, "machine: all page ejects (x'89')", await doubling(machine(0x89), lay, { n: 500 }));
  linear(t, "machine: all skips to a page (x'8B')", await doubling(machine(0x8b), lay, { n: 500 }));
});

function options(format: string, shape: Shape): ReportOptions {
  const parsed = readReportOptions(
    new Map([
      ['RECFM', shape.recfm],
      ['LRECL', String(shape.lrecl)],
      ['FORMAT', format],
    ]),
  );
  if (parsed === undefined || 'code' in parsed) throw new Error(JSON.stringify(parsed));
  return parsed;
}

for (const format of ['TXT', 'HTML', 'CSV', 'XLSX', 'ZIP', 'PDF']) {
  t.test(`rendered as ${format}, each shape`, async (t) => {
    for (const shape of SHAPES) {
      const opts = options(format, shape);
      const figures = await doubling(
        (n) => fixed(n, shape.lrecl, shape.record),
        async (bytes) => {
          const made = await makeReport({ name: 'r.lst', input: { bytes }, options: opts, cp, date: DATE });
          if ('code' in made) throw new Error(made.message);
        },
        sizes(shape, format === 'PDF' ? Math.ceil(start(shape) / 10) : start(shape)),
      );
      linear(t, `${format} ${shape.name}`, figures);
    }
  });
}
