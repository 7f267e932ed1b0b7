// Carriage control interpreted, not printed: records in, pages of lines out. ASA control
// (RECFM=..A) acts before its record is written, machine control (RECFM=..M) after it, or
// at once without writing. Overprinted records are kept with the line they print over.
import { reportFailure, type ReportFailure } from './errors.js';
import type { Control, ReportRecord } from './records.js';

export interface Line {
  readonly text: string;
  /** Records printed over this one ('+' in ASA, x'01' in machine code), in order. */
  readonly over?: readonly string[];
}

/** A page: its lines from the top; a line skipped by spacing is blank. */
export type Page = readonly Line[];

/**
 * Lines in all, blank ones made by spacing and overprints included, at most (the records'
 * own limit is in records.ts): an overprint adds no line but is drawn all the same.
 */
export const MAX_LINES = 2_000_000;

/** A line being laid out: its overprints are added in place, not copied (a copy an overprint was quadratic). */
interface OpenLine {
  readonly text: string;
  over?: string[];
}

const BLANK: Line = Object.freeze({ text: '' });

// ASA, as EBCDIC bytes (these characters are alike in every EBCDIC code page).
const ASA_SPACING: ReadonlyMap<number, number> = new Map([
  [0x40, 1], // ' ' single space
  [0xf0, 2], // '0' double space
  [0x60, 3], // '-' triple space
  [0x4e, 0], // '+' no space: overprint
]);
const ASA_NEW_PAGE = 0xf1; // '1' skip to channel 1, the top of a page
// '2'-'9', 'A'-'C': skip to channel 2-12, which only a printer's FCB places: a new line.
const ASA_CHANNELS = new Set([0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xc1, 0xc2, 0xc3]);

interface Machine {
  readonly write: boolean;
  /** Lines to move; 'page' skips to channel 1. */
  readonly move: number | 'page';
}
const MACHINE: ReadonlyMap<number, Machine> = (() => {
  const m = new Map<number, Machine>([
    [0x01, { write: true, move: 0 }],
    [0x09, { write: true, move: 1 }],
    [0x11, { write: true, move: 2 }],
    [0x19, { write: true, move: 3 }],
    [0x03, { write: false, move: 0 }],
    [0x0b, { write: false, move: 1 }],
    [0x13, { write: false, move: 2 }],
    [0x1b, { write: false, move: 3 }],
    [0x89, { write: true, move: 'page' }],
    [0x8b, { write: false, move: 'page' }],
  ]);
  // Channels 2 to 12: x'91'…x'E1' after writing, x'93'…x'E3' at once; a new line here.
  for (let code = 0x91; code <= 0xe1; code += 8) {
    m.set(code, { write: true, move: 1 });
    m.set(code + 2, { write: false, move: 1 });
  }
  return m;
})();

// Controls left in a record's text (a packed field, a stray x'15') print as blanks;
// SUB (x'3F', a character the code page lacks) as U+FFFD, as in the rest of a mail.
const CONTROLS = /[\x00-\x19\x1b-\x1f\x7f-\x9f]/g;
const printable = (s: string) => s.replace(CONTROLS, ' ').replaceAll('\u001a', '\ufffd');

const hex = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

class Pages {
  readonly pages: Line[][] = [];
  private page: (OpenLine | undefined)[] = [];
  /** Where the next write goes; -1 before the first line of a page. */
  position: number;
  private lines = 0;

  constructor(start: number) {
    this.position = start;
  }

  newPage(start: number): void {
    if (this.page.length > 0) this.flush();
    this.position = start;
  }

  write(text: string): boolean {
    const at = Math.max(this.position, 0);
    const line = this.page[at];
    this.lines += line === undefined ? Math.max(at + 1 - this.page.length, 0) : 1;
    if (this.lines > MAX_LINES) return false;
    if (line === undefined) this.page[at] = { text };
    else (line.over ??= []).push(text);
    this.position = at;
    return true;
  }

  flush(): void {
    // Array.from visits the holes that spacing left (map would skip them).
    this.pages.push(Array.from(this.page, (line): Line => line ?? BLANK));
    this.page = [];
  }

  end(): Line[][] {
    if (this.page.length > 0 || this.pages.length === 0) this.flush();
    return this.pages;
  }
}

const tooLong = () =>
  reportFailure('BADRECS', `more than ${MAX_LINES.toLocaleString('en-US')} lines once spaced, overprints counted`);

/** The pages the records print as. No carriage control: one page, a line a record. */
export function paginate(records: readonly ReportRecord[], control: Control): Page[] | ReportFailure {
  if (control === 'machine') return machinePages(records);
  const pages = new Pages(-1);
  for (let i = 0; i < records.length; i++) {
    const { control: byte, text } = records[i] as ReportRecord;
    if (control === 'asa') {
      if (byte === ASA_NEW_PAGE) pages.newPage(0);
      else if (ASA_CHANNELS.has(byte)) pages.position += 1;
      else {
        const spacing = ASA_SPACING.get(byte);
        if (spacing === undefined)
          return reportFailure(
            'BADCTL',
            `record ${(i + 1).toLocaleString('en-US')}: x'${hex(byte)}' is no ASA control character (blank 0 - + 1-9 A B C)`,
          );
        pages.position += spacing;
      }
    } else {
      pages.position += 1;
    }
    if (!pages.write(printable(text))) return tooLong();
  }
  return pages.end();
}

function machinePages(records: readonly ReportRecord[]): Page[] | ReportFailure {
  const pages = new Pages(0);
  for (let i = 0; i < records.length; i++) {
    const { control: byte, text } = records[i] as ReportRecord;
    const code = MACHINE.get(byte);
    if (code === undefined)
      return reportFailure(
        'BADCTL',
        `record ${(i + 1).toLocaleString('en-US')}: x'${hex(byte)}' is no machine control code`,
      );
    if (code.write && !pages.write(printable(text))) return tooLong();
    if (code.move === 'page') pages.newPage(0);
    else pages.position += code.move;
  }
  return pages.end();
}

/** A line with what is printed over it, as one line of text: an overprinted blank shows what covers it. */
export function merged(line: Line): string {
  if (line.over === undefined) return line.text;
  let chars = [...line.text];
  for (const over of line.over) {
    const top = [...over];
    if (top.length > chars.length) chars = chars.concat(Array<string>(top.length - chars.length).fill(' '));
    top.forEach((c, i) => {
      if (c !== ' ' && chars[i] === ' ') chars[i] = c;
    });
  }
  return chars.join('');
}
