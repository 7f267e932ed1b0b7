// The `cicsmail` command line: subcommands that exit 0 on success and non-zero with a
// one-line reason on failure; each prints its help with --help.
// Each command is loaded when asked for: `cicsmail send` need not load a region and
// its web server, nor the load tester.
import { dropOrphanCommitFailures } from '../journal/commit-failure.js';
import { err, out, OutputClosed, processIo, watchOutput, type CommandIo } from './io.js';
import { UsageError } from './usage.js';

const HELP = `usage: cicsmail <command> [options]

commands:
  start                     start a region in the foreground (what npm start does)
  send [FILE]               run a file of SEND statements (or --tx SPOL, a datastream) on a region
  journal list|show|stats|export|replay   the journal under CICSMAIL_DATA
  user add|list|remove|passwd|set   the region's users in CICSMAIL_DATA/users.json
  suppress list|add|remove|log   the region's suppression list (bounced addresses)
  cemt inquire|set ...      CEMT from a shell: tasks, transactions, classes, the region (admins)
  load URL|local            load-test a region: many concurrent transactions, tx/s and latency

Run 'cicsmail <command> --help' for a command's options.`;

/** The command line as the `cicsmail` process runs it: its own streams, and what a process of it must not die of. */
export async function main(argv: readonly string[]): Promise<number> {
  // This process writes a journal (start, journal replay): a failed commit must not end it.
  dropOrphanCommitFailures();
  return run(argv, processIo());
}

/** Runs one command with `io`; resolves with its exit code. */
export async function run(argv: readonly string[], io: CommandIo): Promise<number> {
  const [command, ...rest] = argv;
  watchOutput(io);
  try {
    switch (command) {
      case 'start':
        return await (await import('./start.js')).startCommand(rest, io);
      case 'journal':
        return await (await import('./journal.js')).journalCommand(rest, io);
      case 'user':
        return await (await import('./user.js')).userCommand(rest, io);
      case 'suppress':
        return await (await import('./suppress.js')).suppressCommand(rest, io);
      case 'cemt':
        return await (await import('./cemt.js')).cemtCommand(rest, io);
      case 'send':
        return await (await import('./send.js')).sendCommand(rest, io);
      case 'load':
        return await (await import('./load.js')).loadCommand(rest, io);
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        out(io, HELP);
        return command === undefined ? 2 : 0;
      default:
        throw new UsageError(`unknown command '${command}'; try 'cicsmail --help'`);
    }
  } catch (error) {
    // Nobody reads any more: nothing to say, and nothing went wrong.
    if (error instanceof OutputClosed) return 0;
    const e = error as Error & { code?: string };
    err(io, `cicsmail: ${e.message}`);
    return e instanceof UsageError ? 2 : 1;
  }
}
