// npm run example: sends one mail through a running region with an EBCDIC (CCSID 037)
// COMMAREA built by the project's own encoder, then shows the answer, the mail as the
// capture relay received it, and where it is in the journal.
import { buildMailCommarea, readMailResponse } from '../transactions/mail/commarea.js';

const base = process.env.CICSMAIL_URL ?? `http://127.0.0.1:${process.env.CICSMAIL_PORT ?? '8080'}`;
const ccsid = 37;
// The administrator's id and password that the region printed at its first start.
const user = process.env.CICSMAIL_USER;
if (!user) {
  console.error("example: set CICSMAIL_USER to ADMIN:<the password the region printed at its first start>, e.g. CICSMAIL_USER='ADMIN:xxxx' npm run example");
  process.exit(2);
}
const authorization = `Basic ${Buffer.from(user, 'utf8').toString('base64')}`;

const commarea = buildMailCommarea(
  {
    from: '"Commissioner Gordon" <foo@bar.com>',
    to: '"Bruce Wayne" <wayne@bar.com>',
    subject: 'DAILY REPORT OF DISK UTILIZATION',
    importance: 'H',
    body: 'Please fix the bulb in the searchlight.\nVolume SYSRES is 97% full.',
  },
  ccsid,
);

let res: Response;
try {
  res = await fetch(`${base}/cics/MAIL`, {
    method: 'POST',
    headers: { authorization, 'Content-Type': 'application/octet-stream', 'X-CICS-CCSID': String(ccsid), 'X-CICS-Jobname': 'EXAMPLE' },
    body: commarea,
  });
} catch (err) {
  console.error(`example: no region at ${base} (${(err as Error).cause ?? (err as Error).message}); start one with npm start`);
  process.exit(1);
}
console.log(`POST ${base}/cics/MAIL  ${commarea.length} bytes of EBCDIC ${ccsid}, first ones: ${commarea.subarray(0, 16).toString('hex')}`);
console.log(`HTTP ${res.status}  X-CICS-Resp: ${res.headers.get('x-cics-resp')}  X-CICS-Taskn: ${res.headers.get('x-cics-taskn')}  X-Journal-Seq: ${res.headers.get('x-journal-seq')}`);
const body = Buffer.from(await res.arrayBuffer());
if (res.status !== 200) {
  console.log(body.toString('utf8'));
  process.exit(1);
}
const reply = readMailResponse(body, ccsid);
console.log('returned COMMAREA:');
console.log(`  MC-RC          ${reply.rc}`);
console.log(`  MC-REASON      ${reply.reason}`);
console.log(`  MC-MESSAGE-ID  ${reply.messageId}`);
console.log(`  MC-JOURNAL-SEQ ${reply.journalSeq}`);
console.log(`  MC-RELAY-REPLY ${reply.relayReply}`);

const captured = /captured as (\d+)/.exec(reply.relayReply)?.[1];
if (captured) {
  console.log(`\nGET ${base}/captured/${captured}:`);
  console.log((await (await fetch(`${base}/captured/${captured}`, { headers: { authorization } })).text()).trimEnd());
}
console.log(`\nIn the journal: npx cicsmail journal show ${reply.journalSeq}`);
