// A mail's origin as a task gives it to Journal.accept: the journal tests' smallest one,
// told apart by its task number and Message-ID.
import type { MailOrigin } from '../../journal/record.js';

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
