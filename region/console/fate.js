// Mail fate in the console: each recipient's fate on a record's page, and a page of its
// own for the webhooks (pause, resume), their outbox, and the suppression list (add,
// remove, its log).
import { useEffect, useState } from 'preact/hooks';
import { call, ErrorNote, getJson, html, when, Wide } from './ui.js';

function useLoad(url, every = 5000) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stop = false;
    const load = () =>
      getJson(url).then(
        (d) => !stop && (setData(d), setError(null)),
        (e) => !stop && setError(e),
      );
    load();
    const timer = setInterval(load, every);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [url, tick]);
  return { data, error, reload: () => setTick((n) => n + 1) };
}

/** The recipients of a record with their fates (a record's page). */
export function RecipientFates({ seq }) {
  const { data, error } = useLoad(`/journal/${seq}/fate`, 3000);
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!data || data.recipients.length === 0) return null;
  return html`<h2 id="fate-heading">Fate</h2>
    <${Wide} label="Fate">
      <table class="list" aria-labelledby="fate-heading">
        <thead>
          <tr>
            <th scope="col">Recipient</th>
            <th scope="col">Fate</th>
            <th scope="col">Status</th>
            <th scope="col">Diagnostic</th>
            <th scope="col">Since</th>
          </tr>
        </thead>
        <tbody>
          ${data.recipients.map(
            (v) =>
              html`<tr>
                <td>${v.recipient}</td>
                <td><span class=${`badge fate-${v.fate.toLowerCase()}`}>${v.fate}</span></td>
                <td>${v.status || '—'}</td>
                <td>${v.diagnostic || '—'}</td>
                <td class="nowrap">${v.at ? when(v.at) : '—'}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    <//>
    ${data.suppressed.length > 0 && html`<p>Left out, suppressed: ${data.suppressed.join(', ')}</p>`}`;
}

function Webhooks() {
  const { data, error, reload } = useLoad('/cemt/webhooks');
  const [err, setErr] = useState(null);
  const toggle = (w) =>
    call('PUT', `/cemt/webhooks/${encodeURIComponent(w.name)}`, { paused: !w.paused }).then(reload, setErr);
  return html`<section aria-labelledby="hooks-heading">
    <h2 id="hooks-heading">Webhooks</h2>
    <${ErrorNote} error=${error ?? err} />
    ${
      data?.length === 0
        ? html`<p>No webhooks (CICSMAIL_WEBHOOKS).</p>`
        : html`<table class="list">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">URL</th>
                <th scope="col">Events</th>
                <th scope="col">Delivered</th>
                <th scope="col">Failed tries</th>
                <th scope="col">Expired</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              ${(data ?? []).map(
                (w) =>
                  html`<tr>
                    <td>${w.name}</td>
                    <td>${w.url}</td>
                    <td>${w.events.join(', ')}</td>
                    <td>${w.delivered}</td>
                    <td>${w.failedTries}</td>
                    <td>${w.expired}</td>
                    <td>
                      <button type="button" onClick=${() => toggle(w)}>${w.paused ? 'Resume' : 'Pause'}</button>
                      ${w.paused ? ' paused' : ' sending'}
                    </td>
                  </tr>`,
              )}
            </tbody>
          </table>`
    }
  </section>`;
}

function Outbox() {
  const { data, error } = useLoad('/cemt/outbox');
  return html`<section aria-labelledby="outbox-heading">
    <h2 id="outbox-heading">Outbox (${data?.size ?? 0})</h2>
    <${ErrorNote} error=${error} />
    <${Wide} label="Outbox">
      <table class="list">
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Event</th>
            <th scope="col">Mail</th>
            <th scope="col">Recipient</th>
            <th scope="col">Deliveries</th>
          </tr>
        </thead>
        <tbody>
          ${(data?.events ?? []).map(
            (e) =>
              html`<tr>
                <td>${e.id}</td>
                <td>${e.type}</td>
                <td><a href=${`#/journal/${e.data.seq}`}>${e.data.seq}</a></td>
                <td>${e.data.recipient ?? '—'}</td>
                <td>
                  ${Object.entries(e.deliveries)
                    .map(([name, d]) => `${name}: ${d.state}, ${d.attempts} tries${d.last ? `, ${d.last}` : ''}`)
                    .join('; ')}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
    <//>
  </section>`;
}

function Suppression() {
  const { data, error, reload } = useLoad('/cemt/suppression?limit=1000');
  const [address, setAddress] = useState('');
  const [err, setErr] = useState(null);
  const add = (e) => {
    e.preventDefault();
    call('PUT', `/cemt/suppression/${encodeURIComponent(address)}`, {}).then(() => (setAddress(''), reload()), setErr);
  };
  const remove = (a) => call('DELETE', `/cemt/suppression/${encodeURIComponent(a)}`).then(reload, setErr);
  return html`<section aria-labelledby="supp-heading">
    <h2 id="supp-heading">Suppression list</h2>
    <${ErrorNote} error=${error ?? err} />
    <form onSubmit=${add}>
      <label>Address <input value=${address} onInput=${(e) => setAddress(e.target.value)} required /></label>
      <button type="submit">Suppress</button>
    </form>
    <table class="list">
      <thead>
        <tr>
          <th scope="col">Address</th>
          <th scope="col">Reason</th>
          <th scope="col">Status</th>
          <th scope="col">Since</th>
          <th scope="col">Until</th>
          <th scope="col">By</th>
          <th scope="col">Action</th>
        </tr>
      </thead>
      <tbody>
        ${(data ?? []).map(
          (s) =>
            html`<tr>
              <td>${s.address}</td>
              <td>${s.reason}</td>
              <td>${s.status || '—'}</td>
              <td class="nowrap">${when(s.at)}</td>
              <td class="nowrap">${s.expiresAt ? when(s.expiresAt) : 'never'}</td>
              <td>${s.by}</td>
              <td><button type="button" onClick=${() => remove(s.address)}>Remove</button></td>
            </tr>`,
        )}
      </tbody>
    </table>
  </section>`;
}

export function FatePage() {
  return html`<h1 tabindex="-1">Mail fate</h1>
    <${Webhooks} />
    <${Outbox} />
    <${Suppression} />`;
}
