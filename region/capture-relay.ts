// The embedded capture relay: with no CICSMAIL_RELAY the region sends to this SMTP server
// on loopback, which keeps every mail it receives under CICSMAIL_DATA/captured, so that a
// newcomer sees mail arrive without a mail server of their own.
import { mkdirSync, readdirSync, readFileSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import libmime from 'libmime';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';

export interface CapturedMail {
  readonly id: number;
  readonly receivedAt: string;
  readonly from: string;
  readonly to: readonly string[];
  readonly size: number;
  readonly subject: string | null;
  readonly messageId: string | null;
}

/** A header's value from the head of a message (unfolded, not decoded). */
function headerValue(head: string, name: string): string | null {
  const m = new RegExp(`^${name}:[ \\t]*((?:.*)(?:\\r?\\n[ \\t].*)*)`, 'im').exec(head);
  return m?.[1] ? m[1].replace(/\r?\n[ \t]+/g, ' ').trim() : null;
}

function decodedSubject(raw: string | null): string | null {
  if (raw === null) return null;
  try {
    return libmime.decodeWords(raw);
  } catch {
    return raw;
  }
}

export class CaptureRelay {
  readonly #dir: string;
  readonly #server: SMTPServer;
  readonly #index: CapturedMail[] = [];
  #nextId = 1;
  #port = 0;

  constructor(dataDir: string, maxSize = 64 * 1024 * 1024) {
    this.#dir = join(dataDir, 'captured');
    mkdirSync(this.#dir, { recursive: true });
    this.#load();
    this.#server = new SMTPServer({
      name: 'cicsmail-capture',
      banner: 'cicsmail capture relay: mail is kept, not delivered',
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      size: maxSize,
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            callback(Object.assign(new Error('message exceeds the capture relay size limit'), { responseCode: 552 }));
            return;
          }
          try {
            const mail = this.#store(Buffer.concat(chunks), session);
            callback(null, `Ok: captured as ${mail.id}`);
          } catch (err) {
            callback(
              Object.assign(new Error(`cannot keep the mail: ${(err as Error).message}`), { responseCode: 451 }),
            );
          }
        });
      },
    });
  }

  #load(): void {
    for (const name of readdirSync(this.#dir)) {
      if (!name.endsWith('.json')) continue;
      try {
        const mail = JSON.parse(readFileSync(join(this.#dir, name), 'utf8')) as CapturedMail;
        this.#index.push(mail);
        this.#nextId = Math.max(this.#nextId, mail.id + 1);
      } catch {
        // A sidecar cut short by a crash: its mail was never acknowledged, so the client retries.
      }
    }
    this.#index.sort((a, b) => a.id - b.id);
  }

  #store(message: Buffer, session: SMTPServerSession): CapturedMail {
    const id = this.#nextId++;
    const end = message.indexOf('\r\n\r\n');
    const head = message.subarray(0, end === -1 ? message.length : end).toString('latin1');
    const mail: CapturedMail = {
      id,
      receivedAt: new Date().toISOString(),
      from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
      to: session.envelope.rcptTo.map((r) => r.address),
      size: message.length,
      subject: decodedSubject(headerValue(head, 'Subject')),
      messageId: headerValue(head, 'Message-ID'),
    };
    writeFileSync(join(this.#dir, `${id}.eml`), message);
    // The sidecar last, by rename: a mail is listed only once it is whole.
    const tmp = join(this.#dir, `${id}.json.tmp`);
    writeFileSync(tmp, JSON.stringify(mail));
    renameSync(tmp, join(this.#dir, `${id}.json`));
    this.#index.push(mail);
    return mail;
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(0, '127.0.0.1', () => resolve());
    });
    this.#port = (this.#server.server.address() as AddressInfo).port;
    return `smtp://127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  /** Newest first; `limit` at most. */
  list(limit = 100): CapturedMail[] {
    return this.#index.slice(-limit).reverse();
  }

  get(id: number): { mail: CapturedMail; message: Buffer } | undefined {
    const mail = this.#index.find((m) => m.id === id);
    if (!mail) return undefined;
    return { mail, message: readFileSync(join(this.#dir, `${id}.eml`)) };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }
}
