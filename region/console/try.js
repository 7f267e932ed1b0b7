// Try a transaction, as CECI lets a CICS programmer: a form made from the transaction's
// copybook (its JSON Schema) or, for SEND and SPOL, their text; the COMMAREA is made into
// EBCDIC bytes by the region (POST /console/api/commarea), sent to POST /cics/{TRANID} as
// bytes like a program sends them, and the answer shown field by field beside its bytes.
import { useEffect, useState } from 'preact/hooks';
import { bytesToHex, call, ErrorNote, formText, getJson, hexToBytes, html, messageOf } from './ui.js';
import { Fields } from './fields.js';

/** @import { Commarea } from './fields.js' */

/**
 * A transaction's COMMAREA: GET /console/api/transactions/{tranid}/layout. A copybook's
 * transaction has its JSON Schema; SEND and SPOL take text and have none.
 * @typedef {{
 *   tranid: string,
 *   description: string,
 *   copybook: string,
 *   ccsid: number,
 *   minLength: number,
 *   maxLength: number,
 *   schema: { properties?: Record<string, FieldSchema> },
 * }} CopybookLayout
 * @typedef {{ tranid: string, description: string, copybook: null, ccsid: number, schema?: undefined }} TextLayout
 * @typedef {CopybookLayout | TextLayout} Layout
 * @typedef {{ description?: string, maxLength?: number, anyOf?: unknown[] }} FieldSchema
 */

/**
 * What the region answered a run, and the COMMAREA both ways field by field.
 * @typedef {{
 *   status: number,
 *   resp: string,
 *   abcode: string | null,
 *   rc: string | null,
 *   taskn: string | null,
 *   seqs: string[],
 *   sent: Commarea,
 *   message: string | null,
 *   received: Commarea | null,
 * }} RunAnswer
 */

/** @typedef {(input: { json: Record<string, string> } | { text: string }, jobname: string) => Promise<void>} OnRun */
/** @typedef {SubmitEvent & { currentTarget: HTMLFormElement }} FormSubmit */

/** @type {Record<string, Record<string, string>>} */
const COPYBOOK_SAMPLES = {
  MAIL: {
    mc_version: '01',
    mc_from: 'console@example.com',
    mc_to: 'someone@example.com',
    mc_subject: 'Hello from the console',
    mc_body_format: 'T',
    mc_body: 'Sent from the cicsmail console.',
  },
};

/** @type {Record<string, string>} */
const TEXT_SAMPLES = {
  SEND: [
    'FROM console@example.com',
    'TO someone@example.com',
    'SUBJECT Hello from SEND on &SYSID',
    'TEXT',
    'Sent by &USERID from the cicsmail console.',
    'ENDTEXT',
  ].join('\n'),
  SPOL: [
    'HELO CONSOLE',
    'MAIL FROM:<console@example.com>',
    'RCPT TO:<someone@example.com>',
    'DATA',
    'From: console@example.com',
    'To: someone@example.com',
    'Subject: Hello from SPOL',
    '',
    'Sent from the cicsmail console.',
    '.',
    'QUIT',
  ].join('\n'),
};

/** @param {string | undefined} description */
function hintOf(description) {
  const m = /\(88: (.*)\)$/.exec(description ?? '');
  return m ? `values: ${m[1]}` : '';
}

/** @param {{ layout: CopybookLayout, onRun: OnRun, busy: boolean }} props */
function CopybookForm({ layout, onRun, busy }) {
  const props = Object.entries(layout.schema.properties ?? {});
  const sample = COPYBOOK_SAMPLES[layout.tranid] ?? {};
  /** @param {FormSubmit} e */
  const submit = (e) => {
    e.preventDefault();
    /** @type {Record<string, string>} */
    const json = {};
    for (const [k, v] of new FormData(e.currentTarget)) {
      if (k === 'jobname') continue;
      if (formText(v) !== '') json[k] = formText(v);
    }
    void onRun({ json }, formText(new FormData(e.currentTarget).get('jobname')));
  };
  return html`<form class="try" onSubmit=${submit} aria-label=${`COMMAREA of ${layout.tranid}`}>
    <p class="muted">
      Copybook ${layout.copybook}, ${layout.minLength} to ${layout.maxLength} bytes, CCSID ${layout.ccsid}. Empty fields
      are blanks or zeros.
    </p>
    <div class="grid">
      ${props.map(([name, p]) => {
        const id = `c-${name}`;
        const hint = hintOf(p.description);
        const long = (p.maxLength ?? 0) > 1024;
        const attrs = {
          id,
          name,
          defaultValue: sample[name] ?? '',
          'aria-describedby': hint ? `${id}-hint` : undefined,
        };
        return html`<div class=${`field ${long ? 'span' : ''}`}>
          <label for=${id}
            >${name}<span class="muted"> ${p.description?.split(' (88')[0]?.replace(/^[^:]*: /, '') ?? ''}</span></label
          >
          ${
            long
              ? html`<textarea rows="5" maxlength=${p.maxLength} ...${attrs}></textarea>`
              : html`<input maxlength=${p.maxLength} inputmode=${p.anyOf ? 'decimal' : undefined} ...${attrs} />`
          }
          ${hint && html`<small id=${`${id}-hint`} class="muted">${hint}</small>`}
        </div>`;
      })}
      <div class="field">
        <label for="c-jobname">Job name (X-CICS-Jobname)</label>
        <input id="c-jobname" name="jobname" maxlength="8" defaultValue="CONSOLE" />
      </div>
    </div>
    <button type="submit" disabled=${busy}>Run ${layout.tranid}</button>
  </form>`;
}

/** @param {{ layout: TextLayout, onRun: OnRun, busy: boolean }} props */
function TextForm({ layout, onRun, busy }) {
  /** @param {FormSubmit} e */
  const submit = (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    void onRun({ text: formText(f.get('text')) }, formText(f.get('jobname')));
  };
  return html`<form class="try" onSubmit=${submit} aria-label=${`Input of ${layout.tranid}`}>
    <p class="muted">${layout.description}; EBCDIC text in CCSID ${layout.ccsid}, a line a statement.</p>
    <div class="field span">
      <label for="t-text">Text</label>
      <textarea id="t-text" name="text" rows="12" defaultValue=${TEXT_SAMPLES[layout.tranid] ?? ''}></textarea>
    </div>
    <div class="field">
      <label for="c-jobname">Job name (X-CICS-Jobname)</label>
      <input id="c-jobname" name="jobname" maxlength="8" defaultValue="CONSOLE" />
    </div>
    <button type="submit" disabled=${busy}>Run ${layout.tranid}</button>
  </form>`;
}

/** @param {{ query: URLSearchParams }} props */
export function TryPage({ query }) {
  const [tranids, setTranids] = useState(/** @type {string[]} */ ([]));
  const tranid = (query.get('tranid') ?? 'MAIL').toUpperCase();
  const [layout, setLayout] = useState(/** @type {Layout | null} */ (null));
  const [error, setError] = useState(/** @type {unknown} */ (null));
  const [busy, setBusy] = useState(false);
  const [out, setOut] = useState(/** @type {RunAnswer | null} */ (null));

  useEffect(() => {
    /** @type {Promise<{ tranid: string }[]>} */
    const read = getJson('/cemt/transactions');
    read.then((t) => setTranids(t.map((d) => d.tranid)), setError);
  }, []);
  useEffect(() => {
    setLayout(null);
    setOut(null);
    /** @type {Promise<Layout>} */
    const read = getJson(`/console/api/transactions/${encodeURIComponent(tranid)}/layout`);
    read.then(setLayout, setError);
  }, [tranid]);

  /** @type {OnRun} */
  const run = async (input, jobname) => {
    setBusy(true);
    setError(null);
    setOut(null);
    try {
      const made = await call('POST', `/console/api/commarea/${tranid}`, input);
      if (!made.ok) throw new Error(messageOf(made));
      const sent = /** @type {Commarea} */ (made.data);
      /** @type {Record<string, string>} */
      const headers = { 'content-type': 'application/octet-stream', accept: 'application/octet-stream' };
      if (jobname.trim()) headers['x-cics-jobname'] = jobname.trim();
      const r = await call('POST', `/cics/${tranid}`, hexToBytes(sent.hex), headers);
      /** @type {RunAnswer} */
      const answer = {
        status: r.status,
        resp: r.headers.get('x-cics-resp') ?? '',
        abcode: r.headers.get('x-cics-abcode'),
        rc: r.headers.get('x-mail-rc'),
        taskn: r.headers.get('x-cics-taskn'),
        seqs: (r.headers.get('x-journal-seq') ?? '').split(',').filter(Boolean),
        sent,
        message: r.ok ? null : messageOf(r),
        received: null,
      };
      if (r.ok && r.data instanceof Uint8Array) {
        const back = await call('POST', `/console/api/commarea/${tranid}`, { hex: bytesToHex(r.data) });
        answer.received = back.ok ? /** @type {Commarea} */ (back.data) : null;
        if (!back.ok) answer.message = messageOf(back);
      }
      setOut(answer);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };

  /** @param {Event & { currentTarget: HTMLSelectElement }} e */
  const choose = (e) => {
    location.hash = `#/try?tranid=${encodeURIComponent(e.currentTarget.value)}`;
  };
  return html`
    <h1 tabindex="-1">Try a transaction</h1>
    <div class="field narrow">
      <label for="tranid">Transaction</label>
      <select id="tranid" onChange=${choose}>
        ${(tranids.length ? tranids : [tranid]).map((t) => html`<option value=${t} selected=${t === tranid}>${t}</option>`)}
      </select>
    </div>
    <${ErrorNote} error=${error} />
    ${layout && layout.schema && html`<${CopybookForm} key=${tranid} layout=${layout} onRun=${run} busy=${busy} />`}
    ${layout && !layout.schema && html`<${TextForm} key=${tranid} layout=${layout} onRun=${run} busy=${busy} />`}
    <section aria-label="Answer">
      <p class="sr-only" role="status">
        ${busy ? `Running ${tranid}…` : out ? `${tranid} answered ${out.resp || `HTTP ${out.status}`}${out.rc !== null ? `, RC ${out.rc}` : ''}` : ''}
      </p>
      ${busy && html`<p aria-hidden="true">Running ${tranid}…</p>`}
      ${
        out &&
        html`<h2 id="answer-heading">Answer</h2>
          <dl class="pairs tiles answer">
            <dt>RESP</dt>
            <dd class=${out.status < 300 ? 'ok' : 'bad'} data-testid="resp">${out.resp || `HTTP ${out.status}`}</dd>
            <dt>HTTP</dt>
            <dd>${out.status}</dd>
            ${
              out.abcode &&
              html`<dt>Abend</dt>
                <dd>${out.abcode}</dd>`
            }
            ${
              out.rc !== null &&
              html`<dt>RC</dt>
                <dd data-testid="rc">${out.rc}</dd>`
            }
            ${
              out.taskn &&
              html`<dt>Task</dt>
                <dd>${out.taskn}</dd>`
            }
            ${
              out.seqs.length > 0 &&
              html`<dt>Journal</dt>
                <dd>${out.seqs.map((s) => html`<a href=${`#/journal/${s}`}>record ${s}</a> `)}</dd>`
            }
          </dl>
          ${out.message && html`<p class="error" role="alert">${out.message}</p>`}
          ${out.received && html`<${Fields} caption=${`COMMAREA returned (${out.received.length} bytes)`} fields=${out.received.fields} />`}
          <details>
            <summary>COMMAREA sent (${out.sent.length} bytes)</summary>
            <${Fields} caption="COMMAREA sent" fields=${out.sent.fields} />
          </details>`
      }
    </section>
  `;
}
