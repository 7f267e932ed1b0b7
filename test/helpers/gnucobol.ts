// GnuCOBOL's records as an IBM mainframe's: what a COBOL program built, sent to a region.
import { codePage } from '../../cics/codepages.js';
import type { Item, RecordLayout } from '../../cics/copybook/layout.js';

const cp = codePage(37);

/**
 * GnuCOBOL's record as an IBM one: text and zoned bytes from ASCII to EBCDIC 037, COMP-5
 * from the machine's byte order to big-endian; binary and packed bytes are the same.
 */
export function asIbm(record: Buffer, layout: RecordLayout): Buffer {
  const out = Buffer.from(record);
  // `shift`: how far the enclosing table occurrences move this item.
  const walk = (item: Item, shift: number) => {
    if (item.redefines) return;
    for (let k = 0; k < (item.occurs?.max ?? 1); k++) {
      const at = item.offset + shift + k * item.size;
      if (at >= record.length) return;
      const bytes = record.subarray(at, at + item.size);
      if (item.kind === 'group') item.children.forEach((child) => walk(child, shift + k * item.size));
      else if (item.usage === 'display') cp.encode(bytes.toString('latin1')).copy(out, at);
      else if (item.usage === 'comp-5') Buffer.from(bytes).reverse().copy(out, at);
    }
  };
  walk(layout.root, 0);
  return out;
}
