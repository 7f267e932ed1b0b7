// The piscina worker: runs one task of any program. Programs are modules whose default
// export takes a ProgramContext and resolves with a TaskResult; each is loaded once. A
// COMMAREA sent as JSON is laid out through the transaction's copybook here, and the
// program's answer turned back into JSON, so programs only ever see bytes.
import { threadId } from 'node:worker_threads';
import { workerData } from 'piscina';
import { JournalError } from '../journal/errors.js';
import { codePage } from '../cics/codepages.js';
import { FieldError } from '../cics/copybook/errors.js';
import { jsonToRecord, recordToJson } from '../cics/copybook/json.js';
import { copybook } from '../cics/copybook/library.js';
import type { RecordLayout } from '../cics/copybook/layout.js';
import type { ProgramContext, TaskRequest, TaskResult } from '../cics/task.js';
import { BEAT_MS, TaskSlots } from '../cics/task-slots.js';
import { RATE_WINDOW_MS, UserRate } from '../cics/user-rate.js';
import { partKey, type RequestKeyRef, type TaskKey } from '../cics/request-key.js';
import { fieldCondition } from './errors.js';
import { dropOrphanCommitFailures } from '../journal/commit-failure.js';
import { MemoryRelease } from './release-memory.js';
import { exposeCollector } from '../cics/collect.js';
import { closeOnShutdown, createServices, type Services, type WorkerConfig } from './services.js';
import { settlesBy } from './mail/deliver.js';
import { normalAnswer } from '../cics/task-answer.js';

export type Program = (ctx: ProgramContext<Services>) => Promise<TaskResult>;

// This thread's own choices, as the entry of a worker: lmdb-js's unheld rejections after a
// failed commit do not end it, and gc() is there for the collection after a large task.
dropOrphanCommitFailures();
const collect = exposeCollector();
const memory = new MemoryRelease(() => collect());

const config = workerData as WorkerConfig & { taskSlots: SharedArrayBuffer; userRate: SharedArrayBuffer };
const services = createServices(config);
closeOnShutdown(services);
const slots = new TaskSlots(config.taskSlots);
const userRate = new UserRate(config.userRate);
const programs = new Map<string, Promise<Program>>();

function load(url: string): Promise<Program> {
  let program = programs.get(url);
  if (!program) {
    program = import(url).then((mod: { default?: unknown }) => {
      if (typeof mod.default !== 'function') throw new Error(`program ${url} has no default export function`);
      return mod.default as Program;
    });
    programs.set(url, program);
  }
  return program;
}

function layoutOf(request: TaskRequest): RecordLayout | null {
  return request.copybook ? copybook(request.copybook) : null;
}

/** The COMMAREA's bytes, or the condition that says why the JSON does not fit. */
function layOut(request: TaskRequest): { bytes: Uint8Array; substitutions: number } | TaskResult {
  if (request.commarea.form === 'bytes') return { bytes: request.commarea.bytes, substitutions: 0 };
  const layout = layoutOf(request);
  if (!layout) {
    return {
      kind: 'condition',
      condition: 'INVREQ',
      message: `transaction ${request.eib.eibtrnid} has no copybook: send its COMMAREA as application/octet-stream`,
    };
  }
  try {
    return jsonToRecord(request.commarea.json, layout, codePage(request.ccsid), {
      substitutable: new Set(request.substitutable),
    });
  } catch (err) {
    if (err instanceof FieldError) return fieldCondition(err);
    throw err;
  }
}

export default async function runTask(request: TaskRequest): Promise<TaskResult> {
  if (!slots.claim(request.eib.eibtaskn, threadId)) {
    // The region gave up on it while it queued, and has answered AICA: do not run it.
    return { kind: 'abend', abcode: 'AICA', message: `task ${request.eib.eibtaskn} was cancelled before it started` };
  }
  let timer: NodeJS.Timeout | undefined;
  let committed = false;
  // The time limit answered AICA: the program, which runs on, may journal nothing.
  let ended = false;
  let beating: NodeJS.Timeout | undefined;
  const beat = () => {
    if (beating !== undefined) return;
    const taskn = request.eib.eibtaskn;
    slots.beat(taskn);
    beating = setInterval(() => slots.beat(taskn), BEAT_MS);
    beating.unref();
  };
  // The settles of a keyed task's mails: written, and the last one held (TaskKey.settling).
  const settles: Settles = { written: [], held: undefined };
  try {
    const area = layOut(request);
    if ('kind' in area) return area;
    // Every program, the shop's own too, starts here: a check that must come before any
    // program runs (a request key's) goes here.
    const program = await load(request.program);
    // The limit counts from here, in the region too: a thread's first load of a program took
    // most of a 2 s limit on a busy machine, and SEND then took no mail at all.
    slots.started(request.eib.eibtaskn);
    const deadline = Date.now() + request.timeLimitMs;
    // The time limit where the program awaits; a program that never yields is ended by the
    // region, which terminates this thread. A committed task is past it: on a starved
    // thread the limit's timer can come due in the same turn as the relay's answer.
    const overtime = new Promise<TaskResult>((resolve) => {
      timer = setTimeout(() => {
        if (committed) return;
        ended = true;
        resolve({
          kind: 'abend',
          abcode: 'AICA',
          message: `task ${request.eib.eibtaskn} ran past its time limit of ${request.timeLimitMs} ms`,
        });
      }, request.timeLimitMs);
    });
    const ctx: ProgramContext<Services> = {
      eib: { ...request.eib, eibcalen: area.bytes.byteLength },
      deadline,
      ccsid: request.ccsid,
      commarea: area.bytes,
      containers: request.containers,
      substitutions: area.substitutions,
      security: request.security,
      services,
      ...(request.copy ? { copy: request.copy } : {}),
      ...(request.copybook ? { copybook: request.copybook } : {}),
      committed: () => {
        if (ended) return false;
        if (committed) return true;
        committed = true;
        beat();
        return true;
      },
      now: Date.now,
      takeMail: () => {
        const rate = request.rate;
        return rate === undefined || userRate.take(rate.slot, rate.max, RATE_WINDOW_MS, Date.now());
      },
      ...(request.requestKey ? { requestKey: taskKey(request.requestKey, services.journal, settles) } : {}),
      ...(request.fromMail !== undefined ? { fromMail: request.fromMail } : {}),
    };
    const result = await Promise.race([program(ctx), overtime]);
    const layout = result.kind === 'normal' && request.commarea.form === 'json' ? layoutOf(request) : null;
    const final =
      result.kind !== 'normal' || !layout
        ? result
        : { ...result, json: recordToJson(result.commarea, layout, codePage(request.ccsid)) };
    if (!request.requestKey) return final;
    // The region waits for the key's answer as for a mail under way: this thread beats.
    beat();
    return await keyedEnd(request, request.requestKey.ref, final, settles, deadline);
  } catch (err) {
    if (err instanceof JournalError && err.code === 'CICSMAIL_JOURNAL_FULL') {
      return { kind: 'condition', condition: 'NOSPACE', message: err.message };
    }
    const e = err as Error;
    return { kind: 'abend', abcode: 'ASRA', message: `program failed: ${e?.message ?? String(err)}` };
  } finally {
    // A task that ended otherwise (a throw, a full disk at its next mail) still writes its
    // last mail's settle: the relay has that mail, and unsettled the retry spool sends it again.
    writeHeld(settles);
    clearTimeout(timer);
    clearInterval(beating);
    memory.afterTask(inputBytes(request));
  }
}

/** A keyed task's settles: those written (each waited for at its end), and the last one, held. */
interface Settles {
  readonly written: Promise<void>[];
  held: (() => Promise<void>) | undefined;
}

/** Writes the held settle, if any (a later mail's comes, or the task ends without an answer to keep). */
function writeHeld(settles: Settles): void {
  const submit = settles.held;
  settles.held = undefined;
  if (!submit) return;
  const written = submit();
  // Waited for at the task's end; handled now, so that a failure is not unhandled meanwhile.
  written.catch(() => undefined);
  settles.written.push(written);
}

/**
 * The end of a task with a request key. One that ran to its end keeps its answer for the
 * key, the bytes the region answers (normalAnswer), written from here in the same turn as
 * its last mail's settle: lmdb-js puts the writes of one turn in one commit, commits one
 * thread's writes in the order submitted and resolves a write only once its commit is
 * synced, so that commit is the task's one wait for the disk, and the caller never hears
 * an answer whose mail is not settled on disk. A task its time limit stopped between mails
 * keeps no answer (it goes on where it stopped). The settles are waited for after it in any
 * case, as a mail without a key waits for its own: done already where the answer was written.
 */
async function keyedEnd(
  request: TaskRequest,
  ref: RequestKeyRef,
  result: TaskResult,
  settles: Settles,
  deadline: number,
): Promise<TaskResult> {
  writeHeld(settles);
  let keyAnswer: Extract<TaskResult, { kind: 'normal' }>['keyAnswer'];
  if (result.kind === 'normal' && result.fromMail === undefined) {
    const { eib } = request;
    const answer = normalAnswer({ tranid: eib.eibtrnid, taskn: eib.eibtaskn, form: request.commarea.form }, result);
    keyAnswer = await services.journal.keys
      .answered(ref, { userid: eib.eibusrid, tranid: eib.eibtrnid, taskn: eib.eibtaskn }, answer)
      .then(
        () => ({ kept: true }) as const,
        // The mails stand, settled or the retry spool's: the region says what failed.
        (err: unknown) => {
          if (!(err instanceof JournalError)) throw err;
          return { kept: false, code: err.code, message: err.message } as const;
        },
      );
  }
  await settlesBy(settles.written, deadline);
  return keyAnswer && result.kind === 'normal' ? { ...result, keyAnswer } : result;
}

/**
 * The task's key, handing out the mails of an earlier run one at a time: those journaled
 * under the request's key in order, a burst part's by its part key (partKey).
 */
function taskKey(
  given: NonNullable<TaskRequest['requestKey']>,
  journal: Pick<Services['journal'], 'get'>,
  settles: Settles,
): TaskKey {
  let byKey: Map<string, number[]> | undefined;
  const take = (key: string): number | undefined => {
    // Read once, at the first ask, and only where there was an earlier run: one read a mail.
    if (byKey === undefined) {
      byKey = new Map();
      for (const seq of given.earlier) {
        // A record no longer kept counts as the request's own: its place in the order is all there is.
        const k = journal.get(seq)?.requestKey ?? given.ref.key;
        const list = byKey.get(k);
        if (list) list.push(seq);
        else byKey.set(k, [seq]);
      }
    }
    return byKey.get(key)?.shift();
  };
  const keyed = (recordKey: string): TaskKey => ({
    ref: given.ref,
    recordKey,
    earlier: () => (given.earlier.length === 0 ? undefined : take(recordKey)),
    part: (index) => keyed(partKey(given.ref.key, index)),
    settling: (submit) => {
      // The mail before goes to disk now: at most one mail of a task is unsettled at a time.
      writeHeld(settles);
      settles.held = submit;
    },
  });
  return keyed(given.ref.key);
}

function inputBytes(request: TaskRequest): number {
  let bytes = request.commarea.form === 'bytes' ? request.commarea.bytes.byteLength : 0;
  for (const c of request.containers) bytes += c.data.byteLength;
  return bytes;
}
