// The shape of a record as a COBOL compiler lays it out: every item with its offset and
// size in bytes. Made by `parseCopybook`; read and written by `codec.ts`.

export type Usage = 'display' | 'binary' | 'comp-5' | 'packed';

export interface Picture {
  /** `alphanumeric` for X and A, `numeric` for 9 with S, V and P. */
  readonly category: 'alphanumeric' | 'numeric';
  /** Characters (alphanumeric) or digit positions (numeric, P excluded). */
  readonly length: number;
  readonly signed: boolean;
  /** Digits after the implied decimal point (V); negative for P on the right. */
  readonly scale: number;
  /** The PIC string as written, e.g. `S9(15)`. */
  readonly source: string;
}

/** A level-88 condition name: true where its item holds one of the values. */
export interface Condition {
  readonly name: string;
  /** Line of the copybook it is declared on (1-based). */
  readonly line: number;
  /** The values that make the condition true (a THRU range as [from, to]). */
  readonly values: readonly (string | number | readonly [string | number, string | number])[];
}

export interface Occurs {
  readonly min: number;
  readonly max: number;
  /** The item that holds the count (OCCURS … DEPENDING ON). */
  readonly dependingOn?: string;
}

interface ItemBase {
  readonly level: number;
  /** COBOL data name as written, upper case; `FILLER` for unnamed items. */
  readonly name: string;
  /** The JSON property: lower case, `-` as `_` (z/OS Connect style). */
  readonly jsonName: string;
  /** Offset from the start of the record. */
  readonly offset: number;
  /** Size of one occurrence, in bytes. */
  readonly size: number;
  readonly occurs?: Occurs;
  readonly redefines?: string;
  /** Line of the copybook the item is declared on (1-based). */
  readonly line: number;
}

/** One OCCURS an item is in (its own or a group's): how far apart its occurrences are. */
export interface Dimension {
  readonly stride: number;
  readonly max: number;
}

export interface ElementaryItem extends ItemBase {
  readonly kind: 'elementary';
  /** The OCCURS it lies in, outermost first (empty where it is not in a table). */
  readonly dimensions: readonly Dimension[];
  readonly picture: Picture;
  readonly usage: Usage;
  readonly signPosition?: 'leading' | 'trailing';
  readonly signSeparate?: boolean;
  readonly value?: string | number;
  readonly conditions: readonly Condition[];
}

export interface GroupItem extends ItemBase {
  readonly kind: 'group';
  readonly children: readonly Item[];
  /** Level-88 conditions on the group: compared with its bytes as one alphanumeric item. */
  readonly conditions: readonly Condition[];
}

export type Item = ElementaryItem | GroupItem;

export interface RecordLayout {
  readonly root: GroupItem;
  /** Bytes up to the variable part: with an OCCURS DEPENDING ON at its minimum. */
  readonly minLength: number;
  /** Bytes with every table at its maximum. */
  readonly maxLength: number;
  /** Every named item by its COBOL name. */
  readonly items: ReadonlyMap<string, Item>;
}

/** The named item, or a thrown error: for program code that knows its copybook. */
export function itemOf(layout: RecordLayout, name: string): Item {
  const item = layout.items.get(name);
  if (!item) throw new Error(`copybook has no item ${name}`);
  return item;
}

export function elementaryOf(layout: RecordLayout, name: string): ElementaryItem {
  const item = itemOf(layout, name);
  if (item.kind !== 'elementary') throw new Error(`${name} is a group, not an elementary item`);
  return item;
}

export function jsonNameOf(cobolName: string): string {
  return cobolName.toLowerCase().replaceAll('-', '_');
}
