// cicsmail start: a region in the foreground, on the settings of the environment.
import { loadConfig } from '../config/settings.js';
import { unknownVariables } from '../config/setting-names.js';
import { drainOnSignals, startRegion } from '../region/server.js';
import { exposeCollector } from '../cics/collect.js';
import { err, out, type CommandIo } from './io.js';
import { helpHint, parseCommand, UsageError } from './usage.js';

const HELP = `usage: cicsmail start

Starts a region in the foreground. Settings come from the environment:
  CICSMAIL_HOST   address to bind           (default 127.0.0.1)
  CICSMAIL_PORT   HTTP port, 0 = any free   (default 8080)
  CICSMAIL_DATA   journal and state folder  (default ./data)
  CICSMAIL_RELAY  smtp://[user:pass@]host:port[,…]; unset: an embedded capture relay
  CICSMAIL_CCSID  default EBCDIC code page  (default 037)
  CICSMAIL_TLS_CERT, CICSMAIL_TLS_KEY   PEM files: HTTPS instead of HTTP
More settings are in the README. The first start with no users file creates an
administrator, ADMIN, once the region listens, and prints its password once (a start
that fails, the port taken, leaves no users file: the next one makes it).
npm start builds the project first, then runs this.
SIGTERM or SIGINT drains it and stops it with exit code 0.`;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export async function startCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(io, argv, {}, HELP, { command: 'start' });
  if (!parsed) return 0;
  // A region outlives the reader of its standard output (`cicsmail start | head -1`).
  const say = (line: string) => {
    try {
      out(io, line);
    } catch {
      // Nobody reads these lines any more; the region goes on.
    }
  };
  if (parsed.positionals.length > 0)
    throw new UsageError(
      `start takes no arguments (got '${parsed.positionals[0]}'): its settings are CICSMAIL_* variables; ${helpHint('start')}`,
    );
  // A misspelled variable would otherwise leave its setting at the default without a word;
  // said before the settings are checked, as it may be why one of them is refused.
  for (const name of unknownVariables(io.env))
    err(io, `WARNING: ${name} is not a setting of the region; it is ignored (README, "Settings")`);
  const config = loadConfig(io.env);
  // gc() for the scavenge after a large request body (region/http/body.ts).
  exposeCollector();
  const region = await startRegion(config);
  // Before the first line: a caller that reads it may signal at once, and a SIGTERM before
  // the handler is there would kill the process instead of draining it (a loaded run saw it).
  drainOnSignals(region, config, say);
  say(`region ${config.sysid} listening on ${region.url}`);
  const admin = region.createdAdmin;
  if (admin) {
    say(
      `no users yet: administrator ${admin.id} created with password ${admin.password} (shown once; 'cicsmail user passwd ${admin.id}' changes it)`,
    );
  }
  if (!isLoopback(config.host) && !config.tls) {
    err(
      io,
      `WARNING: region ${config.sysid} listens on ${config.host} without TLS: passwords and mail cross the ` +
        `network in clear. Set CICSMAIL_TLS_CERT and CICSMAIL_TLS_KEY, or bind 127.0.0.1 behind a TLS proxy.`,
    );
  }
  const relay = region.app.captureRelay;
  if (relay) {
    say(
      `no CICSMAIL_RELAY: mail goes to the capture relay on smtp://127.0.0.1:${relay.port}; see ${region.url}/captured`,
    );
  }
  // Runs until a signal stops it.
  await new Promise(() => {});
  return 0;
}
