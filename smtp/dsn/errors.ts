// Why a bounce changes nothing: a stable code for each refusal, the reply the listener gives
// it, and what it means. The listener counts refusals by these codes (and by the owner's own
// reasons); docs/bounces.md lists them for operators.

export const BOUNCE_REFUSALS = {
  NOTOURS: { reply: '550 5.1.1', text: "the RCPT is no return path of this region's bounce address: no relay" },
  OTHERREGION: { reply: '550 5.1.1', text: "the RCPT is a return path of another SYSID's" },
  BADTAG: {
    reply: '550 5.7.1',
    text: "the RCPT has the shape of a return path, but its tag is not the mail's (CICSMAIL_BOUNCE_KEY): a forgery",
  },
  TOOMANYRCPT: {
    reply: '452 4.5.3',
    text: 'a second RCPT in one transaction: a bounce has one return path (the client sends it again in a transaction of its own)',
  },
  RATE: { reply: '451 4.7.1', text: 'the client address has sent its bounces for this minute' },
  TOOLARGE: { reply: '552', text: 'the bounce is over the size limit' },
  UNREADABLE: {
    reply: '554 5.6.0',
    text: "the MIME structure is past the reader's limits (parts, depth, header size)",
  },
  ENVIDMISMATCH: {
    reply: '554 5.6.0',
    text: "the report's Original-Envelope-Id names another mail than its return path does (a forgery, or another region's)",
  },
  MALFORMED: { reply: '554 5.6.0', text: 'a delivery-status part with no recipient block that can be read' },
  NOSTATUS: {
    reply: '554 5.6.0',
    text: 'no delivery-status part, and nothing the rules take for a bounce (an out-of-office reply, say)',
  },
  CALLBACK: {
    reply: '451 4.3.0',
    text: "the listener's owner failed to take the bounce (the client tries again later)",
  },
} as const;

/** Why the listener refused something. */
export type ListenerRefusal = keyof typeof BOUNCE_REFUSALS;

/** Why the reader (bounce.ts) refuses a bounce. */
export type BounceRefusal = Extract<
  ListenerRefusal,
  'NOTOURS' | 'OTHERREGION' | 'ENVIDMISMATCH' | 'TOOLARGE' | 'UNREADABLE' | 'MALFORMED' | 'NOSTATUS'
>;

/** The reply to a bounce its owner refused (RFC 3463 5.7.1: refused by this system's policy). */
export const OWNER_REFUSAL = '550 5.7.1';
