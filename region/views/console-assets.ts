// The console's files: its own pages' modules and style (region/console/) and the libraries
// it runs, from their npm packages. Read once when the region starts into a table by name;
// a request names a file of the table or gets NOTFND, so no part of a URL ever reaches
// the file system (no `..`, no encoded or absolute paths to worry about).
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { projectFile } from '../../cics/paths.js';

export interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

const TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
};

const require = createRequire(import.meta.url);

/** A file of an installed package, by its path inside the package (found from its main module: not every package exports its package.json). */
function packageFile(pkg: string, path: string): string {
  let dir = dirname(require.resolve(pkg));
  while (!existsSync(join(dir, 'package.json')) || !isPackage(dir, pkg)) {
    const up = dirname(dir);
    if (up === dir) throw new Error(`cannot find the folder of package ${pkg}`);
    dir = up;
  }
  return join(dir, path);
}

function isPackage(dir: string, pkg: string): boolean {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === pkg;
}

/** The libraries, by the name the console's modules import them under (see the import map). */
export const VENDOR: Readonly<Record<string, { readonly name: string; readonly file: () => string }>> = {
  preact: { name: 'vendor/preact.mjs', file: () => packageFile('preact', 'dist/preact.mjs') },
  'preact/hooks': { name: 'vendor/preact-hooks.mjs', file: () => packageFile('preact', 'hooks/dist/hooks.mjs') },
  htm: { name: 'vendor/htm.mjs', file: () => packageFile('htm', 'dist/htm.mjs') },
  uplot: { name: 'vendor/uplot.mjs', file: () => packageFile('uplot', 'dist/uPlot.esm.js') },
};

function asset(body: Buffer, name: string): Asset {
  const ext = name.slice(name.lastIndexOf('.') + 1);
  const type = TYPES[ext];
  if (!type) throw new Error(`console asset ${name}: no content type for .${ext}`);
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** Every file the console serves, by its name under /console/static/. */
export function loadAssets(): ReadonlyMap<string, Asset> {
  const assets = new Map<string, Asset>();
  const own = projectFile('region', 'console');
  for (const name of readdirSync(own)) {
    if (/^[a-z0-9-]+\.(js|css|svg)$/.test(name)) assets.set(name, asset(readFileSync(join(own, name)), name));
  }
  for (const { name, file } of Object.values(VENDOR)) assets.set(name, asset(readFileSync(file()), name));
  assets.set('vendor/uplot.css', asset(readFileSync(packageFile('uplot', 'dist/uPlot.min.css')), 'uplot.css'));
  return assets;
}
