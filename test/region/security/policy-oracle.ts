// The region's policy as the security fuzz test reads it, written apart from the region's
// own code: what a relayed mail may hold (envelope, From, recipients, header fields) for the
// fuzz test's users (senders batch@corp.example and *@jobs.corp.example, recipients in
// corp.example only), and what it must not.
import libmime from 'libmime';
import type { ReceivedMail } from '../../helpers/relay.js';

/** The user's senders: batch@corp.example, *@jobs.corp.example (case does not matter). */
function senderAllowed(address: string): boolean {
  const a = address.toLowerCase();
  if (a === 'batch@corp.example') return true;
  const at = a.lastIndexOf('@');
  return at > 0 && a.slice(at + 1) === 'jobs.corp.example';
}

/** CICSMAIL_RECIPIENT_DOMAINS=corp.example: that domain exactly, no subdomain. */
function recipientAllowed(address: string): boolean {
  const at = address.lastIndexOf('@');
  return at > 0 && address.slice(at + 1).toLowerCase() === 'corp.example';
}

interface Field {
  readonly name: string;
  /** The physical lines of the field (the first and its continuations). */
  readonly lines: string[];
  value: string;
}

/** The header section of a message as a reader would split it: up to the first empty line. */
function headerOf(message: string): { fields: Field[]; strays: string[] } {
  const end = message.startsWith('\r\n') ? 0 : message.indexOf('\r\n\r\n');
  const header = end === -1 ? message : message.slice(0, end);
  const fields: Field[] = [];
  const strays: string[] = [];
  let current: Field | undefined;
  for (const line of header === '' ? [] : header.split('\r\n')) {
    if (/^[ \t]/.test(line) && current) {
      current.lines.push(line);
      current.value += line;
      continue;
    }
    const m = /^([^\s:]+)[ \t]*:/.exec(line);
    if (!m) {
      current = undefined;
      strays.push(line);
      continue;
    }
    current = { name: (m[1] ?? '').toLowerCase(), lines: [line], value: line.slice(m[0].length) };
    fields.push(current);
  }
  return { fields, strays };
}

/**
 * The addresses of an address-list header value: what is inside <…>, and bare words with
 * an @; quoted display names and comments are no address (a quoted local part is kept).
 */
export function addressesIn(value: string): string[] {
  const out: string[] = [];
  let i = 0;
  const readQuoted = (from: number) => {
    let j = from + 1;
    while (j < value.length && value[j] !== '"') j += value[j] === '\\' ? 2 : 1;
    return j + 1;
  };
  while (i < value.length) {
    const c = value[i] as string;
    if (c === '(') {
      let depth = 0;
      do {
        if (value[i] === '(') depth++;
        else if (value[i] === ')') depth--;
        i++;
      } while (i < value.length && depth > 0);
    } else if (c === '<') {
      const j = value.indexOf('>', i);
      out.push(value.slice(i + 1, j === -1 ? undefined : j).trim());
      i = j === -1 ? value.length : j + 1;
    } else if (c === '"') {
      const j = readQuoted(i);
      // "quoted local"@domain is one address; "a name" before <…> is none.
      if (value[j] === '@') {
        let k = j;
        while (k < value.length && !/[\s,;<>()]/.test(value[k] as string)) k++;
        out.push(value.slice(i, k));
        i = k;
      } else {
        i = j;
      }
    } else if (/[\s,;]/.test(c)) {
      i++;
    } else {
      let k = i;
      while (k < value.length && !/[\s,;<>()"]/.test(value[k] as string)) k++;
      const word = value.slice(i, k);
      if (word.includes('@')) out.push(word);
      i = Math.max(k, i + 1);
    }
  }
  return out;
}

/** Problems every relayed mail is checked for, whoever made its header. */
function envelopeProblems(mail: ReceivedMail, requestText: string): string[] {
  const problems: string[] = [];
  const text = mail.message.toString('utf8');
  const lower = requestText.toLowerCase();
  if (!senderAllowed(mail.from)) problems.push(`envelope sender ${mail.from} is not the user's`);
  if (mail.to.length === 0 || mail.to.length > 5) problems.push(`${mail.to.length} recipients`);
  for (const r of mail.to) {
    if (!recipientAllowed(r)) problems.push(`recipient ${r} is outside corp.example`);
    if (!lower.includes(r.toLowerCase())) problems.push(`recipient ${r} is not in the request`);
  }
  if (!lower.includes(mail.from.toLowerCase())) {
    // A blank FROM of a user with a default sender: the default goes out.
    if (mail.from.toLowerCase() !== 'batch@corp.example')
      problems.push(`envelope sender ${mail.from} is not in the request`);
  }
  if (/\r(?!\n)|(?<!\r)\n/.test(text)) problems.push('a bare CR or LF in the message');
  return problems;
}

function fromProblems(fields: readonly Field[]): string[] {
  const problems: string[] = [];
  for (const f of fields.filter((x) => x.name === 'from')) {
    const addresses = addressesIn(f.value);
    if (addresses.length === 0) problems.push(`a From header with no address: ${f.value.slice(0, 80)}`);
    for (const a of addresses) if (!senderAllowed(a)) problems.push(`From header address ${a} is not the user's`);
  }
  return problems;
}

const COMPOSED = new Set([
  'from',
  'reply-to',
  'to',
  'cc',
  'subject',
  'date',
  'message-id',
  'importance',
  'priority',
  'sensitivity',
  'disposition-notification-to',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
]);
const REQUIRED = ['from', 'subject', 'date', 'message-id', 'mime-version', 'content-type'];

/** What the request asked for, so far as it decides which optional headers may appear. */
export interface Asked {
  readonly replyTo: boolean;
  readonly cc: boolean;
  readonly receipt: boolean;
  readonly priority: boolean;
  readonly sensitivity: boolean;
}

/** A mail the region composed (MAIL, SEND): only its own header fields, each once. */
export function composedProblems(mail: ReceivedMail, requestText: string, asked: Asked): string[] {
  const problems = envelopeProblems(mail, requestText);
  const { fields, strays } = headerOf(mail.message.toString('utf8'));
  for (const s of strays) problems.push(`a header line that is no field: ${JSON.stringify(s.slice(0, 80))}`);
  const counts = new Map<string, number>();
  for (const f of fields) counts.set(f.name, (counts.get(f.name) ?? 0) + 1);
  for (const [name, n] of counts) {
    if (!COMPOSED.has(name)) problems.push(`a header field the region does not write: ${name}`);
    if (n > 1) problems.push(`${n} ${name} fields`);
  }
  for (const name of REQUIRED)
    if (!counts.has(name)) problems.push(`no ${name} field in the header (did it end early?)`);
  if (!counts.has('to') && !counts.has('cc')) problems.push('neither To nor Cc');
  const optional: [string, boolean][] = [
    ['reply-to', asked.replyTo],
    ['cc', asked.cc],
    ['disposition-notification-to', asked.receipt],
    ['priority', asked.priority],
    ['sensitivity', asked.sensitivity],
  ];
  for (const [name, ok] of optional)
    if (counts.has(name) && !ok) problems.push(`a ${name} field the request did not ask for`);
  problems.push(...fromProblems(fields));
  const from = fields.find((f) => f.name === 'from');
  const fromAddresses = from ? addressesIn(from.value) : [];
  if (fromAddresses.length !== 1 || fromAddresses[0]?.toLowerCase() !== mail.from.toLowerCase()) {
    problems.push(`From ${JSON.stringify(from?.value)} is not the envelope sender ${mail.from}`);
  }
  return problems;
}

// What SPOL adds, exactly as it writes them.
const ADDED = [
  /^Message-ID: <[0-9a-f-]{36}@region\.test>$/,
  /^Date: (?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d \+0000$/,
  /^MIME-Version: 1\.0$/,
  /^Content-Type: text\/plain; charset=utf-8$/,
  /^Content-Transfer-Encoding: 8bit$/,
];

/** A mail SPOL relayed: the stream's own DATA, with only Message-ID, Date and MIME headers added. */
export function spooledProblems(mail: ReceivedMail, requestLines: readonly string[]): string[] {
  const unstuffed = requestLines.map((l) => (l.startsWith('.') ? l.slice(1) : l));
  const requestText = `${unstuffed.join('\r\n')}\r\n`;
  const problems = envelopeProblems(mail, requestText);
  const text = asWritten(mail.message.toString('utf8'), unstuffed);
  let rest = text;
  for (;;) {
    const nl = rest.indexOf('\r\n');
    if (nl === -1 || !ADDED.some((re) => re.test(rest.slice(0, nl)))) break;
    rest = rest.slice(nl + 2);
  }
  if (!requestText.includes(rest)) problems.push('the message is not the DATA of the stream (plus added headers)');
  const { fields, strays } = headerOf(text);
  // Every line of the header is one the stream had, at most as often as it had it.
  const available = new Map<string, number>();
  for (const l of unstuffed) available.set(l, (available.get(l) ?? 0) + 1);
  for (const line of [...fields.flatMap((f) => f.lines), ...strays]) {
    if (ADDED.some((re) => re.test(line))) continue;
    const n = available.get(line) ?? 0;
    if (n === 0) problems.push(`a header line the stream did not have: ${JSON.stringify(line.slice(0, 80))}`);
    available.set(line, n - 1);
  }
  problems.push(...fromProblems(fields));
  return problems;
}

/** Quotes, backslashes and runs of blanks left out: how a display name is written is no matter. */
const loosely = (value: string) => value.replace(/["\\]/g, '').replace(/\s+/g, ' ').trim();

/**
 * The message with each field SPOL wrote in RFC 2047 encoded words (a field that held text
 * beyond ASCII) put back as the stream wrote it, where it says the same: the same name and,
 * decoded (libmime, not the region's code), the same text. A field that says anything else
 * stays encoded, and the checks after find it a line the stream did not have.
 */
function asWritten(message: string, streamLines: readonly string[]): string {
  // A message that is all header (no empty line) ends with its last field's CRLF.
  const blank = message.indexOf('\r\n\r\n');
  const end = blank === -1 ? message.length - (message.endsWith('\r\n') ? 2 : 0) : blank;
  if (!message.slice(0, end).includes('=?')) return message;
  // Any line of the stream may begin a field (a stream holds several mails): each with its continuations.
  const stream: Field[] = [];
  let open: Field | undefined;
  for (const line of streamLines) {
    const m = /^([^\s:]+)[ \t]*:/.exec(line);
    if (m) stream.push((open = { name: (m[1] ?? '').toLowerCase(), lines: [line], value: line.slice(m[0].length) }));
    else if (open && /^[ \t]/.test(line)) {
      open.lines.push(line);
      open.value += line;
    } else open = undefined;
  }
  // Line by line, so that lines that are no field (a reader's strays) keep their place.
  const lines: string[] = [];
  let field: string[] = [];
  const flush = () => {
    if (field.length === 0) return;
    const value = field.join('').replace(/^[^\s:]+[ \t]*:/, '');
    const name = (/^([^\s:]+)[ \t]*:/.exec(field[0] ?? '')?.[1] ?? '').toLowerCase();
    const decoded = loosely(libmime.decodeWords(value));
    const same = value.includes('=?')
      ? stream.find((w) => w.name === name && /[^\x00-\x7f]/.test(w.value) && loosely(w.value) === decoded)
      : undefined;
    lines.push(...(same ? same.lines : field));
    field = [];
  };
  for (const line of message.slice(0, end).split('\r\n')) {
    if (/^[ \t]/.test(line) && field.length > 0) field.push(line);
    else if (/^[^\s:]+[ \t]*:/.test(line)) {
      flush();
      field = [line];
    } else {
      flush();
      lines.push(line);
    }
  }
  flush();
  return `${lines.join('\r\n')}${message.slice(end)}`;
}
