// The `cicsmail` command line: subcommands that exit 0 on success and non-zero with a
// one-line reason on failure; each prints its help with --help.
import { journalCommand } from './journal.js';
import { sendCommand } from './send.js';
import { startCommand } from './start.js';
import { UsageError } from './usage.js';

const HELP = `usage: cicsmail <command> [options]

commands:
  start                     start a region in the foreground (what npm start does)
  send [FILE]               run a file of SEND statements (or --tx SPOL, a datastream) on a region
  journal list|show|stats|export|replay   the journal under CICSMAIL_DATA

Run 'cicsmail <command> --help' for a command's options.`;

export async function run(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start':
        return await startCommand(rest);
      case 'journal':
        return await journalCommand(rest);
      case 'send':
        return await sendCommand(rest);
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        console.log(HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'; try 'cicsmail --help'`);
    }
  } catch (err) {
    const e = err as Error & { code?: string };
    console.error(`cicsmail: ${e.message}`);
    return e instanceof UsageError ? 2 : 1;
  }
}
