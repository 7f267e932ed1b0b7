// The mail parser's thread when the region runs from its TypeScript sources (tests, tsx):
// Node 20 gives worker threads no loader hooks of the main thread, so register tsx here.
// Compiled regions use dist/region/mail-view-worker.js directly.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./mail-view-worker.ts');
export default worker.default;
