// Values kept within one LMDB page. A value of more than one page takes a run of free
// pages next to each other; in a large journal the pages that commits free lie all over
// the file, and lmdb-js's free list (how much of it is kept in memory: journal.ts
// environmentOptions) finds such runs only when it is long, at a cost each commit pays.
// A value of one page takes any free page. So what a mail writes each time is kept to a
// page: a message longer than one as parts (journal.ts), and the task log's entries and
// request keys' answers compressed (lmdb-js's LZ4: a MAILCA is 4,442 bytes of mostly
// blanks before its body, 6 KB with a 2 KB body, and its entry a few hundred bytes).

/**
 * Octets one value holds at most: within one 4 KB overflow page (LMDB's page header is
 * 24 bytes of it: OVPAGES in mdb.c), with room to spare for a key-value encoding's few bytes.
 */
export const PAGE_VALUE_BYTES = 4000;

/** `bytes` in views of PAGE_VALUE_BYTES at most, in order. */
export function pageParts(bytes: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += PAGE_VALUE_BYTES)
    parts.push(bytes.subarray(at, Math.min(at + PAGE_VALUE_BYTES, bytes.length)));
  return parts;
}
