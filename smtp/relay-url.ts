// The smart hosts of CICSMAIL_RELAY: `smtp://[user:pass@]host:port[?settings]` or
// `smtps://…`, several separated by commas, tried in order. Settings: starttls=required|
// opportunistic|none, ca=/path/ca.pem (PEM; percent-encode a comma), auth=plain-text-ok.
import { resolve } from 'node:path';

/**
 * required: a relay that does not offer STARTTLS, or fails it, is not used;
 * opportunistic: STARTTLS where offered, plain where not; none: never STARTTLS.
 */
export type StartTlsMode = 'required' | 'opportunistic' | 'none';
export const STARTTLS_MODES: readonly StartTlsMode[] = ['required', 'opportunistic', 'none'];

export interface RelayTarget {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS from the first byte (smtps). */
  readonly secure: boolean;
  readonly user?: string;
  readonly pass?: string;
  /** STARTTLS for this relay; unset: the region's CICSMAIL_SMTP_STARTTLS. */
  readonly starttls?: StartTlsMode;
  /** CA file (PEM, absolute path) the relay's certificate must chain to; unset: CICSMAIL_SMTP_CA or the system's CAs. */
  readonly ca?: string;
  /** auth=plain-text-ok: the credentials may go over a connection without TLS (else only to loopback). */
  readonly authInClear?: true;
  /** The URL without its password and settings, for journals and logs. */
  readonly label: string;
}

export class RelayUrlError extends Error {
  readonly code = 'CICSMAIL_RELAY_URL';
}

export function parseRelayUrls(value: string): RelayTarget[] {
  const parts = value
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
  if (parts.length === 0) throw new RelayUrlError('no relay URL given');
  return parts.map(parseRelayUrl);
}

/** The text without a password it may hold, for errors. */
function shown(text: string): string {
  return text.replace(/\/\/([^/@:]*):[^@]*@/, '//$1:***@');
}

export function parseRelayUrl(text: string): RelayTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RelayUrlError(`relay '${shown(text)}' is not a URL like smtp://host:port`);
  }
  const secure = url.protocol === 'smtps:';
  if (!secure && url.protocol !== 'smtp:') {
    throw new RelayUrlError(`relay scheme '${url.protocol}' is not smtp: or smtps:`);
  }
  if (url.hostname === '') throw new RelayUrlError(`relay '${shown(text)}' names no host`);
  if ((url.pathname !== '' && url.pathname !== '/') || url.hash !== '') {
    throw new RelayUrlError(`relay '${url.protocol}//${url.host}' has a path; give only host, port and ?settings`);
  }
  const port = url.port === '' ? (secure ? 465 : 25) : Number(url.port);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const user = url.username === '' ? undefined : decodeURIComponent(url.username);
  const pass = url.password === '' ? undefined : decodeURIComponent(url.password);
  const label = `${url.protocol}//${user ? `${encodeURIComponent(user)}@` : ''}${url.host}`;
  return {
    host,
    port,
    secure,
    label,
    ...(user !== undefined ? { user } : {}),
    ...(pass !== undefined ? { pass } : {}),
    ...settingsOf(url, secure),
  };
}

type Settings = Pick<RelayTarget, 'starttls' | 'ca' | 'authInClear'>;

function settingsOf(url: URL, secure: boolean): Settings {
  const where = `relay '${url.protocol}//${url.host}'`;
  const settings: { -readonly [K in keyof Settings]: Settings[K] } = {};
  const seen = new Set<string>();
  for (const [key, value] of url.searchParams) {
    if (seen.has(key)) throw new RelayUrlError(`${where} names ${key}= twice`);
    seen.add(key);
    if (key === 'starttls') {
      if (!(STARTTLS_MODES as readonly string[]).includes(value))
        throw new RelayUrlError(`${where}: starttls='${value}' is not one of ${STARTTLS_MODES.join(', ')}`);
      // smtps is TLS from the first byte: there is nothing to upgrade.
      if (secure) throw new RelayUrlError(`${where}: starttls= is for smtp://; smtps:// is TLS from the start`);
      settings.starttls = value as StartTlsMode;
    } else if (key === 'ca') {
      if (value === '') throw new RelayUrlError(`${where}: ca= names no file`);
      settings.ca = resolve(value);
    } else if (key === 'auth') {
      if (value !== 'plain-text-ok') throw new RelayUrlError(`${where}: auth='${value}' is not plain-text-ok`);
      settings.authInClear = true;
    } else {
      throw new RelayUrlError(`${where}: unknown setting '${key}' (known: starttls, ca, auth)`);
    }
  }
  return settings;
}
