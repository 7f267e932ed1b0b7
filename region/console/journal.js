// The journal: records by the journal's own filters (GET /journal), a page at a time, with
// new records appended while the last page is open, and export links. A page reads a
// bounded part of the journal, so it may come back short, or empty, with more to look at
// (`next`): the page says so and offers to look further. A record's page is record.js.
import { useEffect, useState } from 'preact/hooks';
import { ErrorNote, getJson, html, StateBadge, when, Wide } from './ui.js';

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
        // Where the page stopped looking: past its last record where it ran out of reads.
        last = p.next ?? records.at(-1)?.seq ?? after;
        setPage({ records, next: p.next });
      },
      (e) => !stop && setError(e),
    );
    // On the last page, new records come in as they are journaled (they come last: seq order).
    const timer = setInterval(async () => {
      if (stop || records.length >= PAGE) return;
      try {
        const p = await getJson(url(last, PAGE - records.length));
        if (stop) return;
        if (p.next !== null) last = p.next;
        if (p.records.length === 0) return;
        records = [...records, ...p.records];
        last = p.next ?? records.at(-1).seq;
        setPage({ records, next: records.length >= PAGE ? last : p.next });
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
    ${
      page?.records.length === 0 &&
      html`<p>
        ${
          page.next
            ? 'No record found yet: this page looked at part of the journal only.'
            : `No record matches${after ? ' after this point' : ''}.`
        }
      </p>`
    }
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
      ${page?.next && html`<a href=${nextHref}>${page.records.length === 0 ? 'Look further' : 'Next page'}</a>`}
    </nav>
  `;
}
