// SMTP AUTH (RFC 4954) for the region's account on the relay: PLAIN (RFC 4616) where
// offered, else LOGIN (draft-murchison-sasl-login). The credentials never go in clear to
// a relay that is not on loopback unless its URL says auth=plain-text-ok, and never
// appear in an error: only the relay's replies and the user name (in the label) do.
import { smtpError } from './errors.js';
import { formatReply, type SmtpReply } from './reply.js';
import type { RelayTarget } from './relay-url.js';

export interface AuthSession {
  readonly relay: RelayTarget;
  /** The relay's EHLO keywords, from the last EHLO (after STARTTLS where there was one). */
  readonly extensions: ReadonlyMap<string, string>;
  /** The connection is TLS (smtps, or upgraded by STARTTLS). */
  readonly encrypted: boolean;
  /** The relay's IP address as connected. */
  readonly peer: string | undefined;
  /** Writes one command line (without CRLF) and resolves with the relay's reply. */
  exchange(line: string, what: string): Promise<SmtpReply>;
}

/** 127.0.0.0/8 and ::1 (also as IPv4-mapped): nobody but this host sees that traffic. */
export function isLoopback(address: string | undefined): boolean {
  if (address === undefined) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Logs in as the relay URL's user; rejects with the reason (the relay's reply) where it cannot. */
export async function authenticate(session: AuthSession): Promise<void> {
  const { relay } = session;
  if (!session.encrypted && !isLoopback(session.peer) && relay.authInClear !== true) {
    throw smtpError(
      'auth',
      `${relay.label}: the credentials are not sent over a connection without TLS; ` +
        'use smtps:// or STARTTLS, or add ?auth=plain-text-ok to the relay URL to allow it',
    );
  }
  const mechanisms = (session.extensions.get('AUTH') ?? '')
    .toUpperCase()
    .split(/\s+/)
    .filter((m) => m !== '');
  const user = relay.user ?? '';
  const pass = relay.pass ?? '';
  let reply: SmtpReply;
  if (mechanisms.includes('PLAIN')) {
    reply = await session.exchange(`AUTH PLAIN ${b64(`\0${user}\0${pass}`)}`, 'AUTH PLAIN');
  } else if (mechanisms.includes('LOGIN')) {
    reply = await session.exchange('AUTH LOGIN', 'AUTH LOGIN');
    // The challenges (Username:, Password:) are not read: the draft lets the server word them.
    if (reply.code === 334) reply = await session.exchange(b64(user), 'AUTH LOGIN user name');
    // Only a 334 asks for the password; any other reply ends the exchange without it.
    if (reply.code === 334) reply = await session.exchange(b64(pass), 'AUTH LOGIN password');
  } else {
    throw smtpError(
      'auth',
      `${relay.label} offers neither AUTH PLAIN nor LOGIN (offers: ${mechanisms.join(' ') || 'no AUTH'})`,
    );
  }
  if (reply.code !== 235) throw smtpError('auth', `${relay.label} refused the credentials: ${formatReply(reply)}`);
}
