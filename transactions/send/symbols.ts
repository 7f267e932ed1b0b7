// SEND's symbols: &DATE &TIME &USERID &TRANID &TASKN &JOBNAME &SYSID in statement operands and TEXT lines.
import { asciiUpper } from './statement-text.js';

export interface Symbols {
  readonly date: string;
  readonly time: string;
  readonly userid: string;
  readonly tranid: string;
  readonly taskn: string;
  readonly jobname: string;
  readonly sysid: string;
}

const SYMBOL_NAMES = new Map<string, keyof Symbols>([
  ['DATE', 'date'],
  ['TIME', 'time'],
  ['USERID', 'userid'],
  ['TRANID', 'tranid'],
  ['TASKN', 'taskn'],
  ['JOBNAME', 'jobname'],
  ['SYSID', 'sysid'],
]);
// A name runs over letters and digits, so `&DATEX` is an unknown symbol, not &DATE + X.
const SYMBOL = /&&|&([A-Za-z][A-Za-z0-9]*)/g;

/** &DATE &TIME &USERID &TRANID &TASKN &JOBNAME &SYSID substituted (case-insensitive names), `&&` is one `&`, an unknown symbol left as written. */
export function substituteSymbols(text: string, symbols: Symbols): string {
  if (!text.includes('&')) return text;
  return text.replace(SYMBOL, (match, name: string | undefined) => {
    if (name === undefined) return '&';
    const key = SYMBOL_NAMES.get(asciiUpper(name));
    return key === undefined ? match : symbols[key];
  });
}
