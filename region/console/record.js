// A journal record's page: its envelope and state, every attempt and replay, the task's
// request (field by field where the bytes have a copybook), the mail, and redeliver or
// redrive, previewed with a dry run first.
import { useEffect, useState } from 'preact/hooks';
import { call, ErrorNote, getJson, html, messageOf, spacedHex, StateBadge, when } from './ui.js';
import { Table } from './table.js';
import { MailView } from './mail.js';
import { Fields } from './fields.js';
import { RecipientFates } from './fate.js';
import { usePoll } from './poll.js';

/** @import { Commarea, CommareaField } from './fields.js' */
/** @import { Answer } from './ui.js' */
/** @import { Poll } from './poll.js' */
/** @import { Column } from './table.js' */

/**
 * A delivery attempt or replay (journal/record.ts).
 * @typedef {{
 *   at: string,
 *   relay: string,
 *   outcome: string,
 *   reply: string,
 *   via: string,
 *   accepted: string[],
 *   refused?: { recipient: string, reply: string }[],
 * }} Attempt
 */

/**
 * A journal record as GET /journal and GET /journal/{seq} answer it (journal/record.ts).
 * @typedef {{
 *   seq: number,
 *   acceptedAt: string,
 *   updatedAt: string,
 *   state: string,
 *   tranid: string,
 *   taskn: number,
 *   userid: string,
 *   jobname: string,
 *   ccsid: number,
 *   envelope: { from: string, to: string[] },
 *   subject: string,
 *   messageId: string,
 *   requestKey?: string,
 *   size: number,
 *   pending: string[],
 *   delivered: string[],
 *   failed: string[],
 *   relayReply: string | null,
 *   attempts: Attempt[],
 *   replays?: Attempt[],
 *   denial?: { reason: string, detail: string, remote: string },
 * }} JournalRecordJson
 */

/**
 * The task that made a record, as the task log keeps it: GET /console/api/journal/{seq}/task.
 * @typedef {{
 *   at: string,
 *   taskn: number,
 *   tranid: string,
 *   userid: string,
 *   ccsid: number,
 *   durationMs: number,
 *   outcome: { kind: 'normal', rc: number | null } | { kind: 'failed', resp: string, abcode: string | null },
 *   commarea: { form: 'json', json: unknown } | { form: 'bytes', hex: string },
 *   containers: { name: string, kind: string, contentType: string, length: number }[],
 * }} TaskJson
 */

/** @param {{ r: JournalRecordJson }} props */
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
    // The key as the caller sent it; its link lists every record under it (a SEND or SPOL
    // request's several mails, another user's or tranid's request under the same key).
    [
      'Request key',
      r.requestKey === undefined
        ? '—'
        : html`<a href=${`#/journal?${new URLSearchParams({ key: r.requestKey })}`}>${r.requestKey}</a>`,
    ],
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

/** @type {Column<Attempt>[]} */
const ATTEMPT_COLUMNS = [
  { title: 'At', cell: (a) => when(a.at), class: 'nowrap' },
  { title: 'Via', cell: (a) => a.via },
  { title: 'Relay', cell: (a) => a.relay },
  { title: 'Outcome', cell: (a) => a.outcome },
  { title: 'Reply', cell: (a) => html`<code>${a.reply}</code>` },
  { title: 'Accepted', cell: (a) => a.accepted.join(', ') },
  { title: 'Refused', cell: (a) => (a.refused ?? []).map((x) => `${x.recipient}: ${x.reply}`).join('; ') },
];

/** @param {{ title: string, attempts: Attempt[] | undefined }} props */
function Attempts({ title, attempts }) {
  if (!attempts?.length) return null;
  return html`<h2>${title}</h2>
    <${Table} label=${title} columns=${ATTEMPT_COLUMNS} rows=${attempts} />`;
}

/** @param {{ seq: string }} props */
function TaskRequest({ seq }) {
  const [task, setTask] = useState(/** @type {TaskJson | null} */ (null));
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [fields, setFields] = useState(/** @type {CommareaField[] | null} */ (null));
  useEffect(() => {
    /** @type {Promise<TaskJson>} */
    const read = getJson(`/console/api/journal/${seq}/task`);
    read.then((t) => {
      setTask(t);
      // Bytes are shown field by field where the transaction has a copybook (or text lines);
      // where they cannot be, the hex stays.
      if (t.commarea.form !== 'bytes') return;
      call('POST', `/console/api/commarea/${t.tranid}`, { hex: t.commarea.hex, ccsid: String(t.ccsid) }).then(
        (r) => r.ok && setFields(/** @type {Commarea} */ (r.data).fields),
        () => undefined,
      );
    }, setError);
  }, [seq]);
  return html`<section aria-labelledby="task-heading">
    <h2 id="task-heading">The task's request</h2>
    ${error instanceof Error && html`<p class="muted">${error.message}</p>`}
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
/** @param {{ record: JournalRecordJson }} props */
function Replay({ record }) {
  const [mode, setMode] = useState(/** @type {'redeliver' | 'redrive'} */ ('redeliver'));
  const [preview, setPreview] = useState(/** @type {unknown} */ (null));
  const [result, setResult] = useState(/** @type {unknown} */ (null));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(/** @type {unknown} */ (null));
  /** @param {boolean} dryRun */
  const body = (dryRun) => ({ mode, filter: { messageId: record.messageId }, dryRun, limit: 1 });
  /** @param {boolean} dryRun */
  const run = async (dryRun) => {
    setBusy(true);
    setError(null);
    /** @type {Answer} */
    let r;
    try {
      r = await call('POST', '/journal/replay', body(dryRun));
    } catch (e) {
      // No answer (the region gone): said, and the buttons work again.
      return setError(e);
    } finally {
      setBusy(false);
    }
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
      <button type="button" onClick=${() => void run(true)} disabled=${busy}>Preview (dry run)</button>
      <button type="button" class="danger" onClick=${() => void run(false)} disabled=${busy || !preview}>
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

/** @param {{ seq: string }} props */
export function JournalRecord({ seq }) {
  // A record moves on (DEFERRED to SENT, replays): it is read again while open.
  /** @type {Poll<JournalRecordJson>} */
  const { data: record, error } = usePoll((_, signal) => getJson(`/journal/${seq}`, signal), {
    every: 3000,
    key: [seq],
  });
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
