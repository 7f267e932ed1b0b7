// The `cicsmail` command line: subcommands that exit 0 on success and non-zero with a
// one-line reason on failure; each prints its help with --help.
// Each command is loaded when asked for: `cicsmail send` need not load a region and
// its web server, nor the load tester.
import { dropOrphanCommitFailures } from '../journal/commit-failure.js';
import { UsageError } from './usage.js';

const HELP = `usage: cicsmail <command> [options]

commands:
  start                     start a region in the foreground (what npm start does)
  send [FILE]               run a file of SEND statements (or --tx SPOL, a datastream) on a region
  journal list|show|stats|export|replay   the journal under CICSMAIL_DATA
  user add|list|remove|passwd|set   the region's users in CICSMAIL_DATA/users.json
  cemt inquire|set ...      CEMT from a shell: tasks, transactions, classes, the region (admins)
  load URL|local            load-test a region: many concurrent transactions, tx/s and latency

Run 'cicsmail <command> --help' for a command's options.`;

export async function run(argv: readonly string[]): Promise<number> {
  // This process writes a journal (start, journal replay): a failed commit must not end it.
  dropOrphanCommitFailures();
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'start':
        return await (await import('./start.js')).startCommand(rest);
      case 'journal':
        return await (await import('./journal.js')).journalCommand(rest);
      case 'user':
        return await (await import('./user.js')).userCommand(rest);
      case 'cemt':
        return await (await import('./cemt.js')).cemtCommand(rest);
      case 'send':
        return await (await import('./send.js')).sendCommand(rest);
      case 'load':
        return await (await import('./load.js')).loadCommand(rest);
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
