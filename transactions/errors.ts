// The mail programs' outcomes: return codes (http.md) and the 8-character reasons that go
// with them into MC-REASON and the reports. docs/reasons.md lists them for users.
import { FieldError } from '../cics/copybook/errors.js';
import type { TaskResult } from '../cics/task.js';
import { REPORT_CODES } from './report/errors.js';

// 24: partly done. Above every RC of a mail, so that the job's highest RC says it; not 20,
// which `cicsmail send` gives where the transaction did not run at all (run it again whole).
export const RC = { OK: 0, DEFERRED: 4, INVALID: 8, REFUSED: 12, SENDER: 16, PARTLY: 24 } as const;
export type ReturnCode = (typeof RC)[keyof typeof RC];

export const REASONS = {
  SENT: { rc: RC.OK, text: 'the relay accepted the mail' },
  PARTIAL: { rc: RC.OK, text: 'the relay accepted the mail for some recipients and refused the others for good' },
  DEFERRED: {
    rc: RC.DEFERRED,
    text: 'the relay answered 4xx to the mail or to some recipients; the mail is journaled and kept for retry',
  },
  NORELAY: {
    rc: RC.DEFERRED,
    text: 'no relay could be reached, or the connection broke; the mail is journaled and kept for retry',
  },
  VERSION: { rc: RC.INVALID, text: "MC-VERSION is not '01' or '02' (MINQ: MQ-VERSION is not '01')" },
  ASCII: { rc: RC.INVALID, text: 'the COMMAREA looks like ASCII or UTF-8 text, not EBCDIC' },
  NOFROM: { rc: RC.INVALID, text: 'MC-FROM is blank' },
  BADFROM: { rc: RC.INVALID, text: 'MC-FROM is not one valid address' },
  BADREPTO: { rc: RC.INVALID, text: 'MC-REPLY-TO is not one valid address' },
  BADTO: { rc: RC.INVALID, text: 'MC-TO holds an address that is not valid' },
  BADCC: { rc: RC.INVALID, text: 'MC-CC holds an address that is not valid' },
  BADBCC: { rc: RC.INVALID, text: 'MC-BCC holds an address that is not valid' },
  NORCPT: { rc: RC.INVALID, text: 'MC-TO, MC-CC and MC-BCC are all blank' },
  BADIMPOR: { rc: RC.INVALID, text: "MC-IMPORTANCE is not 'L', 'N', 'H' or blank" },
  BADFORMT: { rc: RC.INVALID, text: "MC-BODY-FORMAT is not 'T', 'H' or blank" },
  CTLCHAR: { rc: RC.INVALID, text: "a header field holds a control character (such as x'0D', x'15', x'25' or x'00')" },
  NOMAIL: { rc: RC.INVALID, text: 'the SEND or SPOL input holds no mail' },
  BADSTMT: { rc: RC.INVALID, text: 'SEND: a statement that is not in the contract' },
  BADOPER: { rc: RC.INVALID, text: 'SEND: a statement whose operand is missing, repeated or not one of its values' },
  NOENDTXT: { rc: RC.INVALID, text: 'SEND: TEXT without ENDTEXT' },
  NOENDATT: { rc: RC.INVALID, text: 'SEND: ATTACH without ENDATTACH' },
  NONAME: { rc: RC.INVALID, text: 'SEND: ATTACH without NAME=' },
  BADB64: { rc: RC.INVALID, text: 'SEND: an ATTACH ENCODING=BASE64 block that is not base64' },
  NOROUTE: {
    rc: RC.INVALID,
    text: 'SEND: a burst part whose key is in no KEYMAIL, and the mail has no TO, CC or BCC to take it',
  },
  NOMAP: { rc: RC.INVALID, text: 'SEND: KEYMAP names a key map the region does not keep' },
  BADRECFM: { rc: RC.INVALID, text: REPORT_CODES.BADRECFM },
  BADRECS: { rc: RC.INVALID, text: REPORT_CODES.BADRECS },
  BADCTL: { rc: RC.INVALID, text: REPORT_CODES.BADCTL },
  BADRPTOP: { rc: RC.INVALID, text: REPORT_CODES.BADRPTOP },
  RPTSIZE: { rc: RC.INVALID, text: REPORT_CODES.RPTSIZE },
  BADCMD: { rc: RC.INVALID, text: 'SPOL: a command that is not HELO, EHLO, MAIL, RCPT, DATA, RSET, NOOP or QUIT' },
  BADSEQ: { rc: RC.INVALID, text: 'SPOL: a command out of order (RCPT before MAIL FROM, DATA before RCPT TO)' },
  NODOT: { rc: RC.INVALID, text: 'SPOL: DATA without the line holding a single dot that ends it' },
  HDR8BIT: {
    rc: RC.INVALID,
    text: 'SPOL: a header field holds text beyond ASCII that encoded words cannot carry (an address, a Message-ID)',
  },
  NULCHAR: { rc: RC.INVALID, text: "SPOL: the message holds a NUL (x'00'), which RFC 5322 does not allow" },
  LONGLINE: { rc: RC.INVALID, text: 'a line of the message is longer than 998 octets (RFC 5322 2.1.1)' },
  TOOMANY: { rc: RC.INVALID, text: 'more recipients than the region allows a mail (CICSMAIL_MAX_RECIPIENTS)' },
  RCPTDOM: { rc: RC.INVALID, text: 'a recipient outside the domains the region sends to (CICSMAIL_RECIPIENT_DOMAINS)' },
  TOOBIG: { rc: RC.INVALID, text: 'the composed mail is larger than the region allows (CICSMAIL_MAX_MESSAGE_MB)' },
  TMPLVAL: {
    rc: RC.INVALID,
    text: 'a template program: a field does not fit its filter (a number past its PIC, a date that is no date)',
  },
  TMPLFAIL: {
    rc: RC.INVALID,
    text: 'a template program: a template read what the record does not hold, or went past its limits',
  },
  SENDER: { rc: RC.SENDER, text: 'the user may not send as this sender (sender verification)' },
  EXITDENY: { rc: RC.SENDER, text: 'the sender verification exit refused the mail' },
  EXITFAIL: { rc: RC.SENDER, text: 'the sender verification exit failed or answered nonsense: refused, to be safe' },
  REJECTED: { rc: RC.REFUSED, text: 'the relay refused the mail for good (5xx)' },
  FOUND: { rc: RC.OK, text: 'MINQ: the mail was found; its state and each recipient are in the answer' },
  NOTFOUND: {
    rc: RC.INVALID,
    text: 'MINQ: no mail with that journal sequence, Message-ID or request key (or only a refused attempt)',
  },
  NOQUERY: { rc: RC.INVALID, text: 'MINQ: MQ-JOURNAL-SEQ is 0 and MQ-MESSAGE-ID and MQ-REQUEST-KEY are blank' },
  BADKEY: {
    rc: RC.INVALID,
    text: 'MINQ: MQ-REQUEST-KEY is not a request key (1 to 64 printable ASCII characters, no blanks)',
  },
  NOTYOURS: { rc: RC.SENDER, text: "MINQ: the mail is another user's; only the user that sent it may ask" },
  SUPPRESS: {
    rc: RC.REFUSED,
    text: 'every recipient is on the suppression list (a hard bounce, or an operator): nothing was sent',
  },
  RCPTREJ: { rc: RC.REFUSED, text: 'the relay refused every recipient for good (5xx)' },
  MAILRATE: {
    rc: RC.PARTLY,
    text: "SEND, SPOL: the user's tasks and mails a minute (CICSMAIL_RATE_LIMIT) are used up; the mails from this one on were not taken: go on from it once the minute is over",
  },
  NOTTAKEN: {
    rc: RC.PARTLY,
    text: "SEND, SPOL: the task's time limit ran out; the mails from this one on were not taken: go on from it",
  },
} as const satisfies Record<string, { rc: ReturnCode; text: string }>;

export type Reason = keyof typeof REASONS;

/** A COMMAREA that does not fit its copybook: LENGERR where it is short, else INVREQ. */
export function fieldCondition(err: FieldError): TaskResult {
  if (err.problem === 'short') {
    return { kind: 'condition', condition: 'LENGERR', message: err.message, field: err.field };
  }
  return { kind: 'condition', condition: 'INVREQ', message: err.message, field: err.field };
}

export { FieldError };
