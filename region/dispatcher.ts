// The dispatcher: gives each task its number and EIB and runs it in the worker pool under
// its transaction's time limit.
import { availableParallelism } from 'node:os';
import { BroadcastChannel } from 'node:worker_threads';
import { Piscina } from 'piscina';
import type { TransactionDefinition } from './definitions.js';
import { moduleUrl } from './paths.js';
import { eibDateTime, type CommareaInput, type Container, type Eib, type TaskRequest, type TaskResult, type TaskSecurity } from './task.js';
import { TaskSlots } from './task-slots.js';
import type { WorkerConfig } from '../transactions/services.js';

export interface DispatcherOptions {
  readonly workers: number;
  readonly tasksPerWorker: number;
  readonly workerConfig: WorkerConfig;
  /** Grace after a task's time limit before its worker is ended: it may be in a loop. */
  readonly hardStopGraceMs?: number;
}

export interface TaskInput {
  readonly definition: TransactionDefinition;
  readonly commarea: CommareaInput;
  readonly containers?: readonly Container[];
  readonly ccsid: number;
  readonly userid: string;
  readonly jobname: string;
  readonly security: TaskSecurity;
}

export interface TaskOutcome {
  readonly eib: Eib;
  readonly result: TaskResult;
}

export class Dispatcher {
  readonly #pool: Piscina<TaskRequest, TaskResult>;
  readonly #grace: number;
  #taskn = 0;
  #active = 0;
  /** Which thread runs which task: written by the workers, read for a hard stop. */
  readonly #slots = new TaskSlots();
  readonly #shutdownChannel: string;

  constructor(options: DispatcherOptions) {
    this.#grace = options.hardStopGraceMs ?? 2000;
    this.#shutdownChannel = options.workerConfig.shutdownChannel;
    const workers = Math.max(1, Math.min(options.workers, availableParallelism() * 4));
    this.#pool = new Piscina<TaskRequest, TaskResult>({
      filename: import.meta.url.endsWith('.ts')
        ? new URL('../transactions/worker-ts.mjs', import.meta.url).href
        : moduleUrl(import.meta.url, '../transactions/worker'),
      minThreads: workers,
      maxThreads: workers,
      concurrentTasksPerWorker: options.tasksPerWorker,
      // Programs wait on SMTP and the disk: a worker must never park its event loop in
      // Atomics.wait (piscina's default), or replies and flushes wait for the next task.
      atomics: 'async',
      idleTimeout: Infinity,
      workerData: { ...options.workerConfig, taskSlots: this.#slots.buffer },
    });
  }

  /** Tasks started and not yet ended. */
  get active(): number {
    return this.#active;
  }

  async run(input: TaskInput): Promise<TaskOutcome> {
    const taskn = ++this.#taskn;
    const eib: Eib = {
      eibtrnid: input.definition.tranid,
      eibtaskn: taskn,
      // A JSON COMMAREA's length is known once the worker has laid it out.
      eibcalen: input.commarea.form === 'bytes' ? input.commarea.bytes.byteLength : 0,
      ...eibDateTime(new Date()),
      eibusrid: input.userid,
      eibjobnm: input.jobname,
    };
    const request: TaskRequest = {
      program: input.definition.program,
      copybook: input.definition.copybook ?? null,
      substitutable: input.definition.substitutable ?? [],
      eib,
      ccsid: input.ccsid,
      commarea: input.commarea,
      containers: input.containers ?? [],
      timeLimitMs: input.definition.timeLimitMs,
      security: input.security,
    };
    // No AbortSignal goes to piscina: it runs a task that has one alone on its worker.
    const limit = input.definition.timeLimitMs;
    let stopped: TaskResult | undefined;
    let hardStop: NodeJS.Timeout | undefined;
    const overtime = new Promise<TaskResult>((resolve) => {
      hardStop = setTimeout(() => {
        stopped = { kind: 'abend', abcode: 'AICA', message: `task ${taskn} ran past its time limit of ${limit} ms and did not yield; its worker was ended` };
        void this.#slots.stop(taskn, this.#pool.threads).then((outcome) => {
          if (outcome === 'cancelled') stopped = { kind: 'abend', abcode: 'AICA', message: `task ${taskn} waited past its time limit of ${limit} ms for a worker; it did not run` };
          resolve(stopped as TaskResult);
        });
      }, limit + this.#grace);
    });
    this.#slots.open(taskn);
    const run = this.#pool.run(request).catch((err: Error): TaskResult =>
      stopped ??
      // The worker died under the task (or a sibling's runaway ended it).
      { kind: 'abend', abcode: 'ASRA', message: `task ${taskn}: worker failed: ${err.message}` },
    );
    this.#active++;
    try {
      return { eib, result: await Promise.race([run, overtime]) };
    } finally {
      clearTimeout(hardStop);
      this.#active--;
    }
  }

  /**
   * Asks every worker to close its journal and SMTP connections, waits for them (a
   * bounded while), then ends the pool.
   */
  async close(): Promise<void> {
    const workers = this.#pool.threads.length;
    const channel = new BroadcastChannel(this.#shutdownChannel);
    let closed = 0;
    await new Promise<void>((resolve) => {
      const bound = setTimeout(resolve, 5000);
      channel.onmessage = (event) => {
        if ((event as MessageEvent).data === 'closed' && ++closed >= workers) {
          clearTimeout(bound);
          resolve();
        }
      };
      channel.postMessage('close');
    });
    channel.close();
    await this.#pool.close();
  }
}
