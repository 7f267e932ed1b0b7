// The dispatcher: gives each task its number and EIB and runs it in the worker pool under
// its transaction's time limit.
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import type { TransactionDefinition } from './definitions.js';
import { moduleUrl } from './paths.js';
import { eibDateTime, type Eib, type TaskRequest, type TaskResult } from './task.js';
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
  readonly commarea: Uint8Array;
  readonly ccsid: number;
  readonly userid: string;
  readonly jobname: string;
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

  constructor(options: DispatcherOptions) {
    this.#grace = options.hardStopGraceMs ?? 2000;
    const workers = Math.max(1, Math.min(options.workers, availableParallelism() * 4));
    this.#pool = new Piscina<TaskRequest, TaskResult>({
      filename: import.meta.url.endsWith('.ts')
        ? new URL('../transactions/worker-ts.mjs', import.meta.url).href
        : moduleUrl(import.meta.url, '../transactions/worker'),
      minThreads: workers,
      maxThreads: workers,
      concurrentTasksPerWorker: options.tasksPerWorker,
      idleTimeout: Infinity,
      workerData: options.workerConfig,
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
      eibcalen: input.commarea.byteLength,
      ...eibDateTime(new Date()),
      eibusrid: input.userid,
      eibjobnm: input.jobname,
    };
    const request: TaskRequest = {
      program: input.definition.program,
      eib,
      ccsid: input.ccsid,
      commarea: input.commarea,
      timeLimitMs: input.definition.timeLimitMs,
    };
    const abort = new AbortController();
    const hardStop = setTimeout(() => abort.abort(), input.definition.timeLimitMs + this.#grace);
    this.#active++;
    try {
      const result = await this.#pool.run(request, { signal: abort.signal });
      return { eib, result };
    } catch (err) {
      if (abort.signal.aborted) {
        return { eib, result: { kind: 'abend', abcode: 'AICA', message: `task ${taskn} ran past its time limit of ${input.definition.timeLimitMs} ms and did not yield; its worker was ended` } };
      }
      // The worker died under the task (or a sibling's runaway ended it).
      return { eib, result: { kind: 'abend', abcode: 'ASRA', message: `task ${taskn}: worker failed: ${(err as Error).message}` } };
    } finally {
      clearTimeout(hardStop);
      this.#active--;
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}
