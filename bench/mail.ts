// The one mail every part of the benchmark sends: about 2 KB once composed (headers and a
// plain text body), the same sender, recipient, subject and text for the region (as a
// MAILCA COMMAREA in EBCDIC), for nodemailer (sendMail) and, as the region composed it,
// for the SMTP ceiling.
import type { MailSpec } from '../cli/load/payloads.js';

const LINE = 'Volume SYSRES is 97 percent full; dataset SYS1.LINKLIB has 3 extents left.';

export const BENCH_MAIL: MailSpec = {
  from: 'batch@example.test',
  to: ['ops@example.test'],
  cc: [],
  subject: 'DAILY REPORT OF DISK UTILIZATION',
  importance: 'N',
  html: false,
  // 22 lines of 75 characters: 1,694 bytes of text, 2,000 bytes with the region's headers.
  body: Array.from({ length: 22 }, (_, i) => `${String(i + 1).padStart(2, '0')} ${LINE}`.slice(0, 75)).join('\n'),
};
