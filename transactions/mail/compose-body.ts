// Part bodies in their Content-Transfer-Encoding, written straight into the message
// buffer, or in runs of at most a few hundred KiB for a message written in chunks. Each
// body knows its exact size before it is written, so the composer can allocate a small
// message once, and a large one is never whole in memory: a 20 MB attachment costs its
// own bytes and a run, and no whole-message string, base64 string or intermediate Buffer.
import { encode as qpEncode, wrap as qpWrap } from 'libqp';

export type TransferEncoding = '7bit' | 'quoted-printable' | 'base64';

/** A run of message octets: its exact size, and how to write them at `at`. */
export interface Piece {
  readonly size: number;
  /** Writes exactly `size` octets into `out` at `at`; returns `at + size`. */
  write(out: Buffer, at: number): number;
  /** The same octets in runs; a run is valid only until the next is asked for. */
  runs(): Iterable<Uint8Array>;
}

export interface Body extends Piece {
  readonly encoding: TransferEncoding;
}

/** Octets taken as they are (headers, delimiters): ASCII, or UTF-8 where an address is not. */
export function octets(text: string): Piece {
  return {
    size: Buffer.byteLength(text, 'utf8'),
    write: (out, at) => at + out.write(text, at, 'utf8'),
    *runs() {
      yield Buffer.from(text, 'utf8');
    },
  };
}

// ---- base64 -------------------------------------------------------------------------

// RFC 2045 6.8: lines of at most 76 characters; 57 octets make exactly 76.
const LINE_OCTETS = 57;
const LINE_CHARS = 76;
// Octets encoded per toString('base64') call: 1,024 lines (57 KiB in, 76 KiB out).
const BLOCK_OCTETS = LINE_OCTETS * 1024;

/** Size of `n` octets in base64 lines, each ended by CRLF. */
export function base64Size(n: number): number {
  return Math.ceil(n / 3) * 4 + Math.ceil(n / LINE_OCTETS) * 2;
}

/**
 * Base64 lines written in place. Octets come in any number of pushes; those short of a
 * whole line wait in a carry of 56 at most, so every line but the last holds 57 octets.
 */
class Base64Writer {
  private readonly carry = Buffer.alloc(LINE_OCTETS);
  private carried = 0;

  constructor(
    private readonly out: Buffer,
    public at: number,
  ) {}

  push(bytes: Uint8Array): void {
    let from = 0;
    if (this.carried > 0) {
      from = Math.min(LINE_OCTETS - this.carried, bytes.length);
      this.carry.set(bytes.subarray(0, from), this.carried);
      this.carried += from;
      if (this.carried < LINE_OCTETS) return;
      this.lines(this.carry, 0, LINE_OCTETS);
      this.carried = 0;
    }
    const whole = from + Math.floor((bytes.length - from) / LINE_OCTETS) * LINE_OCTETS;
    for (let start = from; start < whole; start += BLOCK_OCTETS)
      this.lines(bytes, start, Math.min(start + BLOCK_OCTETS, whole));
    this.carry.set(bytes.subarray(whole), 0);
    this.carried = bytes.length - whole;
  }

  /** The same writer, its carry kept, writing into `out` from now on. */
  movedTo(out: Buffer): Base64Writer {
    const moved = new Base64Writer(out, 0);
    moved.carry.set(this.carry.subarray(0, this.carried));
    moved.carried = this.carried;
    return moved;
  }

  /** Writes the last, short line; returns the offset after it. */
  end(): number {
    if (this.carried > 0) this.lines(this.carry, 0, this.carried);
    this.carried = 0;
    return this.at;
  }

  /**
   * Encodes `bytes[start, end)` (whole lines, or the last one) where it belongs: the base64
   * text goes in one write, then each line moves up to make room for the CRLFs, last line
   * first so that no line is overwritten before it has moved.
   */
  private lines(bytes: Uint8Array, start: number, end: number): void {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
    const chars = this.out.write(view.toString('base64'), this.at, 'latin1');
    const count = Math.ceil(chars / LINE_CHARS);
    for (let line = count - 1; line >= 0; line--) {
      const from = this.at + line * LINE_CHARS;
      const length = Math.min(LINE_CHARS, chars - line * LINE_CHARS);
      const to = this.at + line * (LINE_CHARS + 2);
      if (to !== from) this.out.copyWithin(to, from, from + length);
      this.out[to + length] = 0x0d;
      this.out[to + length + 1] = 0x0a;
    }
    this.at += chars + count * 2;
  }
}

/**
 * Blocks of octets in base64 lines, a run for each block of at most BLOCK_OCTETS, written
 * into one scratch buffer used again for every run.
 */
function* base64Runs(blocks: Iterable<Uint8Array>): Generator<Uint8Array> {
  let scratch = Buffer.allocUnsafe(0);
  let writer = new Base64Writer(scratch, 0);
  for (const block of blocks) {
    for (let start = 0; start < block.length; start += BLOCK_OCTETS) {
      const part = block.subarray(start, start + BLOCK_OCTETS);
      // The carry (a line at most) and this part, as whole lines: never more.
      const needed = base64Size(part.length + LINE_OCTETS);
      if (scratch.length < needed) {
        const grown = Buffer.allocUnsafe(needed);
        writer = writer.movedTo(grown);
        scratch = grown;
      }
      writer.at = 0;
      writer.push(part);
      if (writer.at > 0) yield scratch.subarray(0, writer.at);
    }
  }
  if (scratch.length < LINE_CHARS + 2) writer = writer.movedTo((scratch = Buffer.allocUnsafe(LINE_CHARS + 2)));
  writer.at = 0;
  const end = writer.end();
  if (end > 0) yield scratch.subarray(0, end);
}

/** Octets as they are, in base64: for anything that is not text. */
export function binaryBody(bytes: Uint8Array): Body {
  return {
    encoding: 'base64',
    size: base64Size(bytes.length),
    write(out, at) {
      const writer = new Base64Writer(out, at);
      writer.push(bytes);
      return writer.end();
    },
    runs: () => base64Runs([bytes]),
  };
}

// ---- text ---------------------------------------------------------------------------

/**
 * What decides a text's encoding, measured on the octets it goes out as: UTF-8, every
 * line ended by CRLF (a lone LF becomes CRLF, the last line gets one if it has none).
 */
export interface TextShape {
  /** Octets in all. */
  readonly octets: number;
  /** Octets that are not printable ASCII, tab or a line end: non-ASCII, controls, DEL. */
  readonly escaped: number;
  /** The longest line, in octets, without its CRLF. */
  readonly longestLine: number;
  /** A CR that no LF follows. */
  readonly loneCr: boolean;
  /** `=_`, which every boundary holds (see compose-part.ts). */
  readonly boundaryMark: boolean;
}

export function textShape(text: string): TextShape {
  let octets = 0;
  let escaped = 0;
  let line = 0;
  let longestLine = 0;
  let loneCr = false;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a) {
      // The CRLF: a CR before it was counted as a line octet, one that was not is added.
      if (i > 0 && text.charCodeAt(i - 1) === 0x0d) {
        octets += 1;
        line -= 1;
      } else {
        octets += 2;
      }
      if (line > longestLine) longestLine = line;
      line = 0;
      continue;
    }
    let n: number;
    if (c < 0x80) {
      n = 1;
      if (c === 0x0d) {
        if (text.charCodeAt(i + 1) !== 0x0a) loneCr = true;
      } else if ((c < 0x20 && c !== 0x09) || c === 0x7f) {
        escaped += 1;
      }
    } else {
      if (c < 0x800) n = 2;
      else if (c >= 0xd800 && c <= 0xdbff && i + 1 < length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        n = 4;
        i++;
      } else n = 3; // a lone surrogate goes out as U+FFFD, 3 octets, as Buffer.from() writes it
      escaped += n;
    }
    octets += n;
    line += n;
  }
  if (length === 0 || text.charCodeAt(length - 1) !== 0x0a) {
    octets += 2;
    if (line > longestLine) longestLine = line;
  }
  return { octets, escaped, longestLine, loneCr, boundaryMark: text.includes('=_') };
}

/**
 * 7bit where the text can go as it is: printable ASCII in lines of at most 998 octets
 * (RFC 5322 2.1.1) without `=_`. Base64 where more than a third of the octets would be
 * escaped (as nodemailer chooses: mostly non-Latin text is smaller and no less readable in
 * base64), quoted-printable for the rest.
 */
export function textEncoding(shape: TextShape): TransferEncoding {
  if (shape.escaped === 0 && !shape.loneCr && shape.longestLine <= 998 && !shape.boundaryMark) return '7bit';
  return shape.escaped * 3 > shape.octets ? 'base64' : 'quoted-printable';
}

// Text is converted this many UTF-16 units at a time, so a large text attachment is never
// held again whole as a CRLF string, a UTF-8 Buffer or a QP string.
const TEXT_CHUNK = 64 * 1024;

interface TextChunk {
  /** With CRLF line ends, and the last line end added where the text has none. */
  readonly text: string;
  /** Cut inside a line (a line longer than a chunk): QP ends it with a soft line break. */
  readonly midLine: boolean;
}

/** The text in chunks that end after a line end where they can. */
function* textChunks(text: string, chunk: number): Generator<TextChunk> {
  const length = text.length;
  let start = 0;
  while (start < length) {
    let end = Math.min(start + chunk, length);
    let midLine = false;
    if (end < length) {
      const lf = text.lastIndexOf('\n', end - 1);
      if (lf >= start) {
        end = lf + 1;
      } else {
        // Neither a CRLF nor a surrogate pair is cut in two.
        const last = text.charCodeAt(end - 1);
        if (last === 0x0d || (last >= 0xd800 && last <= 0xdbff)) end -= 1;
        midLine = true;
      }
    }
    let piece = text.slice(start, end).replace(/\r?\n/g, '\r\n');
    if (end === length && text.charCodeAt(length - 1) !== 0x0a) piece += '\r\n';
    yield { text: piece, midLine };
    start = end;
  }
  if (length === 0) yield { text: '\r\n', midLine: false };
}

const LONE_CR = /\r(?!\n)/;

/**
 * One chunk in quoted-printable. libqp escapes `=`, non-ASCII, controls, trailing blanks and
 * a hyphen that starts a line, but keeps a lone CR as it is (only its binary stream mode
 * escapes it), so the chunk is cut at lone CRs and they are put back as `=0D`.
 */
function qpChunk({ text, midLine }: TextChunk): string {
  const encoded = LONE_CR.test(text)
    ? text
        .split(LONE_CR)
        .map((s) => qpEncode(s))
        .join('=0D')
    : qpEncode(text);
  // A line cut between chunks ends with a soft break: 75 leaves room for its `=`.
  return midLine ? `${qpWrap(encoded, 75)}=\r\n` : qpWrap(encoded, 76);
}

/**
 * A text (lines joined by `\n`) in UTF-8 with CRLF line ends, in the encoding it needs.
 * `chunk` is for tests, to reach the cuts between chunks with small texts.
 */
export function textBody(text: string, chunk = TEXT_CHUNK): Body {
  const shape = textShape(text);
  const encoding = textEncoding(shape);
  if (encoding === '7bit') {
    return {
      encoding,
      size: shape.octets,
      write(out, at) {
        for (const piece of textChunks(text, chunk)) at += out.write(piece.text, at, 'latin1');
        return at;
      },
      *runs() {
        for (const piece of textChunks(text, chunk)) yield Buffer.from(piece.text, 'latin1');
      },
    };
  }
  if (encoding === 'base64') {
    return {
      encoding,
      size: base64Size(shape.octets),
      write(out, at) {
        const writer = new Base64Writer(out, at);
        for (const piece of textChunks(text, chunk)) writer.push(Buffer.from(piece.text, 'utf8'));
        return writer.end();
      },
      runs: () => base64Runs(mapped(textChunks(text, chunk), (piece) => Buffer.from(piece.text, 'utf8'))),
    };
  }
  // The size of quoted-printable is known only by encoding it. A text of one chunk (any
  // usual body) keeps its encoding from then; a longer one is encoded again when written
  // rather than held encoded.
  if (text.length < chunk) {
    const encoded = [...textChunks(text, chunk)].map(qpChunk).join('');
    return {
      encoding,
      size: encoded.length,
      write: (out, at) => at + out.write(encoded, at, 'latin1'),
      *runs() {
        yield Buffer.from(encoded, 'latin1');
      },
    };
  }
  let size = 0;
  for (const piece of textChunks(text, chunk)) size += qpChunk(piece).length;
  return {
    encoding,
    size,
    write(out, at) {
      for (const piece of textChunks(text, chunk)) at += out.write(qpChunk(piece), at, 'latin1');
      return at;
    },
    *runs() {
      for (const piece of textChunks(text, chunk)) yield Buffer.from(qpChunk(piece), 'latin1');
    },
  };
}

function* mapped<T, U>(items: Iterable<T>, f: (item: T) => U): Generator<U> {
  for (const item of items) yield f(item);
}
