// A region with a bounce address: from the setting through the worker to the wire. The
// relay (offering DSN) reads the mail's own return path and ENVID, the journal's sequence in
// both, and NOTIFY and ORCPT for each recipient; the message and the record keep the
// program's sender.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { startRegion } from '../helpers/region.js';
import { smtpError, startRelay } from '../helpers/relay.js';
import { until } from '../helpers/until.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';

t.test('MAIL with CICSMAIL_BOUNCE_ADDRESS: the return path and DSN on the wire', async (t) => {
  const relay = await startRelay(t, { options: { hideDSN: false } });
  const region = await startRegion(t, {
    CICSMAIL_RELAY: relay.url,
    CICSMAIL_SYSID: 'PRD1',
    CICSMAIL_BOUNCE_ADDRESS: 'bounce+{sysid}.{seq}@bounce.example',
    CICSMAIL_DSN_NOTIFY: 'failure',
  });
  const request = readFileSync(new URL('../fixtures/mail-037.bin', import.meta.url));
  const res = await region.post('MAIL', request);
  const response = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
  t.same([response.rc, response.reason, response.journalSeq], [0, 'SENT', 1]);
  t.same(relay.commands.slice(1, 6), [
    'MAIL FROM:<bounce+prd1.1@bounce.example> RET=HDRS ENVID=PRD1.1',
    'RCPT TO:<wayne@bar.com> NOTIFY=FAILURE ORCPT=rfc822;wayne@bar.com',
    'RCPT TO:<robin@bar.com> NOTIFY=FAILURE ORCPT=rfc822;robin@bar.com',
    'RCPT TO:<alfred@bar.com> NOTIFY=FAILURE ORCPT=rfc822;alfred@bar.com',
    'RCPT TO:<oracle@bar.com> NOTIFY=FAILURE ORCPT=rfc822;oracle@bar.com',
  ]);
  t.equal(relay.mails[0]?.from, 'bounce+prd1.1@bounce.example');
  t.match(
    relay.mails[0]?.message.toString('latin1'),
    /^From: Commissioner Gordon <foo@bar\.com>\r$/m,
    "the From header is the program's",
  );
  t.equal(region.journal().get(1)?.envelope.from, 'foo@bar.com', "the record keeps the program's sender");
});

t.test("the retry spool's attempt and a replay go from the same return path, with the same DSN", async (t) => {
  let refusals = 0;
  const relay = await startRelay(t, {
    options: { hideDSN: false },
    // The first attempt is deferred: the retry spool sends the next.
    rcptTo: () => (refusals++ === 0 ? smtpError(451, '4.3.0 try again') : undefined),
  });
  const region = await startRegion(t, {
    CICSMAIL_RELAY: relay.url,
    CICSMAIL_SYSID: 'PRD1',
    CICSMAIL_BOUNCE_ADDRESS: 'bounce+{sysid}.{seq}@bounce.example',
    CICSMAIL_RETRY_FIRST_MS: '10',
    CICSMAIL_RETRY_POLL_MS: '10',
  });
  const request = buildMailCommarea({ from: 'foo@bar.com', to: 'wayne@bar.com', subject: 'retry', body: 'hi' }, 37);
  const res = await region.post('MAIL', request);
  t.equal(readMailResponse(Buffer.from(await res.arrayBuffer()), 37).reason, 'DEFERRED');
  await until('the retry', () => region.journal().get(1)?.state === 'SENT');
  const replay = await region.fetch('/journal/replay', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ mode: 'redeliver', seq: 1 }),
  });
  t.equal(replay.status, 200);
  const mailFrom = relay.commands.filter((c) => c.startsWith('MAIL FROM'));
  t.same(mailFrom, Array(3).fill('MAIL FROM:<bounce+prd1.1@bounce.example> RET=HDRS ENVID=PRD1.1'));
  t.same(
    relay.mails.map((m) => m.from),
    ['bounce+prd1.1@bounce.example', 'bounce+prd1.1@bounce.example'],
  );
  t.same(
    region
      .journal()
      .get(1)
      ?.attempts.map((a) => a.via),
    ['task', 'retry'],
  );
});
