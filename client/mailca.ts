// Builds MAILCA COMMAREAs from values, through the copybook: what a COBOL caller would
// lay out, version 01 (MAILCA.cpy) or, with a request key, version 02 (MAILCA2.cpy, MC-KEY).
// Used by `npm run example`, the load command and tests.
import { codePage } from '../cics/codepages.js';
import { readNumber, readText, writeNumber, writeText } from '../cics/copybook/codec.js';
import { elementaryOf } from '../cics/copybook/layout.js';
import { mailcaLayout, mailcaVersion } from '../cics/mailca.js';

export interface MailRequest {
  readonly from: string;
  readonly replyTo?: string;
  readonly to?: string;
  readonly cc?: string;
  readonly bcc?: string;
  readonly subject?: string;
  readonly importance?: 'L' | 'N' | 'H' | ' ';
  readonly bodyFormat?: 'T' | 'H' | ' ';
  /** Body text; line ends (`\n`) become NL (x'15'). */
  readonly body?: string;
  /** MC-VERSION as written: '01' without a key, '02' with one, where not given. */
  readonly version?: string;
  /** MC-KEY, the request key: the COMMAREA is version 02 (MAILCA2.cpy). */
  readonly key?: string;
}

/**
 * The COMMAREA, cut after the last byte of MC-BODY in use (EIBCALEN = 4378 + body; 4442 +
 * body in version 02). Version 02's layout where there is a key or `version` is '02'.
 */
export function buildMailCommarea(request: MailRequest, ccsid: number): Buffer {
  const layout = mailcaLayout(request.key !== undefined || request.version === '02' ? '02' : '01');
  const cp = codePage(ccsid);
  const body = cp.encode((request.body ?? '').replaceAll('\n', '\u0085'));
  const area = Buffer.alloc(layout.minLength + body.length, 0x40);
  const text = (name: string, value: string | undefined) =>
    writeText(area, elementaryOf(layout, name), value ?? '', cp);
  text('MC-VERSION', request.version ?? (request.key !== undefined ? '02' : '01'));
  if (request.key !== undefined) text('MC-KEY', request.key);
  text('MC-FROM', request.from);
  text('MC-REPLY-TO', request.replyTo);
  text('MC-TO', request.to);
  text('MC-CC', request.cc);
  text('MC-BCC', request.bcc);
  text('MC-SUBJECT', request.subject);
  text('MC-IMPORTANCE', request.importance ?? 'N');
  text('MC-BODY-FORMAT', request.bodyFormat ?? 'T');
  writeNumber(area, elementaryOf(layout, 'MC-RC'), 0);
  writeNumber(area, elementaryOf(layout, 'MC-JOURNAL-SEQ'), 0);
  writeNumber(area, elementaryOf(layout, 'MC-BODY-LEN'), body.length);
  body.copy(area, elementaryOf(layout, 'MC-BODY').offset);
  return area;
}

export interface MailResponse {
  readonly rc: number;
  readonly reason: string;
  readonly messageId: string;
  readonly journalSeq: number;
  readonly relayReply: string;
}

/** The output fields of a returned COMMAREA. */
export function readMailResponse(area: Uint8Array, ccsid: number): MailResponse {
  const cp = codePage(ccsid);
  const layout = mailcaLayout(mailcaVersion(area, cp) ?? '01');
  const text = (name: string) => readText(area, elementaryOf(layout, name), cp);
  return {
    rc: Number(readNumber(area, elementaryOf(layout, 'MC-RC'))),
    reason: text('MC-REASON'),
    messageId: text('MC-MESSAGE-ID'),
    journalSeq: Number(readNumber(area, elementaryOf(layout, 'MC-JOURNAL-SEQ'))),
    relayReply: text('MC-RELAY-REPLY'),
  };
}
