// A refusal flood leaves the journal bounded: a SPOL stream of 400 mails (a COMMAREA's worth) from a sender the
// user may not use is answered mail by mail (RC 16 each, nothing sent), and the
// journal keeps one DENIED record with the count, not one a mail (5,000 records before).
import t from 'tap';
import { startRegion } from '../helpers/region.js';
import { Journal } from '../../journal/journal.js';
import { startRelay } from '../helpers/relay.js';
import { basicAuth } from '../helpers/users.js';
import { ebcdicLines, fromEbcdic } from '../helpers/ebcdic.js';

const relay = await startRelay(t);
const BATCH = { id: 'BATCH1', password: 'batch1-password', transactions: ['*'], senders: ['batch@corp.example'] };
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url }, { users: [BATCH] });

t.test('400 refused mails in one stream: one DENIED record with their count', async (t) => {
  // 400 mails fill a COMMAREA (32,763 bytes).
  const MAILS = 400;
  const mail = ['MAIL FROM:<ceo@corp.example>', 'RCPT TO:<all@corp.example>', 'DATA', 'Subject: x', '', 'x', '.'];
  const lines = ['HELO BATCH', ...Array.from({ length: MAILS }, () => mail).flat(), 'QUIT'];
  const res = await region.post('SPOL', ebcdicLines(lines, 37), {
    'x-cics-ccsid': '37',
    authorization: basicAuth(BATCH.id, BATCH.password),
  });
  t.equal(res.status, 200, res.status === 200 ? 'answered' : await res.clone().text());
  const report = fromEbcdic(Buffer.from(await res.arrayBuffer()), 37)
    .split('\u0085')
    .slice(0, -1);
  t.equal(
    report.filter((line) => /^RC=16 LINE=\d+ user BATCH1 may not send as ceo@corp\.example$/.test(line)).length,
    MAILS,
    'each mail refused',
  );
  t.equal(relay.mails.length, 0, 'nothing sent');
  // The worker writes the count a few seconds behind; closing the region writes it at once.
  await region.app.close();
  const journal = Journal.open(region.config.dataDir);
  t.teardown(() => journal.close());
  const denied = journal.list({ limit: 10_000, state: 'DENIED' }).filter((r) => r.denial?.reason === 'SENDER');
  t.equal(denied.length, 1, 'one record');
  t.equal(denied[0]?.denial?.count, MAILS, 'counting every refused mail');
});
