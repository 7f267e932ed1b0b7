// Large messages are kept as files beside the LMDB environment, as an MTA keeps queue
// files: LMDB copies a value into dirty pages of its own before it writes them, so a
// 27 MB mail would be held twice more in memory while it is accepted, and its overflow
// pages would bloat the map. A file is written from the composed buffer as it is, or
// chunk by chunk as the composer writes a large message (never whole in memory), made
// durable (data and directory entry) before the record that names it commits, and
// removed when the record is pruned. A file no record names (a crash between the two)
// is swept at start.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { isChunked, type MessageBytes } from '../cics/message-chunks.js';
import { JournalError } from './errors.js';
import { ensureRoom } from './room.js';

/** Messages at least this long go to a file rather than into LMDB. */
export const MESSAGE_FILE_BYTES = 1_048_576;

/** Octets read at a time from a message's file. */
const READ_BYTES = 256 * 1024;
const NO_ROOM = new Set(['ENOSPC', 'EDQUOT', 'EFBIG']);
const NAME = /^[0-9a-f-]{36}\.eml$/;

export class MessageFiles {
  readonly #dir: string;
  #made = false;

  constructor(dir: string) {
    this.#dir = dir;
  }

  /** Writes the message to a new file and syncs it and its directory entry; resolves with its name. */
  async write(message: MessageBytes): Promise<string> {
    if (!this.#made) {
      mkdirSync(this.#dir, { recursive: true });
      this.#made = true;
    }
    ensureRoom(this.#dir, message.byteLength, 'file');
    const name = `${randomUUID()}.eml`;
    const path = join(this.#dir, name);
    try {
      const file = await open(path, 'wx');
      try {
        let total = 0;
        for await (const chunk of isChunked(message) ? message.chunks() : [message]) {
          let at = 0;
          while (at < chunk.byteLength) at += (await file.write(chunk, at)).bytesWritten;
          total += at;
        }
        if (total !== message.byteLength) throw new Error(`a message of ${message.byteLength} octets gave ${total}`);
        await file.datasync();
      } finally {
        await file.close();
      }
      const dir = await open(this.#dir, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
      return name;
    } catch (err) {
      rmSync(path, { force: true });
      const code = (err as NodeJS.ErrnoException).code ?? '';
      if (NO_ROOM.has(code))
        throw new JournalError('CICSMAIL_JOURNAL_FULL', `the journal cannot grow: ${(err as Error).message}`);
      throw new JournalError('CICSMAIL_JOURNAL_WRITE', `a journal write failed: ${(err as Error).message}`);
    }
  }

  read(name: string): Buffer | undefined {
    try {
      return readFileSync(join(this.#dir, name));
    } catch {
      return undefined;
    }
  }

  /**
   * The file's bytes in chunks of one buffer used again for each (valid until the next is
   * asked for), for a message sent from its file; nothing where there is no file.
   */
  async *chunks(name: string): AsyncGenerator<Uint8Array> {
    let file;
    try {
      file = await open(join(this.#dir, name), 'r');
    } catch {
      return;
    }
    try {
      const buffer = Buffer.allocUnsafe(READ_BYTES);
      for (;;) {
        const { bytesRead } = await file.read(buffer, 0, buffer.length);
        if (bytesRead === 0) return;
        yield buffer.subarray(0, bytesRead);
      }
    } finally {
      await file.close();
    }
  }

  /** The file's length, or -1 where there is none. */
  size(name: string): number {
    try {
      return statSync(join(this.#dir, name)).size;
    } catch {
      return -1;
    }
  }

  remove(names: Iterable<string>): void {
    for (const name of names) rmSync(join(this.#dir, name), { force: true });
  }

  /** Removes the files that `named` does not know (left by a crash before their record); returns how many. */
  sweep(named: (name: string) => boolean): number {
    let names: string[];
    try {
      names = readdirSync(this.#dir);
    } catch {
      return 0;
    }
    const orphans = names.filter((n) => NAME.test(n) && !named(n));
    this.remove(orphans);
    return orphans.length;
  }
}
