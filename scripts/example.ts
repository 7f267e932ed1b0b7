// npm run example: sends one mail through a running region with an EBCDIC (CCSID 037)
// COMMAREA built by the project's own encoder, then shows the answer, the mail as the
// capture relay received it, and where it is in the journal.
import { buildMailCommarea, readMailResponse } from '../client/mailca.js';
import { refusalText } from '../client/protocol.js';
import { RegionUnreachable } from '../client/errors.js';
import { RegionClient } from '../client/region-client.js';

const ccsid = 37;
// The administrator's id and password that the region printed at its first start.
if (!process.env.CICSMAIL_USER) {
  console.error(
    "example: set CICSMAIL_USER to ADMIN:<the password the region printed at its first start>, e.g. CICSMAIL_USER='ADMIN:xxxx' npm run example",
  );
  process.exit(2);
}
const region = RegionClient.from();

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

let reply;
try {
  reply = await region.runTask(
    'MAIL',
    { parts: [commarea], contentType: 'application/octet-stream' },
    { ccsid, jobname: 'EXAMPLE' },
  );
} catch (err) {
  if (!(err instanceof RegionUnreachable)) throw err;
  console.error(`example: ${err.message}; start one with npm start`);
  process.exit(1);
}
const { answer, body } = reply;
console.log(
  `POST ${region.url}/cics/MAIL  ${commarea.length} bytes of EBCDIC ${ccsid}, first ones: ${commarea.subarray(0, 16).toString('hex')}`,
);
console.log(
  `HTTP ${answer.status}  X-CICS-Resp: ${answer.resp}  X-CICS-Taskn: ${answer.taskn}  X-Journal-Seq: ${answer.seqs.join(',')}`,
);
if (answer.status !== 200) {
  console.log(refusalText(body.toString('utf8')));
  process.exit(1);
}
const mail = readMailResponse(body, ccsid);
console.log('returned COMMAREA:');
console.log(`  MC-RC          ${mail.rc}`);
console.log(`  MC-REASON      ${mail.reason}`);
console.log(`  MC-MESSAGE-ID  ${mail.messageId}`);
console.log(`  MC-JOURNAL-SEQ ${mail.journalSeq}`);
console.log(`  MC-RELAY-REPLY ${mail.relayReply}`);

const captured = /captured as (\d+)/.exec(mail.relayReply)?.[1];
if (captured) {
  console.log(`\nGET ${region.url}/captured/${captured}:`);
  console.log((await region.bytes(`/captured/${captured}`)).toString('utf8').trimEnd());
}
console.log(`\nIn the journal: npx cicsmail journal show ${mail.journalSeq}`);
