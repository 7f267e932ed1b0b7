// Lines of EBCDIC text once decoded. NL (x'15') and LF (x'25') both end a line whatever a
// code page maps them to (U+0085 or U+000A), and so does CR LF; a lone CR (x'0D') too, so
// that no bare CR reaches a mail. Trailing blanks are dropped, as fixed-length records
// carry them.
const LINE_END = /\r\n|\r\u0085|[\r\n\u0085]/;

export function textLines(text: string): string[] {
  const lines = text.split(LINE_END);
  for (let i = 0; i < lines.length; i++) lines[i] = trimBlanks(lines[i] as string);
  return lines;
}

/** Drops trailing blanks in one pass (`/ +$/` retries at every blank: quadratic on a long run). */
function trimBlanks(line: string): string {
  let end = line.length;
  while (end > 0 && line.charCodeAt(end - 1) === 0x20) end--;
  return end === line.length ? line : line.slice(0, end);
}
