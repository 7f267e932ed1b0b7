// An attachment's name is the name the recipient's machine saves it under: every path that
// names one (a channel's container, SEND's ATTACH, a report) goes through the composer, and
// the composer writes it through here. MIME encoding keeps a control character from becoming
// a header line, but not from reaching the file name: a name with LF, CR, NUL or ESC in it,
// a path (`../../x`, `C:\x`), or one that a bidirectional override makes read backwards
// (`invoice<U+202E>fdp.exe` shows as `invoiceexe.pdf`) is a name no one should save. Each
// such character becomes `_`; the rest of the name, and so its extension, is kept.

/** C0 and C1 controls, DEL, path separators, bidirectional marks and overrides. */
const UNSAFE = /[\x00-\x1f\x7f-\x9f/\\\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
/**
 * `name` as a file name that is safe to save: unsafe characters `_`. Its length is left to
 * the reader, which knows its file system (a long name is folded in the header, RFC 2231).
 */
export function safeFileName(name: string): string {
  const safe = name.replace(UNSAFE, '_');
  // A name of dots only names a folder.
  return /^\.+$/.test(safe) ? safe.replaceAll('.', '_') : safe;
}
