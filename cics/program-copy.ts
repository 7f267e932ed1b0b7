// A shop's program as a task runs it: the copy of its templates or module that was current
// when the task started. CEMT SET PROGRAM(name) NEWCOPY makes a new version; each task
// carries its own in its request, so a worker compiles or loads what that task started
// with (cached by name and version), and tasks already running keep the old copy. Plain
// data: it crosses to the workers. The copybook is the transaction's (TaskRequest.copybook):
// one module may serve several transactions, each with its own.
import type { MailTemplates, OutputFields } from './mail-templates.js';

interface CopyBase {
  /** The program's name (CEMT's PROGRAM): a template program's tranid, a module's file name. */
  readonly name: string;
  /** From 1 at start; each NEWCOPY adds one. */
  readonly version: number;
}

export type ProgramCopy =
  | (CopyBase & {
      readonly kind: 'template';
      readonly templates: MailTemplates;
      readonly output: OutputFields;
    })
  | (CopyBase & {
      readonly kind: 'module';
      /** The module's file URL. */
      readonly url: string;
      /** SHA-256 of the module's text when this version was made: a worker loads no other text under it. */
      readonly sha256: string;
    });
