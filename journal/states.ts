// The one place that says which journal states a mail may move between. No other code
// chooses a next state: it reports an outcome and `nextState` answers.

export type MailState = 'ACCEPTED' | 'SENT' | 'DEFERRED' | 'FAILED';

/** What one delivery attempt came to. */
export type AttemptOutcome = 'sent' | 'deferred' | 'failed';

const MOVES: Record<MailState, readonly MailState[]> = {
  ACCEPTED: ['SENT', 'DEFERRED', 'FAILED'],
  DEFERRED: ['SENT', 'DEFERRED', 'FAILED'],
  SENT: [],
  FAILED: [],
};

const STATE_OF_OUTCOME: Record<AttemptOutcome, MailState> = {
  sent: 'SENT',
  deferred: 'DEFERRED',
  failed: 'FAILED',
};

/** The state after an attempt, or undefined where the record may not move (it is final). */
export function nextState(from: MailState, outcome: AttemptOutcome): MailState | undefined {
  const to = STATE_OF_OUTCOME[outcome];
  return MOVES[from].includes(to) ? to : undefined;
}

/** A state that no further attempt changes. */
export function isFinal(state: MailState): boolean {
  return MOVES[state].length === 0;
}
