// The layer rule holds: for every pair of folders, an import from one to the other is an
// error exactly where the table of eslint.config.js forbids it. Run on text that is never
// written to disk, so the check cannot pass because the resolver found nothing.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import t from 'tap';
import { ESLint } from 'eslint';
import ts from 'typescript';
import tseslint from 'typescript-eslint';
// @ts-expect-error: the config is JavaScript, without types.
import config, { LAYERS } from '../../eslint.config.js';

const layers = LAYERS as Record<string, readonly string[]>;
/** One module of each layer to import. */
const TARGET: Record<string, string> = {
  bench: 'bench/processes.js',
  scripts: 'scripts/example.js',
  cli: 'cli/usage.js',
  region: 'region/app.js',
  transactions: 'transactions/errors.js',
  client: 'client/protocol.js',
  config: 'config/errors.js',
  smtp: 'smtp/reply.js',
  journal: 'journal/errors.js',
  users: 'users/users-file.js',
  cics: 'cics/text-lines.js',
};

// The probes are text no tsconfig holds: linted without type information.
const probes = { files: ['**/layer-probe.ts'], ...tseslint.configs.disableTypeChecked };
const eslint = new ESLint({
  overrideConfigFile: true,
  overrideConfig: [...(config as ESLint.ConfigData[]), probes] as ESLint.Options['overrideConfig'],
});

async function errors(from: string, target: string): Promise<string[]> {
  const code = `import * as probe from '../${target}';\nexport const x = probe;\n`;
  const [result] = await eslint.lintText(code, { filePath: `${from}/layer-probe.ts` });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'boundaries/dependencies').map((m) => m.message);
}

t.test('every folder may import the folders below it, and no other', async (t) => {
  t.same(Object.keys(TARGET).sort(), Object.keys(layers).sort(), 'a probe for every layer');
  for (const from of Object.keys(layers)) {
    for (const to of Object.keys(layers)) {
      if (from === to) continue;
      const allowed = layers[from]?.includes(to) ?? false;
      const found = await errors(from, TARGET[to] as string);
      if (allowed) t.same(found, [], `${from} -> ${to}: allowed`);
      else
        t.match(
          found,
          [new RegExp(`from elements of type "${from}" to elements of type "${to}"`)],
          `${from} -> ${to}: refused`,
        );
    }
  }
});

t.test('the start command is the one command that imports region/', async (t) => {
  const code = "import { buildRegion } from '../region/app.js';\nexport const x = buildRegion;\n";
  const [start] = await eslint.lintText(code, { filePath: 'cli/start.ts' });
  t.same(
    start?.messages.filter((m) => m.ruleId === 'boundaries/dependencies'),
    [],
  );
  t.match(await errors('cli', 'region/app.js'), [/type "cli" to elements of type "region"/]);
});

t.test('the table has no circle: no folder reaches itself through the folders it may import', async (t) => {
  const reach = (from: string, seen = new Set<string>()): Set<string> => {
    for (const to of layers[from] ?? []) if (!seen.has(to)) reach(to, seen.add(to));
    return seen;
  };
  for (const from of Object.keys(layers)) t.notOk(reach(from).has(from), `${from} does not reach itself`);
});

const ROOT = join(import.meta.dirname, '../..');

/** Every relative import the production code makes, file to file (`a/b.ts` -> `a/c.ts`), type-only ones too. */
function moduleImports(): Map<string, string[]> {
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '*.ts'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f.split('/')[0]! in layers);
  const edges = new Map<string, string[]>();
  for (const file of files) {
    const { importedFiles } = ts.preProcessFile(readFileSync(join(ROOT, file), 'utf8'), true, true);
    edges.set(
      file,
      importedFiles
        .filter(({ fileName }) => fileName.startsWith('.'))
        .map(({ fileName }) => relative(ROOT, join(ROOT, dirname(file), fileName)).replace(/\.js$/, '.ts')),
    );
  }
  return edges;
}

/** Every import between two layers that the production code makes, as `from -> to`. */
function importsMade(): Set<string> {
  const made = new Set<string>();
  for (const [file, targets] of moduleImports()) {
    const from = file.split('/')[0]!;
    for (const target of targets) {
      const to = target.split('/')[0]!;
      if (to !== from && to in layers) made.add(`${from} -> ${to}`);
    }
  }
  return made;
}

/** The files that reach themselves through their imports: each circle once, as the path around it. */
function circles(edges: ReadonlyMap<string, readonly string[]>): string[][] {
  const found: string[][] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): void => {
    const at = path.indexOf(file);
    if (at >= 0) return void found.push([...path.slice(at), file]);
    if (done.has(file)) return;
    path.push(file);
    for (const next of edges.get(file) ?? []) visit(next);
    path.pop();
    done.add(file);
  };
  for (const file of edges.keys()) visit(file);
  return found;
}

t.test('no circle between files: no module reaches itself through its imports, type-only ones included', async (t) => {
  const edges = moduleImports();
  t.ok(edges.size > 100, `modules read (${edges.size})`);
  t.same(circles(edges), []);
  // The finder itself finds one.
  t.same(
    circles(
      new Map([
        ['a.ts', ['b.ts']],
        ['b.ts', ['c.ts']],
        ['c.ts', ['a.ts']],
      ]),
    ),
    [['a.ts', 'b.ts', 'c.ts', 'a.ts']],
  );
});

t.test('the table says what is: every pair it allows is an import some module makes', async (t) => {
  const made = importsMade();
  t.ok(made.size > 10, `imports found (${made.size} pairs)`);
  for (const [from, below] of Object.entries(layers))
    for (const to of below) t.ok(made.has(`${from} -> ${to}`), `${from} -> ${to} is used`);
  // The one import against the table: the start command's (above).
  const allowed = (pair: string) => {
    const [from, to] = pair.split(' -> ') as [string, string];
    return layers[from]?.includes(to) === true || pair === 'cli -> region';
  };
  t.same(
    [...made].filter((pair) => !allowed(pair)),
    [],
    'no import outside the table',
  );
});

t.test("docs/architecture.md's picture draws the table: one arrow a pair, no other", async (t) => {
  const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
  const chart = /```mermaid\n([\s\S]*?)```/.exec(doc)?.[1] ?? '';
  const drawn = new Set<string>();
  for (const line of chart.split('\n')) {
    const m = /^\s*(\w+)(?:\[[^\]]*\])?\s*-->(?:\|[^|]*\|)?\s*(\w+)/.exec(line);
    if (m) drawn.add(`${m[1]} -> ${m[2]}`);
  }
  const table = new Set(Object.entries(layers).flatMap(([from, below]) => below.map((to) => `${from} -> ${to}`)));
  table.add('cli -> region');
  t.same([...drawn].sort(), [...table].sort());
  t.notMatch(readFileSync(join(ROOT, 'README.md'), 'utf8'), /```mermaid/, 'the README links the one picture');
});
