// The journal: records by the journal's own filters (GET /journal), a page at a time, with
// new records appended while the last page is open; a record's page with its envelope,
// attempts, the task's request and the mail; redeliver and redrive, previewed first.
import { useEffect, useState } from 'preact/hooks';
import { call, ErrorNote, getJson, html, messageOf, spacedHex, StateBadge, when, Wide } from './ui.js';
import { MailView } from './mail.js';
import { Fields } from './try.js';

const STATES = ['ACCEPTED', 'SENT', 'DEFERRED', 'FAILED', 'DENIED'];
const FILTERS = [
  { key: 'user', label: 'User' },
  { key: 'tranid', label: 'Transaction' },
  { key: 'jobname', label: 'Job name' },
  { key: 'recipient', label: 'Recipient' },
  { key: 'messageId', label: 'Message-ID' },
  { key: 'since', label: 'Accepted since', time: true },
  { key: 'until', label: 'Accepted until', time: true },
];

/** An ISO time as a datetime-local field shows it (local time), and back. */
function localOf(iso) {
  const d = new Date(iso ?? '');
  if (Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}
function isoOf(local) {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}
const PAGE = 50;

/** The filter part of the page's query: what /journal takes. */
function filterOf(query) {
  const out = new URLSearchParams();
  for (const key of ['state', ...FILTERS.map((f) => f.key)]) {
    const v = query.get(key);
    if (v) out.set(key, v);
  }
  return out;
}

export function JournalList({ query }) {
  const filter = filterOf(query);
  const after = query.get('after');
  const [page, setPage] = useState(null);
  const [error, setError] = useState(null);
  const [news, setNews] = useState('');
  const filterText = filter.toString();

  useEffect(() => {
    let stop = false;
    let records = [];
    let last = after;
    const url = (from, limit) => {
      const q = new URLSearchParams(filter);
      q.set('limit', String(limit));
      if (from) q.set('after', from);
      return `/journal?${q}`;
    };
    setPage(null);
    setError(null);
    getJson(url(after, PAGE)).then(
      (p) => {
        if (stop) return;
        records = p.records;
        last = records.at(-1)?.seq ?? after;
        setPage({ records, next: p.next });
      },
      (e) => !stop && setError(e),
    );
    // On the last page, new records come in as they are journaled (they come last: seq order).
    const timer = setInterval(async () => {
      if (stop || records.length >= PAGE) return;
      try {
        const p = await getJson(url(last, PAGE - records.length));
        if (stop || p.records.length === 0) return;
        records = [...records, ...p.records];
        last = records.at(-1).seq;
        setPage({ records, next: records.length >= PAGE ? last : null });
        setNews(`${p.records.length} new record${p.records.length === 1 ? '' : 's'}`);
      } catch {
        // The next tick tries again; the page keeps what it shows.
      }
    }, 2000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [filterText, after]);

  const submit = (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(e.currentTarget)) {
      const text = String(v).trim();
      if (text) q.set(k, k === 'since' || k === 'until' ? isoOf(text) : text);
    }
    location.hash = `#/journal${q.size ? `?${q}` : ''}`;
  };
  const nextHref = (() => {
    const q = new URLSearchParams(filter);
    if (page?.next) q.set('after', String(page.next));
    return `#/journal?${q}`;
  })();

  return html`
    <h1 tabindex="-1">Journal</h1>
    <form class="filters" key=${filterText} onSubmit=${submit} aria-label="Journal filters">
      <div class="field">
        <label for="f-state">State</label>
        <select id="f-state" name="state">
          <option value="">any</option>
          ${STATES.map((s) => html`<option value=${s} selected=${filter.get('state') === s}>${s}</option>`)}
        </select>
      </div>
      ${FILTERS.map(
        (f) =>
          html`<div class="field">
            <label for=${`f-${f.key}`}>${f.label}</label>
            <input
              id=${`f-${f.key}`}
              name=${f.key}
              type=${f.time ? 'datetime-local' : 'text'}
              defaultValue=${f.time ? localOf(filter.get(f.key)) : (filter.get(f.key) ?? '')}
            />
          </div>`,
      )}
      <div class="actions">
        <button type="submit">Apply</button>
        <a class="button secondary" href="#/journal">Clear</a>
      </div>
    </form>
    <p class="exports">
      Export what the filters pick:${' '}
      <a href=${`/journal/export?${new URLSearchParams([...filter, ['format', 'csv']])}`} download="journal.csv">CSV</a>
      ${' · '}
      <a href=${`/journal/export?${new URLSearchParams([...filter, ['format', 'jsonl']])}`} download="journal.jsonl"
        >JSON Lines</a
      >
    </p>
    <${ErrorNote} error=${error} />
    <p class="sr-only" role="status" aria-live="polite">${news}</p>
    ${page === null && !error && html`<p role="status">Loading…</p>`}
    ${page?.records.length === 0 && html`<p>No record matches${after ? ' after this point' : ''}.</p>`}
    ${
      page?.records.length > 0 &&
      html`<${Wide} label="Journal records">
        <table class="list">
          <caption class="sr-only">
            Journal records, oldest first
          </caption>
          <thead>
            <tr>
              <th scope="col">Seq</th>
              <th scope="col">Accepted</th>
              <th scope="col">State</th>
              <th scope="col">Tran</th>
              <th scope="col">User</th>
              <th scope="col">Job</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
              <th scope="col">Subject</th>
            </tr>
          </thead>
          <tbody>
            ${page.records.map(
              (r) =>
                html`<tr>
                  <td class="num"><a href=${`#/journal/${r.seq}`} aria-label=${`Record ${r.seq}`}>${r.seq}</a></td>
                  <td class="nowrap">${when(r.acceptedAt)}</td>
                  <td><${StateBadge} state=${r.state} /></td>
                  <td>${r.tranid}</td>
                  <td>${r.userid}</td>
                  <td>${r.jobname}</td>
                  <td>${r.envelope.from}</td>
                  <td>${r.envelope.to.join(', ')}</td>
                  <td>${r.subject}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      <//>`
    }
    <nav class="pager" aria-label="Journal pages">
      ${after && html`<a href=${`#/journal?${filter}`}>First page</a>`}
      ${page?.next && html`<a href=${nextHref}>Next page</a>`}
    </nav>
  `;
}

function Envelope({ r }) {
  const rows = [
    ['State', html`<${StateBadge} state=${r.state} />`],
    ['Accepted', when(r.acceptedAt)],
    ['Updated', when(r.updatedAt)],
    ['Transaction', `${r.tranid} task ${r.taskn}`],
    ['User', r.userid],
    ['Job name', r.jobname || '—'],
    ['CCSID', String(r.ccsid)],
    ['From', r.envelope.from],
    ['To', r.envelope.to.join(', ')],
    ['Subject', r.subject],
    ['Message-ID', r.messageId],
    ['Size', `${r.size} bytes`],
    ['Delivered to', r.delivered?.join(', ') || '—'],
    ['Pending', r.pending?.join(', ') || '—'],
    ['Failed', r.failed?.join(', ') || '—'],
    ['Relay reply', r.relayReply ?? '—'],
  ];
  if (r.denial) rows.push(['Denied', `${r.denial.reason}: ${r.denial.detail} (from ${r.denial.remote})`]);
  return html`<dl class="pairs">
    ${rows.map(
      ([k, v]) =>
        html`<dt>${k}</dt>
          <dd>${v}</dd>`,
    )}
  </dl>`;
}

function Attempts({ title, attempts }) {
  if (!attempts?.length) return null;
  return html`<h2>${title}</h2>
    <${Wide} label=${title}>
      <table class="list">
        <thead>
          <tr>
            <th scope="col">At</th>
            <th scope="col">Via</th>
            <th scope="col">Relay</th>
            <th scope="col">Outcome</th>
            <th scope="col">Reply</th>
            <th scope="col">Accepted</th>
            <th scope="col">Refused</th>
          </tr>
        </thead>
        <tbody>
          ${attempts.map(
            (a) =>
              html`<tr>
                <td class="nowrap">${when(a.at)}</td>
                <td>${a.via}</td>
                <td>${a.relay}</td>
                <td>${a.outcome}</td>
                <td><code>${a.reply}</code></td>
                <td>${a.accepted.join(', ')}</td>
                <td>${(a.refused ?? []).map((x) => `${x.recipient}: ${x.reply}`).join('; ')}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    <//>`;
}

function TaskRequest({ seq }) {
  const [task, setTask] = useState(null);
  const [error, setError] = useState(null);
  const [fields, setFields] = useState(null);
  useEffect(() => {
    getJson(`/console/api/journal/${seq}/task`).then(async (t) => {
      setTask(t);
      // Bytes are shown field by field where the transaction has a copybook (or text lines).
      if (t.commarea.form !== 'bytes') return;
      const r = await call('POST', `/console/api/commarea/${t.tranid}`, {
        hex: t.commarea.hex,
        ccsid: String(t.ccsid),
      });
      if (r.ok) setFields(r.data.fields);
    }, setError);
  }, [seq]);
  return html`<section aria-labelledby="task-heading">
    <h2 id="task-heading">The task's request</h2>
    ${error && html`<p class="muted">${String(error.message)}</p>`}
    ${
      task &&
      html`<p>
          ${task.tranid} task ${task.taskn} by ${task.userid} at ${when(task.at)}, ${task.durationMs} ms, outcome${' '}
          <code
            >${task.outcome.kind === 'normal' ? (task.outcome.rc === null ? 'NORMAL' : `RC ${task.outcome.rc}`) : task.outcome.resp}</code
          >
        </p>
        ${
          task.commarea.form === 'json'
            ? html`<pre class="code" tabindex="0" aria-label="COMMAREA as JSON">
${JSON.stringify(task.commarea.json, null, 2)}</pre>`
            : fields
              ? html`<${Fields}
                  caption=${`COMMAREA sent (${task.commarea.hex.length / 2} bytes, CCSID ${task.ccsid})`}
                  fields=${fields}
                />`
              : html`<pre class="code hex" tabindex="0" aria-label="COMMAREA bytes in hex">
${spacedHex(task.commarea.hex)}</pre>`
        }
        ${
          task.containers.length > 0 &&
          html`<ul>
            ${task.containers.map((c) => html`<li>container ${c.name} (${c.kind}, ${c.contentType}, ${c.length} bytes)</li>`)}
          </ul>`
        }`
    }
  </section>`;
}

/** Redeliver (the stored bytes again) or redrive (the task again), always previewed with a dry run first. */
function Replay({ record }) {
  const [mode, setMode] = useState('redeliver');
  const [preview, setPreview] = useState(null);
  const [result, setResult] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);
  const body = (dryRun) => ({ mode, filter: { messageId: record.messageId }, dryRun, limit: 1 });
  const run = async (dryRun) => {
    setBusy(true);
    setError(null);
    const r = await call('POST', '/journal/replay', body(dryRun));
    setBusy(false);
    if (!r.ok) return setError(new Error(messageOf(r)));
    if (dryRun) {
      setPreview(r.data);
      setResult(null);
    } else {
      setResult(r.data);
      setPreview(null);
    }
  };
  return html`<section aria-labelledby="replay-heading" class="card">
    <h2 id="replay-heading">Redeliver or redrive</h2>
    <fieldset>
      <legend>What to do</legend>
      <label
        ><input
          type="radio"
          name="mode"
          value="redeliver"
          checked=${mode === 'redeliver'}
          onChange=${() => (setMode('redeliver'), setPreview(null))}
        />
        Redeliver: send the stored bytes to the relay again</label
      >
      <label
        ><input
          type="radio"
          name="mode"
          value="redrive"
          checked=${mode === 'redrive'}
          onChange=${() => (setMode('redrive'), setPreview(null))}
        />
        Redrive: run the task again as its user</label
      >
    </fieldset>
    <div class="actions">
      <button type="button" onClick=${() => run(true)} disabled=${busy}>Preview (dry run)</button>
      <button type="button" class="danger" onClick=${() => run(false)} disabled=${busy || !preview}>
        ${mode === 'redeliver' ? 'Redeliver now' : 'Redrive now'}
      </button>
    </div>
    <${ErrorNote} error=${error} />
    <div role="status" aria-live="polite">
      ${
        preview &&
        html`<h3>Dry run</h3>
          <pre class="code" tabindex="0">${JSON.stringify(preview, null, 2)}</pre>`
      }
      ${
        result &&
        html`<h3>Done</h3>
          <pre class="code" tabindex="0">${JSON.stringify(result, null, 2)}</pre>`
      }
    </div>
  </section>`;
}

export function JournalRecord({ seq }) {
  const [record, setRecord] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    let stop = false;
    const load = () =>
      getJson(`/journal/${seq}`).then(
        (r) => !stop && setRecord(r),
        (e) => !stop && setError(e),
      );
    load();
    // A record moves on (DEFERRED to SENT, replays): it is read again while open.
    const timer = setInterval(load, 3000);
    return () => {
      stop = true;
      clearInterval(timer);
    };
  }, [seq]);
  return html`
    <p><a href="#/journal">← Journal</a></p>
    <h1 tabindex="-1">Journal record ${seq}</h1>
    <${ErrorNote} error=${error} />
    ${
      record &&
      html`<div class="columns">
          <section aria-labelledby="env-heading">
            <h2 id="env-heading">Envelope and state</h2>
            <${Envelope} r=${record} />
          </section>
          ${record.state !== 'DENIED' && html`<${Replay} record=${record} />`}
        </div>
        <${Attempts} title="Attempts" attempts=${record.attempts} />
        <${Attempts} title="Replays" attempts=${record.replays} />
        <${TaskRequest} seq=${seq} />
        ${record.state !== 'DENIED' && html`<${MailView} source="journal" id=${seq} rawUrl=${`/journal/${seq}/message`} />`}`
    }
  `;
}
