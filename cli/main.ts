// The `cicsmail` command line: subcommands that exit 0 on success and non-zero with a
// one-line reason on failure; each prints its help with --help.
// Each command is loaded when asked for: `cicsmail send` need not load a region and
// its web server, nor the load tester.
import { dropOrphanCommitFailures } from '../journal/commit-failure.js';
import { err, out, OutputClosed, processIo, watchOutput, type CommandIo } from './io.js';
import { explain } from './region-errors.js';
import { unknownWord, UsageError } from './usage.js';

const COMMANDS = ['start', 'send', 'journal', 'user', 'cemt', 'load', 'commarea'] as const;

const HELP = `usage: cicsmail <command> [options]

commands:
  start                     run a region in the foreground (npm start builds the project,
                            then runs this)
  send [FILE]               run a file of SEND statements (or --tx SPOL, a datastream) on a region
  journal list|show|stats|export|replay   the journal under CICSMAIL_DATA
  user add|list|remove|passwd|set   the region's users in CICSMAIL_DATA/users.json
  suppress list|add|remove|log   the region's suppression list (bounced addresses)
  keymap list|show|set|remove|log   the region's key maps for burst reports
  cemt inquire|set ...      CEMT from a shell: tasks, transactions, classes, the region (admins)
  load URL|local            load-test a region: many concurrent transactions, tx/s and latency
  commarea FILE             a COMMAREA's bytes (a returned one) as its JSON view, field by field

Every command that talks to a region finds it at --url (else CICSMAIL_URL, else
http://127.0.0.1:CICSMAIL_PORT, port 8080) and logs in with --user ID:PASSWORD (else
CICSMAIL_USER). Run 'cicsmail <command> --help' (or 'cicsmail help <command>') for a
command's options.`;

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
      case 'keymap':
        return await (await import('./keymap.js')).keymapCommand(rest, io);
      case 'cemt':
        return await (await import('./cemt.js')).cemtCommand(rest, io);
      case 'send':
        return await (await import('./send.js')).sendCommand(rest, io);
      case 'load':
        return await (await import('./load.js')).loadCommand(rest, io);
      case 'commarea':
        return await (await import('./commarea.js')).commareaCommand(rest, io);
      case 'help':
        // `cicsmail help journal` is `cicsmail journal --help`.
        if (rest[0] !== undefined) return await run([rest[0], '--help'], io);
        out(io, HELP);
        return 0;
      case undefined:
      case '--help':
      case '-h':
        out(io, HELP);
        return command === undefined ? 2 : 0;
      default:
        throw unknownWord('command', command, COMMANDS, '');
    }
  } catch (error) {
    // Nobody reads any more: nothing to say, and nothing went wrong.
    if (error instanceof OutputClosed) return 0;
    err(io, `cicsmail: ${explain(error)}`);
    return error instanceof UsageError ? 2 : 1;
  }
}
