// Reading something again and again while a page shows it: the one way the console's pages
// poll. A read starts when the page opens, the next one `every` ms after it ends (never two
// at once, however slow the region is), none while the tab is hidden (one at once when it
// shows again), none after the page is left; a read that fails keeps what the page shows,
// says why, and the next waits twice as long, up to MAX_BACKOFF_MS.
import { useEffect, useRef, useState } from 'preact/hooks';

/** The longest wait between reads after failures. */
export const MAX_BACKOFF_MS = 30_000;

/**
 * What a page shows of its reads: the last one that worked (null before it), the error of
 * the last one where it failed (null once one works again), and a read now, for a page that
 * has just changed what it reads.
 * @template T
 * @typedef {{ data: T | null, error: unknown, reload: () => void }} Poll
 */

/**
 * How long to wait before the next read.
 * @param {number} every
 * @param {number} failures reads that failed in a row
 */
export function delayAfter(every, failures) {
  return failures === 0 ? every : Math.min(every * 2 ** failures, Math.max(every, MAX_BACKOFF_MS));
}

/**
 * Reads now, then every `every` ms while the page is open and the tab visible. `read` gets
 * what the last read gave (null at first: a page that adds to what it has builds on it) and
 * a signal that aborts it when the page is left or reloads. `key` lists what the reads
 * depend on: where it changes, the page starts over from nothing (null).
 * @template [T=unknown]
 * @param {(previous: T | null, signal: AbortSignal) => Promise<T>} read
 * @param {{ every: number, key?: readonly unknown[] }} options
 * @returns {Poll<T>}
 */
export function usePoll(read, { every, key = [] }) {
  const [shown, setShown] = useState(/** @type {{ data: T | null, error: unknown }} */ ({ data: null, error: null }));
  // The page's latest function: it may close over what the page rendered last.
  const latest = useRef(read);
  latest.current = read;
  const reloadNow = useRef(() => {});

  useEffect(() => {
    /** @type {T | null} */
    let data = null;
    let failures = 0;
    let left = false;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    let timer;
    /** @type {AbortController | null} */
    let reading = null;

    const next = () => {
      clearTimeout(timer);
      timer = undefined;
      if (!left && !document.hidden) timer = setTimeout(tick, delayAfter(every, failures));
    };
    const tick = () => {
      clearTimeout(timer);
      timer = undefined;
      reading?.abort();
      const mine = new AbortController();
      reading = mine;
      // A read that throws before its promise fails like one whose promise does.
      new Promise((resolve) => resolve(latest.current(data, mine.signal))).then(
        /** @param {T} value */ (value) => {
          if (left || reading !== mine) return;
          reading = null;
          data = value;
          failures = 0;
          setShown({ data: value, error: null });
          next();
        },
        /** @param {unknown} error */ (error) => {
          if (left || reading !== mine) return;
          reading = null;
          failures += 1;
          setShown((s) => ({ data: s.data, error }));
          next();
        },
      );
    };
    const onVisibility = () => {
      if (document.hidden) {
        clearTimeout(timer);
        timer = undefined;
      } else if (!reading && timer === undefined) {
        tick();
      }
    };

    // A new key starts over: nothing shown of the reads of the one before.
    setShown((s) => (s.data === null && s.error === null ? s : { data: null, error: null }));
    reloadNow.current = tick;
    document.addEventListener('visibilitychange', onVisibility);
    tick();
    return () => {
      left = true;
      clearTimeout(timer);
      reading?.abort();
      document.removeEventListener('visibilitychange', onVisibility);
    };
    // The reads depend on what the page says they do (key), not on the function's identity.
  }, [every, ...key]);

  return { data: shown.data, error: shown.error, reload: () => reloadNow.current() };
}
