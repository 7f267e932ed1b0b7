// The console's one table: columns (a heading and each row's cell) and rows, in a box that
// scrolls sideways on a phone and can be reached with the keyboard to do so.
import { html } from './ui.js';

/** @import { ComponentChildren } from 'preact' */

/**
 * A column: its heading, each row's cell, the cell's class (num, nowrap, …: console.css),
 * and whether the cell names its row (a row header, which screen readers announce).
 * @template R
 * @typedef {{
 *   title: string,
 *   cell: (row: R) => ComponentChildren,
 *   class?: string | ((row: R) => string),
 *   rowHeader?: boolean,
 * }} Column
 */

/**
 * @template R
 * @typedef {{
 *   label: string,
 *   columns: readonly Column<R>[],
 *   rows: readonly R[],
 *   caption?: string,
 *   captionHidden?: boolean,
 *   empty?: string,
 *   class?: string,
 *   rowKey?: (row: R) => string | number,
 * }} TableProps
 */

/**
 * A table that may be wider than a phone: scrolls sideways, and can be reached with the keyboard to do so.
 * @param {{ label: string, children?: ComponentChildren }} props
 */
function Wide({ label, children }) {
  return html`<div class="wide" tabindex="0" role="region" aria-label=${label}>${children}</div>`;
}

/**
 * `label` names the scrolling box; `caption` the table (seen, or for screen readers only
 * with `captionHidden`); `empty` is said in place of a table without rows (where it is not
 * given, the headings show alone); `class` is the table's (list unless said).
 * @template R
 * @param {TableProps<R>} props
 */
export function Table({ label, columns, rows, caption, captionHidden, empty, class: tableClass = 'list', rowKey }) {
  if (rows.length === 0 && empty !== undefined) return html`<p>${empty}</p>`;
  return html`<${Wide} label=${label}>
    <table class=${tableClass}>
      ${
        caption !== undefined &&
        html`<caption class=${captionHidden ? 'sr-only' : undefined}>
          ${caption}
        </caption>`
      }
      <thead>
        <tr>
          ${columns.map((c) => html`<th scope="col">${c.title}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows.map(
          (row) =>
            html`<tr key=${rowKey?.(row)}>
              ${columns.map((c) => {
                const cls = typeof c.class === 'function' ? c.class(row) : c.class;
                return c.rowHeader
                  ? html`<th scope="row" class=${cls}>${c.cell(row)}</th>`
                  : html`<td class=${cls}>${c.cell(row)}</td>`;
              })}
            </tr>`,
        )}
      </tbody>
    </table>
  <//>`;
}
