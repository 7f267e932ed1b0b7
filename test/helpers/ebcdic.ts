// EBCDIC made by glibc's iconv, independently of the region's own code pages: what a
// mainframe job would have written, for tests of the text transactions.
import { execFileSync } from 'node:child_process';

/** `lines` in IBMnnn, each ending in NL (x'15'), as records of a spool file. */
export function ebcdicLines(lines: readonly string[], ccsid: number): Buffer {
  const name = `IBM${String(ccsid).padStart(3, '0')}`;
  // glibc maps U+0085 (NEL) to NL x'15' in every one of these pages.
  return execFileSync('iconv', ['-f', 'UTF-8', '-t', name], {
    input: lines.map((l) => `${l}\u0085`).join(''),
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** EBCDIC bytes back to text with glibc's iconv. */
export function fromEbcdic(bytes: Uint8Array, ccsid: number): string {
  return execFileSync('iconv', ['-f', `IBM${String(ccsid).padStart(3, '0')}`, '-t', 'UTF-8'], {
    input: bytes,
    maxBuffer: 64 * 1024 * 1024,
  }).toString('utf8');
}
