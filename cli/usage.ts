// Parsing of subcommand options, with help and one-line usage errors.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { RegionClient, RegionUrlInvalid, type ClientOptions } from '../client/region-client.js';
import { out, type CommandIo } from './io.js';

export class UsageError extends Error {
  readonly code = 'CICSMAIL_USAGE';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses argv; undefined where --help was asked for (the help has been printed). */
export function parseCommand<O extends Options>(io: CommandIo, argv: readonly string[], options: O, help: string) {
  const config = {
    args: [...argv],
    options: { ...options, help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  } as const;
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) {
    out(io, help);
    return undefined;
  }
  return parsed;
}

/** A whole number option, or undefined where it was not given. */
export function wholeNumber(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new UsageError(`${name} '${value}' is not a whole number`);
  return Number(value);
}

/**
 * The region that --url and --user name, or the environment's; a URL that is none is a usage
 * error naming where it came from (--url, CICSMAIL_URL or CICSMAIL_PORT).
 */
export function regionOf(io: CommandIo, options: ClientOptions): RegionClient {
  try {
    return RegionClient.from(options, io.env);
  } catch (err) {
    if (!(err instanceof RegionUrlInvalid)) throw err;
    const source = options.url !== undefined ? '--url' : io.env.CICSMAIL_URL?.trim() ? 'CICSMAIL_URL' : 'CICSMAIL_PORT';
    throw new UsageError(`${source} ${err.message}`);
  }
}
