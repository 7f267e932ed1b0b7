// The bounce listener: an SMTP server (the `smtp-server` package) that takes mail only for
// this region's return paths and hands each bounce, read (bounce.ts), to its owner. No
// relay: any other RCPT is refused. Size-limited, rate-limited per client address, with
// optional STARTTLS. It knows nothing of the journal: `onBounce` decides what a bounce
// means and answers whether it is taken; every refusal is counted with its reason.
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerDataStream, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { systemClock, type Clock } from '../../cics/clock.js';
import { readBounce, type BounceReading } from './bounce.js';
import { BOUNCE_REFUSALS, OWNER_REFUSAL, type ListenerRefusal } from './errors.js';
import { decodeReturnPath, type ReturnPathTemplate } from './return-path.js';

/** A bounce read, as its owner gets it. */
export interface ReceivedBounce {
  readonly reading: Exclude<BounceReading, { kind: 'refused' }>;
  /** The bounce as it came, for keeping beside the record. */
  readonly raw: Uint8Array;
  /** The return path it came to. */
  readonly to: string;
  /** Its envelope sender; '' for the null sender every bounce should have. */
  readonly from: string;
  /** The client's address. */
  readonly remote: string;
}

/** The owner's answer: taken (250), or refused for good (550) with a reason code of its own and words. */
export type BounceVerdict =
  { readonly accept: true } | { readonly accept: false; readonly reason: string; readonly detail: string };

export interface BounceListenerOptions {
  /** Address to listen on; port 0 for any free one. */
  readonly host: string;
  readonly port: number;
  /** The name in the greeting. */
  readonly name: string;
  readonly returnPath: ReturnPathTemplate;
  /** The region's SYSID: return paths of other SYSIDs are refused. */
  readonly sysid: string;
  /** The largest bounce taken, in bytes (SIZE; 552 above it). */
  readonly maxBytes: number;
  /** Bounces a minute one client address may send; 0: no limit. */
  readonly ratePerMinute: number;
  /** Connections at once, at most. */
  readonly maxClients: number;
  /** STARTTLS with this certificate and key (PEM); none: no STARTTLS. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
  /** Recipient blocks a report is read for (bounce.ts's default where unset). */
  readonly maxRecipients?: number;
  readonly clock?: Clock;
  readonly onBounce: (bounce: ReceivedBounce) => BounceVerdict | Promise<BounceVerdict>;
}

export interface ListenerCounts {
  /** Bounces `onBounce` took. */
  readonly accepted: number;
  /** Refusals by reason: the listener's (ListenerRefusal) and `onBounce`'s own. */
  readonly refused: Readonly<Record<string, number>>;
}

const MINUTE = 60_000;

/**
 * A reply smtp-server sends for a refused step: `reply` is the code and the RFC 3463 code
 * (smtp-server's own table gives one per reply code, 452 as 4.2.2, storage, where a
 * recipient too many is 4.5.3, so the listener keeps that table off and says its own).
 */
function smtpReply(reply: string, message: string): Error {
  const [code = '451', enhanced] = reply.split(' ');
  const text = message.slice(0, 400);
  return Object.assign(new Error(enhanced ? `${enhanced} ${text}` : text), { responseCode: Number(code) });
}

export class BounceListener {
  readonly #server: SMTPServer;
  readonly #options: BounceListenerOptions;
  readonly #clock: Clock;
  #accepted = 0;
  readonly #refused = new Map<string, number>();
  /** Bounces per client address in the current minute, and which minute that is. */
  #window = { minute: -1, counts: new Map<string, number>() };

  private constructor(options: BounceListenerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    const serverOptions: SMTPServerOptions = {
      name: options.name,
      banner: 'bounces only',
      logger: false,
      // The client's name is of no use here, and a DNS query a connection is a cost to a stranger's choosing.
      disableReverseLookup: true,
      hideENHANCEDSTATUSCODES: true,
      authOptional: true,
      disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
      ...(options.tls ? { key: options.tls.key, cert: options.tls.cert } : {}),
      size: options.maxBytes,
      maxClients: options.maxClients,
      // 8-bit and UTF-8 bounces are taken as they come; DSN is of no use to a bounce.
      hideDSN: true,
      onMailFrom: (_address, session, callback) => callback(this.#overRate(session)),
      onRcptTo: (address, session, callback) => callback(this.#checkRecipient(address.address, session)),
      onData: (stream, session, callback) => this.#onData(stream, session, callback),
    };
    // smtp-server answers a message over `size` with 552 itself once this is set (its types
    // do not know the option yet).
    Object.assign(serverOptions, { rejectOversized: true });
    this.#server = new SMTPServer(serverOptions);
    // A client that drops mid-session is no error of the listener's.
    this.#server.on('error', () => {});
  }

  static async start(options: BounceListenerOptions): Promise<BounceListener> {
    const listener = new BounceListener(options);
    await new Promise<void>((resolve, reject) => {
      listener.#server.server.once('error', reject);
      listener.#server.listen(options.port, options.host, () => {
        listener.#server.server.off('error', reject);
        resolve();
      });
    });
    return listener;
  }

  get port(): number {
    return (this.#server.server.address() as AddressInfo).port;
  }

  counts(): ListenerCounts {
    return { accepted: this.#accepted, refused: Object.fromEntries(this.#refused) };
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  #count(reason: string): void {
    this.#refused.set(reason, (this.#refused.get(reason) ?? 0) + 1);
  }

  /** Counts a refusal of the listener's and makes its reply. */
  #refuse(reason: ListenerRefusal, message: string): Error {
    this.#count(reason);
    return smtpReply(BOUNCE_REFUSALS[reason].reply, message);
  }

  /** Reads the message up to the limit, then has it read and taken; past the limit the rest is read and dropped. */
  #onData(
    stream: SMTPServerDataStream,
    session: SMTPServerSession,
    callback: (err?: Error | null, message?: string) => void,
  ): void {
    const { maxBytes } = this.#options;
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    });
    stream.on('end', () => {
      // smtp-server answers 552 itself (rejectOversized); the refusal is counted here.
      if (stream.sizeExceeded || size > maxBytes) {
        callback(this.#refuse('TOOLARGE', `the bounce is over ${maxBytes} bytes`));
        return;
      }
      void this.#take(Buffer.concat(chunks), session).then(
        (message) => callback(null, message),
        (err: Error) => callback(err),
      );
    });
  }

  /** 451 where the client's address has sent its bounces for this minute (a fixed window a minute long). */
  #overRate(session: SMTPServerSession): Error | null {
    const { ratePerMinute } = this.#options;
    if (ratePerMinute === 0) return null;
    const minute = Math.floor(this.#clock.now() / MINUTE);
    // A new minute forgets the last: the map never holds more than one minute's clients.
    if (minute !== this.#window.minute) this.#window = { minute, counts: new Map() };
    const remote = session.remoteAddress;
    const sent = (this.#window.counts.get(remote) ?? 0) + 1;
    this.#window.counts.set(remote, sent);
    if (sent <= ratePerMinute) return null;
    return this.#refuse('RATE', `${remote} has sent ${ratePerMinute} bounces this minute; try again later`);
  }

  /** Only this region's return paths, one a transaction. */
  #checkRecipient(address: string, session: SMTPServerSession): Error | null {
    if (session.envelope.rcptTo.length > 0) {
      return this.#refuse('TOOMANYRCPT', 'one return path a bounce; send the next in a transaction of its own');
    }
    const mail = decodeReturnPath(this.#options.returnPath, address);
    if (!mail.ok && mail.forged) return this.#refuse('BADTAG', mail.reason);
    if (!mail.ok) {
      return this.#refuse('NOTOURS', `<${address}> is no return path here, and this host relays nothing`);
    }
    if (mail.sysid !== this.#options.sysid) {
      const words = `<${address}> is a return path of ${mail.sysid}, not of this region (${this.#options.sysid})`;
      return this.#refuse('OTHERREGION', words);
    }
    return null;
  }

  /** Reads the bounce and asks its owner; the reply's words on success, a refusal as an error. */
  async #take(raw: Buffer, session: SMTPServerSession): Promise<string> {
    const to = session.envelope.rcptTo[0]?.address ?? '';
    const { mailFrom } = session.envelope;
    const reading = await readBounce(raw, to, {
      returnPath: this.#options.returnPath,
      sysid: this.#options.sysid,
      maxBytes: this.#options.maxBytes,
      ...(this.#options.maxRecipients !== undefined ? { maxRecipients: this.#options.maxRecipients } : {}),
    });
    if (reading.kind === 'refused') {
      throw this.#refuse(reading.reason, `${reading.reason}: ${reading.detail}`);
    }
    let verdict: BounceVerdict;
    try {
      verdict = await this.#options.onBounce({
        reading,
        raw,
        to,
        from: mailFrom === false ? '' : mailFrom.address,
        remote: session.remoteAddress,
      });
    } catch {
      throw this.#refuse('CALLBACK', 'the bounce could not be recorded now; try again later');
    }
    if (!verdict.accept) {
      this.#count(verdict.reason);
      throw smtpReply(OWNER_REFUSAL, `${verdict.reason}: ${verdict.detail}`);
    }
    this.#accepted++;
    return `2.0.0 bounce for ${reading.sysid}.${reading.seq} taken`;
  }
}
