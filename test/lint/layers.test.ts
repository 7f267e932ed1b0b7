// The layer rule holds: for every pair of folders, an import from one to the other is an
// error exactly where the table of eslint.config.js forbids it. Run on text that is never
// written to disk, so the check cannot pass because the resolver found nothing.
import t from 'tap';
import { ESLint } from 'eslint';
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
  security: 'security/users.js',
  cics: 'cics/text-lines.js',
};

const eslint = new ESLint({ overrideConfigFile: true, overrideConfig: config as ESLint.Options['overrideConfig'] });

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
