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
