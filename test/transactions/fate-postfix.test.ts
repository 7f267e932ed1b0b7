// Mail fate with a real mail system, end to end. Postfix is the smart host: it delivers
// known@ to a maildir and has no nobody@; its own DSNs (success for one, failure for the
// other) come back through a transport map to the region's bounce listener. Then the
// journal says DELIVERED and BOUNCED 5.1.1, MINQ answers both, a webhook receiver got each
// signed event once (checked with the specification's verifier), the bounced address is
// suppressed and the next mail to it is not sent. The comment gives what a bounce costs:
// the time from the mail's answer to the fate on record and to the webhook.
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, connect, type AddressInfo, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import t from 'tap';
import { Webhook } from 'standardwebhooks';
import { codePage } from '../../cics/codepages.js';
import { jsonToRecord, recordToJson } from '../../cics/copybook/json.js';
import { copybook } from '../../cics/copybook/library.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import { recipientViews } from '../../journal/fate.js';
import { startBouncingPostfix } from '../helpers/postfix-dsn.js';
import { postfixUnavailable } from '../helpers/postfix.js';
import { startRegion } from '../helpers/region.js';
import { until } from '../helpers/until.js';

const unavailable = postfixUnavailable();
const cp = codePage(37);

t.test(
  'Postfix delivers one and bounces the other: fates, MINQ, webhooks, suppression',
  { skip: unavailable ?? false },
  async (t) => {
    // Postfix needs the listener's port before the region (which needs Postfix's) starts: a
    // forwarder on port 0 stands in for it and passes each connection on once it is known.
    let listenerPort = 0;
    const sockets = new Set<Socket>();
    const forwarder = createTcpServer((socket) => {
      const upstream = connect(listenerPort, '127.0.0.1');
      for (const s of [socket, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => forwarder.listen(0, '127.0.0.1', resolve));
    t.teardown(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => forwarder.close(() => resolve()));
    });
    const mta = await startBouncingPostfix(t, {
      bounceDomain: 'bounce.example',
      listener: { host: '127.0.0.1', port: (forwarder.address() as AddressInfo).port },
    });

    // The webhook receiver: each POST verified as it comes, with the time it came.
    const secret = `whsec_${randomBytes(32).toString('base64')}`;
    const verifier = new Webhook(secret.slice(6));
    const events: { at: number; id: string; type: string; data: { recipient?: string; status?: string } }[] = [];
    const receiver = createHttpServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const event = verifier.verify(body, req.headers as Record<string, string>) as (typeof events)[number];
        events.push({ ...event, at: performance.now(), id: String(req.headers['webhook-id']) });
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    t.teardown(() => new Promise<void>((resolve) => receiver.close(() => resolve())));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/fate`;

    const region = await startRegion(t, {
      CICSMAIL_RELAY: mta.url,
      CICSMAIL_SYSID: 'PRD1',
      CICSMAIL_BOUNCE_ADDRESS: 'bounce+{sysid}.{seq}@bounce.example',
      CICSMAIL_BOUNCE_LISTEN: '127.0.0.1:0',
      CICSMAIL_DSN_NOTIFY: 'success,failure,delay',
      CICSMAIL_WEBHOOKS: JSON.stringify([{ url: hook, secret, events: ['delivered', 'bounced', 'suppressed'] }]),
    });
    listenerPort = region.app.bounceListener?.port ?? 0;

    const mail = (to: string) =>
      buildMailCommarea({ from: 'payroll@corp.example', to, subject: 'payslip', body: 'hi' }, 37);
    const sentAt = performance.now();
    const res = await region.post('MAIL', mail('known@example.test, nobody@example.test'));
    const answer = readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
    t.same([answer.rc, answer.reason, answer.journalSeq], [0, 'SENT', 1]);

    // A real wait: Postfix reports in about a second here; the bound is far above it.
    const fates = () => recipientViews(region.journal().get(1)!, Date.now(), 0);
    const seen: Record<string, number> = {};
    await until(
      'both reports on record',
      () => {
        for (const v of fates())
          if (v.fate !== 'RELAYED' && seen[v.recipient] === undefined) seen[v.recipient] = performance.now();
        return Object.keys(seen).length === 2;
      },
      60_000,
    );
    t.same(
      fates().map((v) => [v.recipient, v.fate, v.status]),
      [
        ['known@example.test', 'DELIVERED', '2.0.0'],
        ['nobody@example.test', 'BOUNCED', '5.1.1'],
      ],
      `Postfix's log ends:\n${mta.log().split('\n').slice(-10).join('\n')}`,
    );
    t.match(fates()[1]?.diagnostic, /unknown user: "nobody@example\.test"/);
    t.equal(region.journal().get(1)?.bounces, 2, 'both reports kept beside the record');

    // MINQ, as the program that sent it asks.
    const minqca = copybook('MINQCA');
    const ask = jsonToRecord(
      {
        mq_version: '01',
        mq_journal_seq: 1,
        mq_rc: 0,
        mq_found_seq: 0,
        mq_rcpt_total: 0,
        mq_rcpt_count: 0,
        mq_rcpt: [],
      },
      minqca,
      cp,
    ).bytes;
    const inquiry = recordToJson(Buffer.from(await (await region.post('MINQ', ask)).arrayBuffer()), minqca, cp);
    t.match(inquiry, { mq_rc: 0, mq_reason: 'FOUND', mq_state: 'SENT', mq_rcpt_count: 2 });
    t.same(
      (inquiry.mq_rcpt as Record<string, string>[]).map((r) => [r.mq_address, r.mq_fate, r.mq_status]),
      [
        ['known@example.test', 'DELIVERED', '2.0.0'],
        ['nobody@example.test', 'BOUNCED', '5.1.1'],
      ],
    );

    // The webhooks: each event once, each signature good (verify threw otherwise).
    await until('three webhook events', () => events.length >= 3, 30_000);
    t.same(events.map((e) => [e.type, e.data.recipient, e.data.status]).sort(), [
      ['mail.bounced', 'nobody@example.test', '5.1.1'],
      ['mail.delivered', 'known@example.test', '2.0.0'],
      ['mail.suppressed', 'nobody@example.test', '5.1.1'],
    ]);
    t.equal(new Set(events.map((e) => e.id)).size, 3, 'three ids, once each');

    // Suppressed: the next mail to nobody@ is not sent.
    t.match(region.journal().suppression.get('nobody@example.test'), { reason: 'BOUNCED', source: { seq: 1 } });
    const again = readMailResponse(
      Buffer.from(await (await region.post('MAIL', mail('nobody@example.test'))).arrayBuffer()),
      37,
    );
    t.same([again.rc, again.reason, again.journalSeq], [12, 'SUPPRESS', 0]);
    t.equal(region.journal().latest()?.seq, 1, 'no record, nothing sent');
    t.same(region.app.bounceCounts(), { accepted: 2, refused: {}, unchanged: 0 });

    const ms = (at: number | undefined) => (at === undefined ? 'none' : `${Math.round(at - sentAt)} ms`);
    const hookAt = (type: string) => events.find((e) => e.type === type)?.at;
    t.comment(
      `from MAIL's answer: DELIVERED on record ${ms(seen['known@example.test'])}, webhook ${ms(hookAt('mail.delivered'))}; ` +
        `BOUNCED on record ${ms(seen['nobody@example.test'])}, webhook ${ms(hookAt('mail.bounced'))}`,
    );
  },
);
