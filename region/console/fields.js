// A COMMAREA field by field, as CECI shows one: name, offset, length, PICTURE, the value and
// its bytes in hex (trailing blanks counted rather than shown).
import { html, spacedHex } from './ui.js';
import { Table } from './table.js';

/** @import { Column } from './table.js' */

/**
 * A field as POST /console/api/commarea reads it (region/views/commarea-fields.ts).
 * @typedef {{
 *   name: string,
 *   depth: number,
 *   offset: number,
 *   size: number,
 *   picture: string,
 *   usage: string,
 *   value: unknown,
 *   hex: string,
 * }} CommareaField
 */

/**
 * A COMMAREA made into bytes or read from them: POST /console/api/commarea/{tranid}.
 * @typedef {{ ccsid: number, length: number, hex: string, fields: CommareaField[] }} Commarea
 */

/**
 * The significant bytes in hex and how many blanks (x'40') follow.
 * @param {string} hex
 */
function shownHex(hex) {
  let end = hex.length;
  while (end >= 2 && hex.slice(end - 2, end) === '40') end -= 2;
  const blanks = (hex.length - end) / 2;
  const head = hex.slice(0, Math.min(end, 96));
  const cut = end > 96 ? ` … (${end / 2} bytes)` : '';
  return `${spacedHex(head)}${cut}${blanks ? ` + ${blanks} × 40` : ''}`;
}

/** @type {Column<CommareaField>[]} */
const COLUMNS = [
  { title: 'Field', cell: (f) => f.name, class: (f) => `depth-${f.depth}`, rowHeader: true },
  { title: 'Offset', cell: (f) => f.offset, class: 'num' },
  { title: 'Length', cell: (f) => f.size, class: 'num' },
  {
    title: 'PIC',
    cell: (f) => `${f.picture}${f.usage && f.usage !== 'DISPLAY' ? ` ${f.usage}` : ''}`,
    class: 'nowrap',
  },
  {
    title: 'Value',
    cell: (f) => (f.value === null ? '' : typeof f.value === 'string' ? f.value : JSON.stringify(f.value)),
    class: 'value',
  },
  { title: 'EBCDIC (hex)', cell: (f) => html`<code class="hex">${shownHex(f.hex)}</code>` },
];

/** @param {{ caption: string, fields: readonly CommareaField[] }} props */
export function Fields({ caption, fields }) {
  return html`<${Table} label=${caption} caption=${caption} class="list fields" columns=${COLUMNS} rows=${fields} />`;
}
