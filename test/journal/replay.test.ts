// Redeliver over HTTP: the stored bytes again, same Message-ID, to the configured relay or
// another, each replay on its record; a dry run sends nothing.
import t from 'tap';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';

const relay = await startRelay(t);
const other = await startRelay(t);
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });
const replay = async (body: unknown) => {
  const res = await region.fetch(`/journal/replay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

const answers: ReturnType<typeof readMailResponse>[] = [];
for (const job of ['AGAIN', 'ONCE', 'AGAIN']) {
  const res = await region.post(
    'MAIL',
    buildMailCommarea({ from: 'batch@corp.example', to: 'ops@corp.example', subject: job }, 37),
    { 'X-CICS-Jobname': job },
  );
  answers.push(readMailResponse(Buffer.from(await res.arrayBuffer()), 37));
}

t.test('a dry run lists what would go, and sends nothing', async (t) => {
  const r = await replay({ mode: 'redeliver', filter: { jobname: 'AGAIN' }, dryRun: true });
  t.equal(r.status, 200);
  t.same(r.body, {
    mode: 'redeliver',
    sysid: 'CICSMAIL',
    dryRun: true,
    relay: relay.url,
    results: [1, 3].map((seq) => ({ seq, messageId: answers[seq - 1]!.messageId, recipients: ['ops@corp.example'] })),
  });
  t.equal(relay.mails.length, 3);
});

t.test('redeliver sends the stored bytes again and records it on the record', async (t) => {
  const r = await replay({ mode: 'redeliver', filter: { jobname: 'AGAIN' } });
  t.equal(r.status, 200);
  t.match(r.body.results, [
    { seq: 1, outcome: 'sent', reply: /^250 / },
    { seq: 3, outcome: 'sent' },
  ]);
  t.equal(relay.mails.length, 5);
  t.same(relay.mails[3]?.message, relay.mails[0]?.message, 'byte for byte, same Message-ID');
  const record = region.journal().get(1)!;
  t.equal(record.state, 'SENT', 'the state does not move');
  t.equal(record.attempts.length, 1);
  t.match(record.replays, [{ via: 'replay', outcome: 'sent', relay: relay.url }]);
});

t.test('to another relay', async (t) => {
  const r = await replay({ mode: 'redeliver', filter: { messageId: answers[1]!.messageId }, relay: other.url });
  t.match(r.body, { relay: other.url, results: [{ seq: 2, outcome: 'sent' }] });
  t.same(other.mails[0]?.message, relay.mails[1]?.message);
});

t.test('requests it cannot do, with the reason', async (t) => {
  t.equal((await replay({ mode: 'redrive', url: 'ftp://x' })).status, 400, 'redrive to a URL that is not http');
  t.equal((await replay({ mode: 'redrive', speed: 0 })).status, 400, 'redrive at speed 0');
  t.same(await replay({ mode: 'redeliver', relay: 'http://x' }), {
    status: 400,
    body: { resp: 'INVREQ', resp2: 1, abcode: 'AEIP', message: "relay scheme 'http:' is not smtp: or smtps:" },
  });
  t.same(await replay({ mode: 'redeliver', filter: { since: '2026-02-30' } }), {
    status: 400,
    body: {
      resp: 'INVREQ',
      resp2: 1,
      abcode: 'AEIP',
      message: "since '2026-02-30' is not a time like 2026-11-28T13:00:00Z",
    },
  });
  t.equal((await replay({ mode: 'again' })).status, 400);
  t.equal((await replay({ mode: 'redeliver', filter: { colour: 'blue' } })).status, 400);
  t.equal(relay.mails.length, 5, 'nothing sent');
});
