// A client of one region: its base URL and the caller's credentials, a task run as a
// request and an answer, and the JSON routes (journal, CEMT, captured mail). Commands,
// redrive and the example use it; a refusal is an error with the region's own words.
import type { ChannelBody } from './channel.js';
import {
  answerOf,
  basicAuthorization,
  refusalText,
  taskHeaders,
  type TaskAnswer,
  type TaskOptions,
} from './protocol.js';

/** The region could not be reached (nothing listens, a reset, a name that does not resolve). */
export class RegionUnreachable extends Error {
  readonly code = 'CICSMAIL_REGION_UNREACHABLE';
}

/** The region answered with a refusal (4xx, 5xx) to a route that is not a task. */
export class RegionRefused extends Error {
  readonly code = 'CICSMAIL_REGION_REFUSED';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A URL that is not one. */
export class RegionUrlInvalid extends Error {
  readonly code = 'CICSMAIL_REGION_URL';
}

export interface TaskReply {
  readonly answer: TaskAnswer;
  /** The returned COMMAREA (status 200), or the refusal's JSON. */
  readonly body: Buffer;
}

export interface ClientOptions {
  /** The region's base URL; default CICSMAIL_URL, else http://127.0.0.1:CICSMAIL_PORT (8080). */
  readonly url?: string | undefined;
  /** `ID:PASSWORD`; default CICSMAIL_USER. */
  readonly user?: string | undefined;
}

export class RegionClient {
  /** The base URL, without a trailing slash. */
  readonly url: string;
  readonly authorization: string | undefined;

  constructor(url: string, authorization?: string) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new RegionUrlInvalid(`'${url}' is not a URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
      throw new RegionUrlInvalid(`'${url}' is not an http:// or https:// URL`);
    this.url = url.replace(/\/+$/, '');
    this.authorization = authorization;
  }

  /** The region the options name, or the environment's (CICSMAIL_URL or CICSMAIL_PORT, CICSMAIL_USER). */
  static from(options: ClientOptions = {}, env: NodeJS.ProcessEnv = process.env): RegionClient {
    // A variable set blank (`CICSMAIL_URL= cicsmail send …`) counts as unset.
    const url = options.url ?? (env.CICSMAIL_URL?.trim() || `http://127.0.0.1:${env.CICSMAIL_PORT?.trim() || '8080'}`);
    // A list of regions is for the merged journal view (client/fleet.ts); a task goes to one.
    if (url.includes(','))
      throw new RegionUrlInvalid(`'${url}' names several regions; this command talks to one (give --url URL)`);
    const user = options.user ?? env.CICSMAIL_USER;
    return new RegionClient(url, user ? basicAuthorization(user) : undefined);
  }

  /** fetch() on a path of the region, with the caller's credentials; rejects only where the region cannot be reached. */
  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.authorization && !headers.has('authorization')) headers.set('authorization', this.authorization);
    try {
      return await fetch(`${this.url}${path}`, { ...init, headers });
    } catch (err) {
      const cause = (err as Error & { cause?: Error }).cause;
      throw new RegionUnreachable(
        `cannot reach the region at ${this.url}: ${cause?.message ?? (err as Error).message}`,
      );
    }
  }

  /** Runs a task: POST /cics/{tranid}. Resolves with any answer, RESP and abends included. */
  async runTask(
    tranid: string,
    body: ChannelBody,
    options: Omit<TaskOptions, 'contentType' | 'authorization'> = {},
  ): Promise<TaskReply> {
    const headers = taskHeaders({ ...options, contentType: body.contentType });
    const payload = body.parts.length === 1 ? (body.parts[0] as Uint8Array) : Buffer.concat(body.parts);
    const res = await this.request(`/cics/${encodeURIComponent(tranid)}`, { method: 'POST', headers, body: payload });
    return { answer: answerOf(res.status, res.headers), body: Buffer.from(await res.arrayBuffer()) };
  }

  /** A JSON route; a refusal rejects with RegionRefused and the region's reason. */
  async json<T>(method: 'GET' | 'PUT' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return (await this.jsonFrom<T>(method, path, body)).value;
  }

  /** As json(), with the SYSID of the region that answered (X-CICS-Sysid; null from a region before it was sent). */
  async jsonFrom<T>(
    method: 'GET' | 'PUT' | 'POST' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<{ value: T; sysid: string | null }> {
    const res = await this.request(path, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (!res.ok) throw this.#refused(method, path, res.status, text);
    try {
      return { value: JSON.parse(text) as T, sysid: res.headers.get('x-cics-sysid') };
    } catch {
      throw new RegionRefused(res.status, `${method} ${path} did not answer JSON: is ${this.url} a cicsmail region?`);
    }
  }

  /** A route that answers bytes (a captured or journaled mail). */
  async bytes(path: string): Promise<Buffer> {
    const res = await this.request(path);
    const body = Buffer.from(await res.arrayBuffer());
    if (!res.ok) throw this.#refused('GET', path, res.status, body.toString('utf8'));
    return body;
  }

  #refused(method: string, path: string, status: number, text: string): RegionRefused {
    const hint = status === 401 && !this.authorization ? '; give --user USER:PASSWORD or set CICSMAIL_USER' : '';
    return new RegionRefused(status, `HTTP ${status} ${refusalText(text)}${hint}`);
  }
}
