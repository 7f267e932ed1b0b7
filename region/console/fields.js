// A COMMAREA field by field, as CECI shows one: name, offset, length, PICTURE, the value and
// its bytes in hex (trailing blanks counted rather than shown).
import { html, spacedHex, Wide } from './ui.js';

/** The significant bytes in hex and how many blanks (x'40') follow. */
function shownHex(hex) {
  let end = hex.length;
  while (end >= 2 && hex.slice(end - 2, end) === '40') end -= 2;
  const blanks = (hex.length - end) / 2;
  const head = hex.slice(0, Math.min(end, 96));
  const cut = end > 96 ? ` … (${end / 2} bytes)` : '';
  return `${spacedHex(head)}${cut}${blanks ? ` + ${blanks} × 40` : ''}`;
}

export function Fields({ caption, fields }) {
  return html`<${Wide} label=${caption}>
    <table class="list fields">
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">Offset</th>
          <th scope="col">Length</th>
          <th scope="col">PIC</th>
          <th scope="col">Value</th>
          <th scope="col">EBCDIC (hex)</th>
        </tr>
      </thead>
      <tbody>
        ${fields.map(
          (f) =>
            html`<tr>
              <th scope="row" class=${`depth-${f.depth}`}>${f.name}</th>
              <td class="num">${f.offset}</td>
              <td class="num">${f.size}</td>
              <td class="nowrap">${f.picture}${f.usage && f.usage !== 'DISPLAY' ? ` ${f.usage}` : ''}</td>
              <td class="value">
                ${f.value === null ? '' : typeof f.value === 'string' ? f.value : JSON.stringify(f.value)}
              </td>
              <td><code class="hex">${shownHex(f.hex)}</code></td>
            </tr>`,
        )}
      </tbody>
    </table>
  <//>`;
}
