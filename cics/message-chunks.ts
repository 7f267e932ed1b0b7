// A message too large to be held whole: its size, what the relay must know of its octets,
// and its bytes in chunks. The composer makes one of a large mail, the journal writes it
// to its file, and the relay client sends one that reads the file back; only a chunk at a
// time is in memory. Journal and relay client both take it, so it lives here.

export interface MessageChunks {
  readonly byteLength: number;
  /** Every octet is ASCII (no BODY=8BITMIME needed). */
  readonly ascii: boolean;
  /** Every octet of the header section is ASCII (no SMTPUTF8 needed for it). */
  readonly headerAscii: boolean;
  /**
   * The bytes in order, from the start each time it is called. A chunk is valid only until
   * the next one is asked for: its memory is used again for the next.
   */
  chunks(): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
}

/** A message as a program hands it on: whole, or in chunks. */
export type MessageBytes = Uint8Array | MessageChunks;

export function isChunked(message: MessageBytes): message is MessageChunks {
  return !(message instanceof Uint8Array);
}

/** The message whole: a chunked one joined into one buffer of its size (for small ones). */
export async function wholeMessage(message: MessageBytes): Promise<Uint8Array> {
  if (!isChunked(message)) return message;
  const out = Buffer.allocUnsafe(message.byteLength);
  let at = 0;
  for await (const chunk of message.chunks()) {
    if (at + chunk.byteLength > out.length) throw new Error(`a message of ${message.byteLength} octets gave more`);
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  if (at !== out.length) throw new Error(`a message of ${message.byteLength} octets gave ${at}`);
  return out;
}
