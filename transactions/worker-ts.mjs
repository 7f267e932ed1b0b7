// The worker entry when the region runs from its TypeScript sources (tests, tsx): Node 20
// gives worker threads no loader hooks of the main thread, so register tsx here, then
// load the real worker. Compiled regions use dist/transactions/worker.js directly.
// No top-level await: piscina require()s its task module first and import()s it where that
// fails, and a require() of a module that awaits, racing that import() for a second task,
// aborted Node 20 ("v8::Module::IsGraphAsync must be used on an instantiated module").
import { register } from 'tsx/esm/api';

register();
const worker = import('./worker.ts');

export default async function runTask(...args) {
  return (await worker).default(...args);
}
