// A mail taken apart by the region (/console/api/mail/...): headers, text, the HTML part in a
// sandboxed frame (the route forbids it scripts and remote loads, and so does the frame),
// attachments to download and the raw bytes.
import { useEffect, useState } from 'preact/hooks';
import { bytes, ErrorNote, getJson, html } from './ui.js';
import { Table } from './table.js';

/** @import { Column } from './table.js' */

/**
 * A mail as GET /console/api/mail/{source}/{id} takes it apart (region/views/mail-view.ts).
 * @typedef {{
 *   headers: { name: string, value: string }[],
 *   subject: string,
 *   text: string | null,
 *   hasHtml: boolean,
 *   size: number,
 *   attachments: { index: number, filename: string, mimeType: string, size: number, inline: boolean }[],
 * }} Mail
 */

/** @type {Column<Mail['headers'][number]>[]} */
const HEADER_COLUMNS = [
  { title: 'Name', cell: (h) => h.name, rowHeader: true },
  { title: 'Value', cell: (h) => h.value },
];

/**
 * @param {{
 *   source: 'journal' | 'captured',
 *   id: string,
 *   rawUrl: string,
 *   headingLevel?: number,
 * }} props
 */
export function MailView({ source, id, rawUrl, headingLevel = 2 }) {
  const [mail, setMail] = useState(/** @type {Mail | null} */ (null));
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const base = `/console/api/mail/${source}/${id}`;
  useEffect(() => {
    /** @type {Promise<Mail>} */
    const read = getJson(base);
    read.then(setMail, setError);
  }, [base]);
  const H = `h${headingLevel}`;
  const H3 = `h${headingLevel + 1}`;
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!mail) return html`<p role="status">Loading the mail…</p>`;
  return html`
    <section aria-labelledby="mail-heading" class="mail">
      <${H} id="mail-heading">The mail</${H}>
      <p class="subject"><strong>${mail.subject || '(no subject)'}</strong> · ${bytes(mail.size)}</p>
      <dl class="pairs">
        ${['From', 'To', 'Cc', 'Reply-To', 'Date', 'Message-ID'].map((name) => {
          const h = mail.headers.find((x) => x.name.toLowerCase() === name.toLowerCase());
          return (
            h &&
            html`<dt>${name}</dt>
              <dd>${h.value}</dd>`
          );
        })}
      </dl>
      <details>
        <summary>Headers (${mail.headers.length})</summary>
        <${Table} label="Headers" class="headers" columns=${HEADER_COLUMNS} rows=${mail.headers} />
      </details>
      ${
        mail.hasHtml &&
        html`<${H3}>HTML part</${H3}>
        <iframe
          class="mail-html"
          sandbox=""
          referrerpolicy="no-referrer"
          title="The mail's HTML part (scripts and remote images blocked)"
          src=${`${base}/html`}
        ></iframe>`
      }
      ${mail.text !== null && html`<${H3}>Text part</${H3}><pre class="mail-text" tabindex="0">${mail.text}</pre>`}
      ${
        mail.attachments.length > 0 &&
        html`<${H3}>Attachments</${H3}>
        <ul class="attachments">
          ${mail.attachments.map(
            (a) =>
              html`<li>
                <a href=${`${base}/attachments/${a.index}`} download=${a.filename || `part-${a.index + 1}.bin`}
                  >${a.filename || `part ${a.index + 1}`}</a
                >
                <span class="muted">${a.mimeType} · ${bytes(a.size)}${a.inline ? ' · inline' : ''}</span>
              </li>`,
          )}
        </ul>`
      }
      <p><a href=${rawUrl} download=${`${source}-${id}.eml`}>Download the raw bytes (.eml)</a></p>
    </section>
  `;
}
