// Work in proportion to the data, for a report's first stages: records and carriage
// control, on each shape of test/helpers/report-shapes.ts. Each input and its double are
// timed in the same test: the ratio is about 2 where the work is linear, 4 where it is
// quadratic, as the overprints were (a 200 KB FBA report of `+` records took 83 s). The
// formats are test/transactions/report/doubling-formats.test.ts.
import t from 'tap';
import { paginate } from '../../../transactions/report/carriage.js';
import { recordsOfBytes, recordsOfLines, type ReportRecord } from '../../../transactions/report/records.js';
import type { RecordFormat } from '../../../transactions/report/records.js';
import { doubling } from '../../helpers/doubling.js';
import {
  control,
  cp,
  fixed,
  linear,
  MAX_BYTES,
  MAX_RECORDS,
  payroll,
  recordFormat,
  records,
  SHAPES,
  sizes,
} from '../../helpers/report-shapes.js';

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
  linear(t, 'V one-byte records', await doubling((n) => variable(n, 5), readV, { n: 500, maxN: MAX_RECORDS }));
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
