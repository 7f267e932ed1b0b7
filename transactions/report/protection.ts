// A report protected by a password: PASSWORD= opens it (a PDF's user password, or the
// AES-256 key of a ZIP/... archive), OWNERPW= lifts a PDF's restrictions, PERMIT= says what
// a PDF allows the one who opened it (print only, by default). A password is never shown in
// a message: these say what is wrong with it, not what it is.
import { reportFailure, type ReportFailure } from './errors.js';
import { REDACTED } from './secrets.js';

export type Permit = 'print' | 'none' | 'all';

export interface PdfProtection {
  /** Opens the PDF (PASSWORD= where the PDF is not in a ZIP). */
  readonly userPassword?: string;
  /** Lifts the restrictions; none: one made at random, so that nobody can. */
  readonly ownerPassword?: string;
  /** What the PDF allows. */
  readonly permit: Permit;
}

export interface Protection {
  /** ZIP/...: the archive's AES-256 password. */
  readonly zipPassword?: string;
  /** An encrypted PDF (PASSWORD= for a PDF not in a ZIP, OWNERPW= or PERMIT=). */
  readonly pdf?: PdfProtection;
}

export const PROTECTION_KEYS = ['PASSWORD', 'OWNERPW', 'PERMIT'];

// Printable ASCII but blank, the quote and the semicolon, which end a value in a statement
// or a Content-Type: a password needs no quoting anywhere, and PDF readers take it as is.
const PASSWORD = /^[\x21\x23-\x3a\x3c-\x7e]{4,64}$/;
const PERMITS: Readonly<Record<string, Permit>> = { PRINT: 'print', NONE: 'none', ALL: 'all' };

function passwordProblem(key: string, value: string): ReportFailure | undefined {
  if (value === REDACTED)
    return reportFailure(
      'BADRPTOP',
      `${key}= holds ${REDACTED}, what the task log keeps in place of a password: give the password itself`,
    );
  if (!PASSWORD.test(value))
    return reportFailure(
      'BADRPTOP',
      `${key}= must be 4 to 64 printable ASCII characters without blanks, quotes or semicolons (${value.length} characters given)`,
    );
  return undefined;
}

/**
 * The protection `params` ask for, or undefined where they ask for none. `format` is the
 * rendered file's (`pdf`, ...), `zip` whether it goes in an archive: PASSWORD= needs a PDF
 * or a ZIP; OWNERPW= and PERMIT= a PDF (inside a ZIP too).
 */
export function readProtection(
  params: ReadonlyMap<string, string>,
  format: string,
  zip: boolean,
  formatText: string,
): Protection | ReportFailure | undefined {
  const password = params.get('PASSWORD');
  const ownerPassword = params.get('OWNERPW');
  const permitText = params.get('PERMIT');
  if (password === undefined && ownerPassword === undefined && permitText === undefined) return undefined;
  const bad = (message: string) => reportFailure('BADRPTOP', message);
  if (password !== undefined && format !== 'pdf' && !zip)
    return bad(`PASSWORD= is for FORMAT=PDF or ZIP/..., not ${formatText}`);
  for (const key of ['OWNERPW', 'PERMIT'])
    if (params.has(key) && format !== 'pdf') return bad(`${key}= is for FORMAT=PDF or ZIP/PDF, not ${formatText}`);
  for (const [key, value] of [
    ['PASSWORD', password],
    ['OWNERPW', ownerPassword],
  ] as const) {
    const problem = value === undefined ? undefined : passwordProblem(key, value);
    if (problem) return problem;
  }
  let permit: Permit = 'print';
  if (permitText !== undefined) {
    const p = PERMITS[permitText.toUpperCase()];
    if (p === undefined) return bad(`PERMIT=${permitText.slice(0, 20)} is not PRINT, NONE or ALL`);
    permit = p;
  }
  // In a ZIP, PASSWORD= locks the archive; the PDF inside is encrypted only where asked.
  const userPassword = zip ? undefined : password;
  const pdf =
    format === 'pdf' && (userPassword !== undefined || ownerPassword !== undefined || permitText !== undefined);
  return {
    ...(zip && password !== undefined ? { zipPassword: password } : {}),
    ...(pdf
      ? {
          pdf: {
            ...(userPassword === undefined ? {} : { userPassword }),
            ...(ownerPassword === undefined ? {} : { ownerPassword }),
            permit,
          },
        }
      : {}),
  };
}
