// MAILCA's versions, told apart by MC-VERSION (the first two bytes of both): 01 is
// copybooks/MAILCA.cpy; 02 is MAILCA2.cpy, which adds MC-KEY (the request key, for a
// caller that cannot set the Idempotency-Key header) after MC-RELAY-REPLY, every field
// of 01 keeping its offset. The region reads MC-KEY before any task runs, MAIL reads the
// rest, the client lays both out: one place says which copybook a version is.
import type { CodePage } from './codepages.js';
import { readText } from './copybook/codec.js';
import { elementaryOf, type RecordLayout } from './copybook/layout.js';
import { copybook } from './copybook/library.js';

export type MailcaVersion = '01' | '02';

/** Each version's copybook (copybooks/NAME.cpy). */
const MAILCA_COPYBOOKS: Readonly<Record<MailcaVersion, string>> = { '01': 'MAILCA', '02': 'MAILCA2' };

export function mailcaLayout(version: MailcaVersion): RecordLayout {
  return copybook(MAILCA_COPYBOOKS[version]);
}

/** The version MC-VERSION names in code page `cp`, or undefined where it names neither (or the area is shorter). */
export function mailcaVersion(area: Uint8Array, cp: CodePage): MailcaVersion | undefined {
  const item = elementaryOf(mailcaLayout('01'), 'MC-VERSION');
  if (area.length < item.offset + item.size) return undefined;
  const version = readText(area, item, cp);
  return version === '01' || version === '02' ? version : undefined;
}

/**
 * MC-KEY of a version 02 COMMAREA with the blanks around it removed ('' where it is all
 * blanks); undefined where the area is not version 02 or too short to hold MC-KEY. The
 * key rule (cics/request-key.ts) is the caller's to apply.
 */
export function mailcaKey(area: Uint8Array, cp: CodePage): string | undefined {
  if (mailcaVersion(area, cp) !== '02') return undefined;
  const item = elementaryOf(mailcaLayout('02'), 'MC-KEY');
  if (area.length < item.offset + item.size) return undefined;
  return readText(area, item, cp).replace(/^ +/, '');
}

/**
 * Why a JSON view of MAILCA cannot be taken as asked: the view is version 01's (the
 * transaction's copybook), so `mc_version` '02' would be read with MC-KEY's offsets where
 * the view wrote none. Undefined where it can.
 */
export function viewVersionProblem(json: unknown): string | undefined {
  const version = json !== null && typeof json === 'object' ? (json as Record<string, unknown>).mc_version : undefined;
  if (typeof version !== 'string' || version.trim() !== '02') return undefined;
  return (
    "mc_version '02' in MAILCA's JSON view: the view is version 01, which has no MC-KEY; " +
    "send mc_version '01' and the request key as the Idempotency-Key header"
  );
}
