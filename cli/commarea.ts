// cicsmail commarea FILE: a COMMAREA's bytes (a returned one, saved by curl -o) read through
// its copybook and printed as its JSON view, so that a person at a shell reads MC-RC,
// MC-REASON and MC-RELAY-REPLY without counting offsets in an EBCDIC dump.
import { readFileSync } from 'node:fs';
import { codePage, parseCcsid, SUPPORTED_CCSIDS } from '../cics/codepages.js';
import { FieldError } from '../cics/copybook/errors.js';
import { recordToJson } from '../cics/copybook/json.js';
import type { RecordLayout } from '../cics/copybook/layout.js';
import { mailcaLayout, mailcaVersion } from '../cics/mailca.js';
import { parseCopybook } from '../cics/copybook/parse.js';
import { out, type CommandIo } from './io.js';
import { helpHint, parseCommand, UsageError } from './usage.js';

const HELP = `usage: cicsmail commarea FILE [--ccsid N] [--copybook FILE.cpy]

Prints the COMMAREA in FILE (its bytes as a program lays them out, e.g. the answer curl
saved with -o reply.bin) as its JSON view, field by field through its copybook: MAILCA
(version 02, MAILCA2, where its MC-VERSION says 02) unless --copybook names another (a
fixed-format COBOL copybook). Reads nothing but FILE.

  --ccsid N           the EBCDIC code page of its text (default 037)
  --copybook FILE     the layout (default copybooks/MAILCA.cpy)

Exit code: 0, 1 where FILE cannot be read or does not fit the layout, 2 for wrong usage.`;

function layoutOf(file: string | undefined, bytes: Buffer, ccsid: number): RecordLayout {
  if (file === undefined) return mailcaLayout(mailcaVersion(bytes, codePage(ccsid)) ?? '01');
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (error) {
    throw new UsageError(`--copybook ${file} cannot be read: ${(error as Error).message}`);
  }
  return parseCopybook(text, file);
}

export async function commareaCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(
    io,
    argv,
    { ccsid: { type: 'string', default: '037' }, copybook: { type: 'string' } },
    HELP,
    { command: 'commarea' },
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  if (positionals.length !== 1) throw new UsageError(`give one FILE, the COMMAREA's bytes; ${helpHint('commarea')}`);
  const ccsid = parseCcsid(values.ccsid);
  if (ccsid === undefined)
    throw new UsageError(`--ccsid ${values.ccsid} is not a supported code page (${SUPPORTED_CCSIDS.join(', ')})`);
  const file = positionals[0] as string;
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new UsageError(`cannot read ${file}: ${(error as Error).message}`);
  }
  const layout = layoutOf(values.copybook, bytes, ccsid);
  try {
    out(io, JSON.stringify(recordToJson(bytes, layout, codePage(ccsid)), null, 2));
  } catch (error) {
    if (error instanceof FieldError) throw new Error(`${file} does not fit ${layout.root.name}: ${error.message}`);
    throw error;
  }
  return 0;
}
