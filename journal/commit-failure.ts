// lmdb-js reports a commit that fails (disk full, an I/O error) to each writer as
// "Commit failed (see commitError for details)" with the cause behind `err.commitError`,
// and rejects internal promises that nobody holds as well (kriszyp/lmdb-js#368): left
// alone, that rejection ends the thread even though every writer handled its own.
import { statfs } from 'node:fs/promises';
import { JournalError } from './errors.js';

type CommitFailure = Error & { commitError: Promise<never> };

/** errno and LMDB codes that mean "no room": ENOSPC, EDQUOT, EFBIG, MDB_MAP_FULL. */
const NO_ROOM = new Set<unknown>([28, 122, 27, -30792, 'ENOSPC', 'EDQUOT', 'EFBIG']);

export function isCommitFailure(err: unknown): err is CommitFailure {
  return err instanceof Error && typeof (err as Partial<CommitFailure>).commitError?.then === 'function';
}

/** Below this much free space an EIO is taken for the disk being full. */
const NEARLY_FULL = 1_048_576;

async function nearlyFull(dir: string): Promise<boolean> {
  try {
    const s = await statfs(dir);
    return s.bavail * s.bsize < NEARLY_FULL;
  } catch {
    return false;
  }
}

/** The journal's error for a failed write in `dir`: FULL where the disk has no room, else WRITE. */
export async function journalWriteError(err: unknown, dir: string): Promise<unknown> {
  if (!isCommitFailure(err)) return err;
  // lmdb-js rejects commitError in the same callback that fails the writers, so it has
  // settled by now; the timer only guards against a version that does otherwise.
  const cause = await Promise.race([
    err.commitError.then(
      () => undefined,
      (e: unknown) => e as (Error & { code?: unknown }) | undefined,
    ),
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100).unref()),
  ]);
  const detail = cause?.message ?? err.message;
  // LMDB reports a short write as EIO (mdb_page_flush), which is how a full disk often shows.
  const full = NO_ROOM.has(cause?.code) || ((cause?.code === 5 || cause?.code === 'EIO') && (await nearlyFull(dir)));
  return full
    ? new JournalError('CICSMAIL_JOURNAL_FULL', `the journal cannot grow: ${detail}`)
    : new JournalError('CICSMAIL_JOURNAL_WRITE', `a journal write failed: ${detail}`);
}

let dropping = false;

/**
 * Drops the rejections lmdb-js leaves unheld after a failed commit (its writers were told);
 * any other unhandled rejection still ends the thread, as Node's default does. A process-
 * wide handler: an entry point installs it (the command line, the worker thread, a test
 * that fills a disk), once per thread; the journal never does it on its own.
 */
export function dropOrphanCommitFailures(): void {
  if (dropping) return;
  dropping = true;
  process.on('unhandledRejection', (reason) => {
    if (isCommitFailure(reason)) {
      reason.commitError.catch(() => undefined);
      return;
    }
    throw reason;
  });
}
