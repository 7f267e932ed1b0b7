// START requests (EXEC CICS START ... INTERVAL/TIME): a transaction to run later, with its
// data, kept in the journal's LMDB environment from the moment it is asked for (a commit is
// a flush: the caller hears 202 only once it is on disk) until it has run or was cancelled.
// A START is claimed (RUNNING) in a commit before its task is dispatched, so that it runs
// once: one found RUNNING at start lost its task to a crash and is not run again
// (INTERRUPTED; the mail it may have accepted is the retry spool's).
import type { Database } from 'lmdb';
import type { CommareaInput, Container } from '../cics/task.js';
import type { LoggedOutcome } from './task-log.js';
import { entryCount } from './entry-count.js';

export type StartState = 'WAITING' | 'RUNNING' | 'RAN' | 'CANCELLED' | 'INTERRUPTED';

/** What a START asks for: its task's input, as the request gave it. */
export interface StartRequest {
  readonly tranid: string;
  readonly userid: string;
  readonly jobname: string;
  readonly ccsid: number;
  /** The address the START came from (what the task's records name as its remote). */
  readonly remote: string;
  readonly commarea: CommareaInput;
  readonly containers: readonly Container[];
}

export interface StartEntry {
  readonly reqid: string;
  /** The region that took the START. */
  readonly sysid?: string;
  readonly tranid: string;
  readonly userid: string;
  readonly jobname: string;
  /** When it was asked for (ISO 8601) and when it falls due (epoch ms). */
  readonly requestedAt: string;
  readonly dueAt: number;
  readonly state: StartState;
  /** The COMMAREA's bytes (0 for a JSON view) and the channel's containers. */
  readonly commareaBytes: number;
  readonly containerCount: number;
  /** The task's input: kept while the START waits or runs, dropped once it ended. */
  readonly request?: StartRequest;
  /** Once ended: when, and for a task that ran its number, outcome and mails. */
  readonly endedAt?: string;
  readonly taskn?: number;
  readonly outcome?: LoggedOutcome;
  readonly journalSeqs?: readonly number[];
  /** Who cancelled it. */
  readonly cancelledBy?: string;
}

/** An ended START: what became of its task. */
export interface StartEnd {
  readonly taskn: number;
  readonly outcome: LoggedOutcome;
  readonly journalSeqs: readonly number[];
}

/** A write transaction of about `bytes` past what the index pages need (the journal refuses one the disk has no room for). */
type Write = <T>(action: () => T, bytes?: number) => Promise<T>;
/** A waiting START by when it falls due; the earliest first. */
type DueKey = [number, string];

/** Generated REQIDs: S and seven digits, counted in the journal's meta. */
const GENERATED = 'lastStart';
const REQIDS = 10_000_000;
const generated = (n: number) => `S${String(n % REQIDS).padStart(7, '0')}`;

const live = (entry: StartEntry | undefined) => entry?.state === 'WAITING' || entry?.state === 'RUNNING';

export class StartLog {
  readonly #db: Database<StartEntry, string>;
  readonly #due: Database<null, DueKey>;
  readonly #meta: Database<number, string>;
  readonly #write: Write;
  readonly #owner: { readonly sysid?: string };

  constructor(
    db: Database<StartEntry, string>,
    due: Database<null, DueKey>,
    meta: Database<number, string>,
    write: Write,
    sysid?: string,
  ) {
    this.#db = db;
    this.#due = due;
    this.#meta = meta;
    this.#write = write;
    this.#owner = sysid === undefined ? {} : { sysid };
  }

  /**
   * Keeps a START, due at `dueAt`, under `reqid` or one made for it; resolves once on disk.
   * `in use` where a START of that REQID waits or runs (an ended one's record is replaced).
   */
  add(request: StartRequest, dueAt: number, at: Date, reqid?: string): Promise<StartEntry | 'in use'> {
    let bytes = request.commarea.form === 'bytes' ? request.commarea.bytes.byteLength : 0;
    for (const c of request.containers) bytes += c.data.byteLength;
    return this.#write(() => {
      let id = reqid;
      if (id === undefined) {
        let n = this.#meta.get(GENERATED) ?? 0;
        // A REQID a caller chose may be one the count reaches: skip those still live.
        for (let tries = 0; tries < REQIDS; tries++) if (!live(this.#db.get(generated(++n)))) break;
        void this.#meta.put(GENERATED, n);
        id = generated(n);
      } else if (live(this.#db.get(id))) return 'in use';
      const entry: StartEntry = {
        reqid: id,
        ...this.#owner,
        tranid: request.tranid,
        userid: request.userid,
        jobname: request.jobname,
        requestedAt: at.toISOString(),
        dueAt,
        state: 'WAITING',
        commareaBytes: request.commarea.form === 'bytes' ? request.commarea.bytes.byteLength : 0,
        containerCount: request.containers.length,
        request,
      };
      void this.#db.put(id, entry);
      void this.#due.put([dueAt, id], null);
      return entry;
    }, bytes);
  }

  get(reqid: string): StartEntry | undefined {
    return this.#db.get(reqid);
  }

  /** The STARTs waiting, earliest due first: after the one of `after` (paging), `limit` at most. */
  waiting(limit: number, after?: { readonly dueAt: number; readonly reqid: string }): StartEntry[] {
    const out: StartEntry[] = [];
    const range = after ? { start: [after.dueAt, after.reqid] as DueKey } : {};
    for (const key of this.#due.getKeys(range)) {
      if (after && key[0] === after.dueAt && key[1] === after.reqid) continue;
      const entry = this.#db.get(key[1]);
      if (entry) out.push(entry);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** Every START on record, by REQID: `limit` at most, after `after`. */
  all(limit: number, after?: string): StartEntry[] {
    const out: StartEntry[] = [];
    for (const { key, value } of this.#db.getRange(after !== undefined ? { start: after } : {})) {
      if (key === after) continue;
      out.push(value);
      if (out.length >= limit) break;
    }
    return out;
  }

  /** How many wait. */
  waitingCount(): number {
    return entryCount(this.#due);
  }

  /** REQIDs of the STARTs due by `now`, earliest first, `limit` at most. */
  due(now: number, limit: number): string[] {
    const out: string[] = [];
    // Past every REQID of `now`: a REQID is at most 8 characters.
    for (const key of this.#due.getKeys({ end: [now, '\uffff'], limit })) out.push(key[1]);
    return out;
  }

  /** When the next START falls due (epoch ms), or null where none waits. */
  nextDue(): number | null {
    for (const key of this.#due.getKeys({ limit: 1 })) return key[0];
    return null;
  }

  /** Takes a waiting START to run it (RUNNING, committed); undefined where it no longer waits. */
  claim(reqid: string): Promise<StartEntry | undefined> {
    return this.#write(() => {
      const entry = this.#db.get(reqid);
      if (entry?.state !== 'WAITING') return undefined;
      const running: StartEntry = { ...entry, state: 'RUNNING' };
      void this.#db.put(reqid, running);
      void this.#due.remove([entry.dueAt, reqid]);
      return running;
    });
  }

  /** A claimed START's task ended: RAN, with what became of it; its input is dropped. */
  settle(reqid: string, end: StartEnd, at: Date): Promise<StartEntry | undefined> {
    return this.#write(() => {
      const entry = this.#db.get(reqid);
      if (entry?.state !== 'RUNNING') return undefined;
      const { request: _input, ...rest } = entry;
      const ran: StartEntry = { ...rest, state: 'RAN', endedAt: at.toISOString(), ...end };
      void this.#db.put(reqid, ran);
      return ran;
    });
  }

  /**
   * Cancels a waiting START (CANCEL REQID): CANCELLED, its input dropped. Returns the START
   * as it is after and whether this cancelled it (not where it ran or ended before), or
   * undefined where there is none of that REQID.
   */
  cancel(
    reqid: string,
    by: string,
    at: Date,
  ): Promise<{ readonly entry: StartEntry; readonly cancelled: boolean } | undefined> {
    return this.#write(() => {
      const entry = this.#db.get(reqid);
      if (entry === undefined) return undefined;
      if (entry.state !== 'WAITING') return { entry, cancelled: false };
      const { request: _input, ...rest } = entry;
      const cancelled: StartEntry = { ...rest, state: 'CANCELLED', endedAt: at.toISOString(), cancelledBy: by };
      void this.#db.put(reqid, cancelled);
      void this.#due.remove([entry.dueAt, reqid]);
      return { entry: cancelled, cancelled: true };
    });
  }

  /** Removes STARTs that ended (RAN, CANCELLED, INTERRUPTED) before `before` (epoch ms), `limit` at most. */
  prune(before: number, limit = 10_000): Promise<number> {
    const cutoff = new Date(before).toISOString();
    return this.#write(() => {
      let n = 0;
      for (const { key, value } of this.#db.getRange({})) {
        if (n >= limit) break;
        if (value.endedAt === undefined || value.endedAt >= cutoff || live(value)) continue;
        void this.#db.remove(key);
        n++;
      }
      return n;
    });
  }

  /**
   * At start, before any START runs: those still RUNNING lost their task with the region
   * that ran it; INTERRUPTED, never run twice. Returns their REQIDs.
   */
  interrupted(at: Date): Promise<string[]> {
    return this.#write(() => {
      const out: string[] = [];
      for (const { key, value } of this.#db.getRange({})) {
        if (value.state !== 'RUNNING') continue;
        const { request: _input, ...rest } = value;
        void this.#db.put(key, { ...rest, state: 'INTERRUPTED', endedAt: at.toISOString() });
        out.push(key);
      }
      return out;
    });
  }
}
