// A delivery as the journal records it: one attempt.
import type { Attempt } from '../../journal/journal.js';
import type { Delivery } from './connection.js';

export function attemptOf(delivery: Delivery, via: Attempt['via']): Attempt {
  return {
    at: new Date().toISOString(),
    relay: delivery.relay,
    outcome: delivery.kind,
    reply: delivery.reply,
    via,
    accepted: delivery.accepted ?? [],
    ...(delivery.refused.length > 0 ? { refused: delivery.refused } : {}),
  };
}
