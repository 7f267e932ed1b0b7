// An export in a thread of its own (export-thread.ts starts it), at the lowest CPU
// priority: it opens the journal, walks the records the filter picks after `after` a page
// at a time and posts each page's lines, no more pages ahead than the region has asked
// for (the socket's pace). Asked to stop (the
// caller went away), it ends between two pages and closes the journal: a thread cut off
// inside a read would leave its LMDB reader slot taken, and the pages it saw never freed.
import { parentPort, workerData } from 'node:worker_threads';
import { yieldToTheRegion } from '../cics/worker-entry.js';
import { exportLines } from './export.js';
import type { ExportJob, FromExport, ToExport } from './export-thread.js';
import { Journal } from './journal.js';
import { eachPage } from './query.js';

const job = (workerData as { job: ExportJob }).job;
yieldToTheRegion();
const port = parentPort as NonNullable<typeof parentPort>;
let credit = 0;
let stopped = false;
let wake: (() => void) | undefined;

port.on('message', (m: ToExport) => {
  if (m.kind === 'more') credit += m.chunks;
  else stopped = true;
  wake?.();
});

const post = (m: FromExport) => port.postMessage(m);
const encoder = new TextEncoder();

/** Waits until the region asks for another chunk, or says stop; true where it asked. */
async function asked(): Promise<boolean> {
  while (credit === 0 && !stopped) await new Promise<void>((resolve) => (wake = resolve));
  credit--;
  return !stopped;
}

let journal: Journal | undefined;
try {
  journal = Journal.open(job.dataDir);
  for await (const page of eachPage(journal, job.filter, { after: job.after })) {
    if (!(await asked())) break;
    // Encoded here and handed over, not copied: the main thread only writes the bytes.
    const bytes = encoder.encode(exportLines(page, job.format, job.owner));
    port.postMessage({ kind: 'chunk', bytes } satisfies FromExport, [bytes.buffer]);
  }
  post({ kind: 'end' });
} catch (err) {
  post({ kind: 'error', message: (err as Error).message });
} finally {
  await journal?.close();
  port.close();
}
