// Starts a region in the foreground: listen, print where, drain on SIGTERM/SIGINT.
import type { FastifyInstance } from 'fastify';
import { buildRegion } from './app.js';
import type { RegionConfig } from '../config/settings.js';
import { ConfigError } from '../config/errors.js';

export interface RunningRegion {
  readonly app: FastifyInstance;
  readonly url: string;
  /** The administrator made at this, the first start, with the password to print once; null where there were users. */
  readonly createdAdmin: { readonly id: string; readonly password: string } | null;
}

export async function startRegion(config: RegionConfig): Promise<RunningRegion> {
  const app = await buildRegion(config, { logger: { level: config.logLevel } });
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    // The port is taken (or the address is not this machine's): give back the data folder,
    // the workers and the journal, so that the process ends with the reason, not hangs.
    await app.close();
    throw listenError(err as NodeJS.ErrnoException, config);
  }
  // Only now that it listens: a start that failed made no administrator nobody saw.
  let createdAdmin;
  try {
    createdAdmin = app.security.createFirstAdmin();
  } catch (err) {
    await app.close();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  return { app, url: `${config.tls ? 'https' : 'http'}://${host}:${port}`, createdAdmin };
}

/** Why the listener could not start, naming the variable to change. */
function listenError(err: NodeJS.ErrnoException, config: RegionConfig): Error {
  const where = `${config.host}:${config.port}`;
  switch (err.code) {
    case 'EADDRINUSE':
      return new ConfigError('CICSMAIL_PORT', `port ${config.port} on ${config.host} is taken (${err.message})`);
    case 'EACCES':
      return new ConfigError('CICSMAIL_PORT', `may not listen on ${where} (${err.message})`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return new ConfigError(
        'CICSMAIL_HOST',
        `cannot listen on ${where}: not an address of this machine (${err.message})`,
      );
    default:
      return err;
  }
}

/**
 * Drains on SIGTERM or SIGINT: the listener stops taking tasks (new requests get 503),
 * tasks in flight finish within `drainTimeoutMs`, the pool and journal close, exit 0. A
 * task cut off by the bound stays ACCEPTED in the journal for the next start to deliver.
 */
export function drainOnSignals(region: RunningRegion, config: RegionConfig, log: (line: string) => void): void {
  let draining = false;
  const drain = (signal: NodeJS.Signals) => {
    if (draining) return;
    draining = true;
    log(`region ${config.sysid} draining on ${signal}: ${region.app.dispatcher.active} task(s) in flight`);
    const bound = setTimeout(() => {
      log(
        `region ${config.sysid}: drain bound of ${config.drainTimeoutMs} ms reached; stopping with ${region.app.dispatcher.active} task(s) unfinished`,
      );
      process.exit(0);
    }, config.drainTimeoutMs);
    bound.unref();
    region.app.close().then(
      () => {
        log(`region ${config.sysid} stopped`);
        process.exit(0);
      },
      (err: Error) => {
        log(`region ${config.sysid} stopped with an error: ${err.message}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', drain);
  process.on('SIGINT', drain);
}
