// SPOL's input: an SMTP datastream as a batch job writes it to the JES spool for the SMTP
// writer (contract/spool-datastream.md; reference/mvs-email-faq.txt, "What does a SMTP data
// stream consist of?"). Pure: decoded lines in, one item a mail out; sending is the caller's.
import { addrSpecProblem, parseAddressList, type Address } from '../../cics/addresses.js';
import type { Reason } from '../errors.js';

export interface SpoolMail {
  /** The MAIL FROM reverse-path's address, without < >. */
  readonly from: string;
  /** RCPT TO addresses in order, duplicates (case-insensitive) removed. */
  readonly to: readonly string[];
  /** The DATA lines after dot-unstuffing, each ending in CRLF; '' for empty DATA. */
  readonly message: string;
  /**
   * Every address of the headers that name the message's author or sender (From, Sender,
   * Resent-From, Resent-Sender: RFC 5322 3.6.2, 3.6.6), each of which the sender check
   * covers; [] where there are none.
   */
  readonly authors: readonly Address[];
  /** The first of those headers whose value is not a list of valid addresses, null where all are. */
  readonly badAuthor: { readonly field: string; readonly reason: string } | null;
  /** The Message-ID header's value as written (trimmed), null where there is none. */
  readonly messageId: string | null;
  readonly hasDate: boolean;
  /** The Subject header's value as written (unfolded, trimmed; RFC 2047 words left encoded), '' where there is none. */
  readonly subject: string;
  /** Each Idempotency-Key header's value (unfolded, trimmed): the request key, which the region reads. */
  readonly requestKeys: readonly string[];
}

export type SpoolItem =
  | { readonly ok: true; readonly line: number; readonly mail: SpoolMail }
  | { readonly ok: false; readonly line: number; readonly reason: Reason; readonly message: string };

interface Failure {
  readonly line: number;
  readonly reason: Reason;
  readonly message: string;
}

/** One attempted mail: from its first command to the dot that ends its DATA. */
interface MailInStream {
  readonly line: number;
  /** '' where the attempt failed before a valid MAIL FROM. */
  readonly from: string;
  readonly to: string[];
  readonly seen: Set<string>;
  /** The attempt's first error; once set, the rest of the attempt is read only for where it ends. */
  failure: Failure | undefined;
}

const BLANK = /^[ \t]*$/;
// C0 and C1 controls and DEL, HT allowed: never in a command or a header field.
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f-\x9f]/;
// A body may hold other controls, but never a bare CR or LF: the relay would see another
// line end than ours, the stuff of SMTP smuggling. textLines() leaves none; other callers might.
const LINE_BREAK = /[\r\n]/;
const PATH = { FROM: /^FROM: *<([^<>]*)>(.*)$/i, TO: /^TO: *<([^<>]*)>(.*)$/i } as const;
// RFC 5321 4.1.2 esmtp-param: keyword["=" value], value without '=', blanks or controls.
const ESMTP_PARAMS = /^(?: +[A-Za-z0-9][A-Za-z0-9-]*(?:=[\x21-\x3c\x3e-\x7e]+)?)*$/;
// RFC 5322 3.6.8 field-name, with the obsolete blanks before the colon (4.5).
const FIELD_NAME = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;
const MAX_OCTETS = 998;

// '...', not an ellipsis: the report goes back in EBCDIC, which has none.
const shown = (s: string) => (s.length > 40 ? `${s.slice(0, 40)}...` : s);
const codePoint = (c: string) => `U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`;

function controlFailure(found: RegExpExecArray | null, line: number): Failure | undefined {
  if (!found) return undefined;
  return { line, reason: 'CTLCHAR', message: `a control character, ${codePoint(found[0])}, in line ${line}` };
}

interface Command {
  /** The first word, upper case. */
  readonly verb: string;
  /** MAIL's or RCPT's address where valid. */
  readonly address: string;
  /** What is wrong with the line on its own, before any question of order. */
  readonly problem: Failure | undefined;
}

function parseCommand(text: string, line: number): Command {
  const command = text.replace(/^[ \t]+/, '');
  const blank = command.indexOf(' ');
  const verb = (blank < 0 ? command : command.slice(0, blank)).toUpperCase();
  const operand = blank < 0 ? '' : command.slice(blank + 1).replace(/^ +/, '');
  const fault = (reason: Reason, message: string): Command => ({
    verb,
    address: '',
    problem: { line, reason, message },
  });
  const ctl = controlFailure(CONTROL.exec(text), line);
  if (ctl) return { verb, address: '', problem: ctl };
  switch (verb) {
    case 'HELO':
    case 'EHLO':
      return operand === '' ? fault('BADCMD', `${verb} without a domain`) : { verb, address: '', problem: undefined };
    case 'DATA':
    case 'RSET':
    case 'QUIT':
      return operand === ''
        ? { verb, address: '', problem: undefined }
        : fault('BADCMD', `${verb} takes no operand: '${shown(command)}'`);
    case 'NOOP': // RFC 5321 4.1.1.9: NOOP may carry a string, which is ignored
      return { verb, address: '', problem: undefined };
    case 'MAIL':
    case 'RCPT': {
      const [keyword, reason, name] =
        verb === 'MAIL' ? (['FROM', 'BADFROM', 'MAIL FROM'] as const) : (['TO', 'BADTO', 'RCPT TO'] as const);
      const path = PATH[keyword].exec(operand);
      // ESMTP parameters (SIZE=, BODY=, NOTIFY=…) are accepted and left out: the
      // relay gets the envelope from the caller, not these lines.
      if (!path || !ESMTP_PARAMS.test(path[2] ?? ''))
        return fault(reason, `'${shown(command)}' is not ${name}:<address>, optionally followed by parameters`);
      const address = path[1] ?? '';
      if (verb === 'MAIL' && address === '')
        return fault(reason, "MAIL FROM:<> is the null reverse-path of a bounce; a job's mail needs a sender address");
      const problem = addrSpecProblem(address);
      return problem ? fault(reason, `${name}: ${problem}`) : { verb, address, problem: undefined };
    }
    default:
      return fault('BADCMD', `unknown command ${shown(verb)}`);
  }
}

/** The index of the line holding a single '.', from `start` on; -1 where there is none. */
function dotIndex(lines: readonly string[], start: number): number {
  for (let j = start; j < lines.length; j++) if (lines[j] === '.') return j;
  return -1;
}

type Content = Omit<SpoolMail, 'from' | 'to'>;

/** The message of DATA lines [start, end): unstuffed and checked. */
function readMessage(lines: readonly string[], start: number, end: number): Content | Failure {
  const message: string[] = [];
  const header: string[] = [];
  let inHeader = true; // until the first empty line (RFC 5322 2.1)
  for (let j = start; j < end; j++) {
    const raw = lines[j] as string;
    const line = raw.startsWith('.') ? raw.slice(1) : raw; // RFC 5321 4.5.2
    if (line === '') inHeader = false;
    const ctl = controlFailure((inHeader ? CONTROL : LINE_BREAK).exec(line), j + 1);
    if (ctl) return ctl;
    // A UTF-16 unit is at most 3 octets in UTF-8: most lines need no count.
    if (line.length * 3 > MAX_OCTETS) {
      const octets = Buffer.byteLength(line, 'utf8');
      if (octets > MAX_OCTETS)
        return {
          line: j + 1,
          reason: 'LONGLINE',
          message: `line ${j + 1} is ${octets} octets long; RFC 5322 2.1.1 allows ${MAX_OCTETS}`,
        };
    }
    if (inHeader) header.push(line);
    message.push(line);
  }
  return { message: message.length === 0 ? '' : `${message.join('\r\n')}\r\n`, ...readHeaders(header) };
}

/** The headers that name an author or a sender, by their lower-case names. */
const AUTHOR_FIELDS = new Map([
  ['from', 'From'],
  ['sender', 'Sender'],
  ['resent-from', 'Resent-From'],
  ['resent-sender', 'Resent-Sender'],
]);

/** What the caller needs from the header section, read as written. */
function readHeaders(header: readonly string[]): Omit<Content, 'message'> {
  const fields: { name: string; value: string }[] = [];
  let current: { name: string; value: string } | undefined;
  for (const line of header) {
    if (current && (line.startsWith(' ') || line.startsWith('\t'))) {
      current.value += line; // unfolding removes only the line break (RFC 5322 2.2.3)
      continue;
    }
    const name = FIELD_NAME.exec(line);
    // A line that is no field is relayed as written; the relay may refuse it.
    current = name ? { name: (name[1] ?? '').toLowerCase(), value: line.slice(name[0].length) } : undefined;
    if (current) fields.push(current);
  }
  // Every such header counts, a second From too, so that none can slip past the sender check.
  const authors: Address[] = [];
  let badAuthor: { field: string; reason: string } | null = null;
  for (const f of fields) {
    const field = AUTHOR_FIELDS.get(f.name);
    if (field === undefined) continue;
    const parsed = parseAddressList(f.value);
    if (parsed.ok && parsed.addresses.length > 0) authors.push(...parsed.addresses);
    else badAuthor ??= { field, reason: parsed.ok ? 'it names no address' : parsed.reason };
  }
  return {
    authors,
    badAuthor,
    messageId: fields.find((f) => f.name === 'message-id')?.value.trim() ?? null,
    hasDate: fields.some((f) => f.name === 'date'),
    subject: fields.find((f) => f.name === 'subject')?.value.trim() ?? '',
    requestKeys: fields.filter((f) => f.name === 'idempotency-key').map((f) => f.value.trim()),
  };
}

/**
 * Reads an SMTP datastream: one item a mail, in input order. An error fails only the mail it
 * is in: one item, with the line of its first error, and the mails after it are read as usual.
 */
export function parseDatastream(lines: readonly string[]): SpoolItem[] {
  const items: SpoolItem[] = [];
  let attempt: MailInStream | undefined;
  let quitLine = 0;

  const report = (f: Failure) => items.push({ ok: false, ...f });
  // An error fails the attempt open, where only its first error counts. Outside one, MAIL,
  // RCPT and DATA begin a failed attempt, so that the rest of that mail is not read as new
  // mails; any other command's error is an item of its own.
  const fail = (f: Failure, beginsAttempt: boolean) => {
    if (attempt) attempt.failure ??= f;
    else if (beginsAttempt) attempt = { line: f.line, from: '', to: [], seen: new Set(), failure: f };
    else report(f);
  };
  const endAttempt = () => {
    if (attempt?.failure) report(attempt.failure);
    attempt = undefined;
  };
  // A mail whose DATA never comes is an error, not a silent loss: the job meant to send it.
  const noData = (before: string) => {
    if (attempt && !attempt.failure) {
      attempt.failure = {
        line: attempt.line,
        reason: 'BADSEQ',
        message: `MAIL FROM at line ${attempt.line} has no DATA before ${before}`,
      };
    }
  };

  // The stream need not begin with HELO or EHLO: the FAQ's example has one, but a stream
  // without it is just as clear, and the relay conversation is the caller's own anyway.
  for (let i = 0; i < lines.length; i++) {
    const text = lines[i] as string;
    const line = i + 1;
    if (BLANK.test(text)) continue; // between commands, and the '' after a final line end
    if (quitLine > 0) {
      report({ line, reason: 'BADSEQ', message: `line ${line} follows QUIT at line ${quitLine}; nothing may` });
      return items;
    }
    const { verb, address, problem } = parseCommand(text, line);

    if (verb === 'DATA') {
      // DATA ends at its dot even when refused, or its lines would be read as commands.
      if (problem) fail(problem, true);
      else if (!attempt) fail({ line, reason: 'BADSEQ', message: 'DATA before MAIL FROM' }, true);
      else if (attempt.to.length === 0)
        fail({ line, reason: 'BADSEQ', message: `DATA before any RCPT TO (MAIL FROM at line ${attempt.line})` }, false);
      const end = dotIndex(lines, i + 1);
      if (end < 0) {
        // Reported whatever else was wrong: it is what swallowed the rest of the stream.
        attempt = undefined;
        report({
          line,
          reason: 'NODOT',
          message: `DATA at line ${line} has no line holding a single '.': its data runs to the end of the input`,
        });
        return items;
      }
      if (attempt && !attempt.failure) {
        const content = readMessage(lines, i + 1, end);
        if ('reason' in content) attempt.failure = content;
        else items.push({ ok: true, line: attempt.line, mail: { from: attempt.from, to: attempt.to, ...content } });
      }
      endAttempt();
      i = end;
      continue;
    }
    // Like an SMTP server answering 5xx, a command line in error does nothing else.
    if (problem) {
      fail(problem, verb === 'MAIL' || verb === 'RCPT');
      continue;
    }
    switch (verb) {
      case 'HELO':
      case 'EHLO': // RFC 5321 4.1.4: a repeated HELO or EHLO resets, as RSET does
      case 'RSET':
        endAttempt();
        break;
      case 'QUIT':
        noData(`QUIT at line ${line}`);
        endAttempt();
        quitLine = line;
        break;
      case 'MAIL':
        if (attempt)
          fail(
            { line, reason: 'BADSEQ', message: `MAIL FROM inside the mail begun at line ${attempt.line}; RSET first` },
            false,
          );
        else attempt = { line, from: address, to: [], seen: new Set(), failure: undefined };
        break;
      case 'RCPT':
        if (!attempt || attempt.failure) fail({ line, reason: 'BADSEQ', message: 'RCPT TO before MAIL FROM' }, true);
        else if (!attempt.seen.has(address.toLowerCase())) {
          attempt.seen.add(address.toLowerCase());
          attempt.to.push(address);
        }
        break;
      // NOOP: nothing to do
    }
  }
  noData('the end of the input');
  endAttempt();
  if (items.length === 0) {
    items.push({
      ok: false,
      line: 1,
      reason: 'NOMAIL',
      message: 'the stream holds no MAIL FROM ... DATA: there is no mail to send',
    });
  }
  return items;
}
