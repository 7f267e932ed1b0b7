// The region's settings: the contract's environment variables (http.md), checked once at
// start. A bad value stops the start with the variable's name and the reason.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { isIP } from 'node:net';
import { availableParallelism, hostname as osHostname } from 'node:os';
import { resolve } from 'node:path';
import { createSecureContext } from 'node:tls';
import { pathToFileURL } from 'node:url';
import { readSmallFile } from '../cics/small-file.js';
import { parseCcsid, SUPPORTED_CCSIDS } from '../cics/codepages.js';
import { parseRelayUrls, STARTTLS_MODES, type RelayTarget, type StartTlsMode } from '../smtp/relay-url.js';
import { ConfigError } from './errors.js';
import { caFileProblem } from '../smtp/tls.js';
import { DEFAULT_NOTIFY, parseNotify, type FateSettings } from '../smtp/dsn/request.js';
import { parseReturnPath, TAG_OCTETS, type ReturnPathTemplate } from '../smtp/dsn/return-path.js';
import { fateConfigOf, type FateConfig } from './fate.js';
import { DEFAULT_RETRY, type RetryPolicy } from '../journal/retry.js';
import { readRegionFile, type ClassLimits, type DefinedTransaction, type TransactionOverride } from './region-file.js';
import { NAME8, NAME8_RULE } from '../cics/names.js';

export interface RegionConfig {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** The smart hosts; empty: the region starts its embedded capture relay. */
  readonly relays: readonly RelayTarget[];
  readonly ccsid: number;
  readonly configFile: string | null;
  /** Transaction classes (TRANCLASS) from the definition file. */
  readonly classes: Readonly<Record<string, ClassLimits>>;
  /** Changes to the defined transactions, from the definition file. */
  readonly transactions: Readonly<Record<string, TransactionOverride>>;
  /** The shop's own transactions, from the definition file (docs/transactions.md). */
  readonly defined: readonly DefinedTransaction[];
  /** MAXTASKS: tasks running at once; null: what the workers run at once. */
  readonly maxTasks: number | null;
  /** Tasks that may wait for a region slot before new ones are purged (AKCC). */
  readonly maxQueued: number;
  /** The region's name (APPLID), `&SYSID` in SEND. */
  readonly sysid: string;
  /** The name given in EHLO and in Message-IDs. */
  readonly hostname: string;
  /** Worker threads running programs. */
  readonly workers: number;
  /** Tasks one worker runs at once (they mostly wait on the relay and the disk). */
  readonly tasksPerWorker: number;
  /** How long in-flight tasks may take to finish on SIGTERM. */
  readonly drainTimeoutMs: number;
  /**
   * Grace after a task's time limit before the region ends its worker: a task that awaits
   * ends AICA on the worker's own clock first; one in a loop is ended here.
   */
  readonly hardStopGraceMs: number;
  readonly retry: RetryPolicy;
  /** Mails the retry spool sends at once (over connections of its own). */
  readonly retryConcurrency: number;
  /** How often the retry spool looks for due mail. */
  readonly retryPollMs: number;
  /** SENT and FAILED records older than this are pruned (0: kept for ever); undelivered ones never. */
  readonly retentionMs: number;
  /** How long a request key and its answer are kept: CICSMAIL_KEY_RETENTION hours, never less than the retry limit. */
  readonly keyRetentionMs: number;
  /** The task log keeps a channel's containers up to this many bytes; a larger channel is logged without them. */
  readonly taskLogKeepBytes: number;
  readonly security: SecurityConfig;
  /** pino's level for the region's log (CICSMAIL_LOG_LEVEL). */
  readonly logLevel: LogLevel;
  /** HTTPS for the listener: PEM files. */
  readonly tls: { readonly cert: string; readonly key: string } | null;
  /** Free space below which new tasks are refused (503 NOSPACE), so the journal never fills mid-mail. */
  readonly journalReserveBytes: number;
  /** What happens past the relay: the bounce listener, the fate window, suppression, webhooks (config/fate.ts). */
  readonly fate: FateConfig;
  readonly smtp: {
    readonly maxConnections: number;
    readonly maxMailsPerConnection: number;
    readonly idleTimeout: number;
    readonly timeouts: { readonly connect: number; readonly command: number; readonly final: number };
    /** STARTTLS for relays whose URL names none. */
    readonly starttls: StartTlsMode;
    /** CA file (PEM) for relays whose URL names none; null: the system's CAs. */
    readonly ca: string | null;
    /**
     * Each mail's own return path and the DSNs it asks for (CICSMAIL_BOUNCE_ADDRESS,
     * CICSMAIL_DSN_NOTIFY); null: the program's sender is the envelope sender, no DSN asked.
     */
    readonly fate: FateSettings | null;
  };
}

/** What the region allows, whoever asks (users narrow it further). */
export interface SecurityConfig {
  /** What a user without a policy of their own gets: verify (RC 16) or replace. */
  readonly senderPolicy: 'verify' | 'replace';
  /** A module whose default export decides on each mail's sender (the verification exit). */
  readonly senderExit: string | null;
  /**
   * A composed mail longer than this is refused (RC 8 TOOBIG), as MAXMAILBYTES did. The
   * default, 35 MB, lets a 25 MB attachment through: base64 makes it a third longer.
   */
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
  /** Recipient domains mail may go to (patterns); empty: any. */
  readonly recipientDomains: readonly string[];
  /** Tasks a minute a user may start (0: no limit); a user's own setting wins. */
  readonly rateLimit: number;
  /** Requests a minute a user may make to the operators' routes: journal, captured mail, CEMT (0: no limit). */
  readonly requestRateLimit: number;
  /** Wrong credentials an address may send a minute before its new attempts are spaced out, four a second (0: no limit). */
  readonly authFailures: number;
  /** Wrong passwords a user id may get a minute before its new attempts are spaced out, one a second (0: no limit). */
  readonly authUserFailures: number;
}

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

function integer(env: NodeJS.ProcessEnv, key: string, fallback: number, min: number, max: number): number {
  const raw = env[key];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw.trim())) throw new ConfigError(key, `'${raw}' is not a whole number`);
  const n = Number(raw);
  if (n < min || n > max) throw new ConfigError(key, `${n} is not between ${min} and ${max}`);
  return n;
}

// RFC 1035 labels: the EHLO name and the Message-ID domain must be one.
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** A host name's length in text at most (RFC 1035 2.3.4: 255 octets on the wire). */
const HOSTNAME_MAX = 253;

/** Why `name` is no host name (RFC 1035), or null where it is one. */
function hostNameProblem(name: string): string | null {
  if (name.length > HOSTNAME_MAX) return `is ${name.length} characters; a host name has at most ${HOSTNAME_MAX}`;
  return HOSTNAME.test(name) ? null : `'${name}' is not a host name`;
}

function choice<T extends string>(env: NodeJS.ProcessEnv, key: string, values: readonly T[], fallback: T): T {
  const raw = env[key]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return fallback;
  if (!(values as readonly string[]).includes(raw))
    throw new ConfigError(key, `'${raw}' is not one of ${values.join(', ')}`);
  return raw as T;
}

function senderExitOf(env: NodeJS.ProcessEnv): string | null {
  const file = env.CICSMAIL_SENDER_EXIT?.trim();
  if (!file) return null;
  const path = resolve(file);
  if (!existsSync(path)) throw new ConfigError('CICSMAIL_SENDER_EXIT', `no module at ${path}`);
  if (!statSync(path).isFile()) throw new ConfigError('CICSMAIL_SENDER_EXIT', `${path} is not a file`);
  return pathToFileURL(path).href;
}

/** A PEM file of the listener's: read (bounded), or the reason naming its variable. */
function pemFile(name: string, file: string): Buffer {
  const read = readSmallFile(resolve(file), PEM_FILE_BYTES);
  if (!read.ok) throw new ConfigError(name, read.reason);
  return read.bytes;
}

function tlsOf(env: NodeJS.ProcessEnv): RegionConfig['tls'] {
  const cert = env.CICSMAIL_TLS_CERT?.trim();
  const key = env.CICSMAIL_TLS_KEY?.trim();
  if (!cert && !key) return null;
  if (!cert || !key)
    throw new ConfigError(
      cert ? 'CICSMAIL_TLS_KEY' : 'CICSMAIL_TLS_CERT',
      'HTTPS needs both CICSMAIL_TLS_CERT and CICSMAIL_TLS_KEY (PEM files)',
    );
  // Each read and parsed on its own, so that the error names the file at fault.
  const certPem = pemFile('CICSMAIL_TLS_CERT', cert);
  const keyPem = pemFile('CICSMAIL_TLS_KEY', key);
  try {
    new X509Certificate(certPem);
  } catch (err) {
    throw new ConfigError('CICSMAIL_TLS_CERT', `${resolve(cert)} holds no PEM certificate (${(err as Error).message})`);
  }
  try {
    createPrivateKey(keyPem);
  } catch (err) {
    throw new ConfigError('CICSMAIL_TLS_KEY', `${resolve(key)} holds no PEM private key (${(err as Error).message})`);
  }
  try {
    createSecureContext({ cert: certPem, key: keyPem });
  } catch (err) {
    throw new ConfigError(
      'CICSMAIL_TLS_KEY',
      `${resolve(key)} is not the key of the certificate in CICSMAIL_TLS_CERT (${(err as Error).message})`,
    );
  }
  return { cert: resolve(cert), key: resolve(key) };
}

/** The data folder: a folder where it is there already (the region makes it where not). */
function dataDirOf(env: NodeJS.ProcessEnv): string {
  const dataDir = resolve(env.CICSMAIL_DATA?.trim() || './data');
  let stat;
  try {
    stat = statSync(dataDir, { throwIfNoEntry: false });
  } catch (err) {
    throw new ConfigError(
      'CICSMAIL_DATA',
      `cannot use ${dataDir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  if (stat && !stat.isDirectory()) throw new ConfigError('CICSMAIL_DATA', `${dataDir} is not a folder`);
  return dataDir;
}

/** CICSMAIL_HOST: an IP address or a host name. */
function hostOf(env: NodeJS.ProcessEnv): string {
  const host = env.CICSMAIL_HOST?.trim() || '127.0.0.1';
  if (isIP(host) !== 0) return host;
  const problem = hostNameProblem(host);
  if (problem) throw new ConfigError('CICSMAIL_HOST', `${problem}, nor an IP address`);
  return host;
}

/** The retry schedule, its parts in order: the first wait no longer than the longest, both shorter than giving up. */
function retryOf(env: NodeJS.ProcessEnv): RetryPolicy {
  const firstMs = integer(env, 'CICSMAIL_RETRY_FIRST_MS', DEFAULT_RETRY.firstMs, 10, 86_400_000);
  const maxMs = integer(env, 'CICSMAIL_RETRY_MAX_MS', Math.max(DEFAULT_RETRY.maxMs, firstMs), 10, 7 * 86_400_000);
  const limitMs = integer(env, 'CICSMAIL_RETRY_LIMIT_MS', DEFAULT_RETRY.limitMs, 10, 60 * 86_400_000);
  const orphanMs = integer(env, 'CICSMAIL_RETRY_ORPHAN_MS', DEFAULT_RETRY.orphanMs, 1000, 86_400_000);
  if (maxMs < firstMs)
    throw new ConfigError(
      'CICSMAIL_RETRY_MAX_MS',
      `${maxMs} ms, the longest wait between retries, is shorter than the first wait, CICSMAIL_RETRY_FIRST_MS ${firstMs} ms`,
    );
  if (limitMs <= firstMs)
    throw new ConfigError(
      'CICSMAIL_RETRY_LIMIT_MS',
      `${limitMs} ms: a mail would be given up before its first retry (CICSMAIL_RETRY_FIRST_MS ${firstMs} ms)`,
    );
  return { firstMs, maxMs, limitMs, orphanMs };
}

/** CICSMAIL_RECIPIENT_DOMAINS: domain names, `*` standing for any part (`*.corp.example`). */
function recipientDomainsOf(env: NodeJS.ProcessEnv): string[] {
  const domains = (env.CICSMAIL_RECIPIENT_DOMAINS ?? '')
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter((d) => d !== '');
  for (const d of domains) {
    if (d.length > HOSTNAME_MAX || !/^[a-z0-9*](?:[a-z0-9*.-]*[a-z0-9*])?$/.test(d))
      throw new ConfigError(
        'CICSMAIL_RECIPIENT_DOMAINS',
        `'${d.slice(0, 100)}' is not a domain or a pattern of one (corp.example, *.corp.example)`,
      );
  }
  return domains;
}

/** Workers, at most: four a core, as more only wait for a core (and 64 whatever the cores). */
export function maxWorkers(cores = availableParallelism()): number {
  return Math.min(MAX_WORKERS, cores * WORKERS_A_CORE);
}

/** CICSMAIL_WORKERS, CICSMAIL_TASKS_PER_WORKER and CICSMAIL_MAXTASKS, which must fit them. */
function poolOf(env: NodeJS.ProcessEnv): { workers: number; tasksPerWorker: number; maxTasks: number | null } {
  const cap = maxWorkers();
  const workers = integer(env, 'CICSMAIL_WORKERS', defaultWorkers(), 1, MAX_WORKERS);
  if (workers > cap)
    throw new ConfigError(
      'CICSMAIL_WORKERS',
      `${workers} is more than this machine runs: at most ${cap} (${WORKERS_A_CORE} a core, ${availableParallelism()} cores)`,
    );
  const tasksPerWorker = integer(env, 'CICSMAIL_TASKS_PER_WORKER', 64, 1, 10_000);
  const maxTasks = env.CICSMAIL_MAXTASKS ? integer(env, 'CICSMAIL_MAXTASKS', 0, 1, 100_000) : null;
  // Tasks past what the workers run at once would wait in the pool's own queue, which no
  // bound (CICSMAIL_MAXQUEUED) and no time limit covers.
  if (maxTasks !== null && maxTasks > workers * tasksPerWorker)
    throw new ConfigError(
      'CICSMAIL_MAXTASKS',
      `${maxTasks} is more than the workers run at once: CICSMAIL_WORKERS ${workers} × CICSMAIL_TASKS_PER_WORKER ${tasksPerWorker} = ${workers * tasksPerWorker}`,
    );
  return { workers, tasksPerWorker, maxTasks };
}

/** CICSMAIL_BOUNCE_ADDRESS and CICSMAIL_DSN_NOTIFY; NOTIFY alone has nowhere to send its DSNs. */
function fateOf(env: NodeJS.ProcessEnv): FateSettings | null {
  const address = env.CICSMAIL_BOUNCE_ADDRESS?.trim();
  const notifyText = env.CICSMAIL_DSN_NOTIFY?.trim();
  if (!address) {
    if (notifyText)
      throw new ConfigError(
        'CICSMAIL_DSN_NOTIFY',
        "needs CICSMAIL_BOUNCE_ADDRESS: without it the DSNs would go to the programs' senders",
      );
    return null;
  }
  const parsed = parseReturnPath(address);
  if (!parsed.ok) throw new ConfigError('CICSMAIL_BOUNCE_ADDRESS', parsed.reason);
  const returnPath = signedReturnPath(parsed.template, env.CICSMAIL_BOUNCE_KEY?.trim());
  if (!notifyText) return { returnPath, notify: DEFAULT_NOTIFY };
  const notify = parseNotify(notifyText);
  if (!notify.ok) throw new ConfigError('CICSMAIL_DSN_NOTIFY', notify.reason);
  return { returnPath, notify: notify.notify };
}

/** CICSMAIL_BOUNCE_KEY: return paths with a tag of this key; the local part must still fit 64 octets. */
function signedReturnPath(template: ReturnPathTemplate, key: string | undefined): ReturnPathTemplate {
  if (!key) return template;
  if (key.length < 16) throw new ConfigError('CICSMAIL_BOUNCE_KEY', 'give at least 16 characters (a random secret)');
  const longest = template.before.length + template.between.length + template.after.length + 8 + 16 + TAG_OCTETS;
  if (longest > 64)
    throw new ConfigError(
      'CICSMAIL_BOUNCE_KEY',
      `with the tag, an 8-character SYSID and a 16-digit sequence the local part of ${template.text} is ${longest} octets, over 64`,
    );
  return { ...template, key };
}

/** Settings from the environment and the region definition file (CICSMAIL_CONFIG), on the contract's defaults. */
export function loadConfig(processEnv: NodeJS.ProcessEnv = process.env): RegionConfig {
  const configFile = processEnv.CICSMAIL_CONFIG?.trim() ? resolve(processEnv.CICSMAIL_CONFIG.trim()) : null;
  const file = configFile ? readRegionFile(configFile) : null;
  // The file's settings are defaults; a variable set in the environment wins.
  const env: NodeJS.ProcessEnv = {
    ...Object.fromEntries(Object.entries(file?.settings ?? {}).map(([k, v]) => [k, String(v)])),
    ...processEnv,
  };
  const host = hostOf(env);
  const port = integer(env, 'CICSMAIL_PORT', 8080, 0, 65535);
  const dataDir = dataDirOf(env);
  let relays: RelayTarget[] = [];
  const relayText = env.CICSMAIL_RELAY?.trim();
  if (relayText) {
    try {
      relays = parseRelayUrls(relayText);
    } catch (err) {
      throw new ConfigError('CICSMAIL_RELAY', (err as Error).message);
    }
    for (const relay of relays) {
      const problem = relay.ca === undefined ? null : caFileProblem(relay.ca);
      if (problem) throw new ConfigError('CICSMAIL_RELAY', `${relay.label}: ${problem}`);
    }
  }
  const smtpCa = env.CICSMAIL_SMTP_CA?.trim() ? resolve(env.CICSMAIL_SMTP_CA.trim()) : null;
  const smtpCaProblem = smtpCa === null ? null : caFileProblem(smtpCa);
  if (smtpCaProblem) throw new ConfigError('CICSMAIL_SMTP_CA', smtpCaProblem);
  const ccsidText = env.CICSMAIL_CCSID?.trim() || '037';
  const ccsid = parseCcsid(ccsidText);
  if (ccsid === undefined) {
    throw new ConfigError(
      'CICSMAIL_CCSID',
      `'${ccsidText}' is not a supported code page (${SUPPORTED_CCSIDS.join(', ')})`,
    );
  }
  const sysid = (env.CICSMAIL_SYSID?.trim() || 'CICSMAIL').toUpperCase();
  if (!NAME8.test(sysid)) throw new ConfigError('CICSMAIL_SYSID', `'${sysid}' is not ${NAME8_RULE}`);
  const systemName = osHostname();
  const hostname = env.CICSMAIL_HOSTNAME?.trim() || (hostNameProblem(systemName) === null ? systemName : 'localhost');
  const hostnameProblem = hostNameProblem(hostname);
  if (hostnameProblem) throw new ConfigError('CICSMAIL_HOSTNAME', hostnameProblem);
  const pool = poolOf(env);
  return {
    host,
    port,
    dataDir,
    relays,
    ccsid,
    configFile,
    classes: file?.classes ?? {},
    transactions: file?.transactions ?? {},
    defined: file?.defined ?? [],
    maxTasks: pool.maxTasks,
    maxQueued: integer(env, 'CICSMAIL_MAXQUEUED', 10_000, 0, 1_000_000),
    sysid,
    hostname,
    workers: pool.workers,
    tasksPerWorker: pool.tasksPerWorker,
    drainTimeoutMs: integer(env, 'CICSMAIL_DRAIN_TIMEOUT_MS', 30_000, 0, 3_600_000),
    hardStopGraceMs: integer(env, 'CICSMAIL_HARD_STOP_GRACE_MS', 2000, 100, 3_600_000),
    retry: retryOf(env),
    retryConcurrency: integer(env, 'CICSMAIL_RETRY_CONCURRENCY', 8, 1, 1000),
    retryPollMs: integer(env, 'CICSMAIL_RETRY_POLL_MS', 1000, 10, 600_000),
    retentionMs: integer(env, 'CICSMAIL_RETENTION_DAYS', 90, 0, 36_500) * 86_400_000,
    // A key must outlive the retry spool's hold on its mail: a repeat must find it.
    keyRetentionMs: Math.max(
      integer(env, 'CICSMAIL_KEY_RETENTION', 24, 1, 876_000) * 3_600_000,
      integer(env, 'CICSMAIL_RETRY_LIMIT_MS', DEFAULT_RETRY.limitMs, 10, 60 * 86_400_000),
    ),
    taskLogKeepBytes: integer(env, 'CICSMAIL_TASKLOG_KEEP_KB', 1024, 0, 1_048_576) * 1024,
    security: {
      senderPolicy: choice(env, 'CICSMAIL_SENDER_POLICY', ['verify', 'replace'] as const, 'verify'),
      senderExit: senderExitOf(env),
      maxMessageBytes: integer(env, 'CICSMAIL_MAX_MESSAGE_MB', 35, 1, 1024) * 1_048_576,
      maxRecipients: integer(env, 'CICSMAIL_MAX_RECIPIENTS', 100, 1, 100_000),
      recipientDomains: recipientDomainsOf(env),
      rateLimit: integer(env, 'CICSMAIL_RATE_LIMIT', 0, 0, 10_000_000),
      requestRateLimit: integer(env, 'CICSMAIL_REQUEST_RATE_LIMIT', 600, 0, 10_000_000),
      authFailures: integer(env, 'CICSMAIL_AUTH_FAILURES', 20, 0, 1_000_000),
      authUserFailures: integer(env, 'CICSMAIL_AUTH_USER_FAILURES', 5, 0, 1_000_000),
    },
    logLevel: choice(env, 'CICSMAIL_LOG_LEVEL', LOG_LEVELS, 'info'),
    tls: tlsOf(env),
    journalReserveBytes: integer(env, 'CICSMAIL_JOURNAL_RESERVE_MB', 32, 0, 1_048_576) * 1_048_576,
    smtp: {
      maxConnections: integer(env, 'CICSMAIL_SMTP_CONNECTIONS', 8, 1, 1000),
      maxMailsPerConnection: integer(env, 'CICSMAIL_SMTP_MAILS_PER_CONNECTION', 1000, 1, 1_000_000),
      idleTimeout: integer(env, 'CICSMAIL_SMTP_IDLE_MS', 30_000, 100, 3_600_000),
      timeouts: {
        connect: integer(env, 'CICSMAIL_SMTP_CONNECT_MS', 10_000, 10, 600_000),
        command: integer(env, 'CICSMAIL_SMTP_COMMAND_MS', 30_000, 10, 600_000),
        final: integer(env, 'CICSMAIL_SMTP_FINAL_MS', 60_000, 10, 900_000),
      },
      starttls: choice(env, 'CICSMAIL_SMTP_STARTTLS', STARTTLS_MODES, 'opportunistic'),
      ca: smtpCa,
      fate: fateOf(env),
    },
    fate: fateConfigOf(env, integer, Boolean(env.CICSMAIL_BOUNCE_ADDRESS?.trim())),
  };
}

const MAX_WORKERS = 64;
/** Workers a core at most: more only wait for a core. */
const WORKERS_A_CORE = 4;
/** A PEM file of the listener's, at most. */
const PEM_FILE_BYTES = 1024 * 1024;

/**
 * One worker a core, less the core the main thread needs for HTTP and the hand-offs (at
 * least one). On two cores one worker measured 13 % more mails a second than two, at 19 %
 * less CPU a mail and a p99 at half rate of 33 ms against 42: a second worker only adds
 * wake-ups and hand-offs where there is no core for it.
 */
export function defaultWorkers(cores = availableParallelism()): number {
  return Math.min(MAX_WORKERS, Math.max(1, cores - 1));
}
