// The region as CEMT shows it: tasks now, the STARTs waiting (cancel), transactions (enable,
// disable, class, time limit), classes, MAXTASKS, and live charts. Every change is a PUT to /cemt/..., the routes the
// command line uses, with their checks.
import { useState } from 'preact/hooks';
import { call, ErrorNote, formText, getJson, html, messageOf, when } from './ui.js';
import { Table } from './table.js';
import { LiveCharts } from './charts.js';
import { usePoll } from './poll.js';

/** @import { Poll } from './poll.js' */
/** @import { Column } from './table.js' */

/**
 * A class's limits and use (GateUsage in region/tasks/).
 * @typedef {{ maxActive: number, purgeThreshold: number | null, active: number, queued: number }} ClassUse
 */

/**
 * CEMT INQUIRE SYSTEM: GET /cemt/region.
 * @typedef {{
 *   sysid: string,
 *   startedAt: string,
 *   tasks: { run: number, now: number },
 *   abends: Record<string, number>,
 *   maxTasks: number,
 *   maxQueued: number,
 *   pool: { workers: number, capacity: number, running: number, queued: number },
 *   classes: Record<string, ClassUse>,
 *   journalBacklog: number,
 *   journalSpace: string,
 * }} RegionJson
 */

/**
 * CEMT INQUIRE TASK: GET /cemt/tasks.
 * @typedef {{ taskn: number, tranid: string, user: string, jobname: string, ageMs: number, state: string }} TaskNow
 */

/**
 * CEMT INQUIRE TRANSACTION: GET /cemt/transactions.
 * @typedef {{ tranid: string, enabled: boolean, class: string | null, timeLimitMs: number, description: string }} Transaction
 */

/** @typedef {SubmitEvent & { currentTarget: HTMLFormElement }} FormSubmit */

/** @type {Column<TaskNow>[]} */
const TASK_COLUMNS = [
  { title: 'Task', cell: (t) => t.taskn, class: 'num' },
  { title: 'Tran', cell: (t) => t.tranid },
  { title: 'User', cell: (t) => t.user },
  { title: 'Job', cell: (t) => t.jobname },
  { title: 'Age (ms)', cell: (t) => t.ageMs, class: 'num' },
  { title: 'State', cell: (t) => t.state },
];

/** @type {Column<[string, ClassUse]>[]} */
const CLASS_COLUMNS = [
  { title: 'Class', cell: ([name]) => name, rowHeader: true },
  { title: 'MAXACTIVE', cell: ([, c]) => c.maxActive, class: 'num' },
  { title: 'PURGETHRESH', cell: ([, c]) => c.purgeThreshold ?? '—', class: 'num' },
  { title: 'Active', cell: ([, c]) => c.active, class: 'num' },
  { title: 'Queued', cell: ([, c]) => c.queued, class: 'num' },
];

/**
 * A CEMT route read while the page is open.
 * @template [T=unknown]
 * @param {string} url
 * @param {number} [every]
 * @returns {Poll<T>}
 */
function useCemt(url, every = 2000) {
  return usePoll((_, signal) => getJson(url, signal), { every, key: [url] });
}

/**
 * A change by PUT, its note for screen readers and its error (a refusal, or no answer at
 * all: the region gone); `after` runs once it is done.
 * @param {() => void} after
 */
function useAction(after) {
  const [note, setNote] = useState('');
  const [error, setError] = useState(/** @type {unknown} */ (null));
  /**
   * @param {string} method
   * @param {string} url
   * @param {unknown} body
   * @param {string} done what the note says once it is done
   */
  const send = (method, url, body, done) => {
    setError(null);
    call(method, url, body).then((r) => {
      if (!r.ok) return setError(new Error(messageOf(r)));
      setNote(done);
      after();
    }, setError);
  };
  return {
    note,
    error,
    /** @type {(url: string, body: unknown, done: string) => void} */
    put: (url, body, done) => send('PUT', url, body, done),
    send,
  };
}

/**
 * A START waiting, as GET /cemt/starts answers it.
 * @typedef {{
 *   reqid: string, tranid: string, user: string, jobname: string, dueAt: string,
 *   requestedAt: string, commareaBytes: number, containers: number,
 * }} StartJson
 */

/** The STARTs waiting, earliest due first, each with its CANCEL. */
function Starts() {
  /** @type {Poll<StartJson[]>} */
  const starts = useCemt('/cemt/starts', 5000);
  const action = useAction(starts.reload);
  /** @type {readonly Column<StartJson>[]} */
  const columns = [
    { title: 'REQID', cell: (s) => s.reqid, rowHeader: true },
    { title: 'Tran', cell: (s) => s.tranid },
    { title: 'User', cell: (s) => s.user },
    { title: 'Job', cell: (s) => s.jobname },
    { title: 'Due (UTC)', cell: (s) => when(s.dueAt), class: 'nowrap' },
    { title: 'Asked (UTC)', cell: (s) => when(s.requestedAt), class: 'nowrap' },
    {
      title: 'COMMAREA',
      cell: (s) => `${s.commareaBytes} B${s.containers > 0 ? `, ${s.containers} containers` : ''}`,
      class: 'num',
    },
    {
      title: 'Cancel',
      cell: (s) =>
        html`<button
          type="button"
          class="small"
          onClick=${() => action.send('DELETE', `/cemt/starts/${s.reqid}`, undefined, `START ${s.reqid} cancelled`)}
        >
          Cancel ${s.reqid}
        </button>`,
    },
  ];
  return html`<section aria-labelledby="starts-heading">
    <h2 id="starts-heading">STARTs waiting</h2>
    <${ErrorNote} error=${starts.error ?? action.error} />
    <p class="sr-only" role="status" aria-live="polite">${action.note}</p>
    ${
      starts.data &&
      html`<${Table}
        label="STARTs waiting"
        columns=${columns}
        rows=${starts.data}
        empty="No START is waiting."
        rowKey=${(/** @type {StartJson} */ s) => s.reqid}
      />`
    }
  </section>`;
}

/** @param {{ classes: string[] }} props */
function Transactions({ classes }) {
  /** @type {Poll<Transaction[]>} */
  const tx = useCemt('/cemt/transactions', 5000);
  const action = useAction(tx.reload);
  /** @param {Transaction} t */
  const save = (t) => (/** @type {FormSubmit} */ e) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const cls = formText(form.get('class'));
    const limit = Number(form.get('timeLimitMs'));
    action.put(
      `/cemt/transactions/${t.tranid}`,
      { class: cls === '' ? null : cls, timeLimitMs: limit },
      `${t.tranid}: class ${cls || 'none'}, time limit ${limit} ms`,
    );
  };
  /** @type {Column<Transaction>[]} */
  const columns = [
    { title: 'Tranid', cell: (t) => t.tranid, rowHeader: true },
    {
      title: 'Status',
      class: 'nowrap',
      cell: (t) =>
        html`<span class=${`badge ${t.enabled ? 'state-sent' : 'state-failed'}`}
            >${t.enabled ? 'ENABLED' : 'DISABLED'}</span
          >
          <button
            type="button"
            class="small"
            onClick=${() =>
              action.put(
                `/cemt/transactions/${t.tranid}`,
                { enabled: !t.enabled },
                `${t.tranid} ${t.enabled ? 'disabled' : 'enabled'}`,
              )}
          >
            ${t.enabled ? 'Disable' : 'Enable'} ${t.tranid}
          </button>`,
    },
    {
      title: 'Class and time limit',
      cell: (t) =>
        html`<form class="inline" onSubmit=${save(t)} aria-label=${`Class and time limit of ${t.tranid}`}>
          <label
            >Class
            <select name="class">
              <option value="" selected=${!t.class}>none</option>
              ${classes.map((c) => html`<option value=${c} selected=${t.class === c}>${c}</option>`)}
            </select>
          </label>
          <label
            >Time limit (ms)
            <input name="timeLimitMs" type="number" min="10" max="86400000" required defaultValue=${t.timeLimitMs} />
          </label>
          <button type="submit" class="small">Save ${t.tranid}</button>
        </form>`,
    },
    { title: 'Description', cell: (t) => t.description },
  ];
  return html`<section aria-labelledby="tx-heading">
    <h2 id="tx-heading">Transactions</h2>
    <${ErrorNote} error=${tx.error ?? action.error} />
    <p class="sr-only" role="status" aria-live="polite">${action.note}</p>
    ${
      tx.data &&
      html`<${Table}
        label="Transactions"
        columns=${columns}
        rows=${tx.data}
        rowKey=${(/** @type {Transaction} */ t) => t.tranid}
      />`
    }
  </section>`;
}

/** @param {{ region: RegionJson, reload: () => void }} props */
function Classes({ region, reload }) {
  const action = useAction(reload);
  /** @param {FormSubmit} e */
  const add = (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const name = formText(f.get('name')).trim().toUpperCase();
    const purge = formText(f.get('purgeThreshold')).trim();
    action.put(
      `/cemt/classes/${encodeURIComponent(name)}`,
      { maxActive: Number(f.get('maxActive')), purgeThreshold: purge === '' ? null : Number(purge) },
      `class ${name} set`,
    );
  };
  const classes = Object.entries(region.classes);
  return html`<section aria-labelledby="cls-heading">
    <h2 id="cls-heading">Transaction classes</h2>
    <${Table}
      label="Transaction classes"
      empty="No class defined."
      columns=${CLASS_COLUMNS}
      rows=${classes}
      rowKey=${(/** @type {[string, ClassUse]} */ [name]) => name}
    />
    <form class="inline" onSubmit=${add} aria-label="Make or change a class">
      <label>Class name <input name="name" required maxlength="8" pattern="[A-Za-z0-9@#$]{1,8}" /></label>
      <label>MAXACTIVE <input name="maxActive" type="number" min="1" required defaultValue="1" /></label>
      <label>PURGETHRESH <input name="purgeThreshold" type="number" min="0" /></label>
      <button type="submit">Set class</button>
    </form>
    <${ErrorNote} error=${action.error} />
    <p class="sr-only" role="status" aria-live="polite">${action.note}</p>
  </section>`;
}

/** @param {{ region: RegionJson, reload: () => void }} props */
function Limits({ region, reload }) {
  const action = useAction(reload);
  /** @param {FormSubmit} e */
  const submit = (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    action.put(
      '/cemt/region',
      { maxTasks: Number(f.get('maxTasks')), maxQueued: Number(f.get('maxQueued')) },
      'region limits set',
    );
  };
  return html`<form class="inline" onSubmit=${submit} aria-label="Region limits">
    <label
      >MAXTASKS <input name="maxTasks" type="number" min="1" max="100000" required defaultValue=${region.maxTasks}
    /></label>
    <label
      >Queue bound
      <input name="maxQueued" type="number" min="0" max="1000000" required defaultValue=${region.maxQueued}
    /></label>
    <button type="submit">Set limits</button>
    <${ErrorNote} error=${action.error} />
    <span class="sr-only" role="status" aria-live="polite">${action.note}</span>
  </form>`;
}

export function RegionPage() {
  /** @type {Poll<RegionJson>} */
  const region = useCemt('/cemt/region');
  /** @type {Poll<TaskNow[]>} */
  const tasks = useCemt('/cemt/tasks');
  const r = region.data;
  return html`
    <h1 tabindex="-1">Region ${r?.sysid ?? ''}</h1>
    <${ErrorNote} error=${region.error} />
    ${
      r &&
      html`<section aria-labelledby="sys-heading">
        <h2 id="sys-heading">System</h2>
        <dl class="pairs tiles">
          <dt>Tasks now</dt>
          <dd>${r.tasks.now}</dd>
          <dt>Tasks run</dt>
          <dd>${r.tasks.run}</dd>
          <dt>Queued</dt>
          <dd>${r.pool.queued}</dd>
          <dt>Workers</dt>
          <dd>${r.pool.workers}</dd>
          <dt>Journal backlog</dt>
          <dd>${r.journalBacklog}</dd>
          <dt>Journal space</dt>
          <dd>${r.journalSpace}</dd>
          <dt>Abends</dt>
          <dd>
            ${
              Object.entries(r.abends)
                .map(([k, v]) => `${k} ${v}`)
                .join(', ') || 'none'
            }
          </dd>
          <dt>Since</dt>
          <dd>${r.startedAt.replace('T', ' ').slice(0, 19)}</dd>
        </dl>
        <${Limits} region=${r} reload=${region.reload} />
      </section>`
    }
    <${LiveCharts} />
    <section aria-labelledby="tasks-heading">
      <h2 id="tasks-heading">Tasks now</h2>
      ${
        tasks.data &&
        html`<${Table}
          label="Tasks now"
          empty="No task is running."
          columns=${TASK_COLUMNS}
          rows=${tasks.data}
          rowKey=${(/** @type {TaskNow} */ t) => t.taskn}
        />`
      }
    </section>
    <${Starts} />
    <${Transactions} classes=${Object.keys(r?.classes ?? {})} />
    ${r && html`<${Classes} region=${r} reload=${region.reload} />`}
  `;
}
