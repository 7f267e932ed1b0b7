// The built-in sink of `cicsmail load --sink`: an SMTP server on loopback (smtp-server)
// that takes every mail, keeps nothing but its Message-ID, and counts, so that --verify can
// tell what arrived. Unlike the region's capture relay it writes nothing to disk: under
// load the sink must not be what is slow.
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface Sink {
  readonly url: string;
  readonly port: number;
  /** Mails received; every Message-ID with how often it came. */
  readonly received: () => number;
  readonly messageIds: ReadonlyMap<string, number>;
  /** Mails that came without a Message-ID header. */
  readonly withoutId: () => number;
  close(): Promise<void>;
}

/** The Message-ID header of a message's head (unfolded), or null. */
export function messageIdOf(head: string): string | null {
  const m = /^Message-ID:[ \t]*((?:.*)(?:\r?\n[ \t].*)*)/im.exec(head);
  return m?.[1] ? m[1].replace(/\r?\n[ \t]+/g, ' ').trim() : null;
}

/** The head of a message: everything before the first empty line. */
export function headOf(message: Buffer): string {
  const crlf = message.indexOf('\r\n\r\n');
  const lf = message.indexOf('\n\n');
  const end = crlf === -1 ? lf : lf === -1 ? crlf : Math.min(crlf, lf);
  return message.subarray(0, end === -1 ? message.length : end).toString('latin1');
}

/** Header heads longer than this are cut: a Message-ID further down is not looked for. */
const HEAD_MAX = 64 * 1024;

export async function startSink(options: { port?: number; host?: string } = {}): Promise<Sink> {
  const ids = new Map<string, number>();
  let received = 0;
  let withoutId = 0;
  const server = new SMTPServer({
    name: 'cicsmail-load-sink',
    banner: 'cicsmail load sink: mail is counted and dropped',
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    // Room for every connection a region opens (workers x CICSMAIL_SMTP_CONNECTIONS) and more.
    maxClients: 1000,
    closeTimeout: 200,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      let length = 0;
      let head: string | null = null;
      stream.on('data', (chunk: Buffer) => {
        if (head !== null) return;
        chunks.push(chunk);
        length += chunk.length;
        const sofar = Buffer.concat(chunks);
        if (sofar.includes('\r\n\r\n') || sofar.includes('\n\n') || length > HEAD_MAX) head = headOf(sofar);
      });
      stream.on('end', () => {
        const id = messageIdOf(head ?? headOf(Buffer.concat(chunks)));
        received++;
        if (id === null) withoutId++;
        else ids.set(id, (ids.get(id) ?? 0) + 1);
        callback(null, `Ok: counted as ${received}`);
      });
    },
  });
  server.on('error', () => {
    // A client that drops mid-session is no sink error.
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return {
    url: `smtp://127.0.0.1:${port}`,
    port,
    received: () => received,
    messageIds: ids,
    withoutId: () => withoutId,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
