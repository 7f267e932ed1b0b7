// SMTP replies (RFC 5321 4.2): a three-digit code, lines joined by `-` until the last
// one, and where the server speaks RFC 3463 an enhanced status code.

export interface SmtpReply {
  readonly code: number;
  /** The enhanced status code (`2.0.0`), where the server gave one. */
  readonly enhanced: string | null;
  /** The text of every line, without codes. */
  readonly lines: readonly string[];
}

/** The reply as one line, for journals and COMMAREAs: `250 2.0.0 Ok: queued as 4B2C1`. */
export function formatReply(reply: SmtpReply): string {
  const text = reply.lines.join(' ').trim();
  return [String(reply.code), reply.enhanced ?? '', text].filter((part) => part !== '').join(' ');
}

const ENHANCED = /^([245]\.\d{1,3}\.\d{1,3})(?: |$)/;

/**
 * Turns the bytes a server sends into replies. Lines end in CRLF (a bare LF is taken too,
 * as many servers' errors are lenient that way); a line that is not a reply is a protocol
 * error, reported once through `onError`.
 */
export class ReplyParser {
  #pending = '';
  #lines: string[] = [];
  #code = 0;
  #enhanced: string | null = null;

  constructor(
    private readonly onReply: (reply: SmtpReply) => void,
    private readonly onError: (message: string) => void,
  ) {}

  /** Bytes of a reply not yet complete are held (STARTTLS must find none). */
  get buffered(): boolean {
    return this.#pending !== '' || this.#lines.length > 0;
  }

  push(chunk: Buffer): void {
    // Replies are ASCII by RFC 5321; latin1 never throws on a server that is not.
    this.#pending += chunk.toString('latin1');
    let nl: number;
    while ((nl = this.#pending.indexOf('\n')) !== -1) {
      const line = this.#pending.slice(0, nl).replace(/\r$/, '');
      this.#pending = this.#pending.slice(nl + 1);
      this.#line(line);
    }
    if (this.#pending.length > 4096) {
      this.onError('reply line longer than 4096 characters');
      this.#pending = '';
    }
  }

  #line(line: string): void {
    const m = /^([2-5]\d\d)([ -]?)(.*)$/.exec(line);
    if (!m) {
      this.onError(`not an SMTP reply: ${JSON.stringify(line.slice(0, 80))}`);
      return;
    }
    const code = Number(m[1]);
    const last = m[2] !== '-';
    let text = m[3] ?? '';
    if (this.#lines.length === 0) {
      this.#code = code;
      const e = ENHANCED.exec(text);
      if (e) {
        this.#enhanced = e[1] ?? null;
        text = text.slice(e[0].length);
      }
    } else {
      if (code !== this.#code) {
        this.onError(`multi-line reply changed its code from ${this.#code} to ${code}`);
      }
      const e = ENHANCED.exec(text);
      if (e && e[1] === this.#enhanced) text = text.slice(e[0].length);
    }
    this.#lines.push(text);
    if (last) {
      const reply: SmtpReply = { code: this.#code, enhanced: this.#enhanced, lines: this.#lines };
      this.#lines = [];
      this.#enhanced = null;
      this.onReply(reply);
    }
  }
}
