// A worker thread's module, found from the module that starts it, whether the project runs
// compiled (`dist/`: the module's own .js) or from its TypeScript sources (tests, tsx):
// there Node 20 gives worker threads no loader hooks of the main thread, so the thread
// starts in ts-worker.mjs, which registers tsx and then loads the module named in its
// workerData, and the thread leaves out the parent's `--import` hooks (a test runner's),
// which cost each new thread about a second before its first task.
import { setPriority } from 'node:os';
import { moduleUrl } from './paths.js';

export interface WorkerEntry {
  readonly filename: string;
  readonly execArgv?: string[];
  /** To be merged into the thread's workerData: where the TypeScript module is. */
  readonly workerData?: { readonly tsModule: string };
}

/** The thread module `relative` (no extension) to `base` (the caller's import.meta.url). */
export function workerEntry(base: string, relative: string): WorkerEntry {
  const module = moduleUrl(base, relative);
  if (!base.endsWith('.ts')) return { filename: module };
  return {
    filename: new URL('./ts-worker.mjs', import.meta.url).href,
    execArgv: withoutHooks(process.execArgv),
    workerData: { tsModule: module },
  };
}

/** Node flags less the module hooks (`--import`, `--require`, `--loader` and their values). */
export function withoutHooks(argv: readonly string[]): string[] {
  const hook = /^--(import|require|loader|experimental-loader)$|^-r$/;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const name = arg.split('=', 1)[0]!;
    if (!hook.test(name)) out.push(arg);
    else if (!arg.includes('=')) i++;
  }
  return out;
}

/**
 * For a thread of background work (an export, a mail parsed for the console): the lowest
 * CPU priority, so that it takes only what the main thread and the task workers leave. On
 * Linux a thread's nice value is its own (setpriority on the calling thread); elsewhere
 * it would lower the whole process, so it is left alone there.
 */
export function yieldToTheRegion(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(19);
  } catch {
    // Not allowed here (a container's policy): the thread runs at the region's priority.
  }
}
