// A program's context as a worker gives it, for tests that call a program's parts directly:
// task 1 of TESTER, a sender policy that lets any sender through, nothing committed yet.
import type { Eib, ProgramContext } from '../../cics/task.js';

export function programContext<Services>(
  services: Services,
  more: Partial<Omit<ProgramContext<Services>, 'eib' | 'services'>> & { readonly eib?: Partial<Eib> } = {},
): ProgramContext<Services> {
  const { eib, ...rest } = more;
  return {
    eib: {
      eibtrnid: 'MAIL',
      eibtaskn: 1,
      eibcalen: 0,
      eibdate: 126338,
      eibtime: 120000,
      eibusrid: 'TESTER',
      eibjobnm: 'PAYROLL',
      ...eib,
    },
    deadline: Infinity,
    ccsid: 37,
    commarea: new Uint8Array(0),
    containers: [],
    substitutions: 0,
    security: {
      senders: ['*'],
      defaultSender: null,
      policy: 'verify',
      maxMessageBytes: 1 << 20,
      maxRecipients: 10,
      recipientDomains: [],
      remote: '127.0.0.1',
    },
    services,
    committed: () => true,
    now: Date.now,
    takeMail: () => true,
    ...rest,
  };
}
