// What every page uses: htm bound to Preact, the region's routes called with the browser's
// credentials, and small pieces of page (a live region for news, an error note, times).
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);

/**
 * A route of the region as a URL to fetch: on the page's origin, never on its address as
 * typed, which may hold credentials (http://user:pw@host/console, a common way to sign in),
 * and fetch() refuses a URL with credentials.
 */
export function regionUrl(path) {
  return new URL(path, location.origin);
}

/** An answer of the region: ok, status, the body (JSON where it is JSON, else text) and headers. */
export async function call(method, url, body, headers = {}) {
  const init = { method, headers: { accept: 'application/json', ...headers }, credentials: 'same-origin' };
  if (body instanceof Uint8Array) {
    init.body = body;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(regionUrl(url), init);
  const type = res.headers.get('content-type') ?? '';
  let data;
  if (type.includes('json')) data = await res.json();
  else if (type.includes('octet-stream')) data = new Uint8Array(await res.arrayBuffer());
  else data = await res.text();
  return { ok: res.ok, status: res.status, data, headers: res.headers };
}

/** GET a JSON route; throws an Error with the region's message where it refuses. */
export async function getJson(url) {
  const r = await call('GET', url);
  if (!r.ok) throw new Error(messageOf(r));
  return r.data;
}

export function messageOf(r) {
  const d = r.data;
  if (d && typeof d === 'object') return [d.resp, d.message].filter(Boolean).join(': ') || `HTTP ${r.status}`;
  return `HTTP ${r.status} ${String(d ?? '').slice(0, 200)}`;
}

export function ErrorNote({ error }) {
  if (!error) return null;
  return html`<p class="error" role="alert">${String(error.message ?? error)}</p>`;
}

export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').slice(0, 19);
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function hexToBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesToHex(b) {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

/** Hex in groups of four bytes, as a dump reads. */
export function spacedHex(hex) {
  return hex.replace(/(.{8})(?=.)/g, '$1 ');
}

export function StateBadge({ state }) {
  return html`<span class=${`badge state-${String(state).toLowerCase()}`}>${state}</span>`;
}

/** A table that may be wider than a phone: scrolls sideways, and can be reached with the keyboard to do so. */
export function Wide({ label, children }) {
  return html`<div class="wide" tabindex="0" role="region" aria-label=${label}>${children}</div>`;
}
