// What can go wrong when a caller talks to a region, one class a failure with a stable
// code. The messages say what happened in the region's and the network's words; a command
// adds the flag or variable that fixes it (cli/region-errors.ts), since the region's own
// redrive uses this client too and has no flags.

/** The region could not be reached (nothing listens, a reset, a name that does not resolve). */
export class RegionUnreachable extends Error {
  readonly code: string = 'CICSMAIL_REGION_UNREACHABLE';
}

/** Where a region took too long: setting up the connection, starting its answer, finishing it. */
export type TimeoutPhase = 'connect' | 'first byte' | 'answer';

/** The region did not connect, start its answer or finish it within the time allowed. */
export class RegionTimedOut extends RegionUnreachable {
  override readonly code = 'CICSMAIL_REGION_TIMEOUT';
  constructor(
    readonly phase: TimeoutPhase,
    readonly limitMs: number,
    message: string,
  ) {
    super(message);
  }
}

/** The region's answer was larger than the caller takes: it was not read on. */
export class RegionAnswerTooLarge extends Error {
  readonly code = 'CICSMAIL_REGION_TOO_LARGE';
  constructor(
    readonly limitBytes: number,
    message: string,
  ) {
    super(message);
  }
}

/** The region answered 200 with something that is not what the route gives (not JSON, a record of the wrong shape, a page that does not move on). */
export class RegionAnswerInvalid extends Error {
  readonly code = 'CICSMAIL_REGION_ANSWER';
}

/** The region answered with a refusal (4xx, 5xx) to a route that is not a task. */
export class RegionRefused extends Error {
  readonly code = 'CICSMAIL_REGION_REFUSED';
  constructor(
    readonly status: number,
    message: string,
    /** Whether the request carried credentials (a 401 then means wrong ones, not none). */
    readonly withCredentials = true,
  ) {
    super(message);
  }
}

/** A URL that is not one. */
export class RegionUrlInvalid extends Error {
  readonly code = 'CICSMAIL_REGION_URL';
}
