// A request key the request itself holds, for callers that cannot set a header (a batch
// job, a program's WEB CONVERSE with a fixed header set): SEND's KEY statement. Read here,
// on the main thread, because a repeat must be known before any task runs.
import { codePage } from '../../cics/codepages.js';
import { INPUT_CONTAINER, type CommareaInput, type Container } from '../../cics/task.js';
import { textLines } from '../../cics/text-lines.js';
import { requestKeyStatement } from '../../transactions/send/statements.js';
import { sendProgram, type TransactionDefinition } from '../definitions.js';
import { KeyInvalid } from '../errors.js';

/** Every way `KEY` may be written: statements are case-insensitive. */
const KEY_SPELLINGS = ['KEY', 'KEy', 'KeY', 'Key', 'kEY', 'kEy', 'keY', 'key'];

/** The key the request's own text gives, or undefined where it gives none. */
export function keyInBody(
  definition: TransactionDefinition,
  commarea: CommareaInput,
  containers: readonly Container[],
  ccsid: number,
): string | undefined {
  if (definition.program !== sendProgram() || commarea.form !== 'bytes') return undefined;
  // As the program reads it (transactions/text/request.ts): the COMMAREA, or container INPUT.
  const input = containers.find((c) => c.name === INPUT_CONTAINER);
  const cp = codePage(input?.kind === 'char' ? input.ccsid : ccsid);
  const bytes = input?.data ?? commarea.bytes;
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Most inputs have no KEY anywhere: found by a byte search, not by decoding them all.
  if (!KEY_SPELLINGS.some((k) => data.includes(cp.encode(k)))) return undefined;
  const found = requestKeyStatement(textLines(cp.decode(data)));
  if (found && 'problem' in found) throw new KeyInvalid(`SEND: ${found.problem}`);
  return found?.key;
}
