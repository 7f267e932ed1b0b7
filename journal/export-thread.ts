// An export of any size without the region's main thread: the records are read and their
// lines made in a thread of its own (export-worker.ts), which sends them a page at a time
// as the stream is read (one page ahead), so that an operator's export of ten million
// records neither holds the event loop nor fills the memory. The stream's end or its
// destruction (the caller went away) stops the thread between two pages.
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../cics/worker-entry.js';
import type { ExportFormat } from './export.js';
import type { RecordFilter } from './query.js';

export interface ExportJob {
  /** The region's data folder (the journal is its `journal/`). */
  readonly dataDir: string;
  readonly filter: RecordFilter;
  readonly format: ExportFormat;
  /** The SYSID for records written before records named their region. */
  readonly owner: string;
}

/** To the thread: send `chunks` more, or stop. */
export type ToExport = { readonly kind: 'more'; readonly chunks: number } | { readonly kind: 'stop' };

/** From the thread: a chunk of lines, the end, or why it failed. */
export type FromExport =
  | { readonly kind: 'chunk'; readonly text: string }
  | { readonly kind: 'end' }
  | { readonly kind: 'error'; readonly message: string };

/** Threads exporting now (tests: none is left once its stream is over). */
let running = 0;
export function exportsRunning(): number {
  return running;
}

/** The lines of the records `job.filter` picks (CSV with its header, or JSON Lines), read in a thread. */
export function exportStream(job: ExportJob): Readable {
  const entry = workerEntry(import.meta.url, './export-worker');
  const worker = new Worker(new URL(entry.filename), {
    ...(entry.execArgv ? { execArgv: entry.execArgv } : {}),
    workerData: { ...entry.workerData, job },
  });
  running++;
  let done = false;
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  void exited.then(() => running--);
  const stop = () => {
    if (done) return;
    done = true;
    worker.postMessage({ kind: 'stop' } satisfies ToExport);
  };
  const stream = new Readable({
    // Text of a page at a time; one page asked for ahead of the reader.
    highWaterMark: 1,
    objectMode: false,
    read() {
      if (!done) worker.postMessage({ kind: 'more', chunks: 1 } satisfies ToExport);
    },
    destroy(err, callback) {
      stop();
      callback(err);
    },
  });
  worker.on('message', (m: FromExport) => {
    if (m.kind === 'chunk') stream.push(m.text);
    else if (m.kind === 'end') {
      done = true;
      stream.push(null);
    } else stream.destroy(new Error(`the export failed: ${m.message}`));
  });
  worker.on('error', (err) => stream.destroy(err));
  return stream;
}
