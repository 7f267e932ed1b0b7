// After a task that carried megabytes, one full garbage collection, so that its buffers
// go back to the system now. Left to V8's own heuristics, dead buffers of up to ~64 MB a
// thread linger until the next major collection: a region sending 10 MB attachments one
// after another grew by ~150 MB more than it needed. Node offers gc() only behind
// --expose-gc; the flag is set here and gc() taken from a new context, as the `expose-gc`
// package does (the flag only adds the function; it changes no other behaviour).
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A task whose input came to this many bytes or more is followed by a collection. */
export const LARGE_TASK_BYTES = 4 * 1_048_576;

let collect: (() => void) | undefined;
let scheduled = false;

function gcFunction(): () => void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  return collect;
}

/** Schedules one full collection after the current task has answered; tasks ending together share it. */
export function releaseAfterLargeTask(bytes: number): void {
  if (bytes < LARGE_TASK_BYTES || scheduled) return;
  scheduled = true;
  const gc = gcFunction();
  setImmediate(() => {
    scheduled = false;
    gc();
  });
}
