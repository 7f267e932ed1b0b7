// npm install on the oldest Node that package.json's engines allow warns of no package (two
// fastify dependencies wanted Node 22), and the lockfile holds what the overrides ask for,
// so that npm ci takes it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import t from 'tap';

interface Semver {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
}
const semver = createRequire(import.meta.url)('semver') as Semver;

interface Manifest {
  readonly engines?: { readonly node?: string };
  readonly overrides?: Record<string, Record<string, string>>;
  readonly version?: string;
}
const json = <T>(name: string) => JSON.parse(readFileSync(new URL(`../${name}`, import.meta.url), 'utf8')) as T;
const pkg = json<Manifest>('package.json');
const lock = json<{ packages: Record<string, Manifest> }>('package-lock.json');

t.test('every package of the lockfile allows the oldest Node that engines allows', async (t) => {
  const floor = semver.minVersion(pkg.engines?.node ?? '*')?.version;
  t.equal(floor, '20.19.0');
  t.same(lock.packages['']?.engines, pkg.engines, 'the lockfile has the engines of package.json');
  const refusing = Object.entries(lock.packages)
    .filter(([path, p]) => path && p.engines?.node && !semver.satisfies(floor as string, p.engines.node))
    .map(([path, p]) => `${path}@${p.version} wants Node ${p.engines?.node}`);
  t.same(refusing, []);
});

t.test('the lockfile holds the versions the overrides ask for', async (t) => {
  for (const [parent, children] of Object.entries(pkg.overrides ?? {})) {
    t.ok(lock.packages[`node_modules/${parent}`], `${parent} is in the lockfile`);
    for (const [child, range] of Object.entries(children)) {
      const found = Object.entries(lock.packages).filter(([path]) => path.endsWith(`node_modules/${child}`));
      t.ok(found.length > 0, `${child} is in the lockfile`);
      for (const [path, p] of found) t.ok(semver.satisfies(p.version ?? '', range), `${path}@${p.version} is ${range}`);
    }
  }
});

t.test("npm install builds tap's plugin set: a fresh clone's npm test finds its tests", async (t) => {
  const scripts = (pkg as { scripts?: Record<string, string> }).scripts ?? {};
  // tap runs with its default TypeScript plugin until its configured set (package.json
  // "tap.plugin": @tapjs/tsx) is built; built by the test run itself, it comes too late for
  // the first test files ("no tests found"). npm install (and npm ci) run `prepare`.
  t.match(scripts.prepare, /(^|&&\s*)tap build(\s*&&|$)/, 'prepare runs tap build');
  t.notMatch(scripts.test, /tap build/, 'not again at each npm test: it takes half a minute');
});

t.test(".ci/run runs the README's commands, and no step of its own", async (t) => {
  const ci = readFileSync(new URL('../.ci/run', import.meta.url), 'utf8');
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  // What a newcomer types: the command lines of the README's shell blocks.
  const typed = new Set(
    [...readme.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].flatMap((m) =>
      (m[1] ?? '').split('\n').map((l) => l.replace(/\s+#.*$/, '').trim()),
    ),
  );
  // What CI runs of the project's: every npm, npx or node command line, as run() or bare.
  const steps = ci
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(run\s+)?(npm|npx|node)\s/.test(l))
    .map((l) => l.replace(/^run\s+/, '').replace(/\s*\|\|.*$/, ''));
  t.same(steps, ['npm ci', 'npm test', 'npm run test:faults', 'npm run test:fleet']);
  for (const step of steps) {
    // npm ci is npm install held to the lockfile, as the README says.
    const asTyped = step === 'npm ci' ? 'npm install' : step;
    t.ok(typed.has(asTyped), `the README has \`${asTyped}\``);
  }
  t.match(readme, /`npm ci`/, 'the README says what npm ci is');
});
