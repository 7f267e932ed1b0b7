// Text sent as EBCDIC that is not: a COMMAREA a program wrote in ASCII or UTF-8 (a script's
// printf, a Python str.encode() without 'cp037'). Read in an EBCDIC code page it is control
// characters and odd symbols, and the first check that fails says something true but
// useless ("MC-VERSION is ''"); this tells the caller what happened instead.
//
// Letters and digits tell the two apart: in ASCII they are x'30'-x'39', x'41'-x'5A' and
// x'61'-x'7A'; in every EBCDIC code page the region has they are x'81'-x'A9' and
// x'C1'-x'F9' (less a few), where ASCII has none. EBCDIC text holds ASCII's ranges only
// as punctuation (x'4B' is '.', x'61' '/', x'7A' ':'), never as most of its letters.

/** Whose letter or digit the byte is: ASCII's, EBCDIC's, or neither's. */
function alnumOf(b: number): 'ascii' | 'ebcdic' | null {
  if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) return 'ascii';
  if (
    (b >= 0x81 && b <= 0x89) ||
    (b >= 0x91 && b <= 0x99) ||
    (b >= 0xa2 && b <= 0xa9) ||
    (b >= 0xc1 && b <= 0xc9) ||
    (b >= 0xd1 && b <= 0xd9) ||
    (b >= 0xe2 && b <= 0xe9) ||
    (b >= 0xf0 && b <= 0xf9)
  )
    return 'ebcdic';
  return null;
}

/** Whether `bytes` hold a UTF-8 sequence of two bytes or more (and no byte UTF-8 cannot have). */
function hasUtf8Sequence(bytes: Uint8Array): boolean {
  let sequences = 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    if (b < 0x80) continue;
    const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (length === 0) return false;
    for (let k = 1; k < length; k++) {
      const c = bytes[i + k];
      if (c === undefined || c < 0x80 || c > 0xbf) return false;
    }
    i += length - 1;
    sequences++;
  }
  return sequences > 0;
}

/**
 * 'ASCII' or 'UTF-8' where bytes meant as EBCDIC text read as text in that encoding: at
 * least four letters or digits in ASCII's ranges, and four times as many as in EBCDIC's
 * (a UTF-8 sequence's bytes may fall there); undefined where they may well be EBCDIC.
 */
export function notEbcdic(bytes: Uint8Array): 'ASCII' | 'UTF-8' | undefined {
  let ascii = 0;
  let ebcdic = 0;
  for (const b of bytes) {
    const whose = alnumOf(b);
    if (whose === 'ascii') ascii++;
    else if (whose === 'ebcdic') ebcdic++;
  }
  if (ascii < 4 || ascii < 4 * ebcdic) return undefined;
  return hasUtf8Sequence(bytes) ? 'UTF-8' : 'ASCII';
}
