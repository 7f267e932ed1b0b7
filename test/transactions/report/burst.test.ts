// Bursting a report's pages into parts: by key, by pages, by lines; every page (and line)
// in exactly one part, in order; the options refused with what is wrong; work in
// proportion to the pages, however many parts.
import t from 'tap';
import type { Page } from '../../../transactions/report/carriage.js';
import { burstPages, MAX_PARTS, partName, readBurst, type BurstPart } from '../../../transactions/report/burst.js';
import { doubling, doublingText, LINEAR_RATIO } from '../../helpers/doubling.js';

const page = (...lines: string[]): Page => lines.map((text) => ({ text }));
const summary = (parts: unknown) =>
  (parts as BurstPart[]).map((p) => `${p.key}:${p.firstPage}-${p.lastPage}:${p.lines}`);

t.test('by key: where the key changes; a page without one stays with the part before', async (t) => {
  const pages = [page('EAST  x'), page('EAST  y'), page('      z'), page('WEST  a'), page('EAST  b')];
  const spec = { kind: 'key', key: { kind: 'columns', from: 1, to: 5 } } as const;
  t.same(summary(burstPages(pages, spec)), ['EAST:1-3:3', 'WEST:4-4:1', 'EAST:5-5:1']);
  t.same(
    summary(burstPages([page(''), page('EAST')], spec)),
    [':1-1:1', 'EAST:2-2:1'],
    'no key first: a part of its own',
  );
});

t.test('by pages and by lines: numbered parts, a page cut where a part is full', async (t) => {
  const pages = [page('a', 'b', 'c'), page('d', 'e'), page('f')];
  t.same(summary(burstPages(pages, { kind: 'pages', every: 2 })), ['1:1-2:5', '2:3-3:1']);
  const lines = burstPages(pages, { kind: 'lines', every: 2 }) as BurstPart[];
  t.same(summary(lines), ['1:1-1:2', '2:1-2:2', '3:2-3:2']);
  t.same(
    lines.map((p) => p.pages.map((pg) => pg.map((l) => l.text).join(''))),
    [['ab'], ['c', 'd'], ['e', 'f']],
  );
});

t.test('more than MAX_PARTS parts are refused', async (t) => {
  const pages = Array.from({ length: MAX_PARTS + 1 }, () => page('x'));
  t.match(burstPages(pages, { kind: 'pages', every: 1 }), {
    code: 'BADRPTOP',
    message: 'BURST= makes more than 1,000 parts',
  });
  t.equal((burstPages(pages.slice(1), { kind: 'pages', every: 1 }) as BurstPart[]).length, MAX_PARTS);
});

t.test('options: BURST=, KEY=, COMBINE= and what is wrong with them', async (t) => {
  const read = (o: Record<string, string>) => readBurst(new Map(Object.entries(o)));
  t.same(read({ BURST: 'key', KEY: '3/10-30', COMBINE: 'yes' }), {
    spec: { kind: 'key', key: { kind: 'columns', from: 10, to: 30, line: 3 } },
    combine: true,
  });
  t.same(read({ BURST: 'PAGES(10)' }), { spec: { kind: 'pages', every: 10 }, combine: false });
  t.same(read({ BURST: 'lines(500)' }), { spec: { kind: 'lines', every: 500 }, combine: false });
  t.equal(read({}), undefined);
  for (const [o, message] of [
    [{ BURST: 'KEY' }, /^BURST=KEY needs KEY=/],
    [{ BURST: 'PAGES(0)' }, /^BURST=PAGES\(0\) is not KEY, PAGES\(n\) or LINES\(n\)/],
    [{ BURST: 'EVERY' }, /^BURST=EVERY is not/],
    [{ KEY: '1-5' }, /^KEY= goes with BURST=$/],
    [{ BURST: 'PAGES(2)', KEY: '1-5' }, /^KEY= goes with BURST=KEY$/],
    [{ BURST: 'KEY', KEY: '5-1' }, /^KEY=5-1: columns run from 1/],
    [{ BURST: 'PAGES(2)', COMBINE: 'MAYBE' }, /^COMBINE=MAYBE is YES or NO$/],
  ] as const)
    t.match(read(o), { code: 'BADRPTOP', message }, JSON.stringify(o));
});

t.test('part names: the key, made safe, before the extension', async (t) => {
  const part = (key: string, index = 1) => ({ key, index }) as BurstPart;
  t.equal(partName('PAYROLL.LST', part('BRANCH 0042')), 'PAYROLL.BRANCH_0042');
  t.equal(partName('payroll', part('../etc/passwd\u0000')), 'payroll.etc_passwd');
  t.equal(partName('', part('***', 7)), 'report.7');
});

t.test('work in proportion to the pages: 250 parts, and one part of all', async (t) => {
  // 250 keys whatever the pages, so that the parts stay under MAX_PARTS as the input doubles.
  const keyed = (n: number) => Array.from({ length: n }, (_, i) => page(`KEY${Math.floor((i * 250) / n)}`, 'line'));
  for (const [what, make, spec] of [
    ['250 parts by key', keyed, { kind: 'key', key: { kind: 'title' } }],
    ['lines, n/250 a part', keyed, { kind: 'lines', every: 0 }],
    [
      'one part of all',
      (n: number) => Array.from({ length: n }, () => page('SAME', 'line')),
      { kind: 'key', key: { kind: 'title' } },
    ],
  ] as const) {
    const figures = await doubling(
      make,
      (p) => burstPages(p, spec.kind === 'lines' ? { kind: 'lines', every: Math.ceil((2 * p.length) / 250) } : spec),
      { n: 1000 },
    );
    t.ok(figures.ratio < LINEAR_RATIO, `${what}: ${doublingText(figures)}`);
  }
});
