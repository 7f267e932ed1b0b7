// A request key the request itself holds, for callers that cannot set a header (a batch
// job, a program's WEB CONVERSE with a fixed header set): MAILCA version 02's MC-KEY,
// SEND's KEY statement, the Idempotency-Key header line of a mail in SPOL's datastream.
// Read here, on the main thread, because a repeat must be known before any task runs.
import { codePage, type CodePage } from '../../cics/codepages.js';
import { mailcaKey, viewVersionProblem } from '../../cics/mailca.js';
import { printableKey, REQUEST_KEY, REQUEST_KEY_RULE } from '../../cics/request-key.js';
import { INPUT_CONTAINER, type CommareaInput, type Container } from '../../cics/task.js';
import { textLines } from '../../cics/text-lines.js';
import { requestKeyStatement } from '../../transactions/send/statements.js';
import { parseDatastream } from '../../transactions/spool/datastream.js';
import { mailProgram, sendProgram, spoolProgram, type TransactionDefinition } from '../definitions.js';
import { KeyInvalid, RequestInvalid } from '../errors.js';

/** Every way `word` may be written where case does not count: 2^letters spellings. */
function spellings(word: string): string[] {
  let out = [''];
  for (const c of word) {
    const both = c.toLowerCase() === c.toUpperCase() ? [c] : [c.toUpperCase(), c.toLowerCase()];
    out = out.flatMap((head) => both.map((x) => head + x));
  }
  return out;
}

/** Statements are case-insensitive: KEY in its 8 spellings. */
const KEY_SPELLINGS = spellings('KEY');
/** A header field name is case-insensitive: the end of Idempotency-Key in its 16 spellings. */
const HEADER_SPELLINGS = spellings('Y-KEY');

/** The text input of SEND and SPOL as their program reads it (transactions/text/request.ts): the COMMAREA, or container INPUT. */
function textInput(commarea: CommareaInput, containers: readonly Container[], ccsid: number) {
  if (commarea.form !== 'bytes') return undefined;
  const input = containers.find((c) => c.name === INPUT_CONTAINER);
  const cp = codePage(input?.kind === 'char' ? input.ccsid : ccsid);
  const bytes = input?.data ?? commarea.bytes;
  return { cp, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/** Whether `data` holds any of `words` encoded in `cp`: most inputs hold none, found without decoding them. */
function mayHold(data: Buffer, cp: CodePage, words: readonly string[]): boolean {
  return words.some((w) => data.includes(cp.encode(w)));
}

/** The key the request's own text gives, or undefined where it gives none. */
export function keyInBody(
  definition: TransactionDefinition,
  commarea: CommareaInput,
  containers: readonly Container[],
  ccsid: number,
): string | undefined {
  switch (definition.program) {
    case mailProgram():
      return mailcaKeyOf(commarea, ccsid);
    case sendProgram(): {
      const text = textInput(commarea, containers, ccsid);
      if (!text || !mayHold(text.data, text.cp, KEY_SPELLINGS)) return undefined;
      const found = requestKeyStatement(textLines(text.cp.decode(text.data)));
      if (found && 'problem' in found) throw new KeyInvalid(`SEND: ${found.problem}`);
      return found?.key;
    }
    case spoolProgram(): {
      const text = textInput(commarea, containers, ccsid);
      if (!text || !mayHold(text.data, text.cp, HEADER_SPELLINGS)) return undefined;
      return spoolKey(textLines(text.cp.decode(text.data)));
    }
    default:
      return undefined;
  }
}

/** MC-KEY of a version 02 COMMAREA; a JSON view that asks for version 02 is refused (the view is 01's). */
function mailcaKeyOf(commarea: CommareaInput, ccsid: number): string | undefined {
  if (commarea.form === 'json') {
    const problem = viewVersionProblem(commarea.json);
    if (problem) throw new RequestInvalid(`MAIL: ${problem}`);
    return undefined;
  }
  const key = mailcaKey(commarea.bytes, codePage(ccsid));
  if (key === undefined || key === '') return undefined;
  if (!REQUEST_KEY.test(key)) throw new KeyInvalid(`MAIL: MC-KEY '${printableKey(key)}' is not ${REQUEST_KEY_RULE}`);
  return key;
}

/**
 * The key SPOL's stream gives in Idempotency-Key header lines: one request, one key, so
 * every such line of every mail must give the same. A mail the stream spells wrong is left
 * out: its program refuses it, and sends nothing of it.
 */
function spoolKey(lines: readonly string[]): string | undefined {
  let found: { key: string; line: number } | undefined;
  for (const item of parseDatastream(lines)) {
    if (!item.ok) continue;
    for (const key of item.mail.requestKeys) {
      if (!REQUEST_KEY.test(key))
        throw new KeyInvalid(
          `SPOL: the Idempotency-Key of the mail at line ${item.line}, '${printableKey(key)}', is not ${REQUEST_KEY_RULE}`,
        );
      if (found && found.key !== key)
        throw new KeyInvalid(
          `SPOL: the mail at line ${found.line} gives Idempotency-Key '${found.key}' and the mail at line ` +
            `${item.line} '${key}': a stream is one request, with one key`,
        );
      found ??= { key, line: item.line };
    }
  }
  return found?.key;
}
