// Where a command reads and writes: the standard streams and the environment, given by the
// entry point (bin/cicsmail.js hands over the process's own), so that a test can run a
// command in its own process with streams and an environment of its choosing.
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface CommandIo {
  readonly env: NodeJS.ProcessEnv;
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  readonly stdout: NodeJS.WritableStream & { readonly isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { readonly isTTY?: boolean };
}

/** The process's own streams and environment. */
export function processIo(): CommandIo {
  return { env: process.env, stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
}

/**
 * Pipes `source` into `target` with back-pressure; `end`: close the target after (a file).
 * A reader that goes away (EPIPE: `cicsmail journal export | head -1`) ends the copy and
 * the command (OutputClosed): it has all it wanted.
 */
export async function writeAll(source: Readable, target: NodeJS.WritableStream, end: boolean): Promise<void> {
  try {
    await pipeline(source, target, { end });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
    source.destroy();
    throw new OutputClosed();
  }
}

/**
 * Standard output is gone: its reader closed the pipe (EPIPE: `cicsmail journal list |
 * head -1`). The command ends there with exit code 0, as coreutils' tools do: the reader
 * has all it wanted.
 */
export class OutputClosed extends Error {
  readonly code = 'CICSMAIL_OUTPUT_CLOSED';
  constructor() {
    super('standard output is closed');
  }
}

/** Streams that have a listener of watchOutput's (a listener of another, such as a pipe's, does not count). */
const watched = new WeakSet<NodeJS.WritableStream>();

/**
 * Keeps a failed write to standard output from ending the process with a stack trace
 * (an 'error' event nobody listens to): the write that met it reports it (`write`).
 */
export function watchOutput(io: CommandIo): void {
  if (watched.has(io.stdout)) return;
  watched.add(io.stdout);
  io.stdout.on('error', () => {});
}

/** The writable side as Node's streams have it (a pipe's error is set at once, its event comes a tick later). */
type WriteState = { readonly errored?: Error | null; readonly destroyed?: boolean };

/** Throws where standard output cannot take more: OutputClosed for a reader gone, else an error that says why. */
function checkOutput(io: CommandIo): void {
  const { errored, destroyed } = io.stdout as WriteState;
  if (errored) {
    if ((errored as NodeJS.ErrnoException).code === 'EPIPE') throw new OutputClosed();
    throw new Error(`cannot write standard output: ${errored.message}`);
  }
  if (destroyed) throw new OutputClosed();
}

/** Bytes on standard output; throws OutputClosed where its reader has gone. */
export function write(io: CommandIo, data: string | Uint8Array): void {
  checkOutput(io);
  io.stdout.write(data);
  checkOutput(io);
}

/** A line on standard output; throws OutputClosed where its reader has gone. */
export function out(io: CommandIo, line: string): void {
  write(io, `${line}\n`);
}

/** A line on standard error. */
export function err(io: CommandIo, line: string): void {
  io.stderr.write(`${line}\n`);
}
