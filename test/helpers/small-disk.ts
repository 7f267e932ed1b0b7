// A small file system for the journal: a tmpfs of a few MiB that a file can fill (the
// disk-full tests and the fault suite).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dropOrphanCommitFailures } from '../../journal/commit-failure.js';
import type { TestLike } from './test-like.js';

/** Why a tmpfs cannot be mounted here, or false: tried once, on a scratch folder. */
function canMount(): string | false {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const probe = mkdtempSync(join(tmpdir(), 'cicsmail-mount-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { stdio: 'pipe' });
    execFileSync('umount', [probe]);
    return false;
  } catch (err) {
    return `cannot mount a tmpfs here: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** A tmpfs of `mib` MiB on a fresh folder, unmounted (lazily: the region may hold it) in teardown. */
export function smallDisk(t: TestLike, mib: number): string {
  // This test process fills a journal's disk: lmdb-js then leaves rejections nobody holds.
  dropOrphanCommitFailures();
  const dir = mkdtempSync(join(tmpdir(), 'cicsmail-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir], { stdio: 'pipe' });
  t.teardown(() => {
    execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Why this machine cannot mount a small tmpfs (mounting needs root), or false where it can. */
export const cannotMount: string | false = canMount();
