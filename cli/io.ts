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
 * A reader that goes away (EPIPE: `cicsmail journal export | head -1`) ends the copy
 * without an error: it has all it wanted.
 */
export async function writeAll(source: Readable, target: NodeJS.WritableStream, end: boolean): Promise<void> {
  try {
    await pipeline(source, target, { end });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
    source.destroy();
  }
}

/** A line on standard output. */
export function out(io: CommandIo, line: string): void {
  io.stdout.write(`${line}\n`);
}

/** A line on standard error. */
export function err(io: CommandIo, line: string): void {
  io.stderr.write(`${line}\n`);
}
