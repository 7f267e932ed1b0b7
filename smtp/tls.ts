// Connections to a relay: TCP, TLS from the first byte (smtps), or TLS after STARTTLS
// (RFC 3207). The certificate is always checked, against the system's CAs or a CA file
// (PEM) for relays with a private CA.
import { readFile } from 'node:fs/promises';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions as TlsOptions, type TLSSocket } from 'node:tls';
import { smtpError } from './errors.js';
import { readSmallFile } from '../cics/small-file.js';
import type { RelayTarget, StartTlsMode } from './relay-url.js';

/** The region-wide defaults (CICSMAIL_SMTP_STARTTLS, CICSMAIL_SMTP_CA) a relay URL may override. */
export interface TlsDefaults {
  readonly starttls?: StartTlsMode;
  readonly ca?: string | null;
}

/** The relay's STARTTLS mode, and who asked for it (for the reply where it is not met). */
export function startTlsMode(relay: RelayTarget, defaults: TlsDefaults): { mode: StartTlsMode; by: string } {
  if (relay.starttls !== undefined) return { mode: relay.starttls, by: `starttls=${relay.starttls} in the relay URL` };
  const mode = defaults.starttls ?? 'opportunistic';
  return { mode, by: `CICSMAIL_SMTP_STARTTLS=${mode}` };
}

/** Why a CA file cannot serve (for a start-up check), or null where it can. */
export function caFileProblem(path: string): string | null {
  // Bounded: a name that points at /dev/zero or a FIFO is refused, not read for ever.
  const read = readSmallFile(path, CA_FILE_BYTES, 'the CA file');
  if (!read.ok) return read.reason;
  return read.bytes.toString('latin1').includes('-----BEGIN CERTIFICATE-----')
    ? null
    : `${path} holds no PEM certificate`;
}

/** A CA file, at most (a bundle of every public CA is about 200 KB). */
const CA_FILE_BYTES = 4 * 1024 * 1024;

/** A connection to the relay: TCP, or TLS for smtps. Rejects with the reason where it fails or takes longer than `timeout` ms. */
export async function openSocket(relay: RelayTarget, defaults: TlsDefaults, timeout: number): Promise<Socket> {
  if (relay.secure) return secureSocket(relay, defaults, timeout);
  return new Promise<Socket>((resolve, reject) => {
    const s = netConnect({ host: relay.host, port: relay.port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(smtpError('connect', `connect to ${relay.label} timed out after ${timeout} ms`));
    }, timeout);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err) => {
      clearTimeout(timer);
      reject(smtpError('connect', `connect to ${relay.label} failed: ${err.message}`));
    });
  });
}

/**
 * A TLS connection to the relay: a fresh one (smtps) or the plain `socket` upgraded after
 * the relay's 220 to STARTTLS. Rejects with the reason where the handshake or the
 * certificate check fails, or it takes longer than `timeout` ms.
 */
export async function secureSocket(
  relay: RelayTarget,
  defaults: TlsDefaults,
  timeout: number,
  socket?: Socket,
): Promise<TLSSocket> {
  const caPath = relay.ca ?? defaults.ca ?? undefined;
  let ca: Buffer | undefined;
  if (caPath !== undefined) {
    try {
      ca = await readFile(caPath);
    } catch (err) {
      throw smtpError(
        'tls',
        `TLS to ${relay.label}: cannot read the CA file ${caPath}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  const options: TlsOptions = {
    host: relay.host,
    // SNI takes a DNS name only (RFC 6066 3); an IP address is still checked against the certificate.
    ...(isIP(relay.host) === 0 ? { servername: relay.host } : {}),
    // A CA file replaces the system's CAs for this relay: a private CA is all it trusts.
    ...(ca ? { ca } : {}),
    rejectUnauthorized: true,
    ...(socket ? { socket } : { port: relay.port }),
  };
  return new Promise<TLSSocket>((resolve, reject) => {
    const s = tlsConnect(options);
    // Implicit TLS reads as the connect it is; after STARTTLS it is a step of its own.
    const step = socket ? 'STARTTLS with' : 'connect to';
    const timer = setTimeout(() => {
      s.destroy();
      reject(smtpError('tls', `${step} ${relay.label} timed out after ${timeout} ms`));
    }, timeout);
    s.once('secureConnect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      resolve(s);
    });
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      s.destroy();
      // Certificate errors carry OpenSSL's code (DEPTH_ZERO_SELF_SIGNED_CERT, ERR_TLS_CERT_ALTNAME_INVALID…).
      reject(smtpError('tls', `${step} ${relay.label} failed: ${err.message}${err.code ? ` (${err.code})` : ''}`));
    });
  });
}
