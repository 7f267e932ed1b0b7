// The shop's own transactions as the region runs them (docs/transactions.md): each one the
// region file defines becomes a definition beside MAIL, SEND and SPOL. A built-in program
// under a tranid of the shop's is that program's definition under the new tranid; a template
// program or a module is a copy (cics/program-copy.ts) the tasks carry to the workers. At
// start each template is compiled against its copybook's view, and a fault stops the start
// with the file, the line and the name. CEMT SET PROGRAM(name) NEWCOPY reads a template
// program's templates or a module's file again and makes a new version of its copy; the
// tasks that start from then on carry it, those already started keep theirs.
//
// A transaction started later (START) takes its definition, copy and all, from the table when
// it comes due, as a task that arrives then would.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { moduleUrl } from '../cics/paths.js';
import type { ProgramCopy } from '../cics/program-copy.js';
import { ConfigError } from '../config/errors.js';
import { readRegionFile, type DefinedTransaction } from '../config/region-file.js';
import { compileTemplateProgram } from '../transactions/template/compile.js';
import { createEngines, type Engines } from '../transactions/template/engine.js';
import { TemplateDefinitionError } from '../transactions/template/errors.js';
import { defaultDefinitions, type DefinitionTable, type TransactionDefinition } from './definitions.js';
import { NewcopyRefused, ProgramUnknown } from './errors.js';

const TEMPLATE_PROGRAM = moduleUrl(import.meta.url, '../transactions/template/program');
const MODULE_PROGRAM = moduleUrl(import.meta.url, '../transactions/module/program');

type Template = Extract<DefinedTransaction['program'], { kind: 'template' }>;
type Module = Extract<DefinedTransaction['program'], { kind: 'module' }>;

/** A template program's copy, its templates compiled here first: a TemplateDefinitionError names the fault. */
function templateCopy(d: DefinedTransaction, program: Template, version: number, engines: Engines): ProgramCopy {
  const copybook = d.copybook;
  if (!copybook) throw new Error(`transaction ${d.tranid}: a template program without a copybook`);
  compileTemplateProgram(program.templates, copybook, engines);
  return { kind: 'template', name: d.tranid, version, templates: program.templates, output: program.output };
}

function moduleCopy(program: Module, version: number): ProgramCopy {
  const text = readFileSync(program.file);
  return {
    kind: 'module',
    name: program.name,
    version,
    url: pathToFileURL(program.file).href,
    sha256: createHash('sha256').update(text).digest('hex'),
  };
}

/** The definitions of the region file's own transactions; a template fault stops the start. */
export function shopDefinitions(defined: readonly DefinedTransaction[]): TransactionDefinition[] {
  const engines = createEngines();
  const builtin = new Map(defaultDefinitions().map((d) => [d.tranid, d]));
  // One copy a module, whichever transactions run it.
  const modules = new Map<string, ProgramCopy>();
  return defined.map((d): TransactionDefinition => {
    const common = {
      tranid: d.tranid,
      enabled: d.enabled,
      timeLimitMs: d.timeLimitMs,
      ...(d.tranclass !== undefined ? { tranclass: d.tranclass } : {}),
      description: d.description,
    };
    const program = d.program;
    if (program.kind === 'builtin') {
      const { tranid: _tranid, description: _description, timeLimitMs: _limit, ...run } = builtin.get(program.name)!;
      return { ...run, ...common };
    }
    const copybook = d.copybook ? { copybook: { name: d.copybook.name, text: d.copybook.text } } : {};
    if (program.kind === 'template')
      return {
        ...common,
        ...copybook,
        program: TEMPLATE_PROGRAM,
        programName: d.tranid,
        copy: templateCopy(d, program, 1, engines),
      };
    let copy = modules.get(program.name);
    if (!copy) modules.set(program.name, (copy = moduleCopy(program, 1)));
    return { ...common, ...copybook, program: MODULE_PROGRAM, programName: program.name, copy };
  });
}

/** A program as CEMT INQUIRE PROGRAM shows it. */
export interface ProgramView {
  readonly program: string;
  readonly kind: 'builtin' | 'template' | 'module';
  readonly version: number | null;
  readonly transactions: readonly string[];
  /** A module's file. */
  readonly file?: string;
}

/** Every program the region's transactions run, by name. */
export function programsOf(table: DefinitionTable, base: string | null): ProgramView[] {
  const byName = new Map<string, { view: Omit<ProgramView, 'transactions'>; transactions: string[] }>();
  for (const d of table.all()) {
    const name = d.programName ?? d.program.split('/').pop() ?? d.program;
    let entry = byName.get(name);
    if (!entry) {
      const copy = d.copy;
      const file = copy?.kind === 'module' ? fileURLToPath(copy.url) : undefined;
      const view = {
        program: name,
        kind: copy?.kind ?? ('builtin' as const),
        version: copy?.version ?? null,
        ...(file !== undefined ? { file: base ? relative(base, file) : file } : {}),
      };
      byName.set(name, (entry = { view, transactions: [] }));
    }
    entry.transactions.push(d.tranid);
  }
  return [...byName.values()].map((e) => ({ ...e.view, transactions: e.transactions }));
}

/**
 * CEMT SET PROGRAM(name) NEWCOPY: the program's templates (from the region file as it is
 * now) or module (its file as it is now) as a new version, which the table gives every task
 * from now on. Refused, the old copy kept, where the new one cannot be used.
 */
export function newCopy(table: DefinitionTable, configFile: string | null, name: string): ProgramCopy {
  const runs = table.all().filter((d) => (d.programName ?? '') === name);
  const current = runs.find((d) => d.copy)?.copy;
  if (runs.length === 0) throw new ProgramUnknown(name);
  if (!current) throw new NewcopyRefused(name, `${name} is built in: it changes with the region, not by NEWCOPY`);
  const version = current.version + 1;
  let copy: ProgramCopy;
  if (current.kind === 'module') {
    const file = fileURLToPath(current.url);
    if (!existsSync(file)) throw new NewcopyRefused(name, `its module ${file} is not there`);
    copy = moduleCopy({ kind: 'module', file, name }, version);
  } else {
    copy = reloadTemplates(runs[0] as TransactionDefinition, configFile, version);
  }
  table.newCopy(copy);
  return copy;
}

/** A template program's transaction read again from the region file, its templates compiled. */
function reloadTemplates(d: TransactionDefinition, configFile: string | null, version: number): ProgramCopy {
  const name = d.tranid;
  if (!configFile) throw new NewcopyRefused(name, 'the region has no region file to read its templates from');
  let defined: DefinedTransaction | undefined;
  try {
    defined = readRegionFile(configFile).defined.find((t) => t.tranid === name);
  } catch (err) {
    if (err instanceof ConfigError) throw new NewcopyRefused(name, `the region file cannot be used: ${err.message}`);
    throw err;
  }
  const program = defined?.program;
  if (!defined || program?.kind !== 'template')
    throw new NewcopyRefused(
      name,
      `${configFile} no longer makes ${name} a template program (a restart changes what a transaction runs)`,
    );
  const was = typeof d.copybook === 'object' ? d.copybook.text : undefined;
  if (defined.copybook?.text !== was)
    throw new NewcopyRefused(
      name,
      `its copybook ${defined.copybook?.name ?? ''} has changed: a COMMAREA's layout changes with a restart`,
    );
  try {
    return templateCopy(defined, program, version, createEngines());
  } catch (err) {
    if (err instanceof TemplateDefinitionError) throw new NewcopyRefused(name, err.message);
    throw err;
  }
}
