// An export of any size without the region's main thread: the first page (the header and
// 50 records) is read at once, so that the first bytes go out in a millisecond or two, and
// the rest is read and its lines made in a thread of its own (export-worker.ts) at the
// lowest CPU priority, a page at a time as the stream is read (one page ahead): an
// operator's export of ten million records neither holds the event loop nor fills the
// memory, and takes only the CPU the tasks leave; at most EXPORT_BYTES_PER_SECOND. The stream's end or its destruction
// (the caller went away) stops the thread between two pages.
import { dirname } from 'node:path';
import { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { workerEntry } from '../cics/worker-entry.js';
import { csvHeader, exportLines, type ExportFormat } from './export.js';
import type { Journal } from './journal.js';
import { queryRecords, type RecordFilter } from './query.js';

export interface ExportJob {
  /** The region's data folder (the journal is its `journal/`). */
  readonly dataDir: string;
  readonly filter: RecordFilter;
  readonly format: ExportFormat;
  /** The SYSID for records written before records named their region. */
  readonly owner: string;
  /** Where the thread goes on from (the first page was read on the main thread). */
  readonly after: number;
}

/** What an export is asked for. */
export type ExportRequest = Omit<ExportJob, 'dataDir' | 'after'>;

/** Records of the first page, read on the main thread. */
const FIRST_PAGE = 50;

/**
 * Bytes an export sends a second at most: the main thread copies every byte to the socket
 * (at full speed an export took a fifth of it, and MAIL's latency went up tenfold); at 16
 * MB/s ten million records go in about three minutes.
 */
export const EXPORT_BYTES_PER_SECOND = 16 * 1024 * 1024;

/** To the thread: send `chunks` more, or stop. */
export type ToExport = { readonly kind: 'more'; readonly chunks: number } | { readonly kind: 'stop' };

/** From the thread: a chunk of lines (UTF-8), the end, or why it failed. */
export type FromExport =
  | { readonly kind: 'chunk'; readonly bytes: Uint8Array }
  | { readonly kind: 'end' }
  | { readonly kind: 'error'; readonly message: string };

/** Threads exporting now, each until it exits (tests: none is left once its stream is over). */
const running = new Set<Promise<void>>();

export function exportsRunning(): number {
  return running.size;
}

/** Resolves once every export thread started so far has exited. */
export async function exportsEnded(): Promise<void> {
  await Promise.all([...running]);
}

/** The lines of the records `request.filter` picks (CSV with its header, or JSON Lines). */
export function exportStream(journal: Journal, request: ExportRequest): Readable {
  const first = queryRecords(journal, request.filter, { limit: FIRST_PAGE });
  const head =
    (request.format === 'csv' ? csvHeader() : '') + exportLines(first.records, request.format, request.owner);
  if (first.next === null) return Readable.from([head], { objectMode: false });
  const job: ExportJob = { ...request, dataDir: dirname(journal.path), after: first.next };
  let worker: Worker | undefined;
  let starting = false;
  let done = false;
  const start = (): Worker => {
    const entry = workerEntry(import.meta.url, './export-worker');
    const w = new Worker(new URL(entry.filename), {
      ...(entry.execArgv ? { execArgv: entry.execArgv } : {}),
      workerData: { ...entry.workerData, job },
    });
    const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
    running.add(exited);
    void exited.then(() => running.delete(exited));
    w.on('message', (m: FromExport) => {
      if (m.kind === 'chunk') {
        sent += m.bytes.byteLength;
        stream.push(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength));
      } else if (m.kind === 'end') {
        done = true;
        stream.push(null);
      } else stream.destroy(new Error(`the export failed: ${m.message}`));
    });
    w.on('error', (err) => stream.destroy(err));
    return w;
  };
  let headSent = false;
  // The bytes pushed since `since`: past the rate, the next page is asked for later.
  let since = performance.now();
  let sent = 0;
  let paced: NodeJS.Timeout | undefined;
  const ask = () => {
    paced = undefined;
    if (done) return;
    const now = performance.now();
    if (now - since >= 1000) [since, sent] = [now, 0];
    if (sent >= EXPORT_BYTES_PER_SECOND) {
      paced = setTimeout(ask, 1000 - (now - since));
      return;
    }
    if (worker) worker.postMessage({ kind: 'more', chunks: 1 } satisfies ToExport);
    // The first ask comes while the first page's bytes still wait for the socket (the
    // response writes them on the next tick): a thread started now held them back by its
    // start, 12-24 ms at ten million records. Started after them, it costs the caller nothing.
    else if (!starting) {
      starting = true;
      setImmediate(() => {
        if (done) return;
        worker = start();
        worker.postMessage({ kind: 'more', chunks: 1 } satisfies ToExport);
      });
    }
  };
  const stream = new Readable({
    // A page of text at a time; one page asked for ahead of the reader.
    highWaterMark: 1,
    read() {
      if (!headSent) {
        headSent = true;
        this.push(head);
        return;
      }
      // The thread starts once the first page is read, and is asked for a page at a time.
      if (paced === undefined) ask();
    },
    destroy(err, callback) {
      clearTimeout(paced);
      if (!done) {
        done = true;
        worker?.postMessage({ kind: 'stop' } satisfies ToExport);
      }
      callback(err);
    },
  });
  return stream;
}
