// The journal: records by the journal's own filters (GET /journal), a page at a time, with
// new records appended while the last page is open, and export links. A page reads a
// bounded part of the journal, so it may come back short, or empty, with more to look at
// (`next`): the page says so and offers to look further. A record's page is record.js.
import { ErrorNote, formText, getJson, html, StateBadge, when } from './ui.js';
import { Table } from './table.js';
import { usePoll } from './poll.js';

/** @import { JournalRecordJson } from './record.js' */
/** @import { Poll } from './poll.js' */
/** @import { Column } from './table.js' */

/**
 * A page of GET /journal: the records, and the seq to go on after where there are more.
 * @typedef {{ records: JournalRecordJson[], next: number | null }} JournalPage
 */

/**
 * What the page shows: its records so far, where it stopped looking (`last`: the journal's
 * pages may end before a record when they run out of reads), and how many the last read added.
 * @typedef {JournalPage & { last: string | number | null, added: number }} ShownPage
 */

const STATES = ['ACCEPTED', 'SENT', 'DEFERRED', 'FAILED', 'DENIED'];
const FILTERS = [
  { key: 'user', label: 'User' },
  { key: 'tranid', label: 'Transaction' },
  { key: 'jobname', label: 'Job name' },
  { key: 'recipient', label: 'Recipient' },
  { key: 'messageId', label: 'Message-ID' },
  { key: 'key', label: 'Request key' },
  { key: 'since', label: 'Accepted since', time: true },
  { key: 'until', label: 'Accepted until', time: true },
];

/** An ISO time as a datetime-local field shows it (local time), and back. */
/** @param {string | null} iso */
function localOf(iso) {
  const d = new Date(iso ?? '');
  if (Number.isNaN(d.getTime())) return '';
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}
/** @param {string} local */
function isoOf(local) {
  const d = new Date(local);
  return Number.isNaN(d.getTime()) ? local : d.toISOString();
}
const PAGE = 50;

/** @type {Column<JournalRecordJson>[]} */
const COLUMNS = [
  {
    title: 'Seq',
    cell: (r) => html`<a href=${`#/journal/${r.seq}`} aria-label=${`Record ${r.seq}`}>${r.seq}</a>`,
    class: 'num',
  },
  { title: 'Accepted', cell: (r) => when(r.acceptedAt), class: 'nowrap' },
  { title: 'State', cell: (r) => html`<${StateBadge} state=${r.state} />` },
  { title: 'Tran', cell: (r) => r.tranid },
  { title: 'User', cell: (r) => r.userid },
  { title: 'Job', cell: (r) => r.jobname },
  { title: 'From', cell: (r) => r.envelope.from },
  { title: 'To', cell: (r) => r.envelope.to.join(', ') },
  { title: 'Subject', cell: (r) => r.subject },
];

/**
 * The filter part of the page's query: what /journal takes.
 * @param {URLSearchParams} query
 */
function filterOf(query) {
  const out = new URLSearchParams();
  for (const key of ['state', ...FILTERS.map((f) => f.key)]) {
    const v = query.get(key);
    if (v) out.set(key, v);
  }
  return out;
}

/** @param {{ query: URLSearchParams }} props */
export function JournalList({ query }) {
  const filter = filterOf(query);
  const after = query.get('after');
  const filterText = filter.toString();
  /**
   * @param {string | number | null} from
   * @param {number} limit
   */
  const url = (from, limit) => {
    const q = new URLSearchParams(filter);
    q.set('limit', String(limit));
    if (from) q.set('after', String(from));
    return `/journal?${q}`;
  };
  /** @type {Poll<ShownPage>} */
  const { data: page, error } = usePoll(
    async (shown, signal) => {
      if (shown === null) {
        /** @type {JournalPage} */
        const first = await getJson(url(after, PAGE), signal);
        // Where the page stopped looking: past its last record where it ran out of reads.
        return { ...first, last: first.next ?? first.records.at(-1)?.seq ?? after, added: 0 };
      }
      // On the last page, new records come in as they are journaled (they come last: seq order).
      if (shown.records.length >= PAGE) return shown;
      /** @type {JournalPage} */
      const more = await getJson(url(shown.last, PAGE - shown.records.length), signal);
      const looked = more.next ?? shown.last;
      if (more.records.length === 0) return looked === shown.last ? shown : { ...shown, last: looked, added: 0 };
      const records = [...shown.records, ...more.records];
      const last = more.next ?? records.at(-1)?.seq ?? null;
      return { records, next: records.length >= PAGE ? last : more.next, last, added: more.records.length };
    },
    { every: 2000, key: [filterText, after] },
  );
  const news = page?.added ? `${page.added} new record${page.added === 1 ? '' : 's'}` : '';

  /** @param {SubmitEvent & { currentTarget: HTMLFormElement }} e */
  const submit = (e) => {
    e.preventDefault();
    const q = new URLSearchParams();
    for (const [k, v] of new FormData(e.currentTarget)) {
      const text = formText(v).trim();
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
      page &&
      html`<${Table}
        label="Journal records"
        caption="Journal records, oldest first"
        captionHidden
        empty=${
          page.next
            ? 'No record found yet: this page looked at part of the journal only.'
            : `No record matches${after ? ' after this point' : ''}.`
        }
        columns=${COLUMNS}
        rows=${page.records}
        rowKey=${(/** @type {JournalRecordJson} */ r) => r.seq}
      />`
    }
    <nav class="pager" aria-label="Journal pages">
      ${after && html`<a href=${`#/journal?${filter}`}>First page</a>`}
      ${page?.next && html`<a href=${nextHref}>${page.records.length === 0 ? 'Look further' : 'Next page'}</a>`}
    </nav>
  `;
}
