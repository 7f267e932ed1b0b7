// The two 7-bit encodings that DSN parameters are written in: xtext (RFC 3461 4) for ENVID
// and an ASCII ORCPT, and utf-8-addr-xtext (RFC 6533 3) for an ORCPT that is not ASCII.
// Both keep a parameter one word of printable ASCII, whatever the text held: a space, a
// CR or LF, `+`, `=` or a non-ASCII character can never end the command or start another.

/** RFC 3461 4: xchar, "!" to "~" but "+" and "=", stands for itself. */
function isXchar(octet: number): boolean {
  return octet >= 0x21 && octet <= 0x7e && octet !== 0x2b && octet !== 0x3d;
}

/** The text's UTF-8 octets as xtext: each octet that is no xchar as `+` and two upper-case hex digits. */
export function xtext(text: string): string {
  let out = '';
  for (const octet of Buffer.from(text, 'utf8')) {
    out += isXchar(octet) ? String.fromCharCode(octet) : `+${octet.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** RFC 6533 3 QCHAR: printable ASCII but "+", "=" and "\". */
function isQchar(codePoint: number): boolean {
  return isXchar(codePoint) && codePoint !== 0x5c;
}

/**
 * An address as RFC 6533's utf-8-addr-xtext: each code point that is no QCHAR as
 * `\x{HEX}`, upper-case hex without leading zeros, at least two digits.
 */
export function utf8AddrXtext(address: string): string {
  let out = '';
  for (const char of address) {
    const codePoint = char.codePointAt(0) ?? 0;
    out += isQchar(codePoint) ? char : `\\x{${codePoint.toString(16).toUpperCase().padStart(2, '0')}}`;
  }
  return out;
}
