// Waiting for what happens after an answer (a commit that follows it, a retry): polled, with
// a bound far above what it needs, so that the verdict is the state reached, not the time.

/** Resolves once `test()` holds; rejects naming `what` after `ms`. */
export async function until(what: string, test: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
