// The smart hosts of CICSMAIL_RELAY: `smtp://[user:pass@]host:port` or `smtps://…`,
// several separated by commas, tried in order.

export interface RelayTarget {
  readonly host: string;
  readonly port: number;
  /** Implicit TLS from the first byte (smtps). */
  readonly secure: boolean;
  readonly user?: string;
  readonly pass?: string;
  /** The URL without its password, for journals and logs. */
  readonly label: string;
}

export class RelayUrlError extends Error {
  readonly code = 'CICSMAIL_RELAY_URL';
}

export function parseRelayUrls(value: string): RelayTarget[] {
  const parts = value.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new RelayUrlError('no relay URL given');
  return parts.map(parseRelayUrl);
}

export function parseRelayUrl(text: string): RelayTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new RelayUrlError(`relay '${text}' is not a URL like smtp://host:port`);
  }
  const secure = url.protocol === 'smtps:';
  if (!secure && url.protocol !== 'smtp:') {
    throw new RelayUrlError(`relay scheme '${url.protocol}' is not smtp: or smtps:`);
  }
  if (url.hostname === '') throw new RelayUrlError(`relay '${text}' names no host`);
  if ((url.pathname !== '' && url.pathname !== '/') || url.search !== '' || url.hash !== '') {
    throw new RelayUrlError(`relay '${url.protocol}//${url.host}' has a path or query; give only host and port`);
  }
  const port = url.port === '' ? (secure ? 465 : 25) : Number(url.port);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const user = url.username === '' ? undefined : decodeURIComponent(url.username);
  const pass = url.password === '' ? undefined : decodeURIComponent(url.password);
  const label = `${url.protocol}//${user ? `${encodeURIComponent(user)}@` : ''}${url.host}`;
  return { host, port, secure, label, ...(user !== undefined ? { user } : {}), ...(pass !== undefined ? { pass } : {}) };
}
