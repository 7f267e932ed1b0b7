// A journal record's page: its envelope and state, every attempt and replay, the task's
// request (field by field where the bytes have a copybook), the mail, and redeliver or
// redrive, previewed with a dry run first.
import { useEffect, useState } from 'preact/hooks';
import { call, ErrorNote, getJson, html, messageOf, spacedHex, StateBadge, when, Wide } from './ui.js';
import { MailView } from './mail.js';
import { Fields } from './fields.js';
import { RecipientFates } from './fate.js';

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
        <${RecipientFates} seq=${seq} />
        <${Attempts} title="Attempts" attempts=${record.attempts} />
        <${Attempts} title="Replays" attempts=${record.replays} />
        <${TaskRequest} seq=${seq} />
        ${record.state !== 'DENIED' && html`<${MailView} source="journal" id=${seq} rawUrl=${`/journal/${seq}/message`} />`}`
    }
  `;
}
