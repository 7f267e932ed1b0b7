// A private Postfix (Debian's `postfix` package) for one test file: a real MTA as the
// region's smart host, on loopback, with its own config, queue, data and mail folders in a
// fresh temp folder. It never touches /etc/postfix or a system instance: every command
// gets `-c DIR`, and the instance has its own queue_directory (where master's pid and lock
// live) and data_directory. Mail for the test domains is delivered by the `virtual`
// agent into one maildir per domain (or one per address, where `mailboxes` names them);
// `mailbox(address)` picks a recipient's copies by the Delivered-To header virtual(8)
// prepends. Mail for any other domain is bounced by the `error` transport, or goes where
// `transports` says (a listener on loopback): nothing leaves the machine.
//
// What Postfix needs, found by trying (Postfix 3.7.11, Debian 12, as root):
// - root: master starts as root and drops to mail_owner (postfix) per daemon;
// - queue_directory must exist before `postfix -c DIR check` (the postfix command chdirs
//   there first: "fatal: chdir(...): No such file or directory"); `check` then runs
//   `post-install create-missing`, which makes the queue subfolders (active, maildrop,
//   public, ...) and data_directory with the right owners, postfix and group postdrop.
//   It only creates what is missing and touches nothing shared that exists, so no
//   `set-permissions` (that one would chown /usr/sbin/postdrop and friends);
// - the folders must be reachable by the postfix user: mkdtemp makes 0700, so 0755;
// - virtual(8) refuses `$1` substitutions from regexp maps ("regular expression
//   substitution is not allowed"), hence a texthash map with one catch-all per domain;
//   the mail base is owned by the postfix user, whose uid virtual delivers as;
// - maillog_file must start with one of maillog_file_prefixes (default /var,
//   /dev/stdout), and master.cf must run postlogd as the `postlog` service, or
//   `postfix check` fails with "missing 'postlog' service in master.cf";
// - Postfix rereads a main.cf, master.cf or table younger than a second until it is
//   older (300 ms naps: two seconds for `check` + `start`), so the helper dates its
//   files back (writeOld); and it sleeps a second after a fatal error.
import { execFile, execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../../bench/processes.js';

const run = promisify(execFile);

/** The part of tap's Test that the helper uses. */
export interface TestLike {
  teardown(fn: () => unknown): void;
}

export interface Postfix {
  /** smtp://127.0.0.1:PORT, for CICSMAIL_RELAY. */
  readonly url: string;
  readonly port: number;
  /** The domains whose mail is delivered into maildirs here. */
  readonly domains: readonly string[];
  /** The instance's folder: etc/ (main.cf, master.cf), spool/, data/, mail/, maillog. */
  readonly dir: string;
  /**
   * The messages delivered to `address` (as virtual(8) stored them: LF line ends, with
   * Return-Path, X-Original-To, Delivered-To and Received prepended), oldest first. Waits
   * until at least `count` (default 1) are there; after `timeoutMs` (default 10 s) it
   * rejects with the end of Postfix's log.
   */
  mailbox(address: string, options?: { count?: number; timeoutMs?: number }): Promise<Buffer[]>;
  /** Postfix's log so far (maillog_file). */
  log(): string;
  /**
   * Postfix's log once it matches `pattern`, or as it is after `timeoutMs`: postlogd writes
   * a delivery's line a little after the mail is in its maildir.
   */
  logged(pattern: RegExp, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

export interface PostfixOptions {
  /** Domains delivered here (default example.test, corp.example). */
  readonly domains?: readonly string[];
  /**
   * The only addresses of the domains with a mailbox (a maildir each); unset: every address
   * (one catch-all maildir a domain). Mail to any other address of the domains is taken at
   * RCPT and then bounced by virtual(8) as an unknown user (5.1.1), as a far mail system
   * does it, rather than refused while the region waits.
   */
  readonly mailboxes?: readonly string[];
  /** transport_maps entries, domain to transport (`bounce.example: smtp:[127.0.0.1]:2525`). */
  readonly transports?: Readonly<Record<string, string>>;
  /** More main.cf settings, over the helper's own. */
  readonly main?: Readonly<Record<string, string>>;
}

const POSTFIX = '/usr/sbin/postfix';
const POSTCONF = '/usr/sbin/postconf';

function versionOf(text: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(text.trim());
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

let known: { version: [number, number]; parameters: Set<string> } | null = null;

/** What this machine's Postfix is and which main.cf parameters it knows (`postconf -d`). */
function postfixInfo(): { version: [number, number]; parameters: Set<string> } {
  if (!known) {
    const defaults = execFileSync(POSTCONF, ['-d'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const parameters = new Set(
      defaults
        .split('\n')
        .map((l) => /^(\S+) =/.exec(l)?.[1] ?? '')
        .filter(Boolean),
    );
    const version = versionOf(/^mail_version = (.*)$/m.exec(defaults)?.[1] ?? '');
    known = { version, parameters };
  }
  return known;
}

/** Why a private Postfix cannot run here, or null when it can. For `t.test(name, { skip })`. */
export function postfixUnavailable(): string | null {
  if (!existsSync(POSTFIX) || !existsSync(POSTCONF))
    return 'Postfix is not installed (Debian postfix; .ci/run installs it)';
  if (process.getuid?.() !== 0)
    return `a private Postfix needs root to start (running as uid ${process.getuid?.() ?? '?'})`;
  let info;
  try {
    info = postfixInfo();
  } catch (err) {
    return `postconf -d fails: ${(err as Error).message}`;
  }
  const [major, minor] = info.version;
  if (major < 3 || (major === 3 && minor < 4))
    return `Postfix ${info.version.join('.')} is older than 3.4 (no maillog_file)`;
  try {
    userIds(owner());
  } catch {
    return 'the postfix user does not exist';
  }
  return null;
}

function owner(): string {
  return execFileSync(POSTCONF, ['-d', '-h', 'mail_owner'], { encoding: 'utf8' }).trim();
}

function userIds(user: string): { uid: number; gid: number } {
  const id = (flag: string) =>
    Number(execFileSync('id', [flag, user], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

/**
 * A parent for the instance's folder that the postfix user can walk into: the system's
 * temp folder unless one of its ancestors shuts others out (TMPDIR under /root, say).
 */
function reachableTemp(): string {
  const base = tmpdir();
  for (let dir = base; ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return '/tmp';
    if (dirname(dir) === dir) return base;
  }
}

/** Every service the test instance uses; chroot off (column 5: n), no pickup or showq. */
function masterCf(port: number): string {
  return [
    '# service type  private unpriv  chroot  wakeup  maxproc command',
    `127.0.0.1:${port} inet n - n - - smtpd`,
    'cleanup   unix  n       -       n       -       0       cleanup',
    'qmgr      unix  n       -       n       300     1       qmgr',
    'rewrite   unix  -       -       n       -       -       trivial-rewrite',
    'bounce    unix  -       -       n       -       0       bounce',
    'defer     unix  -       -       n       -       0       bounce',
    'trace     unix  -       -       n       -       0       bounce',
    'verify    unix  -       -       n       -       1       verify',
    'flush     unix  n       -       n       1000?   0       flush',
    'proxymap  unix  -       -       n       -       -       proxymap',
    'smtp      unix  -       -       n       -       -       smtp',
    'relay     unix  -       -       n       -       -       smtp',
    'error     unix  -       -       n       -       -       error',
    'retry     unix  -       -       n       -       -       error',
    'discard   unix  -       -       n       -       -       discard',
    'virtual   unix  -       n       n       -       -       virtual',
    'anvil     unix  -       -       n       -       1       anvil',
    'scache    unix  -       -       n       -       1       scache',
    // Postfix 3.4+: the daemons log through postlogd into maillog_file, no syslog needed.
    'postlog   unix-dgram n  -       n       -       1       postlogd',
    '',
  ].join('\n');
}

function mainCf(
  dir: string,
  domains: readonly string[],
  ids: { uid: number; gid: number },
  extra: Readonly<Record<string, string>>,
): string {
  const info = postfixInfo();
  const [major, minor] = info.version;
  const settings: Record<string, string> = {
    // The level Debian writes for fresh installs; older Postfix knows levels up to 2.
    compatibility_level: major > 3 || (major === 3 && minor >= 6) ? '3.6' : '2',
    queue_directory: join(dir, 'spool'),
    data_directory: join(dir, 'data'),
    myhostname: 'mta.test',
    mydomain: 'mta.test',
    myorigin: '$myhostname',
    inet_interfaces: 'loopback-only',
    inet_protocols: 'ipv4',
    mynetworks: '127.0.0.0/8',
    mydestination: '',
    biff: 'no',
    readme_directory: 'no',
    // No /etc/aliases: local delivery is off, and nothing else may leave the machine.
    alias_maps: '',
    alias_database: '',
    local_transport: 'error:local delivery is off in this test instance',
    default_transport: 'error:this test instance delivers only to its own domains',
    relay_transport: 'error:this test instance delivers only to its own domains',
    virtual_mailbox_domains: domains.join(' '),
    virtual_mailbox_base: join(dir, 'mail'),
    // texthash: read as text, no postmap. virtual(8) allows no regexp $1 in mailbox paths,
    // so each domain has one catch-all maildir (a trailing / means maildir).
    virtual_mailbox_maps: `texthash:${join(dir, 'etc', 'mailboxes')}`,
    virtual_uid_maps: `static:${ids.uid}`,
    virtual_gid_maps: `static:${ids.gid}`,
    virtual_minimum_uid: String(Math.min(ids.uid, 100)),
    virtual_mailbox_limit: '0',
    // Big enough for the region's 25 MB default; Postfix's own default is 10 MB.
    message_size_limit: String(64 * 1024 * 1024),
    // No DNS anywhere: the client is 127.0.0.1, and nothing is relayed.
    smtpd_peername_lookup: 'no',
    smtp_dns_support_level: 'disabled',
    lmtp_dns_support_level: 'disabled',
    smtp_host_lookup: 'native',
    // Answer at once: no flow control sleeps in smtpd, no sleep after an error.
    in_flow_delay: '0',
    smtpd_error_sleep_time: '0',
    // As a smart host elsewhere would: the region is a remote client, so cleanup(8)
    // neither adds missing Date/Message-ID/From nor qualifies bare addresses (Postfix 2.6+
    // does both for local clients, which would hide what the region left out).
    local_header_rewrite_clients: '',
    // As strict as Postfix gets about line ends: a bare LF in what the region sends is
    // refused (the default exempts $mynetworks).
    smtpd_forbid_bare_newline: 'reject',
    smtpd_forbid_bare_newline_exclusions: '',
    // Refuse a client that pipelines without being offered PIPELINING.
    smtpd_forbid_unauth_pipelining: 'yes',
    maillog_file: join(dir, 'maillog'),
    maillog_file_prefixes: dir,
    ...extra,
  };
  const lines = ['# A private test instance, written by test/postfix.ts.'];
  for (const [name, value] of Object.entries(settings)) {
    // Settings this Postfix does not know are left out, not warned about at every start.
    if (info.parameters.has(name)) lines.push(`${name} = ${value}`);
    else lines.push(`# ${name} = ${value}   (unknown to Postfix ${info.version.join('.')})`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Writes a file dated 10 s back. Postfix reads a table or main.cf again and again, 300 ms
 * apart, until its mtime is at least a second old (so it never reads one half-written):
 * a file written just now costs every Postfix command up to two seconds.
 */
function writeOld(path: string, text: string): void {
  writeFileSync(path, text);
  const past = new Date(Date.now() - 10_000);
  utimesSync(path, past, past);
}

const DELIVERED_TO = /^Delivered-To:[ \t]*(.*)$/im;

/** The maildir of an address under the mail base: its domain's, or its own within it. */
function folderOf(address: string, own: boolean): string {
  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1).toLowerCase();
  return own ? join(domain, address.slice(0, at).toLowerCase()) : domain;
}

/** Starts the instance; stopped and removed in `t.teardown`. */
export async function startPostfix(t: TestLike, options: PostfixOptions = {}): Promise<Postfix> {
  const why = postfixUnavailable();
  if (why) throw new Error(why);
  const domains = options.domains ?? ['example.test', 'corp.example'];
  const parent = reachableTemp();
  sweepOrphans(parent);
  // The tap run's id in the name: the check after the run (test/leftovers.mjs) knows
  // master by its working folder, since Postfix sheds the environment it was started with.
  const runId = (process.env._TAPJS_PROCESSINFO_ROOT_ ?? 'norun').slice(0, 8);
  const dir = mkdtempSync(join(parent, `${PREFIX}${runId}-`));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'owner'), String(process.pid));
  const etc = join(dir, 'etc');
  const mail = join(dir, 'mail');
  const maillog = join(dir, 'maillog');
  for (const sub of [etc, join(dir, 'spool'), mail]) mkdirSync(sub, { mode: 0o755 });
  const ids = userIds(owner());
  chownSync(mail, ids.uid, ids.gid);
  const { mailboxes, transports } = options;
  const derived: Record<string, string> = {};
  if (mailboxes) derived.smtpd_reject_unlisted_recipient = 'no';
  if (transports) {
    derived.transport_maps = `texthash:${join(etc, 'transport')}`;
    writeOld(
      join(etc, 'transport'),
      Object.entries(transports)
        .map(([domain, transport]) => `${domain} ${transport}\n`)
        .join(''),
    );
  }
  writeOld(join(etc, 'main.cf'), mainCf(dir, domains, ids, { ...derived, ...options.main }));
  writeOld(
    join(etc, 'mailboxes'),
    mailboxes
      ? mailboxes.map((a) => `${a} ${folderOf(a, true)}/\n`).join('')
      : domains.map((d) => `@${d} ${d}/\n`).join(''),
  );

  const log = () => (existsSync(maillog) ? readFileSync(maillog, 'utf8') : '');
  const postfix = (command: string) => run(POSTFIX, ['-c', etc, command], { encoding: 'utf8' });
  let running = false;
  let removed = false;
  // A test process that exits without its teardown (an uncaught error) still stops its
  // Postfix; one killed outright leaves it to the next start's sweepOrphans.
  const onExit = () => {
    if (running) abandon(dir);
  };
  process.once('exit', onExit);

  const stop = async () => {
    process.removeListener('exit', onExit);
    if (running) {
      running = false;
      const pid = masterPid(dir);
      // postfix stop: SIGTERM to master, which ends its children; the script waits until
      // master's lock is free (up to 5 s, then kill -9 of the process group).
      await postfix('stop').catch(() => postfix('abort').catch(() => {}));
      if (pid) await exited(pid, 5000);
    }
    if (!removed) {
      removed = true;
      rmSync(dir, { recursive: true, force: true });
    }
  };
  t.teardown(stop);

  // The port is free when picked and bound by master a moment later: retry if another
  // process took it in between.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    writeOld(join(etc, 'master.cf'), masterCf(port));
    const logged = log().length;
    try {
      // check: creates the queue folders and data_directory, checks owners and modes.
      if (attempt === 1) await postfix('check');
      await postfix('start');
      running = true;
      break;
    } catch (err) {
      const inUse = /Address already in use/.test(log().slice(logged));
      if (!inUse || attempt === 3) {
        await stop();
        const e = err as Error & { stderr?: string };
        throw new Error(`postfix start failed: ${e.stderr || e.message}\n${log()}`);
      }
    }
  }

  const mailbox = async (address: string, { count = 1, timeoutMs = 10_000 } = {}): Promise<Buffer[]> => {
    const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
    if (!domains.includes(domain))
      throw new Error(`${address} is not in a domain this Postfix delivers (${domains.join(', ')})`);
    const folder = join(mail, folderOf(address, mailboxes !== undefined), 'new');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = delivered(folder, address);
      if (found.length >= count) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `${found.length} of ${count} mails for ${address} after ${timeoutMs} ms; Postfix's log ends:\n${log().split('\n').slice(-30).join('\n')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  const logged = async (pattern: RegExp, timeoutMs = 10_000): Promise<string> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = log();
      if (pattern.test(text) || Date.now() > deadline) return text;
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  return { url: `smtp://127.0.0.1:${port}`, port, domains, dir, mailbox, log, logged, stop };
}

const PREFIX = 'cicsmail-postfix-';

/** Stops an instance at once (master ends its children) and removes its folder. */
function abandon(dir: string): void {
  try {
    execFileSync(POSTFIX, ['-c', join(dir, 'etc'), 'abort'], { stdio: 'ignore' });
  } catch {
    // Not running.
  }
  rmSync(dir, { recursive: true, force: true });
}

/** Instances left by test processes that are gone (killed by a timeout, say). */
function sweepOrphans(parent: string): void {
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(PREFIX)) continue;
    const dir = join(parent, name);
    let owner: number;
    try {
      owner = Number(readFileSync(join(dir, 'owner'), 'utf8'));
    } catch {
      continue;
    }
    if (Number.isInteger(owner) && owner > 0 && !isRunning(owner)) abandon(dir);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/^\d+ \(.*\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** The messages in a maildir's new/ whose Delivered-To is `address`, oldest first. */
function delivered(folder: string, address: string): Buffer[] {
  if (!existsSync(folder)) return [];
  // virtual(8) writes into tmp/ and renames into new/: a file in new/ is complete.
  return readdirSync(folder)
    .map((name) => ({ path: join(folder, name), at: statSync(join(folder, name)).mtimeMs }))
    .sort((a, b) => a.at - b.at || a.path.localeCompare(b.path))
    .map((f) => readFileSync(f.path))
    .filter((m) => {
      const head = m.subarray(0, Math.max(0, m.indexOf('\n\n'))).toString('latin1');
      return DELIVERED_TO.exec(head)?.[1]?.trim().toLowerCase() === address.toLowerCase();
    });
}

function masterPid(dir: string): number | null {
  try {
    const pid = Number(readFileSync(join(dir, 'spool', 'pid', 'master.pid'), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Waits until `pid` is gone. master daemonizes, so its parent is init; where init does not
 * reap (a container whose PID 1 is a shell), it stays a zombie: that counts as exited.
 */
async function exited(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && isRunning(pid)) await new Promise((r) => setTimeout(r, 25));
}
