// ATTACH's parameters and the attachment its block makes: as written (TEXT), decoded
// (BASE64), or rendered as a report (RECFM=, FORMAT= and the other report options).
import libmime from 'libmime';
import type { CodePage } from '../../cics/codepages.js';
import type { Attachment } from '../mail/compose.js';
import {
  prepareReport,
  readReportOptions,
  REPORT_KEYS,
  type PreparedReport,
  type ReportInput,
  type ReportFailure,
  type ReportOptions,
} from '../report/report.js';
import { asciiUpper, clip, codePoint, skipBlanks, type Failure } from './statement-text.js';

/** What an ATTACH that makes a report needs: the code page of the input, the mail's date. */
export interface ReportEnv {
  readonly cp: CodePage;
  readonly now: Date;
}

/**
 * A report ATTACH, its records read and laid out as the statement is read (so that a wrong
 * one is the mail's RC 8 on its line at once); rendered when its mail is about to go.
 */
export interface ReportAttachment {
  readonly report: PreparedReport;
  /** The ATTACH statement's line. */
  readonly line: number;
}

/** What an ATTACH makes: an attachment as it goes out, or a report still to render. */
export type SendAttachment = Attachment | ReportAttachment;

// RFC 6838 4.2 restricted names.
const MIME_TYPE = /^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*\/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*$/;

export interface AttachParams {
  name?: string;
  type?: string;
  encoding?: 'TEXT' | 'BASE64';
  /** RECFM=, LRECL=, FORMAT= and the report options, keys upper case, values as written. */
  report: Map<string, string>;
}

/** NAME=, TYPE=, ENCODING= and the report options in any order; a value in double quotes may hold blanks. */
export function readAttachParams(operand: string): AttachParams | string {
  const params: AttachParams = { report: new Map() };
  let i = 0;
  while (i < operand.length) {
    const eq = operand.indexOf('=', i);
    const blank = operand.indexOf(' ', i);
    if (eq === -1 || (blank !== -1 && blank < eq) || eq === i)
      return `'${clip(operand.slice(i, blank === -1 ? undefined : blank))}' is not KEYWORD=value`;
    const key = asciiUpper(operand.slice(i, eq));
    let value: string;
    if (operand[eq + 1] === '"') {
      const close = operand.indexOf('"', eq + 2);
      if (close === -1) return `the quoted value of ${clip(key)}= is not closed`;
      if (close + 1 < operand.length && operand[close + 1] !== ' ')
        return `a blank must follow the quoted value of ${clip(key)}=`;
      value = operand.slice(eq + 2, close);
      i = close + 1;
    } else {
      const end = operand.indexOf(' ', eq);
      value = operand.slice(eq + 1, end === -1 ? undefined : end);
      i = end === -1 ? operand.length : end;
    }
    i = skipBlanks(operand, i);
    if (REPORT_KEYS.includes(key)) {
      if (params.report.has(key)) return `a second ${key}= on one ATTACH`;
      if (value === '') return `${key}= is empty`;
      params.report.set(key, value);
      continue;
    }
    if (key !== 'NAME' && key !== 'TYPE' && key !== 'ENCODING')
      return `ATTACH has no parameter ${clip(key)}= (only NAME=, TYPE=, ENCODING=, ${REPORT_KEYS.join('=, ')}=)`;
    const field = key === 'NAME' ? 'name' : key === 'TYPE' ? 'type' : 'encoding';
    if (params[field] !== undefined) return `a second ${key}= on one ATTACH`;
    if (value === '') return `${key}= is empty`;
    if (field === 'type' && !MIME_TYPE.test(value)) return `TYPE=${clip(value)} is not a MIME type type/subtype`;
    if (field === 'encoding') {
      const encoding = asciiUpper(value);
      if (encoding !== 'TEXT' && encoding !== 'BASE64') return `ENCODING is TEXT or BASE64, not '${clip(value)}'`;
      params.encoding = encoding;
    } else {
      params[field] = value;
    }
  }
  return params;
}

export function makeAttachment(
  { name = '', type, encoding = 'TEXT', report }: AttachParams,
  content: readonly string[],
  line: number,
  env: ReportEnv,
): SendAttachment | Failure {
  const options = readReportOptions(report);
  if (options !== undefined && 'code' in options)
    return { line, reason: options.code, message: `ATTACH ${clip(name)}: ${options.message}` };
  if (options !== undefined && encoding === 'TEXT') return reportOf(name, type, { lines: content }, options, line, env);
  if (encoding === 'TEXT')
    return { filename: name, contentType: type ?? 'text/plain', content: { text: content.join('\n') } };
  const problem = base64Problem(content);
  if (problem) {
    const at = problem.index === undefined ? line : line + 1 + problem.index;
    return { line: at, reason: 'BADB64', message: `ATTACH ${clip(name)}, line ${at}: ${problem.message}` };
  }
  const bytes = Buffer.from(content.join(''), 'base64');
  if (options !== undefined) return reportOf(name, type, { bytes }, options, line, env);
  return { filename: name, contentType: type ?? libmime.detectMimeType(name), content: { bytes } };
}

/** A report attachment, or the failure on the ATTACH line that asked for it. */
function reportOf(
  name: string,
  type: string | undefined,
  input: ReportInput,
  options: ReportOptions,
  line: number,
  { cp, now }: ReportEnv,
): ReportAttachment | Failure {
  const made = prepareReport({ name, input, options, cp, date: now, ...(type === undefined ? {} : { type }) });
  return 'code' in made ? reportLineFailure(name, line, made) : { report: made, line };
}

/** A report's failure as its ATTACH line's: `ATTACH payroll.lst: what is wrong`. */
export function reportLineFailure(name: string, line: number, failure: ReportFailure): Failure {
  return { line, reason: failure.code, message: `ATTACH ${clip(name)}: ${failure.message}` };
}

/** Strict base64 (RFC 4648 4): Buffer.from() would skip what is not base64 without a word. */
function base64Problem(content: readonly string[]): { index?: number; message: string } | undefined {
  let length = 0;
  let padding = 0;
  for (let k = 0; k < content.length; k++) {
    const text = content[k] as string;
    const bad = text.search(/[^A-Za-z0-9+/=]/);
    if (bad !== -1) {
      const shown = /[\x21-\x7e\xa0-\uffff]/.test(text[bad] as string) ? `'${text[bad]}'` : codePoint(text, bad);
      return { index: k, message: `${shown} at column ${bad + 1} is not base64` };
    }
    const eq = padding > 0 ? 0 : text.indexOf('=');
    if (eq !== -1) {
      if (/[^=]/.test(text.slice(eq))) return { index: k, message: `data after the '=' padding` };
      padding += text.length - eq;
      if (padding > 2) return { index: k, message: `more than two '=' of padding` };
    }
    length += text.length;
  }
  if (length % 4 !== 0) return { message: `${length} characters of base64, not a multiple of 4` };
  return undefined;
}
