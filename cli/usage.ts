// Parsing of subcommand options, with help and one-line usage errors. One rule for every
// command: an error names the flag or variable that fixes it, an unknown word lists the
// known ones (and the closest, where one is close), and --help is the way to more.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { limitsOf } from '../client/http-request.js';
import { RegionUrlInvalid } from '../client/errors.js';
import { RegionClient, type ClientOptions } from '../client/region-client.js';
import { out, type CommandIo } from './io.js';
import { GIVE_CREDENTIALS } from './region-errors.js';

export class UsageError extends Error {
  readonly code = 'CICSMAIL_USAGE';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Where to read more: `'cicsmail journal --help' says more`. */
export const helpHint = (command: string) => `'cicsmail ${command ? `${command} ` : ''}--help' says more`;

/** `a, b or c`. */
export const orList = (words: readonly string[]) =>
  words.length < 2 ? words.join('') : `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;

/** Edits (insert, delete, change, swap) from `a` to `b`: how close a mistyped word is. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...new Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) (d[0] as number[])[j] = j;
  for (let i = 1; i <= a.length; i++) {
    const row = d[i] as number[];
    const up = d[i - 1] as number[];
    for (let j = 1; j <= b.length; j++) {
      const change = a[i - 1] === b[j - 1] ? 0 : 1;
      row[j] = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + change);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

/** The known word `given` most likely meant: the one it starts, else one within two edits; undefined where none is close. */
export function closest(given: string, known: readonly string[]): string | undefined {
  const g = given.toLowerCase();
  // A long argument is no typing slip: no distance worked out over it.
  if (g.length === 0 || g.length > 32) return undefined;
  const starts = known.filter((k) => k.startsWith(g));
  if (starts.length === 1) return starts[0];
  let best: { word: string; d: number } | undefined;
  for (const word of known) {
    const d = distance(g, word);
    if (d <= Math.min(2, Math.floor(word.length / 2)) && (!best || d < best.d)) best = { word, d };
  }
  return best?.word;
}

/** `unknown journal action 'lst' (did you mean list?): the actions are list, show…; '…--help' says more`. */
export function unknownWord(
  what: string,
  given: string,
  known: readonly string[],
  command: string,
  context?: string,
): UsageError {
  const near = closest(given, known);
  return new UsageError(
    `${context ? `${context}: ` : ''}unknown ${what} '${given}'${near ? ` (did you mean ${near}?)` : ''}: choose ${orList(known)}; ${helpHint(command)}`,
  );
}

/** What a command takes beside its options, for its messages. */
export interface CommandSpec {
  /** The command as typed after `cicsmail`: `journal`, `cemt`. */
  readonly command: string;
  /** Words it takes without dashes (`disabled`): `--disabled` is then named as one of them. */
  readonly words?: readonly string[];
}

function parseError(err: Error & { code?: string }, options: Options, spec: CommandSpec): UsageError {
  const { command } = spec;
  const option = /'(-{1,2}[^'\s<]*)/.exec(err.message)?.[1] ?? '';
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const bare = option.replace(/^-+/, '').split('=')[0] ?? '';
    const word = spec.words?.find((w) => w === bare.toLowerCase());
    if (word !== undefined)
      return new UsageError(`${option} is not an option of cicsmail ${command}: write ${word} without dashes`);
    const names = Object.keys(options).map((o) => `--${o}`);
    const near = closest(bare, Object.keys(options));
    return new UsageError(
      `${option} is not an option of cicsmail ${command}${near ? ` (did you mean --${near}?)` : ''}: its options are ${names.join(' ')}; ${helpHint(command)}`,
    );
  }
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/does not take an argument/.test(err.message)) return new UsageError(`${option} takes no value`);
    return new UsageError(
      `${option} needs a value (${option} VALUE, or ${option}=VALUE for one that starts with '-'); ${helpHint(command)}`,
    );
  }
  return new UsageError(`${err.message}; ${helpHint(command)}`);
}

/** Parses argv; undefined where --help was asked for (the help has been printed). */
export function parseCommand<O extends Options>(
  io: CommandIo,
  argv: readonly string[],
  options: O,
  help: string,
  spec: CommandSpec,
) {
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
    throw parseError(err as Error & { code?: string }, config.options, spec);
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

/** --timeout S as milliseconds (a number of seconds above 0, fractions allowed), or undefined where not given. */
export function timeoutOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(seconds > 0) || seconds > 86_400)
    throw new UsageError(`--timeout '${value}' is not a number of seconds above 0 and at most 86400`);
  return Math.round(seconds * 1000);
}

/** The `ID:PASSWORD` a command logs in with: --user, else CICSMAIL_USER; undefined where neither. */
export function credentialsOf(io: CommandIo, user: string | undefined): string | undefined {
  return user ?? (io.env.CICSMAIL_USER?.trim() ? io.env.CICSMAIL_USER : undefined);
}

/** As credentialsOf, and a usage error naming both where neither gives them. */
export function requireCredentials(io: CommandIo, user: string | undefined): string {
  const credentials = credentialsOf(io, user);
  if (credentials === undefined)
    throw new UsageError(`no user to log in to the region with: ${GIVE_CREDENTIALS} (it takes no request without one)`);
  if (!credentials.includes(':'))
    throw new UsageError(
      `${user !== undefined ? '--user' : 'CICSMAIL_USER'} '${credentials.split(':')[0]}' has no password: give ID:PASSWORD`,
    );
  return credentials;
}

/**
 * The region that --url, --user and --timeout name, or the environment's; a URL that is none
 * is a usage error naming where it came from (--url, CICSMAIL_URL or CICSMAIL_PORT), and
 * credentials neither --user nor CICSMAIL_USER gives are one naming both.
 */
export function regionOf(
  io: CommandIo,
  options: ClientOptions & { readonly timeoutMs?: number | undefined },
): RegionClient {
  const user = requireCredentials(io, options.user);
  try {
    return RegionClient.from(
      { url: options.url, user, ...(options.timeoutMs !== undefined ? { limits: limitsOf(options.timeoutMs) } : {}) },
      io.env,
    );
  } catch (err) {
    if (!(err instanceof RegionUrlInvalid)) throw err;
    const source = options.url !== undefined ? '--url' : io.env.CICSMAIL_URL?.trim() ? 'CICSMAIL_URL' : 'CICSMAIL_PORT';
    throw new UsageError(`${source} ${err.message}`);
  }
}
