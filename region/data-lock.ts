// One region per data folder: a second one would take the first one's tasks in flight for
// orphans of a crash and deliver them again. The lock is a listening Unix socket whose name
// is the data folder's: the kernel gives it back the moment its holder dies, however it
// dies (SIGKILL, a crash, a container restarted with the same pid), so nothing stale is
// ever left to clear by hand. On Linux the socket lives in the abstract namespace (no file
// at all); elsewhere it is `region.sock` in the folder, and a socket file that nobody
// answers on is a dead holder's, taken over. `region.lock` beside it says who holds the
// folder, for people; it decides nothing.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ConfigError } from '../config/errors.js';

const ABSTRACT = process.platform === 'linux';

function listen(server: Server, path: string): Promise<NodeJS.ErrnoException | null> {
  return new Promise((resolve) => {
    server.once('error', (err: NodeJS.ErrnoException) => resolve(err));
    server.listen(path, () => resolve(null));
  });
}

/** Whether something answers on the socket file at `path`. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** What `region.lock` says of the holder, where it says anything. */
function noteOf(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').trim().slice(0, 200) || null;
  } catch {
    return null;
  }
}

/**
 * Makes the folder and those above it that are missing, one at a time: Node's recursive
 * mkdir loops for ever where the kernel answers ENOENT to a parent that is there (under
 * /proc), and a start must end with the reason instead.
 */
function makeFolder(path: string): void {
  const missing: string[] = [];
  for (let p = resolve(path); !existsSync(p); p = dirname(p)) {
    missing.push(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing.reverse()) mkdirSync(p);
}

/** Takes the data folder for this region; resolves with the function that gives it back. */
export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  let real: string;
  try {
    makeFolder(dataDir);
    real = realpathSync(dataDir);
  } catch (err) {
    throw new ConfigError('CICSMAIL_DATA', `cannot make or use the folder ${dataDir}: ${(err as Error).message}`);
  }
  const path = ABSTRACT
    ? `\0cicsmail-region-${createHash('sha256').update(real).digest('hex').slice(0, 32)}`
    : join(real, 'region.sock');
  const server = createServer((socket) => socket.destroy());
  let error = await listen(server, path);
  if (error?.code === 'EADDRINUSE' && !ABSTRACT && !(await answers(path))) {
    rmSync(path, { force: true });
    error = await listen(server, path);
  }
  if (error?.code === 'EADDRINUSE') {
    const holder = noteOf(join(real, 'region.lock'));
    throw new ConfigError('CICSMAIL_DATA', `another region runs on ${dataDir}${holder ? ` (${holder})` : ''}`);
  }
  if (error) throw new ConfigError('CICSMAIL_DATA', `cannot lock ${dataDir}: ${error.message}`);
  // The lock holds nothing open on its own: the region's other work does.
  server.unref();
  const note = join(real, 'region.lock');
  try {
    writeFileSync(note, `pid ${process.pid} on ${hostname()} since ${new Date().toISOString()}\n`);
  } catch (err) {
    server.close();
    throw new ConfigError('CICSMAIL_DATA', `cannot write in ${dataDir}: ${(err as Error).message}`);
  }
  return () =>
    new Promise<void>((resolve) => {
      rmSync(note, { force: true });
      server.close(() => resolve());
    });
}
