// What the helpers take of tap's Test, and a folder of a test's own.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The part of tap's Test that the helpers use. */
export interface TestLike {
  testdir(content?: Record<string, never>): string;
  teardown(fn: () => unknown): void;
}

/**
 * A fresh folder of the test's own, removed in teardown. Not t.testdir(): tap empties that
 * folder on every call, so a test that asks for one after starting a region would wipe
 * the region's journal and users under it.
 */
export function freshDir(t: TestLike): string {
  const dir = mkdtempSync(join(tmpdir(), 'cicsmail-test-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
