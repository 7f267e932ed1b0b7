// The requests `cicsmail load` sends: EBCDIC payloads for MAIL (a MAILCA COMMAREA), SEND
// (control statements) and SPOL (an SMTP datastream), varied in recipients, subjects,
// bodies and sizes, built once into a pool that the run rotates through (autocannon sends
// them; nothing here talks HTTP). An attachment goes as a BIT container on a channel
// (MAIL), or inside the text as base64 (SEND's ATTACH, SPOL's MIME part). Any transaction
// with a copybook, the shop's own too, takes COMMAREAs given as their JSON views: sent as
// JSON, or laid out in EBCDIC through the copybook where it is given.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { codePage } from '../../cics/codepages.js';
import { jsonToRecord } from '../../cics/copybook/json.js';
import type { RecordLayout } from '../../cics/copybook/layout.js';
import { copybookFile } from '../../cics/copybook/library.js';
import { byteLength, channelOf, type ChannelBody } from '../../client/channel.js';
import { buildMailCommarea } from '../../client/mailca.js';
import { ebcdicLines, textTaskBody } from '../../client/text-input.js';

export type LoadTx = 'MAIL' | 'SEND' | 'SPOL';
export const LOAD_TXS: readonly LoadTx[] = ['MAIL', 'SEND', 'SPOL'];

/** One mail, before it is laid out for a transaction. */
export interface MailSpec {
  readonly from: string;
  readonly to: readonly string[];
  readonly cc: readonly string[];
  readonly subject: string;
  readonly importance: 'L' | 'N' | 'H';
  readonly html: boolean;
  /** Lines of the body, `\n` between them. */
  readonly body: string;
}

export interface PayloadOptions {
  readonly tx: LoadTx;
  readonly ccsid: number;
  /** The sender of every mail (subject to the region's sender verification). */
  readonly from: string;
  /** Domains the recipients are in. */
  readonly domains?: readonly string[];
  /** Bytes of an attachment on every mail (0: none). */
  readonly attachment?: number;
  /** Seed of the generator: the same seed makes the same payloads. */
  readonly seed?: number;
  /** How many different payloads to make (default 512). */
  readonly count?: number;
  /** The mails to send, instead of generated ones (the benchmark sends one mail again and again). */
  readonly mails?: readonly MailSpec[];
  /** X-CICS-Jobname of every request. */
  readonly jobname?: string;
}

/** A request as autocannon takes it; the body is built when it is sent. */
export interface LoadRequest {
  readonly path: string;
  readonly contentType: string;
  /** The parts of the body: a large attachment is shared by every request, not copied into each. */
  readonly parts: readonly Uint8Array[];
  readonly bytes: number;
}

export interface PayloadPool {
  /** The tranid the requests run. */
  readonly tx: string;
  readonly ccsid: number;
  readonly size: number;
  /** Headers every request carries (credentials are added by the run). */
  readonly headers: Readonly<Record<string, string>>;
  get(i: number): LoadRequest;
  /** Mean body size, for the summary. */
  readonly meanBytes: number;
}

/** mulberry32: small, fast, seeded; the payloads need variety, not secrecy. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Words in every EBCDIC code page the region has (letters, digits, blank, . , - :), so a
// payload never depends on --ccsid.
const WORDS = [
  'volume',
  'dataset',
  'report',
  'batch',
  'nightly',
  'payroll',
  'ledger',
  'backup',
  'sysres',
  'spool',
  'job',
  'step',
  'region',
  'abend',
  'restart',
  'catalog',
  'tape',
  'extent',
  'quota',
  'migrate',
  'archive',
  'invoice',
  'branch',
  'account',
  'balance',
  'posted',
  'settled',
  'pending',
  'complete',
  'warning',
  'status',
  'daily',
  'weekly',
  'total',
];
const FIRST = ['ops', 'dba', 'finance', 'audit', 'payroll', 'helpdesk', 'storage', 'network', 'billing', 'sched'];

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)] as T;
}

function sentence(rand: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(pick(rand, WORDS));
  const text = out.join(' ');
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`;
}

/** Lines of at most 72 characters, about `chars` in all. */
function bodyText(rand: () => number, chars: number): string {
  const lines: string[] = [];
  let line = '';
  let total = 0;
  while (total < chars) {
    const s = sentence(rand, 3 + Math.floor(rand() * 9));
    total += s.length + 1;
    if (line.length + s.length + 1 > 72) {
      lines.push(line);
      line = s.length > 72 ? s.slice(0, 72) : s;
    } else {
      line = line === '' ? s : `${line} ${s}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

/** A varied mail: 1 to 3 recipients (sometimes a Cc), a subject naming it, a body of 100 B to 6 KB. */
export function generateMail(rand: () => number, i: number, from: string, domains: readonly string[]): MailSpec {
  const address = () =>
    `${pick(rand, FIRST)}${String(Math.floor(rand() * 10_000)).padStart(4, '0')}@${pick(rand, domains)}`;
  const to = [address()];
  const r = rand();
  if (r < 0.25) to.push(address());
  if (r < 0.1) to.push(address());
  const cc = rand() < 0.15 ? [address()] : [];
  // Sizes spread over two orders of magnitude, most of them small.
  const chars = Math.round(100 * Math.pow(60, rand()));
  const importance = rand() < 0.1 ? 'H' : rand() < 0.05 ? 'L' : 'N';
  return {
    from,
    to,
    cc,
    subject: `LOAD ${i} ${sentence(rand, 2 + Math.floor(rand() * 6))}`.slice(0, 200),
    importance,
    html: rand() < 0.1,
    body: bodyText(rand, chars),
  };
}

function htmlOf(body: string): string {
  return `<p>${body.split('\n').join('</p>\n<p>')}</p>`;
}

const NL = '\n';

/** SEND statements for one mail (the attachment's block is added by the caller). */
function sendStatements(mail: MailSpec): string {
  const lines = [`FROM ${mail.from}`, `TO ${mail.to.join(', ')}`];
  if (mail.cc.length > 0) lines.push(`CC ${mail.cc.join(', ')}`);
  lines.push(`SUBJECT ${mail.subject}`, `IMPORTANCE ${{ L: 'LOW', N: 'NORMAL', H: 'HIGH' }[mail.importance]}`);
  if (mail.html) lines.push('FORMAT HTML');
  lines.push('TEXT', ...(mail.html ? htmlOf(mail.body) : mail.body).split(NL), 'ENDTEXT');
  return lines.join(NL);
}

/** An SMTP datastream for one mail; `boundary` set: the body is the first part of a multipart/mixed. */
function spoolStream(mail: MailSpec, boundary: string | null): string {
  const lines = [
    'HELO LOAD.EXAMPLE',
    `MAIL FROM:<${mail.from}>`,
    ...[...mail.to, ...mail.cc].map((a) => `RCPT TO:<${a}>`),
    'DATA',
  ];
  lines.push(`From: ${mail.from}`, `To: ${mail.to.join(', ')}`);
  if (mail.cc.length > 0) lines.push(`Cc: ${mail.cc.join(', ')}`);
  lines.push(`Subject: ${mail.subject}`);
  if (mail.importance !== 'N') lines.push(`Importance: ${mail.importance === 'H' ? 'high' : 'low'}`);
  const type = mail.html ? 'text/html' : 'text/plain';
  const text = (mail.html ? htmlOf(mail.body) : mail.body).split(NL).map((l) => (l.startsWith('.') ? `.${l}` : l));
  if (boundary === null) {
    lines.push('MIME-Version: 1.0', `Content-Type: ${type}; charset=us-ascii`, '', ...text);
  } else {
    lines.push(
      'MIME-Version: 1.0',
      `Content-Type: multipart/mixed; boundary="${boundary}"`,
      '',
      `--${boundary}`,
      `Content-Type: ${type}; charset=us-ascii`,
      '',
      ...text,
    );
  }
  return lines.join(NL);
}

function base64Lines(bytes: Buffer): string {
  const b64 = bytes.toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < b64.length; i += 76) lines.push(b64.slice(i, i + 76));
  return lines.join(NL);
}

/** Parts at most this large are joined once, when the pool is made; larger ones are shared. */
const JOIN_BELOW = 256 * 1024;

function request(path: string, body: ChannelBody): LoadRequest {
  const bytes = byteLength(body.parts);
  const parts = bytes <= JOIN_BELOW ? [Buffer.concat(body.parts)] : body.parts;
  return { path, contentType: body.contentType, parts, bytes };
}

/**
 * The pool of requests. Generated mails are different in everything a mail has; an
 * attachment, where asked for, is the same random bytes on every request (its size is
 * what matters to the region), referenced, not copied, until a request is sent.
 */
export function buildPayloads(options: PayloadOptions): PayloadPool {
  const { tx, ccsid } = options;
  const rand = prng(options.seed ?? 1);
  const domains = options.domains ?? ['example.test', 'corp.example'];
  const mails =
    options.mails ??
    Array.from({ length: options.count ?? 512 }, (_, i) => generateMail(rand, i + 1, options.from, domains));
  if (mails.length === 0) throw new Error('no mails to send');
  const attachment = options.attachment && options.attachment > 0 ? randomBytes(options.attachment) : null;
  const path = `/cics/${tx}`;
  // The attachment's text, in EBCDIC, made once: base64 lines for SEND and SPOL.
  const textAttachment = attachment && tx !== 'MAIL' ? ebcdicLines(`${base64Lines(attachment)}${NL}`, ccsid) : null;

  const requests = mails.map((mail, i): LoadRequest => {
    switch (tx) {
      case 'MAIL': {
        const commarea = buildMailCommarea(
          {
            from: mail.from,
            to: mail.to.join(', '),
            ...(mail.cc.length > 0 ? { cc: mail.cc.join(', ') } : {}),
            subject: mail.subject,
            importance: mail.importance,
            bodyFormat: mail.html ? 'H' : 'T',
            body: mail.html ? htmlOf(mail.body) : mail.body,
          },
          ccsid,
        );
        if (!attachment) return request(path, { parts: [commarea], contentType: 'application/octet-stream' });
        return request(
          path,
          channelOf([
            { name: 'DFHCOMMAREA', contentType: 'application/octet-stream', data: commarea },
            {
              name: 'ATTACH',
              contentType: 'application/octet-stream',
              filename: `load-${i + 1}.bin`,
              data: attachment,
            },
          ]),
        );
      }
      case 'SEND': {
        const statements = sendStatements(mail);
        if (!textAttachment) return request(path, textTaskBody([ebcdicLines(statements, ccsid)], ccsid));
        const head = ebcdicLines(
          `${statements}${NL}ATTACH NAME=load-${i + 1}.bin TYPE=application/octet-stream ENCODING=BASE64`,
          ccsid,
        );
        return request(path, textTaskBody([head, textAttachment, ebcdicLines('ENDATTACH', ccsid)], ccsid));
      }
      case 'SPOL': {
        if (!textAttachment)
          return request(path, textTaskBody([ebcdicLines(`${spoolStream(mail, null)}${NL}.${NL}QUIT`, ccsid)], ccsid));
        const boundary = `part-${i + 1}-${randomBytes(6).toString('hex')}`;
        const head = ebcdicLines(
          `${spoolStream(mail, boundary)}${NL}--${boundary}${NL}Content-Type: application/octet-stream; ` +
            `name="load-${i + 1}.bin"${NL}Content-Transfer-Encoding: base64${NL}Content-Disposition: attachment; filename="load-${i + 1}.bin"${NL}`,
          ccsid,
        );
        return request(
          path,
          textTaskBody([head, textAttachment, ebcdicLines(`--${boundary}--${NL}.${NL}QUIT`, ccsid)], ccsid),
        );
      }
    }
  });
  return {
    tx,
    ccsid,
    size: requests.length,
    headers: { 'x-cics-ccsid': String(ccsid), 'x-cics-jobname': options.jobname ?? 'CICSLOAD' },
    get: (i) => requests[i % requests.length] as LoadRequest,
    meanBytes: Math.round(requests.reduce((n, r) => n + r.bytes, 0) / requests.length),
  };
}

export interface ViewPayloadOptions {
  readonly tranid: string;
  readonly ccsid: number;
  /** The COMMAREAs as JSON views, sent in turn. */
  readonly views: readonly unknown[];
  /** Their copybook: each is sent as its EBCDIC bytes; absent: as JSON, which the region lays out. */
  readonly copybook?: RecordLayout;
  /** Bytes of an attachment on every request (0: none): a BIT container on a channel. */
  readonly attachment?: number;
  readonly jobname?: string;
}

/**
 * Requests of any transaction with a copybook (MAIL, a transaction of the shop's own) from
 * COMMAREAs given as JSON views. A view that does not fit the copybook is a FieldError naming
 * its item, before anything is sent.
 */
export function buildViewPayloads(options: ViewPayloadOptions): PayloadPool {
  const { tranid, ccsid, views, copybook } = options;
  if (views.length === 0) throw new Error('no COMMAREAs to send');
  const attachment = options.attachment && options.attachment > 0 ? randomBytes(options.attachment) : null;
  const path = `/cics/${tranid}`;
  const cp = codePage(ccsid);
  const requests = views.map((view, i): LoadRequest => {
    const commarea = copybook
      ? { contentType: 'application/octet-stream', data: jsonToRecord(view, copybook, cp).bytes }
      : { contentType: 'application/json', data: Buffer.from(JSON.stringify(view), 'utf8') };
    if (!attachment) return request(path, { parts: [commarea.data], contentType: commarea.contentType });
    return request(
      path,
      channelOf([
        { name: 'DFHCOMMAREA', ...commarea },
        { name: 'ATTACH', contentType: 'application/octet-stream', filename: `load-${i + 1}.bin`, data: attachment },
      ]),
    );
  });
  return {
    tx: tranid,
    ccsid,
    size: requests.length,
    headers: { 'x-cics-ccsid': String(ccsid), 'x-cics-jobname': options.jobname ?? 'CICSLOAD' },
    get: (i) => requests[i % requests.length] as LoadRequest,
    meanBytes: Math.round(requests.reduce((n, r) => n + r.bytes, 0) / requests.length),
  };
}

/** The record layout of a copybook file (--copybook, the bench's shop transaction). */
export function copybookLayout(path: string): RecordLayout {
  return copybookFile(resolve(path)).layout;
}

/** `10k`, `10m`, `2048`, `1.5MB`: bytes (k and m are 1024 and 1024²). */
export function parseSize(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)(i?b)?$/i.exec(text.trim());
  if (!m) return undefined;
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Math.round(Number(m[1]) * unit);
}
