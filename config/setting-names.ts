// The names of the region's settings (README, "Settings"), so that a misspelled one is
// named rather than ignored: in the region file an unknown key stops the start; in the
// environment, which other software shares (the client's own variables, an orchestrator's
// service links), it is a warning at start.
import { closest, distance } from 'fastest-levenshtein';

/** Every variable the region reads (test/config/settings-strict.test.ts checks the README's table against it). */
export const REGION_SETTINGS = [
  'CICSMAIL_HOST',
  'CICSMAIL_PORT',
  'CICSMAIL_DATA',
  'CICSMAIL_RELAY',
  'CICSMAIL_CCSID',
  'CICSMAIL_CONFIG',
  'CICSMAIL_MAXTASKS',
  'CICSMAIL_MAXQUEUED',
  'CICSMAIL_SYSID',
  'CICSMAIL_HOSTNAME',
  'CICSMAIL_WORKERS',
  'CICSMAIL_TASKS_PER_WORKER',
  'CICSMAIL_DRAIN_TIMEOUT_MS',
  'CICSMAIL_HARD_STOP_GRACE_MS',
  'CICSMAIL_SMTP_CONNECTIONS',
  'CICSMAIL_SMTP_MAILS_PER_CONNECTION',
  'CICSMAIL_SMTP_IDLE_MS',
  'CICSMAIL_SMTP_CONNECT_MS',
  'CICSMAIL_SMTP_COMMAND_MS',
  'CICSMAIL_SMTP_FINAL_MS',
  'CICSMAIL_SMTP_STARTTLS',
  'CICSMAIL_SMTP_CA',
  'CICSMAIL_BOUNCE_ADDRESS',
  'CICSMAIL_DSN_NOTIFY',
  'CICSMAIL_BOUNCE_LISTEN',
  'CICSMAIL_BOUNCE_KEY',
  'CICSMAIL_BOUNCE_MAX_KB',
  'CICSMAIL_BOUNCE_RATE',
  'CICSMAIL_BOUNCE_CLIENTS',
  'CICSMAIL_FATE_WINDOW',
  'CICSMAIL_SUPPRESS_DAYS',
  'CICSMAIL_WEBHOOKS',
  'CICSMAIL_WEBHOOK_EXPIRY_HOURS',
  'CICSMAIL_KEY_RETENTION',
  'CICSMAIL_RETRY_FIRST_MS',
  'CICSMAIL_RETRY_MAX_MS',
  'CICSMAIL_RETRY_LIMIT_MS',
  'CICSMAIL_RETRY_ORPHAN_MS',
  'CICSMAIL_RETRY_CONCURRENCY',
  'CICSMAIL_RETRY_POLL_MS',
  'CICSMAIL_RETENTION_DAYS',
  'CICSMAIL_TASKLOG_KEEP_KB',
  'CICSMAIL_JOURNAL_RESERVE_MB',
  'CICSMAIL_SENDER_POLICY',
  'CICSMAIL_SENDER_EXIT',
  'CICSMAIL_MAX_MESSAGE_MB',
  'CICSMAIL_MAX_RECIPIENTS',
  'CICSMAIL_RECIPIENT_DOMAINS',
  'CICSMAIL_RATE_LIMIT',
  'CICSMAIL_AUTH_FAILURES',
  'CICSMAIL_AUTH_USER_FAILURES',
  'CICSMAIL_REQUEST_RATE_LIMIT',
  'CICSMAIL_TLS_CERT',
  'CICSMAIL_TLS_KEY',
  'CICSMAIL_LOG_LEVEL',
] as const;

/** The command line's own variables: known, but no setting of a region. */
export const CLIENT_SETTINGS = ['CICSMAIL_URL', 'CICSMAIL_USER'] as const;

const REGION = new Set<string>(REGION_SETTINGS);
const KNOWN = new Set<string>([...REGION_SETTINGS, ...CLIENT_SETTINGS]);

/** " (did you mean CICSMAIL_MAXTASKS?)" where a known name is a few letters away; else ''. */
function suggestion(name: string, among: readonly string[]): string {
  const near = closest(name, among);
  return distance(name, near) <= 3 ? ` (did you mean ${near}?)` : '';
}

/** Why a region file's settings key is not one, or null where it is. */
export function regionSettingProblem(name: string): string | null {
  if (name === 'CICSMAIL_CONFIG') return 'names the region file: it has no meaning inside one';
  if (REGION.has(name)) return null;
  if ((CLIENT_SETTINGS as readonly string[]).includes(name))
    return `is a variable of the command line, not a setting of the region`;
  return `is not a setting of the region${suggestion(name, REGION_SETTINGS)} (README, "Settings")`;
}

/** The environment's CICSMAIL_ variables the region does not know, each with what it may have meant. */
export function unknownVariables(env: NodeJS.ProcessEnv): string[] {
  return Object.keys(env)
    .filter((name) => name.startsWith('CICSMAIL_') && !KNOWN.has(name))
    .sort()
    .map((name) => `${name}${suggestion(name, [...KNOWN])}`);
}
