// cicsmail send FILE: a file of SEND statements (or, with --tx SPOL, an SMTP datastream)
// run as one transaction on a region, its report printed, and the highest RC as the exit
// code, so that a shell script or a scheduler can use it as a job step.
import { readFileSync } from 'node:fs';
import { codePage, parseCcsid, SUPPORTED_CCSIDS } from '../cics/codepages.js';
import { INPUT_CONTAINER } from '../cics/task.js';
import { textLines } from '../cics/text-lines.js';
import { ebcdicLines, textTaskBody, UnmappableText } from '../client/text-input.js';
import { err, out, OutputClosed, type CommandIo } from './io.js';
import { explain } from './region-errors.js';
import { helpHint, parseCommand, regionOf, timeoutOf, UsageError } from './usage.js';

const HELP = `usage: cicsmail send [FILE] [--tx SEND|SPOL] [--url URL] [--user ID:PASSWORD]
                     [--ccsid N] [--binary] [--jobname NAME] [--timeout S]
                     [--key KEY] [--from-mail N]

Runs FILE (standard input where FILE is - or left out) as one SEND transaction (control
statements) or, with --tx SPOL, as an SMTP datastream; prints the report, a line a mail.

  --url URL        the region (default CICSMAIL_URL, else http://127.0.0.1:CICSMAIL_PORT,
                   port 8080 where that is unset)
  --user ID:PW     HTTP Basic credentials (default CICSMAIL_USER)
  --ccsid N        the EBCDIC code page to send in (default 037)
  --binary         FILE is EBCDIC already: sent as it is, in --ccsid
  --jobname NAME   the job's name, for the journal and &JOBNAME (X-CICS-Jobname);
                   default the user id of --user or CICSMAIL_USER, as z/OS names
                   a TSO or z/OS UNIX user's work after the user
  --timeout S      seconds to wait for the report (default 600; a SEND of many mails
                   answers when it is done); the connection within 10 s of it
  --key KEY        the request key (Idempotency-Key): run the same FILE again with the
                   same key and the region prints the first report again, sending nothing;
                   where the time limit stopped it (RC 24), it goes on where it stopped
  --from-mail N    start at mail N of FILE (1 the first), the restart point of a run the
                   time limit stopped (its last line: RC=24 ... MAIL=N); the mails before
                   N are not sent again. Without --key: a keyed run goes on by itself

A UTF-8 FILE is translated to the code page, each line ending in NL (x'15'). Input longer
than a COMMAREA (32,763 bytes) goes as container ${INPUT_CONTAINER} on a channel.

Exit code: the highest RC of the report (0 sent, 4 kept for retry, 8 refused as written,
12 refused by the relay, 16 sender not allowed, 24 partly done: the time limit stopped it,
go on with --from-mail), or 20 where the transaction did not run (the region unreachable
or answering with a RESP, an unreadable FILE, bad options): run it again whole.`;

/** The exit code where no report came back: above every RC, so no scheduler takes it for a warning. */
export const SEND_FAILED = 20;

/**
 * The user id of `ID:PASSWORD` as a jobname (1 to 8 printable characters, upper case, as the
 * region checks X-CICS-Jobname), so that &JOBNAME and the journal name the job's owner
 * rather than nothing; undefined where the id makes none (the region then refuses the user).
 */
function jobnameOf(user: string | undefined): string | undefined {
  const id = user?.split(':')[0]?.trim().toUpperCase();
  return id && /^[\x21-\x7e]{1,8}$/.test(id) ? id : undefined;
}

/** --from-mail N: a mail's number, 1 the input's first. */
function fromMailOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^[1-9]\d{0,8}$/.test(text.trim()))
    throw new UsageError(`--from-mail ${text.slice(0, 20)} is not a mail's number (1 the first mail of FILE)`);
  return Number(text.trim());
}

async function readInput(io: CommandIo, file: string | undefined): Promise<Buffer> {
  try {
    if (file !== undefined && file !== '-') return readFileSync(file);
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    return Buffer.concat(chunks);
  } catch (error) {
    throw new UsageError(`cannot read ${file ?? 'standard input'}: ${(error as Error).message}`);
  }
}

export async function sendCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  try {
    return await send(argv, io);
  } catch (error) {
    if (error instanceof OutputClosed) throw error;
    err(io, `cicsmail send: ${explain(error)}`);
    return SEND_FAILED;
  }
}

async function send(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(
    io,
    argv,
    {
      tx: { type: 'string', default: 'SEND' },
      url: { type: 'string' },
      user: { type: 'string' },
      ccsid: { type: 'string', default: '037' },
      binary: { type: 'boolean', default: false },
      jobname: { type: 'string' },
      timeout: { type: 'string' },
      key: { type: 'string' },
      'from-mail': { type: 'string' },
    },
    HELP,
    { command: 'send' },
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`one FILE at most (got ${positionals.length})`);
  const tx = values.tx.toUpperCase();
  if (tx !== 'SEND' && tx !== 'SPOL') throw new UsageError(`--tx is SEND or SPOL, not '${values.tx}'`);
  const ccsid = parseCcsid(values.ccsid);
  if (ccsid === undefined)
    throw new UsageError(`--ccsid ${values.ccsid} is not a supported code page (${SUPPORTED_CCSIDS.join(', ')})`);
  const fromMail = fromMailOf(values['from-mail']);
  if (fromMail !== undefined && values.key !== undefined)
    throw new UsageError(
      '--from-mail and --key: run the same command again with the same key, and the region goes on where it stopped by itself',
    );
  const region = regionOf(io, { url: values.url, user: values.user, timeoutMs: timeoutOf(values.timeout) });
  const jobname = values.jobname || jobnameOf(values.user ?? io.env.CICSMAIL_USER);
  if ((positionals[0] === undefined || positionals[0] === '-') && io.stdin.isTTY)
    throw new UsageError(
      'cicsmail send needs a FILE of statements, or them piped in; ' + "'cicsmail send --help' says more",
    );
  const raw = await readInput(io, positionals[0]);
  if (raw.length === 0)
    throw new UsageError(
      `nothing to send: ${positionals[0] === undefined || positionals[0] === '-' ? 'standard input' : positionals[0]} is empty; give a FILE of statements (cicsmail send FILE) or pipe them in; ${helpHint('send')}`,
    );
  let payload: Buffer;
  try {
    payload = values.binary ? raw : ebcdicLines(raw.toString('utf8'), ccsid);
  } catch (err) {
    if (err instanceof UnmappableText) throw new UsageError(err.message);
    throw err;
  }
  const { answer, body } = await region.runTask(tx, textTaskBody([payload], ccsid), {
    ccsid,
    ...(jobname ? { jobname } : {}),
    ...(values.key !== undefined ? { key: values.key } : {}),
    ...(fromMail !== undefined ? { fromMail } : {}),
  });
  if (answer.status !== 200) throw region.refused(answer.status, body.toString('utf8'));
  const report = textLines(codePage(ccsid).decode(body));
  if (report.at(-1) === '') report.pop();
  try {
    for (const line of report) out(io, line);
  } catch (error) {
    // The report's reader went away; the mails went all the same, and the exit code is
    // their RC, which a scheduler acts on.
    if (!(error instanceof OutputClosed)) throw error;
  }
  if (answer.rc === null) throw new Error('the answer has no X-Mail-RC header: is --url a cicsmail region?');
  return answer.rc;
}
