// The region as CEMT shows it: tasks now, the STARTs waiting (cancel), transactions (enable,
// disable, class, time limit), classes, MAXTASKS, and live charts. Every change is a PUT to /cemt/..., the routes the
// command line uses, with their checks.
import { useEffect, useState } from 'preact/hooks';
import { call, ErrorNote, getJson, html, messageOf, when, Wide } from './ui.js';
import { LiveCharts } from './charts.js';

function useLive(url, ms = 2000) {
  const [data, setData] = useState(null);
  const [error, setError] = useState(null);
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let stop = false;
    const load = () =>
      getJson(url).then(
        (d) => {
          if (!stop) {
            setData(d);
            setError(null);
          }
        },
        (e) => !stop && setError(e),
      );
    load();
    const timer = setInterval(load, ms);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [url, tick]);
  return { data, error, reload: () => setTick((t) => t + 1) };
}

function useAction(after) {
  const [note, setNote] = useState('');
  const [error, setError] = useState(null);
  const send = async (method, url, body, done) => {
    setError(null);
    const r = await call(method, url, body);
    if (!r.ok) return setError(new Error(messageOf(r)));
    setNote(done);
    after();
  };
  return { note, error, put: (url, body, done) => send('PUT', url, body, done), send };
}

/** The STARTs waiting, earliest due first, each with its CANCEL. */
function Starts() {
  const starts = useLive('/cemt/starts', 5000);
  const action = useAction(starts.reload);
  return html`<section aria-labelledby="starts-heading">
    <h2 id="starts-heading">STARTs waiting</h2>
    <${ErrorNote} error=${starts.error ?? action.error} />
    <p class="sr-only" role="status" aria-live="polite">${action.note}</p>
    ${starts.data?.length === 0 && html`<p>No START is waiting.</p>`}
    ${
      starts.data?.length > 0 &&
      html`<${Wide} label="STARTs waiting">
        <table class="list">
          <thead>
            <tr>
              <th scope="col">REQID</th>
              <th scope="col">Tran</th>
              <th scope="col">User</th>
              <th scope="col">Job</th>
              <th scope="col">Due (UTC)</th>
              <th scope="col">Asked (UTC)</th>
              <th scope="col">COMMAREA</th>
              <th scope="col"><span class="sr-only">Cancel</span></th>
            </tr>
          </thead>
          <tbody>
            ${starts.data.map(
              (s) =>
                html`<tr>
                  <th scope="row">${s.reqid}</th>
                  <td>${s.tranid}</td>
                  <td>${s.user}</td>
                  <td>${s.jobname}</td>
                  <td class="nowrap">${when(s.dueAt)}</td>
                  <td class="nowrap">${when(s.requestedAt)}</td>
                  <td class="num">${s.commareaBytes} B${s.containers > 0 ? `, ${s.containers} containers` : ''}</td>
                  <td>
                    <button
                      type="button"
                      class="small"
                      onClick=${() =>
                        action.send('DELETE', `/cemt/starts/${s.reqid}`, undefined, `START ${s.reqid} cancelled`)}
                    >
                      Cancel ${s.reqid}
                    </button>
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
      <//>`
    }
  </section>`;
}

function Transactions({ classes }) {
  const tx = useLive('/cemt/transactions', 5000);
  const action = useAction(tx.reload);
  const save = (t) => (e) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const cls = String(form.get('class'));
    const limit = Number(form.get('timeLimitMs'));
    action.put(
      `/cemt/transactions/${t.tranid}`,
      { class: cls === '' ? null : cls, timeLimitMs: limit },
      `${t.tranid}: class ${cls || 'none'}, time limit ${limit} ms`,
    );
  };
  return html`<section aria-labelledby="tx-heading">
    <h2 id="tx-heading">Transactions</h2>
    <${ErrorNote} error=${tx.error ?? action.error} />
    <p class="sr-only" role="status" aria-live="polite">${action.note}</p>
    ${
      tx.data &&
      html`<${Wide} label="Transactions">
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Tranid</th>
              <th scope="col">Status</th>
              <th scope="col">Class and time limit</th>
              <th scope="col">Description</th>
            </tr>
          </thead>
          <tbody>
            ${tx.data.map(
              (t) =>
                html`<tr>
                  <th scope="row">${t.tranid}</th>
                  <td class="nowrap">
                    <span class=${`badge ${t.enabled ? 'state-sent' : 'state-failed'}`}
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
                    </button>
                  </td>
                  <td>
                    <form class="inline" onSubmit=${save(t)} aria-label=${`Class and time limit of ${t.tranid}`}>
                      <label
                        >Class
                        <select name="class">
                          <option value="" selected=${!t.class}>none</option>
                          ${classes.map((c) => html`<option value=${c} selected=${t.class === c}>${c}</option>`)}
                        </select>
                      </label>
                      <label
                        >Time limit (ms)
                        <input
                          name="timeLimitMs"
                          type="number"
                          min="10"
                          max="86400000"
                          required
                          defaultValue=${t.timeLimitMs}
                        />
                      </label>
                      <button type="submit" class="small">Save ${t.tranid}</button>
                    </form>
                  </td>
                  <td>${t.description}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      <//>`
    }
  </section>`;
}

function Classes({ region, reload }) {
  const action = useAction(reload);
  const add = (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    const name = String(f.get('name')).trim().toUpperCase();
    const purge = String(f.get('purgeThreshold')).trim();
    action.put(
      `/cemt/classes/${encodeURIComponent(name)}`,
      { maxActive: Number(f.get('maxActive')), purgeThreshold: purge === '' ? null : Number(purge) },
      `class ${name} set`,
    );
  };
  const classes = Object.entries(region.classes);
  return html`<section aria-labelledby="cls-heading">
    <h2 id="cls-heading">Transaction classes</h2>
    ${classes.length === 0 && html`<p>No class defined.</p>`}
    ${
      classes.length > 0 &&
      html`<${Wide} label="Transaction classes">
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Class</th>
              <th scope="col">MAXACTIVE</th>
              <th scope="col">PURGETHRESH</th>
              <th scope="col">Active</th>
              <th scope="col">Queued</th>
            </tr>
          </thead>
          <tbody>
            ${classes.map(
              ([name, c]) =>
                html`<tr>
                  <th scope="row">${name}</th>
                  <td class="num">${c.maxActive}</td>
                  <td class="num">${c.purgeThreshold ?? '—'}</td>
                  <td class="num">${c.active}</td>
                  <td class="num">${c.queued}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      <//>`
    }
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

function Limits({ region, reload }) {
  const action = useAction(reload);
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
  const region = useLive('/cemt/region');
  const tasks = useLive('/cemt/tasks');
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
      ${tasks.data?.length === 0 && html`<p>No task is running.</p>`}
      ${
        tasks.data?.length > 0 &&
        html`<${Wide} label="Tasks now">
          <table class="list">
            <thead>
              <tr>
                <th scope="col">Task</th>
                <th scope="col">Tran</th>
                <th scope="col">User</th>
                <th scope="col">Job</th>
                <th scope="col">Age (ms)</th>
                <th scope="col">State</th>
              </tr>
            </thead>
            <tbody>
              ${tasks.data.map(
                (t) =>
                  html`<tr>
                    <td class="num">${t.taskn}</td>
                    <td>${t.tranid}</td>
                    <td>${t.user}</td>
                    <td>${t.jobname}</td>
                    <td class="num">${t.ageMs}</td>
                    <td>${t.state}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
        <//>`
      }
    </section>
    <${Starts} />
    <${Transactions} classes=${Object.keys(r?.classes ?? {})} />
    ${r && html`<${Classes} region=${r} reload=${region.reload} />`}
  `;
}
