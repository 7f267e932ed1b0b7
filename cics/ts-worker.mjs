// A worker thread's first module when the project runs from its TypeScript sources
// (worker-entry.ts): registers tsx, then loads the module workerData names and hands on
// its default export (a piscina handler; a plain thread's module runs as it loads).
// No top-level await, for the reason transactions/worker-ts.mjs gives.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
const module = import(workerData.tsModule);

export default async function handler(...args) {
  return (await module).default(...args);
}
