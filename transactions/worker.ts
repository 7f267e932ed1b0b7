// The piscina worker: runs one task of any program. Programs are modules whose default
// export takes a ProgramContext and resolves with a TaskResult; each is loaded once.
import { threadId } from 'node:worker_threads';
import { workerData } from 'piscina';
import { TaskSlots } from '../region/task-slots.js';
import type { ProgramContext, TaskRequest, TaskResult } from '../region/task.js';
import { closeOnShutdown, createServices, type Services, type WorkerConfig } from './services.js';

export type Program = (ctx: ProgramContext<Services>) => Promise<TaskResult>;

const config = workerData as WorkerConfig & { taskSlots: SharedArrayBuffer };
const services = createServices(config);
closeOnShutdown(services);
const slots = new TaskSlots(config.taskSlots);
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

export default async function runTask(request: TaskRequest): Promise<TaskResult> {
  if (!slots.claim(request.eib.eibtaskn, threadId)) {
    // The region gave up on it while it queued, and has answered AICA: do not run it.
    return { kind: 'abend', abcode: 'AICA', message: `task ${request.eib.eibtaskn} was cancelled before it started` };
  }
  const deadline = Date.now() + request.timeLimitMs;
  let timer: NodeJS.Timeout | undefined;
  // The time limit where the program awaits; a program that never yields is ended by the
  // region, which terminates this thread.
  const overtime = new Promise<TaskResult>((resolve) => {
    timer = setTimeout(
      () => resolve({ kind: 'abend', abcode: 'AICA', message: `task ${request.eib.eibtaskn} ran past its time limit of ${request.timeLimitMs} ms` }),
      request.timeLimitMs,
    );
  });
  try {
    const program = await load(request.program);
    const ctx: ProgramContext<Services> = {
      eib: request.eib,
      deadline,
      ccsid: request.ccsid,
      commarea: request.commarea,
      services,
    };
    return await Promise.race([program(ctx), overtime]);
  } catch (err) {
    const e = err as Error;
    return { kind: 'abend', abcode: 'ASRA', message: `program failed: ${e?.message ?? String(err)}` };
  } finally {
    clearTimeout(timer);
  }
}
