// The input of the text transactions (SEND, SPOL) as a request: EBCDIC lines ending in NL,
// sent as the COMMAREA where they fit one, else as container INPUT on a channel.
import { codePage } from '../cics/codepages.js';
import { INPUT_CONTAINER, MAX_COMMAREA } from '../cics/task.js';
import { textLines } from '../cics/text-lines.js';
import { byteLength, channelOf, type ChannelBody } from './channel.js';

/** A character of the text that the code page cannot hold. */
export class UnmappableText extends Error {
  readonly code = 'CICSMAIL_UNMAPPABLE';
}

const NL = Buffer.of(0x15);

/** UTF-8 text as EBCDIC lines, each ending in NL (x'15'); a character the code page lacks is an error with its place. */
export function ebcdicLines(text: string, ccsid: number): Buffer {
  const cp = codePage(ccsid);
  const lines = textLines(text);
  if (lines.at(-1) === '') lines.pop();
  const parts: Buffer[] = [];
  for (const [i, line] of lines.entries()) {
    const bytes = cp.encode(line);
    if (cp.decode(bytes) !== line) {
      const chars = [...line];
      const bad = chars.findIndex((c) => cp.decode(cp.encode(c)) !== c);
      throw new UnmappableText(
        `line ${i + 1}: '${chars[bad] ?? '?'}' has no place in code page ${String(ccsid).padStart(3, '0')}`,
      );
    }
    parts.push(bytes, NL);
  }
  return Buffer.concat(parts);
}

/** The body of a SEND or SPOL request whose input is `parts` (EBCDIC in `ccsid`, joined). */
export function textTaskBody(parts: readonly Uint8Array[], ccsid: number): ChannelBody {
  if (byteLength(parts) <= MAX_COMMAREA) return { parts, contentType: 'application/octet-stream' };
  return channelOf([
    { name: INPUT_CONTAINER, contentType: `text/plain; charset=ibm-${String(ccsid).padStart(3, '0')}`, data: parts },
  ]);
}
