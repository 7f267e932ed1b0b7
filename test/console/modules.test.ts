// The console's own pieces in Node, without a browser: the table component's markup (what
// the nine hand-written tables it stands for rendered) and its work in proportion to its
// rows; usePoll's waits after failures. The browser test drives them on the pages (a
// hostile subject among a table's rows included).
import t from 'tap';
import { doubling, doublingText, LINEAR_RATIO } from '../helpers/doubling.js';

// The modules are the browser's JavaScript, outside this project's TypeScript: typed here
// by what the test uses of them.
interface VNode {
  readonly type: string | ((props: Record<string, unknown>) => unknown);
  readonly props: Record<string, unknown> & { readonly children?: unknown };
}
interface Column<R> {
  title: string;
  cell: (row: R) => unknown;
  class?: string | ((row: R) => string);
  rowHeader?: boolean;
}
type TableProps<R> = {
  label: string;
  columns: Column<R>[];
  rows: R[];
  caption?: string;
  captionHidden?: boolean;
  empty?: string;
  class?: string;
};
const consoleModule = (name: string) => import(new URL(`../../region/console/${name}`, import.meta.url).href);
const { Table } = (await consoleModule('table.js')) as { Table: <R>(props: TableProps<R>) => VNode | null };
const { delayAfter, MAX_BACKOFF_MS } = (await consoleModule('poll.js')) as {
  delayAfter: (every: number, failures: number) => number;
  MAX_BACKOFF_MS: number;
};

/** Markup of a tree of Preact nodes, components called: enough to compare tables. */
function markup(node: unknown): string {
  if (node === null || node === undefined || typeof node === 'boolean') return '';
  if (typeof node === 'string' || typeof node === 'number') return String(node);
  if (Array.isArray(node)) return node.map(markup).join('');
  const { type, props } = node as VNode;
  if (typeof type === 'function') return markup(type(props));
  const attrs = Object.entries(props)
    .filter(([k, v]) => k !== 'children' && v !== undefined && v !== false)
    .map(([k, v]) => ` ${k}="${String(v)}"`)
    .join('');
  return `<${type}${attrs}>${markup(props.children)}</${type}>`;
}

interface Field {
  name: string;
  depth: number;
  offset: number;
}
const FIELD_COLUMNS: Column<Field>[] = [
  { title: 'Field', cell: (f) => f.name, class: (f) => `depth-${f.depth}`, rowHeader: true },
  { title: 'Offset', cell: (f) => f.offset, class: 'num' },
];
const FIELDS: Field[] = [
  { name: 'R-LINES(1)', depth: 0, offset: 6 },
  { name: 'R-QTY', depth: 1, offset: 6 },
];

t.test('a table: headings, a row header where the cell names the row, cells with their class', async (t) => {
  t.equal(
    markup(
      Table({
        label: 'COMMAREA sent',
        caption: 'COMMAREA sent',
        class: 'list fields',
        columns: FIELD_COLUMNS,
        rows: FIELDS,
      }),
    ),
    '<div class="wide" tabindex="0" role="region" aria-label="COMMAREA sent"><table class="list fields">' +
      '<caption>COMMAREA sent</caption>' +
      '<thead><tr><th scope="col">Field</th><th scope="col">Offset</th></tr></thead>' +
      '<tbody><tr><th scope="row" class="depth-0">R-LINES(1)</th><td class="num">6</td></tr>' +
      '<tr><th scope="row" class="depth-1">R-QTY</th><td class="num">6</td></tr></tbody></table></div>',
  );
});

t.test('a caption for screen readers only; the class list unless said', async (t) => {
  const html = markup(
    Table({
      label: 'Mails',
      caption: 'Mails, newest first',
      captionHidden: true,
      columns: FIELD_COLUMNS,
      rows: FIELDS,
    }),
  );
  t.match(html, /^<div class="wide" tabindex="0" role="region" aria-label="Mails"><table class="list">/);
  t.match(html, '<caption class="sr-only">Mails, newest first</caption>');
});

t.test('no rows: what the page says in its place, or the headings alone where it says nothing', async (t) => {
  t.equal(
    markup(Table({ label: 'Tasks now', empty: 'No task is running.', columns: FIELD_COLUMNS, rows: [] })),
    '<p>No task is running.</p>',
  );
  t.equal(
    markup(Table({ label: 'COMMAREA returned', columns: FIELD_COLUMNS, rows: [] })),
    '<div class="wide" tabindex="0" role="region" aria-label="COMMAREA returned"><table class="list">' +
      '<thead><tr><th scope="col">Field</th><th scope="col">Offset</th></tr></thead><tbody></tbody></table></div>',
  );
});

t.test('a table grows in proportion to its rows', async (t) => {
  const rows = (n: number): Field[] =>
    Array.from({ length: n }, (_, i) => ({ name: `F-${i}`, depth: i % 3, offset: i }));
  const found = await doubling(rows, (r) => markup(Table({ label: 'x', columns: FIELD_COLUMNS, rows: r })), { n: 500 });
  t.ok(found.ratio < LINEAR_RATIO, doublingText(found));
});

t.test("usePoll's waits: the period, then twice as long after each failure, up to 30 s", async (t) => {
  t.same(
    [0, 1, 2, 3, 4, 5, 20].map((failures) => delayAfter(2000, failures)),
    [2000, 4000, 8000, 16000, MAX_BACKOFF_MS, MAX_BACKOFF_MS, MAX_BACKOFF_MS],
  );
  t.equal(MAX_BACKOFF_MS, 30_000);
  t.equal(delayAfter(60_000, 3), 60_000, 'never shorter than the period itself');
});
