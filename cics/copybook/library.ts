// Copybooks, parsed once per thread: those that ship in `copybooks/` (MAILCA) by their
// name, and a shop's own (the region definition file names them) by the absolute path of
// their file or by the text the region read from it.
import { readFileSync } from 'node:fs';
import { basename, isAbsolute } from 'node:path';
import { projectFile } from '../paths.js';
import type { RecordLayout } from './layout.js';
import { parseCopybook } from './parse.js';

/** A copybook as the region read it at start: its file name (`PAYSLIP.cpy`) and its text. */
export interface CopybookText {
  readonly name: string;
  readonly text: string;
}

/**
 * A transaction's copybook: `NAME` for one that ships (copybooks/NAME.cpy), an absolute path
 * for a file, or the text the region read at start (what a task of a shop's transaction
 * carries to its worker, which never reads the file again: an edit between the start and a
 * worker's first task cannot give the two different layouts).
 */
export type CopybookRef = string | CopybookText;

/** A copybook read from its file: its text as read, and what it lays out. */
export interface CopybookFile {
  readonly file: string;
  /** Its file name, for messages (`PAYSLIP.cpy`). */
  readonly name: string;
  readonly text: string;
  readonly layout: RecordLayout;
}

const byName = new Map<string, RecordLayout>();
const byPath = new Map<string, RecordLayout>();
// Keyed by the text itself: the same text is the same layout, whoever carried it.
const byText = new Map<string, RecordLayout>();

/**
 * A copybook by the absolute path of its file, read now (as Latin-1: a copybook is ASCII,
 * and a stray byte must not stop the read) and parsed; a CopybookError where it cannot be
 * parsed, the file system's error where it cannot be read.
 */
export function copybookFile(file: string): CopybookFile {
  const name = basename(file);
  const text = readFileSync(file, 'latin1');
  return { file, name, text, layout: parseCopybook(text, name) };
}

/** The layout of a transaction's copybook (CopybookRef); a CopybookError where it cannot be read. */
export function copybook(ref: CopybookRef): RecordLayout {
  if (typeof ref !== 'string') {
    let layout = byText.get(ref.text);
    if (!layout) byText.set(ref.text, (layout = parseCopybook(ref.text, ref.name)));
    return layout;
  }
  if (isAbsolute(ref)) {
    let layout = byPath.get(ref);
    if (!layout) byPath.set(ref, (layout = copybookFile(ref).layout));
    return layout;
  }
  let layout = byName.get(ref);
  if (!layout) {
    const file = `${ref}.cpy`;
    layout = parseCopybook(readFileSync(projectFile('copybooks', file), 'latin1'), file);
    byName.set(ref, layout);
  }
  return layout;
}

/** How messages and pages name a transaction's copybook: `MAILCA`, `PAYSLIP.cpy`. */
export function copybookName(ref: CopybookRef): string {
  if (typeof ref !== 'string') return ref.name;
  return isAbsolute(ref) ? basename(ref) : ref;
}
