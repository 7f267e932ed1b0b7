// V8's gc(), for a thread that lets large buffers go on purpose. Node offers it only behind
// --expose-gc; the flag set at run time only adds the function to new contexts, so it is
// taken from one, as the `expose-gc` package does. Setting the flag is the process's
// choice: an entry point makes it (transactions/worker.ts, cli/start.ts), and a module
// that would collect asks whether it was made.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full collection, or with `type: 'minor'` only the young generation's (a scavenge, a few ms). */
export type Collect = (options?: { readonly type: 'minor' | 'major' }) => void;

let exposed: Collect | undefined;

/** Turns on --expose-gc for this process and takes gc(): for entry points only. */
export function exposeCollector(): Collect {
  if (!exposed) {
    setFlagsFromString('--expose-gc');
    exposed = runInNewContext('gc') as Collect;
  }
  return exposed;
}

/** gc(), where this process's entry point turned it on. */
export function exposedCollector(): Collect | undefined {
  return exposed;
}
