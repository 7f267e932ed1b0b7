// A client of one region: its base URL and the caller's credentials, a task run as a
// request and an answer, and the JSON routes (journal, CEMT, captured mail). Commands,
// redrive and the example use it; a refusal is an error with the region's own words.
// Every call has a time and a size limit (http-request.ts): a region that does not answer
// fails the call, it never holds the caller.
import type { ChannelBody } from './channel.js';
import type { Shape } from './answer-shape.js';
import { RegionAnswerInvalid, RegionRefused, RegionUrlInvalid } from './errors.js';
import { httpRequestWithin, ROUTE_LIMITS, TASK_LIMITS, type AnswerLimits, type HttpAnswer } from './http-request.js';
import {
  answerOf,
  basicAuthorization,
  refusalText,
  taskHeaders,
  type TaskAnswer,
  type TaskOptions,
} from './protocol.js';

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
  /** One limit for every call (a command's --timeout); the defaults where not given. */
  readonly limits?: AnswerLimits | undefined;
}

/** The limits of a route that reads or sets, and of a call that runs something (a task, a replay). */
export interface ClientLimits {
  readonly route: AnswerLimits;
  readonly task: AnswerLimits;
}

export const DEFAULT_LIMITS: ClientLimits = { route: ROUTE_LIMITS, task: TASK_LIMITS };

type Method = 'GET' | 'PUT' | 'POST' | 'DELETE';

export class RegionClient {
  /** The base URL, without a trailing slash. */
  readonly url: string;
  readonly authorization: string | undefined;
  readonly limits: ClientLimits;

  constructor(url: string, authorization?: string, limits: ClientLimits = DEFAULT_LIMITS) {
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
    this.limits = limits;
  }

  /** The region the options name, or the environment's (CICSMAIL_URL or CICSMAIL_PORT, CICSMAIL_USER). */
  static from(options: ClientOptions = {}, env: NodeJS.ProcessEnv = process.env): RegionClient {
    // A variable set blank (`CICSMAIL_URL= cicsmail send …`) counts as unset.
    const url = options.url ?? (env.CICSMAIL_URL?.trim() || `http://127.0.0.1:${env.CICSMAIL_PORT?.trim() || '8080'}`);
    // A list of regions is for the merged journal view (client/fleet.ts); a task goes to one.
    if (url.includes(','))
      throw new RegionUrlInvalid(`'${url}' names several regions; this command talks to one (give --url URL)`);
    const user = options.user ?? env.CICSMAIL_USER;
    const limits = options.limits ? { route: options.limits, task: options.limits } : DEFAULT_LIMITS;
    return new RegionClient(url, user ? basicAuthorization(user) : undefined, limits);
  }

  /**
   * A request on a path of the region, with the caller's credentials, read whole within the
   * limits of `kind`. Resolves with any answer; rejects where the region cannot be reached,
   * is too slow (RegionTimedOut) or answers too much (RegionAnswerTooLarge).
   */
  request(
    path: string,
    init: { method?: Method; headers?: Record<string, string>; body?: Uint8Array } = {},
    kind: keyof ClientLimits = 'route',
  ): Promise<HttpAnswer> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.authorization && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization'))
      headers.authorization = this.authorization;
    return httpRequestWithin(`${this.url}${path}`, { ...init, headers }, this.limits[kind], this.url);
  }

  /** Runs a task: POST /cics/{tranid}. Resolves with any answer, RESP and abends included. */
  async runTask(
    tranid: string,
    body: ChannelBody,
    options: Omit<TaskOptions, 'contentType' | 'authorization'> = {},
  ): Promise<TaskReply> {
    const headers = taskHeaders({ ...options, contentType: body.contentType });
    const payload = body.parts.length === 1 ? (body.parts[0] as Uint8Array) : Buffer.concat(body.parts);
    const res = await this.request(
      `/cics/${encodeURIComponent(tranid)}`,
      { method: 'POST', headers, body: payload },
      'task',
    );
    return { answer: answerOf(res.status, res.headers), body: res.body };
  }

  /** A JSON route; a refusal rejects with RegionRefused and the region's reason. */
  async json<T>(method: Method, path: string, body?: unknown, shape?: Shape<T>): Promise<T> {
    return (await this.jsonFrom<T>(method, path, body, shape)).value;
  }

  /**
   * As json(), with the SYSID of the region that answered (X-CICS-Sysid; null from a region
   * before it was sent). With `shape`, the answer is checked against it. A POST runs
   * something (a replay): it has the limits of a task.
   */
  async jsonFrom<T>(
    method: Method,
    path: string,
    body?: unknown,
    shape?: Shape<T>,
  ): Promise<{ value: T; sysid: string | null }> {
    const res = await this.request(
      path,
      {
        method,
        ...(body === undefined
          ? {}
          : { headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(body), 'utf8') }),
      },
      method === 'POST' ? 'task' : 'route',
    );
    const text = res.body.toString('utf8');
    if (res.status < 200 || res.status > 299) throw this.refused(res.status, text);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new RegionAnswerInvalid(`${method} ${path} did not answer JSON: is ${this.url} a cicsmail region?`);
    }
    return { value: shape ? shape.check(value, this.url) : (value as T), sysid: res.headers.get('x-cics-sysid') };
  }

  /** A route that answers bytes (a captured or journaled mail). */
  async bytes(path: string): Promise<Buffer> {
    const res = await this.request(path);
    if (res.status < 200 || res.status > 299) throw this.refused(res.status, res.body.toString('utf8'));
    return res.body;
  }

  /** A refusal in the region's words, and whether the request had credentials. */
  refused(status: number, text: string): RegionRefused {
    return new RegionRefused(status, `HTTP ${status} ${refusalText(text)}`, this.authorization !== undefined);
  }
}
