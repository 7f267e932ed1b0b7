// Parsing of subcommand options, with help and one-line usage errors.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {
  readonly code = 'CICSMAIL_USAGE';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses argv; undefined where --help was asked for (the help has been printed). */
export function parseCommand<O extends Options>(argv: readonly string[], options: O, help: string) {
  const config = { args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true } as const;
  let parsed: ReturnType<typeof parseArgs<typeof config>>;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if ((parsed.values as { help?: boolean }).help) {
    console.log(help);
    return undefined;
  }
  return parsed;
}
