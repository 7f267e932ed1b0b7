// Mails taken apart for the console (mail-view.ts), each once: parsed in a thread of its
// own, so that a mail of ten thousand parts (half a second of postal-mime) never holds the
// region's main thread, and kept, since a stored mail never changes (the journal writes a
// message once and never reuses its number; the capture relay likewise). What is kept is
// bounded by the mails' sizes (CACHE_BYTES), the one shown longest ago going first.
import { Piscina } from 'piscina';
import { workerEntry } from '../../cics/worker-entry.js';
import type { ParsedMail } from './mail-view.js';

/** Bytes of mail whose parsed views are kept (a parsed view holds about its mail's size). */
export const CACHE_BYTES = 64 * 1024 * 1024;

interface Kept {
  readonly parsed: Promise<ParsedMail>;
  readonly bytes: number;
}

export class MailViews {
  readonly #pool: Piscina<Uint8Array, ParsedMail>;
  /** In the order they were last asked for (a Map keeps insertion order). */
  readonly #kept = new Map<string, Kept>();
  readonly #limit: number;
  #bytes = 0;
  /** Mails parsed since start (tests: a mail shown twice is parsed once). */
  parses = 0;

  constructor(limit = CACHE_BYTES) {
    this.#limit = limit;
    // One thread, started when a mail is first shown, ended after a minute without one.
    this.#pool = new Piscina({
      ...workerEntry(import.meta.url, './mail-view-worker'),
      minThreads: 0,
      maxThreads: 1,
      idleTimeout: 60_000,
    });
  }

  /** The mail `key` names, taken apart; `load` reads its bytes where it is not kept (undefined: no such mail). */
  get(key: string, load: () => Uint8Array | undefined): Promise<ParsedMail> | undefined {
    const kept = this.#kept.get(key);
    if (kept) {
      this.#kept.delete(key);
      this.#kept.set(key, kept);
      return kept.parsed;
    }
    const message = load();
    if (!message) return undefined;
    this.parses++;
    const parsed = this.#pool.run(message);
    const entry = { parsed, bytes: message.byteLength };
    if (entry.bytes <= this.#limit) {
      this.#kept.set(key, entry);
      this.#bytes += entry.bytes;
      for (const [old, k] of this.#kept) {
        if (this.#bytes <= this.#limit) break;
        this.#kept.delete(old);
        this.#bytes -= k.bytes;
      }
      // A mail that could not be parsed is not kept: the next look tries again.
      parsed.catch(() => {
        if (this.#kept.get(key) === entry) {
          this.#kept.delete(key);
          this.#bytes -= entry.bytes;
        }
      });
    }
    return parsed;
  }

  close(): Promise<void> {
    return this.#pool.destroy();
  }
}
