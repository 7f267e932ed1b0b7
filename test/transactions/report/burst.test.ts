// Bursting a report's pages into parts: by key, by pages, by lines, at a line that matches;
// every page (and line) in exactly one part, in order; the options refused with what is
// wrong; work in proportion to the pages, however many parts, and to the lines however a
// hostile report and MATCH= text are shaped.
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

t.test('by a line that matches: from its page, or from the line itself', async (t) => {
  const pages = [
    page('HEADING', 'x'),
    page('BRANCH 0042 TOTAL', 'a'),
    page('b', 'c'),
    page('BRANCH 0043 TOTAL', 'd', 'BRANCH 0044 TOTAL', 'e'),
    page('f'),
  ];
  const match = { text: 'TOTAL' };
  t.same(
    summary(burstPages(pages, { kind: 'match', match, at: 'page' })),
    ['1:1-1:2', 'BRANCH 0042 TOTAL:2-3:4', 'BRANCH 0043 TOTAL:4-5:5'],
    'a page with two matches starts one part, keyed by its first; before the first match, a numbered part',
  );
  const byLine = burstPages(pages, { kind: 'match', match, at: 'line', columns: { from: 1, to: 11 } }) as BurstPart[];
  t.same(summary(byLine), ['1:1-1:2', 'BRANCH 0042:2-3:4', 'BRANCH 0043:4-4:2', 'BRANCH 0044:4-5:3']);
  t.same(
    byLine.map((p) => p.pages.map((pg) => pg.map((l) => l.text).join('|'))),
    [['HEADING|x'], ['BRANCH 0042 TOTAL|a', 'b|c'], ['BRANCH 0043 TOTAL|d'], ['BRANCH 0044 TOTAL|e', 'f']],
    'every line in one part, in order',
  );
  t.equal(byLine[1]?.pages[0], pages[1], 'a page not cut is the page itself, not a copy');
  t.same(
    summary(
      burstPages([page('  TOTAL'), page('TOTAL  ')], {
        kind: 'match',
        match: { text: 'TOTAL', column: 1 },
        at: 'page',
      }),
    ),
    ['1:1-1:1', 'TOTAL:2-2:1'],
    'MATCHCOL=1: only where the text starts at column 1',
  );
  t.same(
    summary(
      burstPages([page('TOTAL', 'x'), page('x')], { kind: 'match', match, at: 'page', columns: { from: 20, to: 30 } }),
    ),
    ['1:1-2:3'],
    'a match whose key columns are blank: the part known by its number',
  );
  t.same(
    summary(burstPages([page('nothing'), page('here')], { kind: 'match', match, at: 'line' })),
    ['1:1-2:2'],
    'no match: one part of all',
  );
  const over = [page('x'), [{ text: 'TO  L', over: ['  TA '] }]];
  t.same(
    summary(burstPages(over, { kind: 'match', match, at: 'page' })),
    ['1:1-1:1', 'TOTAL:2-2:1'],
    'an overprinted line matches as it prints',
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
  t.same(read({ BURST: 'match', MATCH: 'TOTAL FOR' }), {
    spec: { kind: 'match', match: { text: 'TOTAL FOR' }, at: 'page' },
    combine: false,
  });
  t.same(read({ BURST: 'MATCH(LINE)', MATCH: 'BRANCH', MATCHCOL: '2', KEY: '2-12' }), {
    spec: { kind: 'match', match: { text: 'BRANCH', column: 2 }, at: 'line', columns: { from: 2, to: 12 } },
    combine: false,
  });
  t.equal(read({}), undefined);
  for (const [o, message] of [
    [{ BURST: 'KEY' }, /^BURST=KEY needs KEY=/],
    [{ BURST: 'PAGES(0)' }, /^BURST=PAGES\(0\) is not KEY, MATCH, MATCH\(LINE\), PAGES\(n\) or LINES\(n\)/],
    [{ BURST: 'MATCH' }, /^BURST=MATCH needs MATCH=/],
    [{ BURST: 'MATCH', MATCH: 'X'.repeat(65) }, /^MATCH=X{20}\.\.\. is longer than 64 characters$/],
    [{ BURST: 'MATCH', MATCH: '   ' }, /^MATCH= holds only blanks$/],
    [{ BURST: 'MATCH', MATCH: 'A\u0000B' }, /^MATCH=A\?B holds a control character$/],
    [{ BURST: 'MATCH', MATCH: 'TOTAL', MATCHCOL: '0' }, /^MATCHCOL=0 is not a column from 1 to 32760$/],
    [{ BURST: 'MATCH', MATCH: 'TOTAL', MATCHCOL: '99999' }, /^MATCHCOL=99999 is not a column/],
    [{ BURST: 'MATCH', MATCH: 'TOTAL', KEY: 'TITLE' }, /^KEY=TITLE: with BURST=MATCH the key is columns n-m/],
    [{ BURST: 'MATCH', MATCH: 'TOTAL', KEY: '2/1-5' }, /^KEY=2\/1-5: with BURST=MATCH/],
    [{ BURST: 'MATCH(WORD)', MATCH: 'TOTAL' }, /^BURST=MATCH\(WORD\) is not KEY, MATCH/],
    [{ BURST: 'KEY', KEY: '1-5', MATCH: 'TOTAL' }, /^MATCH= goes with BURST=MATCH$/],
    [{ MATCH: 'TOTAL' }, /^MATCH= goes with BURST=$/],
    [{ BURST: 'EVERY' }, /^BURST=EVERY is not/],
    [{ KEY: '1-5' }, /^KEY= goes with BURST=$/],
    [{ BURST: 'PAGES(2)', KEY: '1-5' }, /^KEY= goes with BURST=KEY or BURST=MATCH$/],
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

t.test('a line that matches: work in proportion to the lines, however hostile the report', async (t) => {
  // 250 matches whatever the size, so that the parts stay under MAX_PARTS as the input doubles.
  const every = (n: number) => Math.max(1, Math.floor(n / 250));
  const near = 'A'.repeat(63);
  const shapes: [string, (n: number) => Page[], Extract<Parameters<typeof burstPages>[1], { kind: 'match' }>][] = [
    [
      // The naive search's worst case: each place in a long line of A almost matches.
      'long lines of A, MATCH= 63 A and a B',
      (n) => Array.from({ length: n }, (_, i) => page(i % every(n) === 0 ? `${near}B` : 'A'.repeat(2000))),
      { kind: 'match', match: { text: `${near}B` }, at: 'page' },
    ],
    [
      'near misses on every line, MATCH(LINE)',
      (n) =>
        Array.from({ length: n }, (_, i) =>
          page(
            ...Array.from({ length: 4 }, (_, j) =>
              j === 0 && i % every(n) === 0 ? 'TOTAL FOR BRANCH 1' : 'TOTAL FO '.repeat(100),
            ),
          ),
        ),
      { kind: 'match', match: { text: 'TOTAL FOR BRANCH' }, at: 'line', columns: { from: 1, to: 18 } },
    ],
    [
      'MATCHCOL= near the end of the longest lines',
      (n) =>
        Array.from({ length: n }, (_, i) => page(`${' '.repeat(32_700)}${i % every(n) === 0 ? 'TOTAL' : 'TOTAX'}`)),
      { kind: 'match', match: { text: 'TOTAL', column: 32_701 }, at: 'page' },
    ],
    [
      'overprinted lines, no match at all: one part',
      (n) => Array.from({ length: n }, () => [{ text: 'X '.repeat(100), over: [' Y'.repeat(100), '_'.repeat(200)] }]),
      { kind: 'match', match: { text: 'TOTAL' }, at: 'line' },
    ],
    [
      'every line of a page in 250 matches: one part from each such page',
      (n) =>
        Array.from({ length: n }, (_, i) => page(...Array.from({ length: 3 }, () => (i % every(n) === 0 ? 'T' : 'x')))),
      { kind: 'match', match: { text: 'T' }, at: 'page' },
    ],
  ];
  for (const [what, make, spec] of shapes) {
    const figures = await doubling(make, (p) => burstPages(p, spec), { n: 500, maxN: 8_000 });
    t.ok(figures.ratio < LINEAR_RATIO, `${what}: ${doublingText(figures)}`);
  }
});
