// The dispatcher: gives each task its number and EIB and runs it in the worker pool under
// its transaction's time limit.
import { BroadcastChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { withoutHooks } from '../../cics/worker-entry.js';
import type { TransactionDefinition } from '../definitions.js';
import { moduleUrl } from '../../cics/paths.js';
import {
  eibDateTime,
  type CommareaInput,
  type Container,
  type Eib,
  type TaskRequest,
  type TaskResult,
  type TaskSecurity,
} from '../../cics/task.js';
import { BEAT_STALE_MS, TaskSlots } from '../../cics/task-slots.js';
import { UserRate } from '../../cics/user-rate.js';
import { admit, Gate, type Admission } from './admission.js';
import type { ClassLimits } from '../../config/region-file.js';
import type { ShutdownMessage, WorkerConfig } from '../../transactions/services.js';

export interface DispatcherOptions {
  readonly workers: number;
  readonly tasksPerWorker: number;
  readonly workerConfig: WorkerConfig;
  /** Grace after a task's time limit before its worker is ended: it may be in a loop. */
  readonly hardStopGraceMs?: number;
  /** MAXTASKS: tasks running at once in the region; default: what the workers run at once. */
  readonly maxTasks?: number;
  /** Tasks that may wait for a region slot before new ones are purged (AKCC). */
  readonly maxQueued?: number;
  readonly classes?: Readonly<Record<string, ClassLimits>>;
}

export interface TaskInput {
  readonly definition: TransactionDefinition;
  readonly commarea: CommareaInput;
  readonly containers?: readonly Container[];
  readonly ccsid: number;
  readonly userid: string;
  readonly jobname: string;
  readonly security: TaskSecurity;
  /** Memory the task's input lies in that moves to the worker instead of being copied (the caller lets go of it). */
  readonly transfer?: readonly ArrayBuffer[];
  /** The request's key, and the mails an earlier run under it journaled. */
  readonly requestKey?: TaskRequest['requestKey'];
  /** X-Mail-From-Mail: where a text transaction starts in its input. */
  readonly fromMail?: number;
  /** The user's tasks and mails a minute; 0 or undefined: no limit. */
  readonly rateLimit?: number;
}

export interface TaskInfo {
  readonly taskn: number;
  readonly tranid: string;
  readonly userid: string;
  readonly jobname: string;
  readonly startedAt: number;
  /** queued: waiting for a slot in its class or the region; running: in a worker. */
  state: 'queued' | 'running';
}

export interface GateUsage extends ClassLimits {
  readonly active: number;
  readonly queued: number;
}

export interface DispatchResult {
  readonly eib: Eib;
  readonly result: TaskResult;
}

/** Grace after a task's time limit before its worker is ended where it does not yield. */
const HARD_STOP_GRACE_MS = 2000;
/** Tasks that may wait for a region slot, where CICSMAIL_MAXQUEUED does not say. */
const DEFAULT_MAX_QUEUED = 10_000;

/** The task's EIB. A JSON COMMAREA's length is known once the worker has laid it out. */
function eibOf(taskn: number, input: TaskInput): Eib {
  return {
    eibtrnid: input.definition.tranid,
    eibtaskn: taskn,
    eibcalen: input.commarea.form === 'bytes' ? input.commarea.bytes.byteLength : 0,
    ...eibDateTime(new Date()),
    eibusrid: input.userid,
    eibjobnm: input.jobname,
  };
}

/** What goes to the worker. */
function taskRequest(eib: Eib, input: TaskInput, rate: UserRate): TaskRequest {
  const definition = input.definition;
  return {
    program: definition.program,
    copybook: definition.copybook ?? null,
    substitutable: definition.substitutable ?? [],
    eib,
    ccsid: input.ccsid,
    commarea: input.commarea,
    containers: input.containers ?? [],
    timeLimitMs: definition.timeLimitMs,
    security: input.security,
    ...(definition.copy ? { copy: definition.copy } : {}),
    ...(input.requestKey ? { requestKey: input.requestKey } : {}),
    ...(input.fromMail !== undefined ? { fromMail: input.fromMail } : {}),
    ...(input.rateLimit ? { rate: { slot: rate.slotOf(input.userid), max: input.rateLimit } } : {}),
  };
}

/**
 * The worker's module, and from the TypeScript sources (tests) its flags too: the entry there
 * registers tsx itself, so the workers leave out the parent's `--import` hooks (a test
 * runner's), which cost each new worker about a second before its first task.
 */
function workerEntry(): { filename: string; execArgv?: string[] } {
  if (!import.meta.url.endsWith('.ts')) return { filename: moduleUrl(import.meta.url, '../../transactions/worker') };
  return {
    filename: new URL('../../transactions/worker-ts.mjs', import.meta.url).href,
    execArgv: withoutHooks(process.execArgv),
  };
}

export class Dispatcher {
  readonly #pool: Piscina<TaskRequest, TaskResult>;
  readonly #grace: number;
  /**
   * How long past its hard stop a committed task whose thread yields may run on: the mail
   * under way has its relay's reply after the dot and one more reply to wait for.
   */
  readonly #late: number;
  #taskn = 0;
  readonly #tasks = new Map<number, TaskInfo>();
  readonly #region: Gate;
  readonly #classes = new Map<string, Gate>();
  /** What the workers run at once. */
  readonly #capacity: number;
  /** Which thread runs which task: written by the workers, read for a hard stop. */
  readonly #slots = new TaskSlots();
  /** Each user's tasks and mails this minute: the rate limit's store counts tasks, the workers mails. */
  readonly userRate = new UserRate();
  /** The shutdown channel (transactions/services.ts), and the workers that said they are up on it. */
  readonly #channel: BroadcastChannel;
  readonly #up = new Set<number>();

  constructor(options: DispatcherOptions) {
    this.#grace = options.hardStopGraceMs ?? HARD_STOP_GRACE_MS;
    const { timeouts } = options.workerConfig.smtp;
    this.#late = timeouts.final + timeouts.command;
    this.#channel = new BroadcastChannel(options.workerConfig.shutdownChannel);
    this.#channel.unref();
    this.#channel.onmessage = (event) => {
      const message = (event as MessageEvent).data as ShutdownMessage;
      if (message.kind === 'up') this.#up.add(message.threadId);
    };
    // CICSMAIL_WORKERS is checked against the machine's cores at start (config/settings.ts).
    const workers = Math.max(1, options.workers);
    this.#pool = new Piscina<TaskRequest, TaskResult>({
      ...workerEntry(),
      minThreads: workers,
      maxThreads: workers,
      concurrentTasksPerWorker: options.tasksPerWorker,
      // Programs wait on SMTP and the disk: a worker must never park its event loop in
      // Atomics.wait (piscina's default), or replies and flushes wait for the next task.
      atomics: 'async',
      idleTimeout: Infinity,
      workerData: { ...options.workerConfig, taskSlots: this.#slots.buffer, userRate: this.userRate.buffer },
    });
    this.#capacity = workers * options.tasksPerWorker;
    this.#region = new Gate({
      maxActive: options.maxTasks ?? this.#capacity,
      purgeThreshold: options.maxQueued ?? DEFAULT_MAX_QUEUED,
    });
    for (const [name, limits] of Object.entries(options.classes ?? {})) this.#classes.set(name, new Gate(limits));
  }

  /** Tasks started and not yet ended (queued or running). */
  get active(): number {
    return this.#tasks.size;
  }

  /** The tasks in the region now, oldest first (CEMT INQUIRE TASK). */
  tasks(): TaskInfo[] {
    return [...this.#tasks.values()];
  }

  /** Region and class use: running, queued, limits. */
  usage(): { region: GateUsage; classes: Record<string, GateUsage>; workers: number; capacity: number } {
    const use = (g: Gate): GateUsage => ({ active: g.active, queued: g.queued, ...g.limits });
    return {
      region: use(this.#region),
      classes: Object.fromEntries([...this.#classes].map(([name, g]) => [name, use(g)])),
      workers: this.#pool.threads.length,
      capacity: this.#capacity,
    };
  }

  /** MAXTASKS and the region's queue bound, changed while it runs (CEMT SET SYSTEM). */
  setRegionLimits(limits: Partial<ClassLimits>): void {
    this.#region.setLimits({ ...this.#region.limits, ...limits });
  }

  /** A transaction class's limits, made or changed (CEMT SET TRANCLASS). */
  setClassLimits(name: string, limits: ClassLimits): void {
    const gate = this.#classes.get(name);
    if (gate) gate.setLimits(limits);
    else this.#classes.set(name, new Gate(limits));
  }

  hasClass(name: string): boolean {
    return this.#classes.has(name);
  }

  async run(input: TaskInput): Promise<DispatchResult> {
    const taskn = ++this.#taskn;
    const definition = input.definition;
    const eib = eibOf(taskn, input);
    const tranclass = definition.tranclass;
    const cls = tranclass === undefined ? undefined : this.#classes.get(tranclass);
    const admission = admit(this.#region, cls && { name: tranclass as string, gate: cls });
    if ('purged' in admission)
      return { eib, result: { kind: 'abend', abcode: 'AKCC', message: `task ${taskn} purged: ${admission.purged}` } };
    const info: TaskInfo = {
      taskn,
      tranid: definition.tranid,
      userid: input.userid,
      jobname: input.jobname,
      startedAt: Date.now(),
      state: 'queued',
    };
    this.#tasks.set(taskn, info);
    const watchdog = this.#watch(info, admission, definition.timeLimitMs);
    const run = admission.entered.then(() => {
      info.state = 'running';
      this.#slots.open(taskn);
      return this.#pool
        .run(taskRequest(eib, input, this.userRate), {
          transferList: input.transfer && input.transfer.length > 0 ? [...input.transfer] : undefined,
        })
        .catch(
          (err: Error): TaskResult =>
            watchdog.stopped() ??
              // The worker died under the task (or a sibling's runaway ended it).
              { kind: 'abend', abcode: 'ASRA', message: `task ${taskn}: worker failed: ${err.message}` },
        );
    });
    try {
      return { eib, result: await Promise.race([run, watchdog.overtime]) };
    } finally {
      watchdog.cancel();
      admission.release();
      this.#tasks.delete(taskn);
    }
  }

  /**
   * The task's hard limit, its time limit and the grace after it (no AbortSignal goes to
   * piscina: it runs a task that has one alone on its worker). A task still queued then
   * leaves the queue; one that runs and does not yield has its worker ended. A task that has
   * journaled a mail and whose thread still yields is waited for (its worker answers what
   * became of the mail), up to the relay's time-outs of one more mail; ended mid-session, it
   * could leave a mail the relay took on record as not sent, for the retry spool to send
   * again. `overtime` resolves with the abend; `stopped` says it where the pool's own
   * rejection comes first.
   */
  #watch(
    info: TaskInfo,
    admission: Admission,
    limit: number,
  ): { overtime: Promise<TaskResult>; stopped(): TaskResult | undefined; cancel(): void } {
    const { taskn } = info;
    let stopped: TaskResult | undefined;
    let timer: NodeJS.Timeout | undefined;
    const aica = (message: string): TaskResult => ({
      kind: 'abend',
      abcode: 'AICA',
      message: `task ${taskn} ${message}`,
    });
    const overtime = new Promise<TaskResult>((resolve) => {
      const stopAt = (ms: number) => {
        timer = setTimeout(() => {
          if (info.state === 'queued') {
            admission.abandon();
            resolve(
              aica(`waited past its time limit of ${limit} ms for a slot in the region or its class; it did not run`),
            );
            return;
          }
          // The limit counts from when a worker took the task: one a busy worker took late
          // has the rest of its time (the worker ends it with AICA at its own limit).
          const takenAt = this.#slots.takenAt(taskn);
          const now = Date.now();
          const rest = takenAt === undefined ? 0 : takenAt + limit + this.#grace - now;
          if (rest > 0) return stopAt(rest);
          const beat = this.#slots.lastBeat(taskn);
          const late = takenAt === undefined ? 0 : takenAt + limit + this.#grace + this.#late - now;
          const yields = beat !== undefined && now - beat < Math.max(this.#grace, BEAT_STALE_MS);
          if (yields && late > 0) return stopAt(Math.min(this.#grace, late));
          stopped = aica(
            beat === undefined
              ? `ran past its time limit of ${limit} ms and did not yield; its worker was ended`
              : `journaled a mail and then ${yields ? `ran ${this.#late} ms past its hard stop` : 'did not yield'}; its worker was ended (the retry spool has the mail)`,
          );
          void this.#slots.stop(taskn, this.#pool.threads).then((outcome) => {
            if (outcome === 'cancelled')
              stopped = aica(`waited past its time limit of ${limit} ms for a worker; it did not run`);
            resolve(stopped as TaskResult);
          });
        }, ms);
      };
      stopAt(limit + this.#grace);
    });
    return { overtime, stopped: () => stopped, cancel: () => clearTimeout(timer) };
  }

  /**
   * Asks every worker to close its journal and SMTP connections, waits for them (a
   * bounded while), then ends the pool.
   */
  async close(): Promise<void> {
    // Only the workers that are up (they ran a task) have services to close; one that was
    // ended meanwhile will not answer.
    const alive = new Set(this.#pool.threads.map((w) => w.threadId));
    const waiting = new Set([...this.#up].filter((id) => alive.has(id)));
    if (waiting.size > 0) {
      await new Promise<void>((resolve) => {
        const bound = setTimeout(resolve, 5000);
        this.#channel.onmessage = (event) => {
          const message = (event as MessageEvent).data as ShutdownMessage;
          if (message.kind === 'closed') waiting.delete(message.threadId);
          if (waiting.size === 0) {
            clearTimeout(bound);
            resolve();
          }
        };
        this.#channel.postMessage({ kind: 'close' } satisfies ShutdownMessage);
      });
    }
    this.#channel.close();
    await this.#pool.close();
  }
}
