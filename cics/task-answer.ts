// A task's normal end as its caller hears it: the EIB and the mail's outcome in headers, the
// COMMAREA in the form it came. The region answers it; for a task with a request key the
// worker keeps the same bytes as the key's answer (journal/request-keys.ts), in the commit
// after its mails', so one definition makes both.
import type { TaskResult } from './task.js';

/** The answer of a task that ran to its end: what a repeat of its key hears again. */
export interface StoredAnswer {
  readonly status: number;
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Uint8Array;
}

/** A task that ran to its end: what its answer is made of. */
export type NormalResult = Extract<TaskResult, { kind: 'normal' }>;

/** What the answer needs of the task besides its result. */
export interface AnsweredTask {
  readonly tranid: string;
  readonly taskn: number;
  /** The form the COMMAREA came in, which the answer's COMMAREA takes. */
  readonly form: 'bytes' | 'json';
}

/** On the answer of a SEND or SPOL its time limit stopped: the first mail not taken, the restart point. */
export const FROM_MAIL_HEADER = 'x-mail-from-mail';

/** Text as a header value: printable ASCII (anything else as `?`), at most 512 characters. */
function headerText(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 512);
}

export function normalAnswer(task: AnsweredTask, result: NormalResult): StoredAnswer {
  const headers: Record<string, string> = {
    'x-cics-tranid': task.tranid,
    'x-cics-taskn': String(task.taskn),
    'x-cics-resp': 'NORMAL',
  };
  if (result.journalSeqs.length > 0) headers['x-journal-seq'] = result.journalSeqs.join(',');
  if (result.mailRc !== undefined) headers['x-mail-rc'] = String(result.mailRc);
  if (result.fromMail !== undefined) headers[FROM_MAIL_HEADER] = String(result.fromMail);
  if (result.mailReason) {
    // In the headers too: a caller that reads the answer as ASCII (or not at all) can read them.
    headers['x-mail-reason'] = headerText(result.mailReason.code);
    headers['x-mail-reason-text'] = headerText(result.mailReason.text);
  }
  if (task.form === 'json' && result.json) {
    headers['content-type'] = 'application/json; charset=utf-8';
    return { status: 200, headers, body: Buffer.from(JSON.stringify(result.json), 'utf8') };
  }
  headers['content-type'] = 'application/octet-stream';
  const out = result.commarea;
  return { status: 200, headers, body: Buffer.from(out.buffer, out.byteOffset, out.byteLength) };
}
