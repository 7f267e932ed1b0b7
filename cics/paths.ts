// Files that ship with the project (copybooks), found from any module whether it runs from
// the TypeScript sources or from the compiled `dist/`.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'copybooks'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the cicsmail project folder above ' + import.meta.url);
    dir = up;
  }
  return dir;
}

export const PROJECT_ROOT = findRoot();

export function projectFile(...parts: string[]): string {
  return join(PROJECT_ROOT, ...parts);
}

/**
 * The URL of a sibling module of `base`, with the same extension as `base` has: `.ts`
 * when the sources run (tests), `.js` in `dist/`.
 */
export function moduleUrl(base: string, relative: string): string {
  const ext = base.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`${relative}${ext}`, base).href;
}
