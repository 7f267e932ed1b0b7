// The fields of a message/delivery-status body (RFC 3464 2.1): a per-message block, then a
// block per recipient, blocks apart by a blank line, each field in RFC 822 header syntax
// (`Name: value`, continued on lines that start with a blank). Read in one pass over the
// lines, with no backtracking: the work grows with the text, and a bound on the recipient
// blocks read keeps a report of thousands of them from costing more than the first ones.

/** One block's fields: names in lower case, the first of a repeated field kept. */
export type FieldBlock = ReadonlyMap<string, string>;

export interface StatusBlocks {
  /** The per-message block; null where the report starts with a recipient's. */
  readonly message: FieldBlock | null;
  readonly recipients: readonly FieldBlock[];
  /** Per-recipient blocks past the bound, not read. */
  readonly unread: number;
  /** What was skipped, for the record (at most NOTES_MAX, the rest counted). */
  readonly notes: readonly string[];
}

/** A field value longer than this is cut: a Diagnostic-Code is a line or two. */
const FIELD_MAX = 1000;
/** A line longer than this is cut before it is read. */
const LINE_MAX = 4 * FIELD_MAX;
const NOTES_MAX = 20;
// Name: printable ASCII but the colon (RFC 5322 3.6.8); RFC 822 allowed blanks before it.
const FIELD = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:(.*)$/;
// The fields that make a block a recipient's (RFC 3464 2.3): Final-Recipient is required.
const RECIPIENT_FIELDS = ['final-recipient', 'action', 'status'];
const BLANK = /^[ \t]*$/;

/** Notes up to a bound, then a count of the rest. */
export class Notes {
  readonly #list: string[] = [];
  #more = 0;
  add(note: string): void {
    if (this.#list.length < NOTES_MAX) this.#list.push(note);
    else this.#more++;
  }
  get list(): readonly string[] {
    return this.#more === 0 ? this.#list : [...this.#list, `and ${this.#more} more`];
  }
}

/** Reads the blocks of a delivery-status body; never throws. */
export function readStatusBlocks(text: string, maxRecipients: number): StatusBlocks {
  const notes = new Notes();
  const blocks: Map<string, string>[] = [];
  let block: Map<string, string> | null = null;
  let last: string | null = null;
  let unread = 0;
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    const end = lineEnd(text, start);
    const line = text.slice(start, Math.min(end > start && text[end - 1] === '\r' ? end - 1 : end, start + LINE_MAX));
    start = end + 1;
    lineNo++;
    if (BLANK.test(line)) {
      block = last = null;
    } else if (block === null && blocks.length > maxRecipients) {
      // Past the bound a block is counted as it begins, and its fields skipped unread.
      unread++;
      start = nextBlock(text, start - 1);
    } else {
      if (block === null) blocks.push((block = new Map<string, string>()));
      last = readLine(block, line, last, (note) => notes.add(`line ${lineNo}: ${note}`));
    }
  }
  return sorted(blocks, maxRecipients, unread, notes);
}

/** Where the line at `start` ends (its LF, or the end of the text). */
function lineEnd(text: string, start: number): number {
  const end = text.indexOf('\n', start);
  return end === -1 ? text.length : end;
}

/** The start of the line after the next blank one, from the line end at `from`; past the text where none. */
function nextBlock(text: string, from: number): number {
  const blockEnd = /\r?\n[ \t]*\r?\n/g;
  blockEnd.lastIndex = from;
  const next = blockEnd.exec(text);
  return next === null ? text.length + 1 : next.index + next[0].length;
}

/** One line into its block: a field, or the continuation of the `last` one. The field a next continuation belongs to. */
function readLine(
  block: Map<string, string>,
  line: string,
  last: string | null,
  note: (text: string) => void,
): string | null {
  if (line[0] === ' ' || line[0] === '\t') {
    const value = last === null ? undefined : block.get(last);
    if (last === null || value === undefined) note('a continuation with no field before it');
    // A value at its bound takes no more: each further line costs nothing but its reading.
    else if (value.length < FIELD_MAX) block.set(last, clip(`${value} ${line.trim()}`));
    return last;
  }
  const m = FIELD.exec(line);
  if (!m) {
    note(`not a field: ${JSON.stringify(line.slice(0, 60))}`);
    return null;
  }
  const name = (m[1] ?? '').toLowerCase();
  if (block.has(name)) {
    note(`${m[1]} repeated; the first is kept`);
    return null;
  }
  block.set(name, clip((m[2] ?? '').trim()));
  return name;
}

/** The per-message block (where the first is one) and the recipients' within the bound. */
function sorted(blocks: Map<string, string>[], maxRecipients: number, unread: number, notes: Notes): StatusBlocks {
  const first = blocks[0];
  const perMessage = first !== undefined && !RECIPIENT_FIELDS.some((f) => first.has(f));
  if (!perMessage && first !== undefined) notes.add('no per-message block: the report starts with a recipient');
  const recipients = perMessage ? blocks.slice(1) : blocks;
  let skipped = unread;
  if (recipients.length > maxRecipients) {
    skipped += recipients.length - maxRecipients;
    recipients.length = maxRecipients;
  }
  if (skipped > 0) notes.add(`${skipped} recipient blocks past the first ${maxRecipients} not read`);
  return { message: perMessage ? first : null, recipients, unread: skipped, notes: notes.list };
}

function clip(value: string): string {
  return value.length > FIELD_MAX ? value.slice(0, FIELD_MAX) : value;
}
