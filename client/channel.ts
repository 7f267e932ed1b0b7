// A channel as the region takes it: multipart/form-data with a part a container (and
// DFHCOMMAREA). The parts are returned as a list of buffers, the containers' bytes
// referenced, not copied: a large attachment is copied once, when it is sent.
import { randomBytes } from 'node:crypto';

export interface ChannelPart {
  readonly name: string;
  /** The container's bytes, or its pieces in order. */
  readonly data: Uint8Array | readonly Uint8Array[];
  /** No Content-Type line where left out. */
  readonly contentType?: string;
  readonly filename?: string | null;
}

export interface ChannelBody {
  readonly parts: readonly Uint8Array[];
  readonly contentType: string;
}

export function newBoundary(): string {
  return `cicsmail-${randomBytes(12).toString('hex')}`;
}

/** The head of one part: its boundary line, Content-Disposition and Content-Type. */
export function partHead(boundary: string, part: Omit<ChannelPart, 'data'>, first = true): Buffer {
  const disposition = `form-data; name="${part.name}"${part.filename ? `; filename="${part.filename}"` : ''}`;
  const type = part.contentType ? `Content-Type: ${part.contentType}\r\n` : '';
  return Buffer.from(
    `${first ? '' : '\r\n'}--${boundary}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`,
    'utf8',
  );
}

export function channelEnd(boundary: string): Buffer {
  return Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
}

export function channelOf(parts: readonly ChannelPart[], boundary = newBoundary()): ChannelBody {
  const out: Uint8Array[] = [];
  parts.forEach((part, i) => {
    out.push(partHead(boundary, part, i === 0));
    if (part.data instanceof Uint8Array) out.push(part.data);
    else out.push(...part.data);
  });
  out.push(channelEnd(boundary));
  return { parts: out, contentType: `multipart/form-data; boundary=${boundary}` };
}

export function byteLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  return n;
}
