// What crosses the thread boundary between the region and the programs in its worker
// pool. Expected outcomes travel as tagged results (errors lose their fields on the way,
// piscina#141); a throw from a program is a bug and becomes ASRA.
import type { CopybookRef } from './copybook/library.js';
import type { ProgramCopy } from './program-copy.js';
import type { RequestKeyRef, TaskKey } from './request-key.js';

/** The largest COMMAREA CICS passes (32 KB less the 5 bytes of its own prefix). */
export const MAX_COMMAREA = 32_763;

/** The EXEC Interface Block of a task, as a program sees it. */
export interface Eib {
  /** Transaction id, e.g. `MAIL`. */
  readonly eibtrnid: string;
  /** Task number, from 1 in each region run. */
  readonly eibtaskn: number;
  /** Length of the COMMAREA. */
  readonly eibcalen: number;
  /** Date the task started, 0CYYDDD (C = 1 for 20xx) as CICS keeps it. */
  readonly eibdate: number;
  /** Time the task started, 0HHMMSS. */
  readonly eibtime: number;
  /** The user the task runs for. */
  readonly eibusrid: string;
  /** The calling job's or program's name (X-CICS-Jobname), blank where none was given. */
  readonly eibjobnm: string;
}

/** The COMMAREA as the caller sent it: bytes, or the JSON view of its copybook. */
export type CommareaInput =
  { readonly form: 'bytes'; readonly bytes: Uint8Array } | { readonly form: 'json'; readonly json: unknown };

/** The container a text transaction (SEND, SPOL) reads its input from, where it is longer than a COMMAREA. */
export const INPUT_CONTAINER = 'INPUT';

/** A container of a channel: CHAR (EBCDIC text in `ccsid`) or BIT (bytes as they are). */
export interface Container {
  readonly name: string;
  readonly kind: 'char' | 'bit';
  readonly ccsid: number;
  /** The part's Content-Type as sent. */
  readonly contentType: string;
  /** The part's file name, where it gave one. */
  readonly filename: string | null;
  readonly data: Uint8Array;
}

/** What the task's user may send: the region's limits narrowed by the user's entry. */
export interface TaskSecurity {
  /** Senders the user may use (addresses and `*` patterns). */
  readonly senders: readonly string[];
  readonly defaultSender: string | null;
  readonly policy: 'verify' | 'replace';
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
  /** Recipient domains allowed (patterns); empty: any. */
  readonly recipientDomains: readonly string[];
  /** Where the caller is (its address), for the audit trail. */
  readonly remote: string;
}

export interface TaskRequest {
  /** URL of the program module the worker runs. */
  readonly program: string;
  /** The copybook of the COMMAREA, where the transaction has one. */
  readonly copybook: CopybookRef | null;
  /** Text items of the copybook where an unmappable character may become SUB. */
  readonly substitutable: readonly string[];
  readonly eib: Eib;
  /** Code page of the COMMAREA's text. */
  readonly ccsid: number;
  readonly commarea: CommareaInput;
  readonly containers: readonly Container[];
  /** Milliseconds the task may run before it ends with AICA. */
  readonly timeLimitMs: number;
  readonly security: TaskSecurity;
  /** A shop's program (templates, a module): the copy current when the task started. */
  readonly copy?: ProgramCopy;
  /** The request's key, and the mails an earlier run under it journaled (request-key.ts). */
  readonly requestKey?: { readonly ref: RequestKeyRef; readonly earlier: readonly number[] };
  /** X-Mail-From-Mail: a text transaction (SEND, SPOL) starts at this mail of its input (1 the first). */
  readonly fromMail?: number;
  /** The user's rate limit, where they have one: their slot in the shared counts (user-rate.ts) and the most a minute. */
  readonly rate?: { readonly slot: number; readonly max: number };
}

/**
 * A condition a program raises for its caller (RESP); the region maps it to HTTP.
 * NOSPACE: the journal could not take the mail (disk full); nothing of it was written.
 */
export type TaskCondition = 'LENGERR' | 'INVREQ' | 'NOSPACE';

export type TaskResult =
  | {
      readonly kind: 'normal';
      readonly commarea: Uint8Array;
      /** The JSON view of `commarea`, where the request came as JSON. */
      readonly json?: { readonly [key: string]: unknown };
      /** Journal sequence numbers of the mails the task wrote. */
      readonly journalSeqs: readonly number[];
      /** The highest RC of the task's mails (X-Mail-RC), where it reports one. */
      readonly mailRc?: number;
      /** MAIL's reason and what it says in words (X-Mail-Reason, X-Mail-Reason-Text): MC-REASON and MC-RELAY-REPLY. */
      readonly mailReason?: { readonly code: string; readonly text: string };
      /** Reply classes (2xx, 4xx, 5xx, none) of the relay's answers to the task's mails, for the metrics. */
      readonly smtpReplies?: readonly string[];
      /**
       * The task's time limit stopped it between mails: the first mail of its input it did not
       * take (X-Mail-From-Mail of the answer). Such an answer is partly done: a request key
       * does not keep it, so that the same request goes on where it stopped.
       */
      readonly fromMail?: number;
      /**
       * A task with a request key that kept its answer (no fromMail): the worker wrote it for
       * the key, or could not (the journal's error, its code and message; the mails stand).
       */
      readonly keyAnswer?:
        { readonly kept: true } | { readonly kept: false; readonly code: string; readonly message: string };
    }
  | {
      readonly kind: 'condition';
      readonly condition: TaskCondition;
      readonly message: string;
      /** The COBOL data name the condition is about, where there is one. */
      readonly field?: string;
    }
  | {
      readonly kind: 'abend';
      /** ASRA: the program failed; AICA: past its time limit; AKCC: purged, the region or its class full. */
      readonly abcode: 'ASRA' | 'AICA' | 'AKCC';
      readonly message: string;
    };

/** What a program gets; `services` are the worker's own journal and SMTP pool. */
export interface ProgramContext<Services> {
  readonly eib: Eib;
  /** When the task's time limit runs out (epoch ms): answer before it, or end AICA. */
  readonly deadline: number;
  readonly ccsid: number;
  readonly commarea: Uint8Array;
  readonly containers: readonly Container[];
  /** Characters the JSON view wrote as SUB because the code page lacks them. */
  readonly substitutions: number;
  readonly security: TaskSecurity;
  readonly services: Services;
  /** A shop's program: the copy the task started with (templates, a module). */
  readonly copy?: ProgramCopy;
  /** The transaction's copybook, where it has one (a shop's program reads its COMMAREA through it). */
  readonly copybook?: CopybookRef;
  /**
   * Says that the task is about to do what cannot be undone: journal a mail (the retry spool
   * delivers it from then on, whatever becomes of the task). From then on its time limit no
   * longer ends it AICA, which would have the caller send the mail again under a new
   * Message-ID; it answers what became of the mail, late if need be. The region's hard stop
   * waits for it too as long as its thread yields; a thread that hangs is still ended.
   * False where the time limit ended the task first (it has been answered AICA): then the
   * program must journal nothing.
   */
  readonly committed: () => boolean;
  /** The task's clock (epoch ms), against `deadline`. */
  readonly now: () => number;
  /** The request's key, where it came with one. */
  readonly requestKey?: TaskKey;
  /** X-Mail-From-Mail: a text transaction starts at this mail of its input (1 the first); undefined: at the first. */
  readonly fromMail?: number;
  /**
   * Counts one more mail of the task's input against the user's rate limit (the task's
   * request counted its first); false where the user's minute is used up: take it no more.
   */
  readonly takeMail: () => boolean;
  /**
   * Asked before each mail is journaled, where a program that sends mail after mail (a shop's
   * module) set it: a refusal (RC 24: the time limit all but over, the user's minute used
   * up) is answered instead, and the mail is not taken.
   */
  readonly mailGate?: () => { readonly reason: 'NOTTAKEN' | 'MAILRATE'; readonly detail: string } | undefined;
}

/** 0CYYDDD and 0HHMMSS, as in the EIB. */
export function eibDateTime(now: Date): { eibdate: number; eibtime: number } {
  const year = now.getFullYear();
  // Counted on UTC calendar days, so a change to or from summer time cannot skew it.
  const day = (Date.UTC(year, now.getMonth(), now.getDate()) - Date.UTC(year, 0, 1)) / 86_400_000 + 1;
  const century = Math.floor(year / 100) - 19;
  return {
    eibdate: century * 100_000 + (year % 100) * 1000 + day,
    eibtime: now.getHours() * 10_000 + now.getMinutes() * 100 + now.getSeconds(),
  };
}
