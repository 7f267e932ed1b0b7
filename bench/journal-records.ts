// Journal records made up for the scale bench and tests: what a shop's region holds after
// months (many users and job names, a few tranids, recipients from a large pool, mostly
// SENT with some FAILED, DEFERRED, ACCEPTED and DENIED), each a function of its number so
// that two runs build the same journal. Written through Journal.appendBatch.
import type { BatchEntry } from '../journal/journal.js';
import type { Attempt } from '../journal/record.js';
import type { NewTaskEntry } from '../journal/task-log.js';

export interface SyntheticOptions {
  /** When record 0 was accepted (epoch ms). */
  readonly start: number;
  /** Between two records. */
  readonly stepMs: number;
  /** The bytes every mail is stored with. */
  readonly message: Uint8Array;
  readonly users?: number;
  readonly jobs?: number;
  readonly recipients?: number;
  /**
   * Records accepted before this (epoch ms) are final, as a region's are once past the retry
   * limit: where they would wait (DEFERRED, ACCEPTED), they FAILED or were SENT. None where not given.
   */
  readonly finalBefore?: number;
}

/** A 2 KB mail as the region composes one (the bench's size). */
export function sampleMessage(bytes = 2001): Buffer {
  const head =
    'From: batch@corp.example\r\nTo: ops@corp.example\r\nSubject: nightly totals\r\n' +
    'Message-ID: <sample@cicsmail>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n';
  const line = 'TOTALS FOR RUN 0042: 1,234,567.89 IN 4,321 ITEMS, NO EXCEPTIONS\r\n';
  return Buffer.from((head + line.repeat(Math.ceil(bytes / line.length))).slice(0, bytes));
}

/** A fixed spread of numbers from one: the same record number gives the same record. */
function mix(n: number): number {
  let x = (n + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

const TRANIDS = ['MAIL', 'MAIL', 'MAIL', 'SEND', 'SPOL'];

/** Where a made-up record's recipient is numbered `r`. */
export function syntheticRecipient(r: number): string {
  return `user${r}@corp.example`;
}

/** The Message-ID of made-up record `i` (numbered from 0: sequence number i + 1 in a journal built from empty). */
export function syntheticMessageId(i: number): string {
  return `<${i}.${mix(i)}@scale.cicsmail>`;
}

/** A task log entry of the task that made record `seq`, started at `at` (epoch ms). */
export function syntheticTask(seq: number, at: number): NewTaskEntry {
  return {
    at: new Date(at).toISOString(),
    taskn: seq,
    tranid: 'MAIL',
    userid: 'USER1',
    jobname: 'JOB1',
    ccsid: 37,
    commarea: { form: 'json', json: {} },
    containers: [],
    outcome: { kind: 'normal', rc: 0 },
    journalSeqs: [seq],
    durationMs: 2,
  };
}

/** Records `from` to `from + count - 1` (numbered from 0), as batch entries. */
export function syntheticEntries(from: number, count: number, options: SyntheticOptions): BatchEntry[] {
  const users = options.users ?? 200;
  const jobs = options.jobs ?? 200;
  const pool = options.recipients ?? 100_000;
  const out: BatchEntry[] = [];
  for (let i = from; i < from + count; i++) {
    const h = mix(i);
    const at = options.start + i * options.stepMs;
    const userid = `USER${h % users}`;
    const jobname = `JOB${(h >>> 3) % jobs}`;
    const tranid = TRANIDS[(h >>> 7) % TRANIDS.length] as string;
    const kind = (h >>> 11) % 1000;
    const to = Array.from({ length: 1 + ((h >>> 21) % 3) }, (_, k) => syntheticRecipient(mix(i * 3 + k) % pool));
    if (kind < 10) {
      out.push({
        at,
        denied: {
          tranid,
          taskn: i,
          userid,
          jobname,
          ccsid: 37,
          envelope: { from: 'batch@corp.example', to },
          subject: `nightly totals ${i}`,
          denial: { reason: 'NOTALLOWED', detail: `${userid} may not run ${tranid}`, remote: '10.1.2.3', count: 1 },
        },
      });
      continue;
    }
    const settled = at < (options.finalBefore ?? -Infinity);
    const when = new Date(at + 40).toISOString();
    const sent: Attempt = {
      at: when,
      relay: 'smtp://relay',
      outcome: 'sent',
      reply: '250 2.0.0 Ok',
      via: 'task',
      accepted: to,
    };
    const attempt: Attempt =
      kind < 30
        ? { at: when, relay: 'smtp://relay', outcome: 'failed', reply: '554 5.7.1 refused', via: 'task', accepted: [] }
        : kind < 40
          ? {
              at: when,
              relay: 'smtp://relay',
              // Past the retry limit a deferred mail has failed.
              outcome: settled ? 'failed' : 'deferred',
              reply: '451 4.3.0 later',
              via: settled ? 'retry' : 'task',
              accepted: [],
            }
          : sent;
    out.push({
      at,
      origin: {
        tranid,
        taskn: i,
        userid,
        jobname,
        ccsid: 37,
        envelope: { from: 'batch@corp.example', to },
        subject: `nightly totals ${i}`,
        attachments: 0,
        messageId: syntheticMessageId(i),
      },
      message: options.message,
      // A few never tried: their task is still running (ACCEPTED).
      attempts: kind < 45 && kind >= 40 && !settled ? [] : [attempt],
    });
  }
  return out;
}
