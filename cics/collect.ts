// V8's gc(), for a thread that lets large buffers go on purpose (transactions/worker.ts,
// region/http/body.ts). Node offers it only behind --expose-gc; the flag set at run time
// only adds the function to new contexts, so it is taken from one, as the `expose-gc`
// package does.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** A full collection, or with `type: 'minor'` only the young generation's (a scavenge, a few ms). */
export type Collect = (options?: { readonly type: 'minor' | 'major' }) => void;

let exposed: Collect | undefined;

export function collector(): Collect {
  if (!exposed) {
    setFlagsFromString('--expose-gc');
    exposed = runInNewContext('gc') as Collect;
  }
  return exposed;
}
