// cicsmail send FILE: a file of SEND statements (or, with --tx SPOL, an SMTP datastream)
// run as one transaction on a region, its report printed, and the highest RC as the exit
// code, so that a shell script or a scheduler can use it as a job step.
import { readFileSync } from 'node:fs';
import { codePage, parseCcsid, SUPPORTED_CCSIDS } from '../region/codepages.js';
import { INPUT_CONTAINER, MAX_COMMAREA } from '../region/task.js';
import { textLines } from '../region/text-lines.js';
import { parseCommand, UsageError } from './usage.js';

const HELP = `usage: cicsmail send [FILE] [--tx SEND|SPOL] [--url URL] [--user USER:PASSWORD]
                     [--ccsid N] [--binary] [--jobname NAME]

Runs FILE (standard input where FILE is - or left out) as one SEND transaction (control
statements) or, with --tx SPOL, as an SMTP datastream; prints the report, a line a mail.

  --url URL        the region (default CICSMAIL_URL, else http://127.0.0.1:8080)
  --user U:P       HTTP Basic credentials (default CICSMAIL_USER)
  --ccsid N        the EBCDIC code page to send in (default 037)
  --binary         FILE is EBCDIC already: sent as it is, in --ccsid
  --jobname NAME   the job's name, for the journal (X-CICS-Jobname)

A UTF-8 FILE is translated to the code page, each line ending in NL (x'15'). Input longer
than a COMMAREA (32,763 bytes) goes as container ${INPUT_CONTAINER} on a channel.

Exit code: the highest RC of the report (0 sent, 4 kept for retry, 8 refused as written,
12 refused by the relay, 16 sender not allowed), or 20 where the transaction did not run
(the region unreachable or answering with a RESP, an unreadable FILE, bad options).`;

/** The exit code where no report came back: above every RC, so no scheduler takes it for a warning. */
export const SEND_FAILED = 20;

const NL = 0x15;

/** UTF-8 text as EBCDIC lines ending in NL; a character the code page lacks is an error with its place. */
export function toEbcdic(text: string, ccsid: number): Buffer {
  const cp = codePage(ccsid);
  const lines = textLines(text);
  if (lines.at(-1) === '') lines.pop();
  const parts: Buffer[] = [];
  for (const [i, line] of lines.entries()) {
    const bytes = cp.encode(line);
    if (cp.decode(bytes) !== line) {
      const chars = [...line];
      const bad = chars.findIndex((c) => cp.decode(cp.encode(c)) !== c);
      throw new UsageError(`line ${i + 1}: '${chars[bad] ?? '?'}' has no place in code page ${String(ccsid).padStart(3, '0')}`);
    }
    parts.push(bytes, Buffer.of(NL));
  }
  return Buffer.concat(parts);
}

function readInput(file: string | undefined): Buffer {
  try {
    return readFileSync(file === undefined || file === '-' ? 0 : file);
  } catch (err) {
    throw new UsageError(`cannot read ${file ?? 'standard input'}: ${(err as Error).message}`);
  }
}

/** The request: the COMMAREA where it fits one, else a channel with container INPUT. */
function requestOf(payload: Buffer, ccsid: number): { body: Buffer; type: string } {
  if (payload.length <= MAX_COMMAREA) return { body: payload, type: 'application/octet-stream' };
  const boundary = `cicsmail-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  const head = `--${boundary}\r\nContent-Disposition: form-data; name="${INPUT_CONTAINER}"\r\nContent-Type: text/plain; charset=ibm-${String(ccsid).padStart(3, '0')}\r\n\r\n`;
  return {
    body: Buffer.concat([Buffer.from(head, 'latin1'), payload, Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1')]),
    type: `multipart/form-data; boundary=${boundary}`,
  };
}

export async function sendCommand(argv: readonly string[]): Promise<number> {
  try {
    return await send(argv);
  } catch (err) {
    console.error(`cicsmail send: ${(err as Error).message}`);
    return SEND_FAILED;
  }
}

async function send(argv: readonly string[]): Promise<number> {
  const parsed = parseCommand(
    argv,
    {
      tx: { type: 'string', default: 'SEND' },
      url: { type: 'string' },
      user: { type: 'string' },
      ccsid: { type: 'string', default: '037' },
      binary: { type: 'boolean', default: false },
      jobname: { type: 'string' },
    },
    HELP,
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`one FILE at most (got ${positionals.length})`);
  const tx = values.tx.toUpperCase();
  if (tx !== 'SEND' && tx !== 'SPOL') throw new UsageError(`--tx is SEND or SPOL, not '${values.tx}'`);
  const ccsid = parseCcsid(values.ccsid);
  if (ccsid === undefined) throw new UsageError(`--ccsid ${values.ccsid} is not a supported code page (${SUPPORTED_CCSIDS.join(', ')})`);
  const base = values.url ?? process.env.CICSMAIL_URL ?? 'http://127.0.0.1:8080';
  let url: URL;
  try {
    url = new URL(`cics/${tx}`, base.endsWith('/') ? base : `${base}/`);
  } catch {
    throw new UsageError(`--url '${base}' is not a URL`);
  }
  const raw = readInput(positionals[0]);
  const payload = values.binary ? raw : toEbcdic(raw.toString('utf8'), ccsid);
  const { body, type } = requestOf(payload, ccsid);
  const headers: Record<string, string> = { 'content-type': type, 'x-cics-ccsid': String(ccsid) };
  const user = values.user ?? process.env.CICSMAIL_USER;
  if (user) headers.authorization = `Basic ${Buffer.from(user, 'utf8').toString('base64')}`;
  if (values.jobname) headers['x-cics-jobname'] = values.jobname;

  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers, body });
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause;
    throw new Error(`cannot reach the region at ${url.origin}: ${cause?.message ?? (err as Error).message}`);
  }
  const answer = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) {
    let detail = answer.toString('utf8').slice(0, 500);
    try {
      const json = JSON.parse(detail) as { resp?: string; abcode?: string | null; message?: string };
      detail = `${json.resp ?? ''}${json.abcode ? ` ${json.abcode}` : ''}: ${json.message ?? ''}`;
    } catch {
      // not the region's JSON: show it as it came
    }
    throw new Error(`HTTP ${res.status} ${detail}`);
  }
  const report = textLines(codePage(ccsid).decode(answer));
  if (report.at(-1) === '') report.pop();
  for (const line of report) console.log(line);
  const rc = Number(res.headers.get('x-mail-rc'));
  if (!Number.isInteger(rc)) throw new Error('the answer has no X-Mail-RC header: is --url a cicsmail region?');
  return rc;
}
