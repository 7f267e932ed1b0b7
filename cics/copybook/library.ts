// The copybooks that ship in `copybooks/`, parsed once per thread.
import { readFileSync } from 'node:fs';
import { projectFile } from '../paths.js';
import type { RecordLayout } from './layout.js';
import { parseCopybook } from './parse.js';

const cache = new Map<string, RecordLayout>();

/** The layout of `copybooks/NAME.cpy`; throws a CopybookError where it cannot be read. */
export function copybook(name: string): RecordLayout {
  let layout = cache.get(name);
  if (!layout) {
    const file = `${name}.cpy`;
    layout = parseCopybook(readFileSync(projectFile('copybooks', file), 'latin1'), file);
    cache.set(name, layout);
  }
  return layout;
}
