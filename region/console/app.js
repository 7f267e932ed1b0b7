// The console: one page, its parts chosen by the URL's fragment (#/journal, #/journal/12,
// #/captured, #/region, #/try), so that the region serves one shell and every view can be
// bookmarked. Focus goes to the new view's heading, which screen readers announce.
import { render } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './ui.js';
import { JournalList } from './journal.js';
import { JournalRecord } from './record.js';
import { CapturedList, CapturedMail } from './captured.js';
import { RegionPage } from './region.js';
import { TryPage } from './try.js';
import { FatePage } from './fate.js';

const PAGES = [
  { path: 'journal', label: 'Journal' },
  { path: 'captured', label: 'Captured mail' },
  { path: 'region', label: 'Region' },
  { path: 'fate', label: 'Mail fate' },
  { path: 'try', label: 'Try a transaction' },
];

/**
 * Where the fragment points: the path's parts, its query, and the whole as a key.
 * @typedef {{ parts: string[], query: URLSearchParams, key: string }} Route
 */

/** @returns {Route} */
function route() {
  const hash = location.hash.replace(/^#\/?/, '') || 'journal';
  const [path = '', query = ''] = hash.split('?');
  return { parts: path.split('/').filter(Boolean), query: new URLSearchParams(query), key: hash };
}

/** @param {{ r: Route }} props */
function View({ r }) {
  const [page, arg] = r.parts;
  if (page === 'journal' && arg) return html`<${JournalRecord} seq=${arg} />`;
  if (page === 'journal') return html`<${JournalList} query=${r.query} />`;
  if (page === 'captured' && arg) return html`<${CapturedMail} id=${arg} />`;
  if (page === 'captured') return html`<${CapturedList} />`;
  if (page === 'region') return html`<${RegionPage} />`;
  if (page === 'fate') return html`<${FatePage} />`;
  if (page === 'try') return html`<${TryPage} query=${r.query} />`;
  return html`<h1 tabindex="-1">Not found</h1>
    <p>No page <code>${page}</code>. <a href="#/journal">Go to the journal</a>.</p>`;
}

function App() {
  const [r, setR] = useState(route());
  const main = useRef(/** @type {HTMLElement | null} */ (null));
  const first = useRef(true);
  useEffect(() => {
    const on = () => setR(route());
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  useEffect(() => {
    // Not on the first load: the browser's own focus order starts at the skip link.
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector('h1')?.focus();
  }, [r.key]);
  const current = r.parts[0] ?? 'journal';
  /** @param {MouseEvent} e */
  const skip = (e) => {
    e.preventDefault();
    main.current?.querySelector('h1')?.focus();
  };
  return html`
    <a class="skip" href="#main" onClick=${skip}>Skip to the page</a>
    <header class="top">
      <p class="brand"><span aria-hidden="true">▣</span> cicsmail console</p>
      <nav aria-label="Console pages">
        <ul>
          ${PAGES.map(
            (p) =>
              html`<li>
                <a href=${`#/${p.path}`} aria-current=${current === p.path ? 'page' : undefined}>${p.label}</a>
              </li>`,
          )}
        </ul>
      </nav>
    </header>
    <main id="main" ref=${main}>
      <${View} r=${r} key=${r.parts.slice(0, 2).join('/')} />
    </main>
  `;
}

const root = document.getElementById('app');
if (root) render(html`<${App} />`, root);
