// Requests that change state must come from the region's own pages or from a program, never
// from another site's page. A browser sends an operator's Basic credentials with any request
// to the region, a cross-site page included, and a cross-site HTML form may POST
// multipart/form-data (which /cics channels take) without a preflight. Browsers say where a
// request comes from (Sec-Fetch-Site, Origin); programs (the CLI, curl, batch jobs) send
// neither and are not affected.
import type { FastifyRequest } from 'fastify';
import { CrossSiteRefused } from '../errors.js';

/** Methods that only read: allowed from anywhere (the answers are not readable cross-site). */
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The origin this request was sent to, as a browser on this region's pages would name it. */
export function ownOrigin(request: FastifyRequest): string {
  return `${request.protocol}://${request.host}`.toLowerCase();
}

/** Why `request` is refused as cross-site, or null where it is not. */
export function crossSiteReason(request: FastifyRequest): string | null {
  if (SAFE.has(request.method)) return null;
  const site = request.headers['sec-fetch-site'];
  if (site !== undefined) {
    const value = String(site).toLowerCase();
    // none: the user typed it or used a bookmark; same-origin: the region's own pages.
    if (value !== 'same-origin' && value !== 'none') return `Sec-Fetch-Site is ${value.slice(0, 20)}`;
  }
  const origin = request.headers.origin;
  if (origin !== undefined) {
    // 'null' (a sandboxed frame, a file, a redirect across sites) matches no origin.
    const value = String(origin).toLowerCase();
    if (value !== ownOrigin(request)) return `Origin ${value.slice(0, 100)} is not this region's`;
  }
  return null;
}

/** onRequest hook of the whole region: refuses a state-changing request sent by another site's page. */
export async function refuseCrossSite(request: FastifyRequest): Promise<void> {
  const reason = crossSiteReason(request);
  if (reason !== null) throw new CrossSiteRefused(reason);
}
