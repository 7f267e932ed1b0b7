// MIME parts and multiparts, laid out as pieces of known size and written into one Buffer
// of the whole message, allocated once, or, for a large message, in chunks of one buffer
// used again for each (the journal writes them to the message's file).
import { isAscii } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { MessageChunks } from '../../cics/message-chunks.js';
import { octets, type Body, type Piece } from './compose-body.js';

export type Part =
  /** `headers`: its Content-Type and the like, each line with its CRLF; the transfer encoding is added. */
  | { readonly headers: string; readonly body: Body }
  | { readonly multipart: 'mixed' | 'alternative'; readonly parts: readonly Part[] };

/**
 * A new boundary for each multipart, so a nested one never shares its parent's.
 *
 * Why no part can hold a delimiter line (RFC 2046 5.1.1: `--` boundary at a line start):
 * every boundary holds `=_` and its own random UUID, and
 * - a header line starts with a field name or, folded, with a blank, never with `--`;
 * - quoted-printable writes `=` only as the start of an escape (`=3D`) or a soft line
 *   break, so never `=_` (and libqp escapes a hyphen that starts a line besides);
 * - base64 is letters, digits, `+`, `/`, and `=` only as padding at the end of a line;
 * - a 7bit text is sent as 7bit only when it holds no `=_` (compose-body.ts textEncoding);
 *   one that does goes as quoted-printable;
 * - a nested multipart's delimiters carry its own UUID, which no other boundary has, and
 *   all boundaries are of one length, so none is a prefix of another.
 * So a boundary is never tested against the content, and the content is never scanned.
 */
function newBoundary(): string {
  return `----=_cicsmail_${randomUUID()}`;
}

/** Pieces in order; adjacent text is joined into one piece. */
class Layout {
  readonly pieces: Piece[] = [];
  /** The text of each text piece. */
  readonly texts: string[] = [];
  private text = '';

  add(text: string): void {
    this.text += text;
  }

  body(piece: Piece): void {
    this.flush();
    this.pieces.push(piece);
  }

  flush(): void {
    if (this.text !== '') {
      this.pieces.push(octets(this.text));
      this.texts.push(this.text);
    }
    this.text = '';
  }

  /** A part: its headers (continuing a header block already begun), the blank line, its body. */
  part(part: Part): void {
    if ('body' in part) {
      this.add(`${part.headers}Content-Transfer-Encoding: ${part.body.encoding}\r\n\r\n`);
      this.body(part.body);
      return;
    }
    const boundary = newBoundary();
    this.add(`Content-Type: multipart/${part.multipart};\r\n boundary="${boundary}"\r\n\r\n`);
    // The CRLF before each delimiter belongs to the delimiter (RFC 2046 5.1.1), so every
    // part keeps its own last line end, and one that has none (an empty base64 body) is
    // still followed by a delimiter on a line of its own.
    part.parts.forEach((child, i) => {
      this.add(i === 0 ? `--${boundary}\r\n` : `\r\n--${boundary}\r\n`);
      this.part(child);
    });
    this.add(`\r\n--${boundary}--\r\n`);
  }
}

/** Octets in a chunk of a message written in chunks: a few writes to a file a megabyte. */
const CHUNK_BYTES = 256 * 1024;

/** A message laid out: its size known, its bytes written whole or in chunks, the same either way. */
export class ComposedMessage implements MessageChunks {
  readonly byteLength: number;
  readonly ascii: boolean;
  readonly headerAscii: boolean;
  readonly #pieces: readonly Piece[];

  constructor(headers: string, root: Part) {
    const layout = new Layout();
    layout.add(headers);
    layout.part(root);
    layout.flush();
    this.#pieces = layout.pieces;
    let size = 0;
    for (const piece of layout.pieces) size += piece.size;
    this.byteLength = size;
    // Bodies go in 7bit, quoted-printable or base64: only the header fields and the parts'
    // headers (text pieces) can hold other octets, and they are a few pieces of their own.
    this.ascii = layout.texts.every((text) => isAscii(Buffer.from(text, 'utf8')));
    this.headerAscii = isAscii(Buffer.from(headers, 'utf8'));
  }

  /** The whole message in one Buffer of its size. */
  toBuffer(): Buffer {
    const out = Buffer.allocUnsafe(this.byteLength);
    let at = 0;
    for (const piece of this.#pieces) {
      const end = piece.write(out, at);
      // allocUnsafe: a piece that wrote other than it said would leave old memory in the mail.
      if (end !== at + piece.size) throw new Error(`a piece of ${piece.size} octets wrote ${end - at}`);
      at = end;
    }
    return out;
  }

  /** The message in chunks of CHUNK_BYTES (the last shorter), each in the same buffer. */
  *chunks(): Generator<Uint8Array> {
    const out = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, this.byteLength));
    let filled = 0;
    let total = 0;
    for (const piece of this.#pieces) {
      let wrote = 0;
      for (const run of piece.runs()) {
        wrote += run.byteLength;
        for (let from = 0; from < run.byteLength;) {
          const n = Math.min(out.length - filled, run.byteLength - from);
          out.set(run.subarray(from, from + n), filled);
          filled += n;
          from += n;
          if (filled === out.length) {
            total += filled;
            if (total > this.byteLength) throw new Error(`a message of ${this.byteLength} octets wrote more`);
            yield out;
            filled = 0;
          }
        }
      }
      if (wrote !== piece.size) throw new Error(`a piece of ${piece.size} octets wrote ${wrote}`);
    }
    if (filled > 0) yield out.subarray(0, filled);
  }
}
