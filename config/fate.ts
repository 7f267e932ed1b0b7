// The settings of a mail's fate past the relay: the bounce listener (CICSMAIL_BOUNCE_LISTEN
// and its limits), the fate window, suppression, and the webhooks. Checked once at start
// like every other setting; a bad value stops the start with the variable's name.
import { ConfigError } from './errors.js';
import { WEBHOOK_EVENTS, type WebhookEvent } from '../journal/outbox.js';

export interface WebhookTarget {
  /** How CEMT and the console name it: given, or `hook1`, `hook2` … in order. */
  readonly name: string;
  readonly url: string;
  /** The Standard Webhooks secret, `whsec_` and base64. */
  readonly secret: string;
  readonly events: readonly WebhookEvent[];
}

export interface FateConfig {
  /** Where the bounce listener listens; null: not started. */
  readonly listen: { readonly host: string; readonly port: number } | null;
  /** The largest bounce taken (bytes). */
  readonly maxBytes: number;
  /** Bounces a minute one client address may send (0: no limit). */
  readonly ratePerMinute: number;
  /** Connections to the listener at once. */
  readonly maxClients: number;
  /** RELAYED or DELAYED this long after the relay took the mail is EXPIRED (0: never). */
  readonly windowMs: number;
  /** How long a hard bounce keeps its address suppressed (days; 0: for good). */
  readonly suppressDays: number;
  readonly webhooks: readonly WebhookTarget[];
  /** How long a webhook's event is retried before it is given up (ms). */
  readonly webhookExpiryMs: number;
}

type Env = NodeJS.ProcessEnv;
type Integer = (env: Env, key: string, fallback: number, min: number, max: number) => number;

/** `port` or `host:port` (an IPv6 host in brackets). */
function listenOf(env: Env, hasBounceAddress: boolean): FateConfig['listen'] {
  const raw = env.CICSMAIL_BOUNCE_LISTEN?.trim();
  if (!raw) return null;
  if (!hasBounceAddress)
    throw new ConfigError(
      'CICSMAIL_BOUNCE_LISTEN',
      'needs CICSMAIL_BOUNCE_ADDRESS: the listener takes mail only for its return paths',
    );
  const m = /^(?:(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(raw);
  const port = Number(m?.[2]);
  if (!m || port > 65535)
    throw new ConfigError('CICSMAIL_BOUNCE_LISTEN', `'${raw}' is not a port or host:port (0 to 65535)`);
  return { host: (m[1] ?? '0.0.0.0').replace(/^\[|\]$/g, ''), port };
}

const SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

function webhookOf(item: unknown, index: number): WebhookTarget {
  const where = `entry ${index + 1}`;
  const fail = (reason: string) => new ConfigError('CICSMAIL_WEBHOOKS', `${where}: ${reason}`);
  if (typeof item !== 'object' || item === null || Array.isArray(item)) throw fail('is not an object');
  const { url, secret, events, name, ...rest } = item as Record<string, unknown>;
  const extra = Object.keys(rest)[0];
  if (extra !== undefined) throw fail(`'${extra.slice(0, 40)}' is no key of a webhook (url, secret, events, name)`);
  if (typeof url !== 'string' || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol))
    throw fail('url is not an http or https URL');
  const m = typeof secret === 'string' ? SECRET.exec(secret) : null;
  const bytes = m?.[1] ? Buffer.from(m[1], 'base64').byteLength : 0;
  // The specification's range for a symmetric secret.
  if (bytes < 24 || bytes > 64) throw fail('secret is not whsec_ and the base64 of 24 to 64 random bytes');
  let wanted: readonly WebhookEvent[] = WEBHOOK_EVENTS;
  if (events !== undefined) {
    if (!Array.isArray(events) || events.length === 0) throw fail('events is not a list of event names');
    const bad: unknown = (events as unknown[]).find((e) => !(WEBHOOK_EVENTS as readonly unknown[]).includes(e));
    if (bad !== undefined)
      throw fail(`'${JSON.stringify(bad).slice(0, 40)}' is not one of ${WEBHOOK_EVENTS.join(', ')}`);
    wanted = [...new Set(events as WebhookEvent[])];
  }
  const named = name ?? `hook${index + 1}`;
  if (typeof named !== 'string' || !/^[A-Za-z0-9_-]{1,32}$/.test(named))
    throw fail('name is not 1 to 32 letters, digits, - or _');
  return { name: named, url, secret: secret as string, events: wanted };
}

/** CICSMAIL_WEBHOOKS: a JSON list of `{ "url", "secret", "events"?, "name"? }`. */
function webhooksOf(env: Env): WebhookTarget[] {
  const raw = env.CICSMAIL_WEBHOOKS?.trim();
  if (!raw) return [];
  let list: unknown;
  try {
    list = JSON.parse(raw) as unknown;
  } catch {
    throw new ConfigError('CICSMAIL_WEBHOOKS', 'is not JSON: give a list of { "url", "secret", "events", "name" }');
  }
  if (!Array.isArray(list) || list.length === 0 || list.length > 16)
    throw new ConfigError('CICSMAIL_WEBHOOKS', 'is not a list of 1 to 16 webhooks');
  const hooks = list.map(webhookOf);
  const names = hooks.map((h) => h.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice !== undefined) throw new ConfigError('CICSMAIL_WEBHOOKS', `the name '${twice}' is given twice`);
  return hooks;
}

export function fateConfigOf(env: Env, integer: Integer, hasBounceAddress: boolean): FateConfig {
  return {
    listen: listenOf(env, hasBounceAddress),
    maxBytes: integer(env, 'CICSMAIL_BOUNCE_MAX_KB', 10_240, 1, 1_048_576) * 1024,
    ratePerMinute: integer(env, 'CICSMAIL_BOUNCE_RATE', 600, 0, 10_000_000),
    maxClients: integer(env, 'CICSMAIL_BOUNCE_CLIENTS', 32, 1, 10_000),
    windowMs: integer(env, 'CICSMAIL_FATE_WINDOW', 120, 0, 87_600) * 3_600_000,
    suppressDays: integer(env, 'CICSMAIL_SUPPRESS_DAYS', 30, 0, 36_500),
    webhooks: webhooksOf(env),
    webhookExpiryMs: integer(env, 'CICSMAIL_WEBHOOK_EXPIRY_HOURS', 72, 1, 8760) * 3_600_000,
  };
}
