// A burst report's key as parts, KEYMAIL statements and the region's key maps compare it:
// ASCII letters in upper case, blanks as one, none at either end. Here because SEND
// (transactions/) and the key maps' store (journal/) both compare keys.

/** `branch  0042 ` and `BRANCH 0042` are one key. */
export const burstKey = (key: string): string =>
  key
    .trim()
    .replace(/\s+/g, ' ')
    .replace(/[a-z]+/g, (m) => m.toUpperCase());
