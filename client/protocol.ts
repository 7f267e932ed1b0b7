// The region's HTTP protocol as its callers speak it (docs/http.md): the headers a task
// request carries, and what the headers of an answer say. Every command, redrive, the
// load generator and the example use this one module.

/** Header names, in the lower case Node.js gives them. */
export const HEADER = {
  ccsid: 'x-cics-ccsid',
  jobname: 'x-cics-jobname',
  /** An administrator runs the task as this user (a surrogate). */
  userid: 'x-cics-userid',
  resp: 'x-cics-resp',
  abcode: 'x-cics-abcode',
  taskn: 'x-cics-taskn',
  mailRc: 'x-mail-rc',
  journalSeq: 'x-journal-seq',
  sysid: 'x-cics-sysid',
  /** SEND, SPOL: the mail of the input to start at; on an answer, the first mail its time limit left. */
  fromMail: 'x-mail-from-mail',
} as const;

/** HTTP Basic credentials from `ID:PASSWORD`. */
export function basicAuthorization(user: string): string {
  return `Basic ${Buffer.from(user, 'utf8').toString('base64')}`;
}

/** What a task request says beside its body. */
export interface TaskOptions {
  readonly contentType: string;
  readonly ccsid?: number;
  readonly jobname?: string;
  /** Run the task as this user (the caller must be an administrator). */
  readonly userid?: string;
  readonly authorization?: string;
  /** The request key (Idempotency-Key): a repeat with it hears the first answer and sends nothing. */
  readonly key?: string;
  /** SEND, SPOL: start at this mail of the input (1 the first): where an earlier run stopped. */
  readonly fromMail?: number;
}

export function taskHeaders(options: TaskOptions): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': options.contentType };
  if (options.ccsid !== undefined) headers[HEADER.ccsid] = String(options.ccsid);
  if (options.jobname) headers[HEADER.jobname] = options.jobname;
  if (options.userid) headers[HEADER.userid] = options.userid;
  if (options.authorization) headers.authorization = options.authorization;
  if (options.key !== undefined) headers['idempotency-key'] = options.key;
  if (options.fromMail !== undefined) headers[HEADER.fromMail] = String(options.fromMail);
  return headers;
}

/** What an answer's headers say of the task. */
export interface TaskAnswer {
  readonly status: number;
  /** X-CICS-Resp, else `HTTP <status>` where the answer is not the region's. */
  readonly resp: string;
  readonly abcode: string | null;
  /** X-Mail-RC, where a mail program ran. */
  readonly rc: number | null;
  /** X-Journal-Seq: the journal records of the task's mails. */
  readonly seqs: readonly number[];
  readonly taskn: number | null;
  /** X-CICS-Sysid: the region that answered (behind a load balancer, one of several). */
  readonly sysid: string | null;
}

/** Headers as fetch() gives them, or as Node.js's http module does (any case, maybe repeated). */
export type AnswerHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

function headerReader(headers: AnswerHeaders): (name: string) => string | undefined {
  if (headers instanceof Headers) return (name) => headers.get(name) ?? undefined;
  const lower = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const first = typeof value === 'string' ? value : value?.[0];
    if (first !== undefined) lower.set(name.toLowerCase(), first);
  }
  return (name) => lower.get(name);
}

const wholeNumber = (text: string | undefined): number | null =>
  text !== undefined && /^\d{1,15}$/.test(text.trim()) ? Number(text) : null;

export function answerOf(status: number, headers: AnswerHeaders): TaskAnswer {
  const header = headerReader(headers);
  const seqs = header(HEADER.journalSeq);
  return {
    status,
    resp: header(HEADER.resp) ?? `HTTP ${status}`,
    abcode: header(HEADER.abcode) ?? null,
    rc: wholeNumber(header(HEADER.mailRc)),
    seqs: seqs
      ? seqs
          .split(',')
          .map(wholeNumber)
          .filter((n): n is number => n !== null && n > 0)
      : [],
    taskn: wholeNumber(header(HEADER.taskn)),
    sysid: header(HEADER.sysid) ?? null,
  };
}

/** The outcome as people compare it: `RC 0`, `NORMAL` (no RC), `INVREQ AICA`, `HTTP 502`. */
export function outcomeOf(answer: TaskAnswer): string {
  if (answer.status === 200) return answer.rc === null ? 'NORMAL' : `RC ${answer.rc}`;
  return answer.abcode ? `${answer.resp} ${answer.abcode}` : answer.resp;
}

/** A refusal's body as one line: `INVREQ AEIP: what was wrong`, or the text as it came. */
export function refusalText(body: string): string {
  try {
    const json = JSON.parse(body) as { resp?: unknown; abcode?: unknown; message?: unknown };
    if (typeof json.message === 'string') {
      const resp =
        typeof json.resp === 'string'
          ? `${json.resp}${typeof json.abcode === 'string' ? ` ${json.abcode}` : ''}: `
          : '';
      return `${resp}${json.message}`;
    }
  } catch {
    // not the region's JSON: shown as it came
  }
  return body.slice(0, 300).replace(/\s+/g, ' ').trim();
}
