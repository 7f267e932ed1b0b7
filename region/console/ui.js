// What every page uses: htm bound to Preact, the region's routes called with the browser's
// credentials, and small pieces of page (a live region for news, an error note, times).
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);

/**
 * A route of the region as a URL to fetch: on the page's origin, never on its address as
 * typed, which may hold credentials (http://user:pw@host/console, a common way to sign in),
 * and fetch() refuses a URL with credentials.
 * @param {string} path
 * @returns {URL}
 */
export function regionUrl(path) {
  return new URL(path, location.origin);
}

/**
 * An answer of the region: ok, status, the body (JSON where it is JSON, bytes where it is
 * octet-stream, else text) and headers. The body is what the region sent: a caller says
 * what it expects of it.
 * @typedef {{ ok: boolean, status: number, data: unknown, headers: Headers }} Answer
 */

/**
 * @param {string} method
 * @param {string} url
 * @param {unknown} [body] bytes as they are, anything else as JSON
 * @param {Record<string, string>} [headers]
 * @param {AbortSignal} [signal]
 * @returns {Promise<Answer>}
 */
export async function call(method, url, body, headers = {}, signal) {
  /** @type {Record<string, string>} */
  const sent = { accept: 'application/json', ...headers };
  /** @type {RequestInit} */
  const init = { method, headers: sent, credentials: 'same-origin' };
  if (signal) init.signal = signal;
  if (body instanceof Uint8Array) {
    // Bytes this page made (hexToBytes): their buffer is an ArrayBuffer, which fetch takes.
    init.body = /** @type {Uint8Array<ArrayBuffer>} */ (body);
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    sent['content-type'] = 'application/json';
  }
  const res = await fetch(regionUrl(url), init);
  const type = res.headers.get('content-type') ?? '';
  /** @type {unknown} */
  let data;
  if (type.includes('json')) data = await res.json();
  else if (type.includes('octet-stream')) data = new Uint8Array(await res.arrayBuffer());
  else data = await res.text();
  return { ok: res.ok, status: res.status, data, headers: res.headers };
}

/**
 * GET a JSON route; throws an Error with the region's message where it refuses. The type
 * is the caller's word for what the route answers (the region's routes define it).
 * @template [T=unknown]
 * @param {string} url
 * @param {AbortSignal} [signal]
 * @returns {Promise<T>}
 */
export async function getJson(url, signal) {
  const r = await call('GET', url, undefined, {}, signal);
  if (!r.ok) throw new Error(messageOf(r));
  return /** @type {T} */ (r.data);
}

/**
 * What a refusal says: the region's RESP and message where it answered JSON.
 * @param {Answer} r
 */
export function messageOf(r) {
  const d = r.data;
  if (d && typeof d === 'object') {
    const { resp, message } = /** @type {{ resp?: unknown, message?: unknown }} */ (d);
    return [resp, message].filter(Boolean).join(': ') || `HTTP ${r.status}`;
  }
  const text = d === null || d === undefined ? '' : typeof d === 'string' ? d : JSON.stringify(d);
  return `HTTP ${r.status} ${text.slice(0, 200)}`;
}

/**
 * A form field's value as text: the console's forms have no file field.
 * @param {FormDataEntryValue | null} value
 */
export function formText(value) {
  return typeof value === 'string' ? value : '';
}

/** @param {{ error: unknown }} props */
export function ErrorNote({ error }) {
  if (!error) return null;
  const text = error instanceof Error ? error.message : typeof error === 'string' ? error : JSON.stringify(error);
  return html`<p class="error" role="alert">${text}</p>`;
}

/** @param {string | null | undefined} iso */
export function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toISOString().replace('T', ' ').slice(0, 19);
}

/** @param {number} n */
export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** @param {string} hex */
export function hexToBytes(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** @param {Uint8Array} b */
export function bytesToHex(b) {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0'))
    .join('')
    .toUpperCase();
}

/**
 * Hex in groups of four bytes, as a dump reads.
 * @param {string} hex
 */
export function spacedHex(hex) {
  return hex.replace(/(.{8})(?=.)/g, '$1 ');
}

/** @param {{ state: string }} props */
export function StateBadge({ state }) {
  return html`<span class=${`badge state-${String(state).toLowerCase()}`}>${state}</span>`;
}
