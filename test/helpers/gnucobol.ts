// GnuCOBOL as a source of records: whether `cobc` is here, a program compiled and run, and
// the record it wrote made into the one an IBM machine would have written.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { codePage } from '../../cics/codepages.js';
import type { Item, RecordLayout } from '../../cics/copybook/layout.js';

/** Why GnuCOBOL tests cannot run here, or false where they can. */
export const NO_COBC: string | false = (() => {
  try {
    execFileSync('cobc', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'cobc is not installed (Debian gnucobol3; .ci/run installs it)';
  }
})();

/**
 * Compiles `source` (EBCDIC signs: overpunched `{A-I` / `}J-R`, which cp037 makes x'C0'-x'C9'
 * and x'D0'-x'D9') with the copybook folders `includes` into `dir`, runs it with `env`, and
 * answers what it displayed.
 */
export function runCobol(
  dir: string,
  source: string,
  includes: readonly string[],
  env: Record<string, string>,
): string {
  const program = join(dir, 'program');
  execFileSync('cobc', ['-x', '-fsign=EBCDIC', ...includes.flatMap((i) => ['-I', i]), '-o', program, source]);
  return execFileSync(program, { env: { ...process.env, ...env }, encoding: 'latin1' });
}

/**
 * GnuCOBOL's record as an IBM one: text and zoned bytes from ASCII to EBCDIC 037, COMP-5
 * from the machine's byte order to big-endian; binary and packed bytes are the same.
 */
export function asIbm(record: Buffer, layout: RecordLayout): Buffer {
  const cp = codePage(37);
  const out = Buffer.from(record);
  // `shift`: how far the enclosing table occurrences move this item.
  const walk = (item: Item, shift: number) => {
    if (item.redefines) return;
    for (let k = 0; k < (item.occurs?.max ?? 1); k++) {
      const at = item.offset + shift + k * item.size;
      if (at >= record.length) return;
      const bytes = record.subarray(at, at + item.size);
      if (item.kind === 'group') item.children.forEach((child) => walk(child, shift + k * item.size));
      else if (item.usage === 'display') cp.encode(bytes.toString('latin1')).copy(out, at);
      else if (item.usage === 'comp-5') Buffer.from(bytes).reverse().copy(out, at);
    }
  };
  walk(layout.root, 0);
  return out;
}
