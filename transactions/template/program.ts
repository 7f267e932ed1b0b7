// The template program: a transaction of the shop's own whose mail is made from templates
// (docs/transactions.md). The COMMAREA is read through its copybook into its view, every
// template is filled from it before anything is used, and the mail goes the way MAIL's goes
// (sender verification, limits, the journal first, the relay, the retry spool). The answer is
// the COMMAREA as it came with the outcome in the definition's output fields: RC 8 and the
// reason where a template could not be filled (and no mail at all), else MAIL's RC and reason,
// the Message-ID, the journal sequence number and the relay's reply.
import { codePage } from '../../cics/codepages.js';
import { FieldError } from '../../cics/copybook/errors.js';
import { copybook, copybookName as copybookNameOf } from '../../cics/copybook/library.js';
import { recordView } from '../../cics/copybook/view.js';
import type { ProgramContext, TaskResult } from '../../cics/task.js';
import { cached } from '../copies.js';
import { fieldCondition, REASONS } from '../errors.js';
import { composeAndSend, type Outcome } from '../mail/deliver.js';
import type { Services } from '../services.js';
import { writeAnswer } from './answer.js';
import { compileTemplateProgram } from './compile.js';
import { createEngines } from './engine.js';
import { draftOf, renderMail } from './render.js';

// One set of engines a worker: their filters keep a cache of pictures.
const engines = createEngines();

export default async function templateProgram(ctx: ProgramContext<Services>): Promise<TaskResult> {
  const copy = ctx.copy;
  if (copy?.kind !== 'template' || !ctx.copybook)
    throw new Error('the template program runs without its templates and copybook');
  const layout = copybook(ctx.copybook);
  const copybookName = copybookNameOf(ctx.copybook);
  const area = ctx.commarea;
  if (area.length < layout.minLength) {
    return {
      kind: 'condition',
      condition: 'LENGERR',
      field: layout.root.name,
      message: `COMMAREA of ${area.length} bytes is shorter than the ${layout.minLength} bytes of ${copybookName}`,
    };
  }
  const cp = codePage(ctx.ccsid);
  let view: object;
  try {
    view = recordView(area, layout, cp);
  } catch (err) {
    if (err instanceof FieldError) return fieldCondition(err);
    throw err;
  }
  // Checked by the region at start and at NEWCOPY: a fault here is a bug, ASRA.
  const compiled = cached(copy, 'templates', () =>
    compileTemplateProgram(copy.templates, { name: copybookName, layout }, engines),
  );
  const rendered = renderMail(compiled, view, engines);
  const outcome: Outcome = rendered.ok
    ? await composeAndSend(ctx, draftOf(rendered.mail), new Date())
    : { reason: rendered.reason, detail: rendered.detail };
  const out = Buffer.from(area);
  writeAnswer(out, layout, copy.output, outcome, cp);
  const rc = REASONS[outcome.reason].rc;
  return {
    kind: 'normal',
    commarea: out,
    journalSeqs: outcome.seq !== undefined ? [outcome.seq] : [],
    mailRc: rc,
    smtpReplies: outcome.replyClass ? [outcome.replyClass] : [],
  };
}
