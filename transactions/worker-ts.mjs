// The worker entry when the region runs from its TypeScript sources (tests, tsx): Node 20
// gives worker threads no loader hooks of the main thread, so register tsx here, then
// load the real worker. Compiled regions use dist/transactions/worker.js directly.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./worker.ts');
export default worker.default;
