// Work in proportion to the data, for each format a report is rendered in, on each shape of
// test/helpers/report-shapes.ts (hostile ones among them): the ratio of the time of an
// input and of its double, measured in the same test, about 2 where the work is linear.
import t, { type Test } from 'tap';
import { makeReport, readReportOptions, type ReportOptions } from '../../../transactions/report/report.js';
import { doubling } from '../../helpers/doubling.js';
import { cp, DATE, fixed, linear, SHAPES, sizes, start, type Shape } from '../../helpers/report-shapes.js';

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

/**
 * A PDF starts smaller, and its pages are bounded: a page of one record costs some 360 bytes
 * of PDF, and a report stops at 1 MiB and 16 bytes a byte of data (3,200 page ejects of 2
 * bytes passed it): 1,024 pages at most, 2,048 doubled.
 */
function pdfSizes(shape: Shape) {
  const { n, maxN } = sizes(shape, Math.ceil(start(shape) / 10));
  return { n, maxN: Math.min(maxN, 1_024) };
}

const FORMATS = ['TXT', 'HTML', 'CSV', 'XLSX', 'ZIP', 'PDF'];

async function renderDoubles(t: Test, format: string, shape: Shape): Promise<void> {
  const opts = options(format, shape);
  const figures = await doubling(
    (n) => fixed(n, shape.lrecl, shape.record),
    async (bytes) => {
      const made = await makeReport({ name: 'r.lst', input: { bytes }, options: opts, cp, date: DATE });
      if ('code' in made) throw new Error(made.message);
    },
    format === 'PDF' ? pdfSizes(shape) : sizes(shape),
  );
  linear(t, `${format} ${shape.name}`, figures);
}

// The longest records of every format first, while the heap is small: measured after the
// shapes of many small records (HTML after TXT's), they read 2.6 to 3.0; first, 1.6 to 2.1.
const [longest, ...others] = SHAPES;
t.test('the longest records, rendered in each format', async (t) => {
  for (const format of FORMATS) await renderDoubles(t, format, longest!);
});
for (const format of FORMATS) {
  t.test(`rendered as ${format}, each other shape`, async (t) => {
    for (const shape of others) await renderDoubles(t, format, shape);
  });
}
