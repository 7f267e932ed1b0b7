// An export of any size without the region's main thread: the CSV header goes out at once,
// the first page (FIRST_PAGE records) is read on the main thread a turn later, and the rest
// is read and its lines made in a thread of its own (export-worker.ts) at the lowest CPU
// priority, a page at a time as the stream is read (one page ahead): an operator's export
// of ten million records neither holds the event loop nor fills the memory, and takes only
// the CPU the tasks leave; at most EXPORT_BYTES_PER_SECOND. The stream's end or its
// destruction (the caller went away) stops the thread between two pages.
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

/**
 * Records of the first page, read on the main thread: few, as each may be a read from the
 * disk where the journal is larger than the memory (the oldest records, where most exports
 * begin, are the least likely to be in it).
 */
export const FIRST_PAGE = 10;

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
  let job: ExportJob | undefined;
  let worker: Worker | undefined;
  let step: 'header' | 'first page' | 'thread' = request.format === 'csv' ? 'header' : 'first page';
  let waiting = false;
  let done = false;
  const start = (job: ExportJob): Worker => {
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
  // What may wait on the disk or the system (the first page, a thread's start) waits for the
  // next turn: the response writes what was pushed on the next tick, and done in the same
  // turn they held those bytes back. At ten million records, more than the memory holds, the
  // first page's records are a disk read each: 20-30 ms before the first bytes, the CSV
  // header included, when the page was read at once.
  const later = (next: () => void) => {
    waiting = true;
    setImmediate(() => {
      waiting = false;
      if (!done) next();
    });
  };
  const firstPage = () => {
    const first = queryRecords(journal, request.filter, { limit: FIRST_PAGE });
    const lines = exportLines(first.records, request.format, request.owner);
    if (first.next === null) {
      done = true;
      if (lines !== '') stream.push(lines);
      stream.push(null);
      return;
    }
    job = { ...request, dataDir: dirname(journal.path), after: first.next };
    step = 'thread';
    // A page that read its budget without a match: on to the thread.
    if (lines !== '') stream.push(lines);
    else ask();
  };
  // The bytes pushed since `since`: past the rate, the next page is asked for later.
  let since = performance.now();
  let sent = 0;
  let paced: NodeJS.Timeout | undefined;
  const ask = () => {
    paced = undefined;
    if (done || waiting || job === undefined) return;
    const now = performance.now();
    if (now - since >= 1000) [since, sent] = [now, 0];
    if (sent >= EXPORT_BYTES_PER_SECOND) {
      paced = setTimeout(ask, 1000 - (now - since));
      return;
    }
    const more = { kind: 'more', chunks: 1 } satisfies ToExport;
    if (worker) worker.postMessage(more);
    else {
      const given = job;
      later(() => {
        worker = start(given);
        worker.postMessage(more);
      });
    }
  };
  const stream = new Readable({
    // A page of text at a time; one page asked for ahead of the reader.
    highWaterMark: 1,
    read() {
      if (waiting) return;
      if (step === 'header') {
        step = 'first page';
        this.push(csvHeader());
      } else if (step === 'first page') later(firstPage);
      // The thread starts once the first page is read, and is asked for a page at a time.
      else if (paced === undefined) ask();
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
