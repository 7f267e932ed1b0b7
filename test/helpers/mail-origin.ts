// A mail's origin as a task gives it to Journal.accept: the journal tests' smallest one,
// told apart by its task number and Message-ID; and the attempt that settles it as sent.
import type { Attempt, MailOrigin } from '../../journal/record.js';

export const mailOrigin = (n: number): MailOrigin => ({
  tranid: 'MAIL',
  taskn: n,
  userid: 'CICSUSER',
  jobname: '',
  ccsid: 37,
  envelope: { from: 'a@b.example', to: ['c@d.example'] },
  subject: 's',
  attachments: 0,
  messageId: `<m${n}@x>`,
});

/** The relay took `mailOrigin`'s mail: the attempt Journal.settle makes SENT. */
export const sentAttempt = (at = new Date()): Attempt => ({
  at: at.toISOString(),
  relay: 'smtp://r',
  outcome: 'sent',
  reply: '250 ok',
  via: 'task',
  accepted: ['c@d.example'],
});
