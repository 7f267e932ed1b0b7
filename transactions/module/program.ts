// The host of a program module of the shop's own: loads the module at the version its task
// started with (one import a version a worker; a NEWCOPY is a new URL, so the old copy stays
// for the tasks that run it), calls its default export with the contract (contract.ts), and
// makes the answer: the fields it returns written over its COMMAREA through the copybook, or
// the COMMAREA as it came. A module that throws ends its task ASRA, naming the journal
// records of the mails it sent before (they stay on their way); one that awaits past its time
// limit ends AICA in the worker, one that loops is ended AICA by the region.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { codePage } from '../../cics/codepages.js';
import { FieldError } from '../../cics/copybook/errors.js';
import { jsonToRecord } from '../../cics/copybook/json.js';
import { copybook, copybookName as copybookNameOf } from '../../cics/copybook/library.js';
import type { RecordLayout } from '../../cics/copybook/layout.js';
import { fieldsOf, recordView, viewShape, type ViewShape } from '../../cics/copybook/view.js';
import type { ProgramCopy } from '../../cics/program-copy.js';
import { MAX_COMMAREA, type ProgramContext, type TaskResult } from '../../cics/task.js';
import { JournalError } from '../../journal/errors.js';
import { cached, copyName, forget } from '../copies.js';
import { fieldCondition } from '../errors.js';
import type { Services } from '../services.js';
import { moduleContext, type ModuleContext, type Sent } from './contract.js';

type ModuleCopy = Extract<ProgramCopy, { kind: 'module' }>;

// A layout's view shape, to read a module's answer: layouts are kept per copybook text (library.ts).
const shapes = new WeakMap<RecordLayout, ViewShape>();
type ModuleProgram = (ctx: ModuleContext) => unknown;

/** The module's text as the version was made, then its import under that version's own URL. */
async function loadModule(copy: ModuleCopy): Promise<ModuleProgram> {
  const text = await readFile(fileURLToPath(copy.url));
  if (createHash('sha256').update(text).digest('hex') !== copy.sha256) {
    forget(copy, 'module');
    throw new Error(
      `${fileURLToPath(copy.url)} has changed since ${copyName(copy)} was made; ` +
        `CEMT SET PROGRAM(${copy.name}) NEWCOPY loads it as a new version`,
    );
  }
  const mod = (await import(`${copy.url}?version=${copy.version}`)) as { default?: unknown };
  if (typeof mod.default !== 'function')
    throw new Error(`${copyName(copy)} has no default export function: export default async function (ctx) {…}`);
  return mod.default as ModuleProgram;
}

function abend(copy: ModuleCopy, what: string, sent: Sent): TaskResult {
  const mails =
    sent.journalSeqs.length > 0
      ? ` (after journal record(s) ${sent.journalSeqs.join(', ')}, which stay on their way)`
      : '';
  return { kind: 'abend', abcode: 'ASRA', message: `program ${copyName(copy)} ${what}${mails}` };
}

/** The answer COMMAREA from what the module returned, or the abend that says why there is none. */
function answerOf(
  copy: ModuleCopy,
  returned: unknown,
  area: Uint8Array,
  book: { readonly layout: RecordLayout; readonly name: string } | null,
  ccsid: number,
  sent: Sent,
): Uint8Array | TaskResult {
  if (returned === undefined) return area;
  if (!book) {
    if (returned instanceof Uint8Array && returned.length <= MAX_COMMAREA) return returned;
    return abend(
      copy,
      `returned ${kindOf(returned)}: a module without a copybook returns bytes (a Uint8Array of 32,763 at most) or nothing`,
      sent,
    );
  }
  if (returned === null || typeof returned !== 'object' || Array.isArray(returned) || returned instanceof Uint8Array)
    return abend(copy, `returned ${kindOf(returned)}: return the fields of its COMMAREA (an object) or nothing`, sent);
  let shape = shapes.get(book.layout);
  if (!shape) shapes.set(book.layout, (shape = viewShape(book.layout, book.name)));
  try {
    return jsonToRecord(fieldsOf(returned, shape), book.layout, codePage(ccsid), { over: area }).bytes;
  } catch (err) {
    if (err instanceof FieldError)
      return abend(copy, `returned a COMMAREA that does not fit ${book.name}: ${err.message}`, sent);
    throw err;
  }
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (v instanceof Uint8Array) return 'bytes';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

export default async function moduleProgram(ctx: ProgramContext<Services>): Promise<TaskResult> {
  const copy = ctx.copy;
  if (copy?.kind !== 'module') throw new Error('the module host runs without its module');
  const layout = ctx.copybook ? copybook(ctx.copybook) : null;
  const copybookName = ctx.copybook ? copybookNameOf(ctx.copybook) : '';
  let view: Record<string, unknown> | null = null;
  if (layout) {
    if (ctx.commarea.length < layout.minLength) {
      return {
        kind: 'condition',
        condition: 'LENGERR',
        field: layout.root.name,
        message: `COMMAREA of ${ctx.commarea.length} bytes is shorter than the ${layout.minLength} bytes of ${copybookName}`,
      };
    }
    try {
      view = recordView(ctx.commarea, layout, codePage(ctx.ccsid));
    } catch (err) {
      if (err instanceof FieldError) return fieldCondition(err);
      throw err;
    }
  }
  const sent: Sent = { journalSeqs: [], mailRc: undefined, smtpReplies: [] };
  let program: ModuleProgram;
  try {
    program = await cached(copy, 'module', () => loadModule(copy));
  } catch (err) {
    return abend(copy, `cannot be loaded: ${(err as Error).message}`, sent);
  }
  const { context, end } = moduleContext(ctx, view, sent);
  let returned: unknown;
  try {
    returned = await program(context);
  } catch (err) {
    // The journal had no room for a mail the module sent: the task's condition, not the module's fault.
    if (err instanceof JournalError) throw err;
    const e = err as Error | undefined;
    return abend(copy, `failed: ${e?.message ?? String(err)}`, sent);
  } finally {
    end();
  }
  const answer = answerOf(copy, returned, ctx.commarea, layout && { layout, name: copybookName }, ctx.ccsid, sent);
  if (!(answer instanceof Uint8Array)) return answer;
  return {
    kind: 'normal',
    commarea: answer,
    journalSeqs: sent.journalSeqs,
    ...(sent.mailRc !== undefined ? { mailRc: sent.mailRc } : {}),
    smtpReplies: sent.smtpReplies,
  };
}
