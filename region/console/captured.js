// What the embedded capture relay received, newest first, as a mail catcher shows it.
import { useEffect, useState } from 'preact/hooks';
import { bytes, ErrorNote, getJson, html, when, Wide } from './ui.js';
import { MailView } from './mail.js';

export function CapturedList() {
  const [mails, setMails] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let stop = false;
    const load = () =>
      getJson('/captured?limit=200').then(
        (m) => {
          if (!stop) {
            setMails(m);
            setError(null);
          }
        },
        (e) => !stop && setError(e),
      );
    load();
    const timer = setInterval(load, 2000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, []);
  return html`
    <h1 tabindex="-1">Captured mail</h1>
    <p class="muted">What the region's own capture relay received (newest first; it refreshes itself).</p>
    <${ErrorNote} error=${error} />
    ${mails === null && !error && html`<p role="status">Loading…</p>`}
    ${mails?.length === 0 && html`<p>Nothing captured yet.</p>`}
    ${
      mails?.length > 0 &&
      html`<${Wide} label="Captured mails">
        <table class="list">
          <caption class="sr-only">
            Captured mails, newest first
          </caption>
          <thead>
            <tr>
              <th scope="col">Received</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Subject</th>
              <th scope="col">Size</th>
            </tr>
          </thead>
          <tbody>
            ${mails.map(
              (m) =>
                html`<tr>
                  <td class="nowrap">${when(m.receivedAt)}</td>
                  <td>${m.from}</td>
                  <td>${m.to.join(', ')}</td>
                  <td><a href=${`#/captured/${m.id}`}>${m.subject || '(no subject)'}</a></td>
                  <td class="num">${bytes(m.size)}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      <//>`
    }
  `;
}

export function CapturedMail({ id }) {
  return html`
    <p><a href="#/captured">← Captured mail</a></p>
    <h1 tabindex="-1">Captured mail ${id}</h1>
    <${MailView} source="captured" id=${id} rawUrl=${`/captured/${id}`} />
  `;
}
