// Bounces that are not RFC 3464 (old qmail, some appliances and gateways): the return path
// says which mail; what became of it is read from the text by three named rules, tried in
// order, and only in a mail from a mailer daemon. Conservative on purpose: a guess that
// finds nothing is no bounce (an out-of-office reply is not one), and a guess never names
// a recipient; it lists the addresses the text shows in angle brackets for the caller to
// match against the mail's own.

/** Which rule found the status. */
export type GuessRule =
  /** An SMTP reply with an enhanced code of the same class: `550 5.1.1 <x@y>: unknown`. */
  | 'reply-line'
  /** An enhanced status code standing alone: `5.2.2` (subjects 0 to 7, as RFC 3463 defines them: not `4.96.1`). */
  | 'enhanced-code'
  /** A reply code where a remote server's words are quoted (`said: 550 …`) or a line starts with one. */
  | 'reply-code';

export interface StatusGuess {
  readonly rule: GuessRule;
  /** RFC 3463: the code found, or for `reply-code` its class with `.0.0`. */
  readonly status: string;
  /** The line it was found on, trimmed. */
  readonly diagnostic: string;
}

/** The text read for a guess: the explanation comes first; what follows is the returned mail. */
const GUESS_TEXT_MAX = 64 * 1024;
const DIAGNOSTIC_MAX = 500;
const ADDRESSES_MAX = 100;

const RULES: readonly { rule: GuessRule; pattern: RegExp; status: (m: RegExpExecArray) => string | null }[] = [
  {
    rule: 'reply-line',
    pattern: /(?<![\d.])([45])\d\d[ -]([45]\.[0-7]\.\d{1,3})(?![\d.])/,
    status: (m) => (m[2]?.[0] === m[1] ? (m[2] ?? null) : null),
  },
  {
    rule: 'enhanced-code',
    pattern: /(?<![\w.])([45]\.[0-7]\.\d{1,3})(?![\w.])/,
    status: (m) => m[1] ?? null,
  },
  {
    rule: 'reply-code',
    pattern: /(?:^|said:[ \t]*)([45])\d\d[ -]\S/im,
    status: (m) => `${m[1]}.0.0`,
  },
];

/** The first status a rule finds, line by line, rule by rule; null where none does. */
export function guessStatus(text: string): StatusGuess | null {
  const lines = text.slice(0, GUESS_TEXT_MAX).split(/\r?\n/);
  for (const { rule, pattern, status } of RULES) {
    for (const line of lines) {
      const m = pattern.exec(line);
      const found = m ? status(m) : null;
      if (found !== null) return { rule, status: found, diagnostic: line.trim().slice(0, DIAGNOSTIC_MAX) };
    }
  }
  return null;
}

/** From a mailer daemon: the From address's local part is MAILER-DAEMON or postmaster, in any case. */
export function fromMailerDaemon(from: string | undefined): boolean {
  if (from === undefined) return false;
  const at = from.lastIndexOf('@');
  const local = (at === -1 ? from : from.slice(0, at)).toLowerCase();
  return local === 'mailer-daemon' || local === 'postmaster';
}

/** The addresses in angle brackets in the text read for a guess, once each, `except` left out. */
export function bracketedAddresses(text: string, except: string): string[] {
  const found = new Set<string>();
  for (const m of text.slice(0, GUESS_TEXT_MAX).matchAll(/<([^<>\s@]{1,64}@[^<>\s@]{1,253})>/g)) {
    const address = m[1] ?? '';
    if (address.toLowerCase() !== except.toLowerCase()) found.add(address);
    if (found.size >= ADDRESSES_MAX) break;
  }
  return [...found];
}
