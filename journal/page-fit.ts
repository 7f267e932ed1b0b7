// Values kept within one LMDB page. A value of more than one page takes a run of free
// pages next to each other; in a large journal the pages that commits free lie all over
// the file, and lmdb-js's free list (how much of it is kept in memory: journal.ts
// environmentOptions) finds such runs only when it is long, at a cost each commit pays.
// A value of one page takes any free page. So what a mail writes each time is kept to a
// page: a message longer than one as parts (journal.ts), and the run of one octet that
// ends a COMMAREA (a MAILCA is 4,442 bytes, mostly blanks) as its length.

/**
 * Octets one value holds at most: within one 4 KB overflow page (LMDB's page header is
 * 24 bytes of it: OVPAGES in mdb.c), with room to spare for a key-value encoding's few bytes.
 */
export const PAGE_VALUE_BYTES = 4000;

/** Bytes with their last run of one octet left off: `bytes` then `count` times `octet`. */
export interface TrimmedBytes {
  readonly bytes: Uint8Array;
  readonly octet: number;
  readonly count: number;
}

/** Runs shorter than this stay as they are: the length would save nothing. */
const MIN_RUN = 16;

/** `bytes` without the run of one octet that ends it; null where no run worth it does. */
export function trimRun(bytes: Uint8Array): TrimmedBytes | null {
  const last = bytes.length - 1;
  if (last < 0) return null;
  const octet = bytes[last]!;
  let start = last;
  while (start > 0 && bytes[start - 1] === octet) start--;
  const count = bytes.length - start;
  return count < MIN_RUN ? null : { bytes: bytes.subarray(0, start), octet, count };
}

/** The bytes trimRun took apart, whole again. */
export function untrimRun(trimmed: TrimmedBytes): Uint8Array {
  const whole = new Uint8Array(trimmed.bytes.length + trimmed.count);
  whole.set(trimmed.bytes);
  whole.fill(trimmed.octet, trimmed.bytes.length);
  return whole;
}

/** `bytes` in views of PAGE_VALUE_BYTES at most, in order. */
export function pageParts(bytes: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += PAGE_VALUE_BYTES)
    parts.push(bytes.subarray(at, Math.min(at + PAGE_VALUE_BYTES, bytes.length)));
  return parts;
}
