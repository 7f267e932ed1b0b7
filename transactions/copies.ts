// What a worker makes of a shop's program copy (cics/program-copy.ts), made once per copy
// and kept by name and version: its compiled templates, its loaded module. A task carries
// the version it started with, so a NEWCOPY never races a task: the next task with the new
// version makes the new things, and a task still running holds the old ones. The newest
// few versions of a program are kept; an older one a late task asks for is made again.
import type { ProgramCopy } from '../cics/program-copy.js';

/** Versions of one program a worker keeps. */
const VERSIONS_KEPT = 4;

const byProgram = new Map<string, Map<number, Map<string, unknown>>>();

/** What `make` makes of `copy` under `what` (e.g. 'templates'), made once while the version is kept. */
export function cached<T>(copy: ProgramCopy, what: string, make: () => T): T {
  let versions = byProgram.get(copy.name);
  if (!versions) byProgram.set(copy.name, (versions = new Map<number, Map<string, unknown>>()));
  let things = versions.get(copy.version);
  if (!things) {
    versions.set(copy.version, (things = new Map<string, unknown>()));
    if (versions.size > VERSIONS_KEPT) versions.delete(Math.min(...versions.keys()));
  }
  if (things.has(what)) return things.get(what) as T;
  const made = make();
  things.set(what, made);
  return made;
}

/** Drops what was made of `copy` under `what`: the next task makes it again. */
export function forget(copy: ProgramCopy, what: string): void {
  byProgram.get(copy.name)?.get(copy.version)?.delete(what);
}

/** How messages name a copy: `NOTIFY version 2`. */
export function copyName(copy: ProgramCopy): string {
  return `${copy.name} version ${copy.version}`;
}
