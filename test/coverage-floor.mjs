// After the tests (npm test runs tap under c8, which sees every process and worker thread
// they start): the coverage of the production folders, each and in all, against the floor
// the suite keeps: 85 % of lines and 80 % of branches. Reads c8's json-summary report
// (coverage/coverage-summary.json); the HTML report beside it is the one to open
// (coverage/index.html).
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

const FLOOR = { lines: 85, branches: 80 };
/** The folders whose code runs in a region or a command; bench/ and scripts/ are tools around them. */
const FOLDERS = ['cics', 'config', 'users', 'smtp', 'journal', 'client', 'transactions', 'region', 'cli'];

const root = resolve(new URL('..', import.meta.url).pathname);
const file = resolve(root, 'coverage/coverage-summary.json');
if (!existsSync(file)) {
  console.error(`coverage: no report at ${relative(root, file)}: did the tests run under c8 (npm test)?`);
  process.exit(1);
}
const summary = JSON.parse(readFileSync(file, 'utf8'));
const sums = new Map(FOLDERS.map((f) => [f, { lines: [0, 0], branches: [0, 0] }]));
const all = { lines: [0, 0], branches: [0, 0] };
for (const [path, figures] of Object.entries(summary)) {
  if (path === 'total') continue;
  const folder = relative(root, path).split('/')[0];
  const sum = sums.get(folder);
  if (!sum) continue;
  for (const kind of ['lines', 'branches']) {
    for (const s of [sum, all]) {
      s[kind][0] += figures[kind].covered;
      s[kind][1] += figures[kind].total;
    }
  }
}
const pct = ([covered, total]) => (total === 0 ? 0 : (100 * covered) / total);
let failed = false;
const rows = [...sums.entries(), ['all of them', all]].map(([name, s]) => {
  const lines = pct(s.lines);
  const branches = pct(s.branches);
  // A folder with no line in the report was not measured at all: that is no pass.
  const low = s.lines[1] === 0 || lines < FLOOR.lines || branches < FLOOR.branches;
  if (low) failed = true;
  return `${name.padEnd(14)} lines ${lines.toFixed(1).padStart(5)} %  branches ${branches.toFixed(1).padStart(5)} %${low ? '  BELOW THE FLOOR' : ''}`;
});
console.log(
  `coverage of the production folders (floor: ${FLOOR.lines} % of lines, ${FLOOR.branches} % of branches each):`,
);
for (const row of rows) console.log(`  ${row}`);
console.log(`the report to open: ${relative(process.cwd(), resolve(root, 'coverage/index.html'))}`);
process.exit(failed ? 1 : 0);
