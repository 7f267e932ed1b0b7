// What the embedded capture relay received, newest first, as a mail catcher shows it.
import { bytes, ErrorNote, getJson, html, when } from './ui.js';
import { Table } from './table.js';
import { usePoll } from './poll.js';
import { MailView } from './mail.js';

/** @import { Poll } from './poll.js' */
/** @import { Column } from './table.js' */

/**
 * A mail as GET /captured lists it (region/capture-relay.ts).
 * @typedef {{
 *   id: number,
 *   receivedAt: string,
 *   from: string,
 *   to: string[],
 *   size: number,
 *   subject: string | null,
 *   messageId: string | null,
 * }} Captured
 */

/** @type {Column<Captured>[]} */
const COLUMNS = [
  { title: 'Received', cell: (m) => when(m.receivedAt), class: 'nowrap' },
  { title: 'From', cell: (m) => m.from },
  { title: 'To', cell: (m) => m.to.join(', ') },
  { title: 'Subject', cell: (m) => html`<a href=${`#/captured/${m.id}`}>${m.subject || '(no subject)'}</a>` },
  { title: 'Size', cell: (m) => bytes(m.size), class: 'num' },
];

export function CapturedList() {
  /** @type {Poll<Captured[]>} */
  const { data: mails, error } = usePoll((_, signal) => getJson('/captured?limit=200', signal), { every: 2000 });
  return html`
    <h1 tabindex="-1">Captured mail</h1>
    <p class="muted">What the region's own capture relay received (newest first; it refreshes itself).</p>
    <${ErrorNote} error=${error} />
    ${mails === null && !error && html`<p role="status">Loading…</p>`}
    ${
      mails &&
      html`<${Table}
        label="Captured mails"
        caption="Captured mails, newest first"
        captionHidden
        empty="Nothing captured yet."
        columns=${COLUMNS}
        rows=${mails}
        rowKey=${(/** @type {Captured} */ m) => m.id}
      />`
    }
  `;
}

/** @param {{ id: string }} props */
export function CapturedMail({ id }) {
  return html`
    <p><a href="#/captured">← Captured mail</a></p>
    <h1 tabindex="-1">Captured mail ${id}</h1>
    <${MailView} source="captured" id=${id} rawUrl=${`/captured/${id}`} />
  `;
}
