// Mail fate in the console: each recipient's fate on a record's page, and a page of its
// own for the webhooks (pause, resume), their outbox, and the suppression list (add,
// remove, its log).
import { useState } from 'preact/hooks';
import { call, ErrorNote, getJson, html, messageOf, when } from './ui.js';
import { usePoll } from './poll.js';
import { Table } from './table.js';

/** @import { Poll } from './poll.js' */
/** @import { Column } from './table.js' */

/**
 * A recipient's fate, as GET /journal/{seq}/fate answers it.
 * @typedef {{ recipient: string, fate: string, status?: string, diagnostic?: string, at?: string }} RecipientFate
 * @typedef {{ recipients: RecipientFate[], suppressed: string[] }} RecordFate
 */

/**
 * A webhook as GET /cemt/webhooks shows it (never its secret).
 * @typedef {{
 *   name: string, url: string, events: string[], delivered: number, failedTries: number,
 *   expired: number, paused: boolean,
 * }} Webhook
 */

/**
 * The outbox: its size and the events in it, each with its deliveries by webhook.
 * @typedef {{ state: string, attempts: number, last?: string }} Delivery
 * @typedef {{ id: string, type: string, data: { seq: number, recipient?: string }, deliveries: Record<string, Delivery> }} OutboxEvent
 * @typedef {{ size: number, events: OutboxEvent[] }} OutboxJson
 */

/**
 * An address on the suppression list.
 * @typedef {{
 *   address: string, reason: string, status?: string, at: string, expiresAt?: string | null, by: string,
 * }} Suppressed
 */

/**
 * GET `url` now and every `every` ms, as every page polls (poll.js).
 * @template T
 * @param {string} url
 * @param {number} [every]
 * @returns {Poll<T>}
 */
function useRead(url, every = 5000) {
  return usePoll((_, signal) => getJson(url, signal), { every, key: [url] });
}

/**
 * A change (PUT, DELETE) and its error: a refusal, or no answer at all; `after` runs once it is done.
 * @param {() => void} after
 */
function useChange(after) {
  const [error, setError] = useState(/** @type {unknown} */ (null));
  /**
   * @param {string} method
   * @param {string} url
   * @param {unknown} [body]
   * @returns {Promise<boolean>} whether the region did it
   */
  const change = async (method, url, body) => {
    setError(null);
    try {
      const r = await call(method, url, body);
      if (!r.ok) throw new Error(messageOf(r));
      after();
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };
  return { error, change };
}

/** @type {readonly Column<RecipientFate>[]} */
const FATE_COLUMNS = [
  { title: 'Recipient', cell: (v) => v.recipient, rowHeader: true },
  { title: 'Fate', cell: (v) => html`<span class=${`badge fate-${v.fate.toLowerCase()}`}>${v.fate}</span>` },
  { title: 'Status', cell: (v) => v.status || '—' },
  { title: 'Diagnostic', cell: (v) => v.diagnostic || '—' },
  { title: 'Since', cell: (v) => (v.at ? when(v.at) : '—'), class: 'nowrap' },
];

/**
 * The recipients of a record with their fates (a record's page).
 * @param {{ seq: number | string }} props
 */
export function RecipientFates({ seq }) {
  /** @type {Poll<RecordFate>} */
  const { data, error } = useRead(`/journal/${seq}/fate`, 3000);
  if (error) return html`<${ErrorNote} error=${error} />`;
  if (!data || data.recipients.length === 0) return null;
  return html`<h2 id="fate-heading">Fate</h2>
    <${Table}
      label="Fate"
      caption="Each recipient's fate"
      captionHidden
      columns=${FATE_COLUMNS}
      rows=${data.recipients}
    />
    ${data.suppressed.length > 0 && html`<p>Left out, suppressed: ${data.suppressed.join(', ')}</p>`}`;
}

function Webhooks() {
  /** @type {Poll<Webhook[]>} */
  const { data, error, reload } = useRead('/cemt/webhooks');
  const { error: refused, change } = useChange(reload);
  /** @type {readonly Column<Webhook>[]} */
  const columns = [
    { title: 'Name', cell: (w) => w.name, rowHeader: true },
    { title: 'URL', cell: (w) => w.url },
    { title: 'Events', cell: (w) => w.events.join(', ') },
    { title: 'Delivered', cell: (w) => w.delivered, class: 'num' },
    { title: 'Failed tries', cell: (w) => w.failedTries, class: 'num' },
    { title: 'Expired', cell: (w) => w.expired, class: 'num' },
    {
      title: 'State',
      cell: (w) =>
        html`<button
            type="button"
            onClick=${() => void change('PUT', `/cemt/webhooks/${encodeURIComponent(w.name)}`, { paused: !w.paused })}
          >
            ${w.paused ? 'Resume' : 'Pause'}
          </button>
          ${w.paused ? ' paused' : ' sending'}`,
    },
  ];
  return html`<section aria-labelledby="hooks-heading">
    <h2 id="hooks-heading">Webhooks</h2>
    <${ErrorNote} error=${error ?? refused} />
    ${
      data &&
      html`<${Table} label="Webhooks" columns=${columns} rows=${data} empty="No webhooks (CICSMAIL_WEBHOOKS)." />`
    }
  </section>`;
}

/** @type {readonly Column<OutboxEvent>[]} */
const OUTBOX_COLUMNS = [
  { title: 'Id', cell: (e) => e.id, rowHeader: true },
  { title: 'Event', cell: (e) => e.type },
  { title: 'Mail', cell: (e) => html`<a href=${`#/journal/${e.data.seq}`}>${e.data.seq}</a>` },
  { title: 'Recipient', cell: (e) => e.data.recipient ?? '—' },
  {
    title: 'Deliveries',
    cell: (e) =>
      Object.entries(e.deliveries)
        .map(([name, d]) => `${name}: ${d.state}, ${d.attempts} tries${d.last ? `, ${d.last}` : ''}`)
        .join('; '),
  },
];

function Outbox() {
  /** @type {Poll<OutboxJson>} */
  const { data, error } = useRead('/cemt/outbox');
  return html`<section aria-labelledby="outbox-heading">
    <h2 id="outbox-heading">Outbox (${data?.size ?? 0})</h2>
    <${ErrorNote} error=${error} />
    <${Table} label="Outbox" columns=${OUTBOX_COLUMNS} rows=${data?.events ?? []} empty="The outbox is empty." />
  </section>`;
}

function Suppression() {
  /** @type {Poll<Suppressed[]>} */
  const { data, error, reload } = useRead('/cemt/suppression?limit=1000');
  const { error: refused, change } = useChange(reload);
  const [address, setAddress] = useState('');
  /** @param {SubmitEvent} e */
  const add = (e) => {
    e.preventDefault();
    void change('PUT', `/cemt/suppression/${encodeURIComponent(address)}`, {}).then((done) => done && setAddress(''));
  };
  /** @type {readonly Column<Suppressed>[]} */
  const columns = [
    { title: 'Address', cell: (s) => s.address, rowHeader: true },
    { title: 'Reason', cell: (s) => s.reason },
    { title: 'Status', cell: (s) => s.status || '—' },
    { title: 'Since', cell: (s) => when(s.at), class: 'nowrap' },
    { title: 'Until', cell: (s) => (s.expiresAt ? when(s.expiresAt) : 'never'), class: 'nowrap' },
    { title: 'By', cell: (s) => s.by },
    {
      title: 'Action',
      cell: (s) =>
        html`<button
          type="button"
          onClick=${() => void change('DELETE', `/cemt/suppression/${encodeURIComponent(s.address)}`)}
        >
          Remove
        </button>`,
    },
  ];
  return html`<section aria-labelledby="supp-heading">
    <h2 id="supp-heading">Suppression list</h2>
    <${ErrorNote} error=${error ?? refused} />
    <form onSubmit=${add}>
      <label
        >Address
        <input
          value=${address}
          onInput=${(/** @type {InputEvent & { currentTarget: HTMLInputElement }} */ e) =>
            setAddress(e.currentTarget.value)}
          required
      /></label>
      <button type="submit">Suppress</button>
    </form>
    <${Table} label="Suppression list" columns=${columns} rows=${data ?? []} empty="No address is suppressed." />
  </section>`;
}

export function FatePage() {
  return html`<h1 tabindex="-1">Mail fate</h1>
    <${Webhooks} />
    <${Outbox} />
    <${Suppression} />`;
}
