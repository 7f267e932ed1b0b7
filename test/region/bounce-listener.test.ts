// The bounce listener as a service of the region: bounces to a mail's return path move its
// recipients' fates in the journal (with the bounce's bytes kept), a hard bounce suppresses
// the address, and hostile bounces (another region's, a mail never sent, a recipient the
// mail never had) change nothing and are counted. EXPIRED is read with the clock given.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { testPool } from '../helpers/smtp.js';
import { readMailResponse } from '../../client/mailca.js';
import { recipientViews } from '../../journal/fate.js';
import { parseFilter, queryRecords } from '../../journal/query.js';
import { QMAIL_BOUNCE, reportMail } from '../smtp/dsn/samples.js';
import type { TestLike } from '../helpers/test-like.js';

const MAIL_037 = readFileSync(new URL('../fixtures/mail-037.bin', import.meta.url));
const HOUR = 3_600_000;

async function fateRegion(t: TestLike, env: Record<string, string> = {}) {
  const relay = await startRelay(t, { options: { hideDSN: false } });
  const region = await startRegion(t, {
    CICSMAIL_RELAY: relay.url,
    CICSMAIL_SYSID: 'PRD1',
    CICSMAIL_BOUNCE_ADDRESS: 'bounce+{sysid}.{seq}@bounce.example',
    CICSMAIL_BOUNCE_LISTEN: '127.0.0.1:0',
    ...env,
  });
  const port = region.app.bounceListener?.port ?? 0;
  const bounce = (to: string, raw: Buffer) => testPool(t, `smtp://127.0.0.1:${port}`).send('', [to], raw);
  return { relay, region, bounce };
}

t.test(
  'DSNs to a return path move each recipient: DELIVERED, DELAYED, BOUNCED; a hard bounce suppresses',
  async (t) => {
    const { region, bounce } = await fateRegion(t);
    const res = await region.post('MAIL', MAIL_037);
    t.same(readMailResponse(Buffer.from(await res.arrayBuffer()), 37).journalSeq, 1);
    const report = reportMail({
      envid: 'PRD1.1',
      recipients: [
        { final: 'rfc822; wayne@bar.com', action: 'delivered', status: '2.0.0' },
        {
          final: 'rfc822; robin@bar.com',
          action: 'failed',
          status: '5.1.1',
          diagnostic: 'smtp; 550 5.1.1 no such user',
        },
        { final: 'rfc822; alfred@bar.com', action: 'delayed', status: '4.4.1', diagnostic: 'smtp; 451 try later' },
      ],
    });
    const delivery = await bounce('bounce+prd1.1@bounce.example', report);
    t.equal(delivery.reply, '250 2.0.0 bounce for PRD1.1 taken');
    const record = region.journal().get(1);
    const at = Date.parse(record?.updatedAt ?? '');
    t.same(
      recipientViews(record!, at, 120 * HOUR).map((v) => [v.recipient, v.fate, v.status, v.diagnostic]),
      [
        ['wayne@bar.com', 'DELIVERED', '2.0.0', ''],
        ['robin@bar.com', 'BOUNCED', '5.1.1', '550 5.1.1 no such user'],
        ['alfred@bar.com', 'DELAYED', '4.4.1', '451 try later'],
        ['oracle@bar.com', 'RELAYED', '', ''],
      ],
    );
    t.equal(record?.bounces, 1);
    t.equal(
      region.journal().fate.bounce(1, 1)?.toString('latin1'),
      report.toString('latin1'),
      'the bounce kept as it came',
    );
    t.match(region.journal().suppression.get('Robin@Bar.com'), {
      address: 'robin@bar.com',
      reason: 'BOUNCED',
      status: '5.1.1',
      source: { sysid: 'PRD1', seq: 1 },
      by: 'bounce',
    });
    t.equal(region.journal().suppression.get('alfred@bar.com'), undefined, 'a delay suppresses nothing');
    t.same(
      region
        .journal()
        .suppression.changes()
        .map((c) => [c.action, c.address, c.by]),
      [['add', 'robin@bar.com', 'bounce']],
    );

    // The alfred delay ends in a failure; a duplicate of robin's failure moves nothing.
    const later = reportMail({
      envid: 'PRD1.1',
      recipients: [
        { final: 'rfc822; alfred@bar.com', action: 'failed', status: '4.4.7', diagnostic: 'smtp; gave up' },
        { final: 'rfc822; robin@bar.com', action: 'failed', status: '5.1.1' },
      ],
    });
    t.equal((await bounce('bounce+prd1.1@bounce.example', later)).kind, 'sent');
    const views = recipientViews(region.journal().get(1)!, at, 120 * HOUR);
    t.same(
      views.map((v) => v.fate),
      ['DELIVERED', 'BOUNCED', 'BOUNCED', 'RELAYED'],
    );
    t.equal(views[1]?.diagnostic, '550 5.1.1 no such user', "robin's first report stands");
    t.equal(region.journal().suppression.get('alfred@bar.com'), undefined, 'a 4.x.x failure is no hard bounce');

    // EXPIRED: oracle relayed and nothing came within the window (read with the clock given).
    const relayed = Date.parse(region.journal().get(1)?.attempts[0]?.at ?? '');
    t.equal(recipientViews(region.journal().get(1)!, relayed + 120 * HOUR - 1, 120 * HOUR)[3]?.fate, 'RELAYED');
    t.equal(recipientViews(region.journal().get(1)!, relayed + 120 * HOUR, 120 * HOUR)[3]?.fate, 'EXPIRED');
    t.equal(recipientViews(region.journal().get(1)!, relayed + 9999 * HOUR, 0)[3]?.fate, 'RELAYED', 'window 0: never');

    // journal list --fate
    const fate = (f: string, now = at) =>
      queryRecords(region.journal(), parseFilter({ fate: f }, { now, windowMs: 120 * HOUR }), {
        limit: 10,
      }).records.map((r) => r.seq);
    t.same(
      [fate('bounced'), fate('DELIVERED'), fate('DELAYED'), fate('EXPIRED'), fate('EXPIRED', relayed + 200 * HOUR)],
      [[1], [1], [], [], [1]],
    );
    t.throws(() => parseFilter({ fate: 'LOST' }), { key: 'fate', message: /'LOST' is not one of RELAYED, DELIVERED/ });
    const listed = await region.fetch('/journal?fate=BOUNCED');
    t.same(
      ((await listed.json()) as { records: { seq: number }[] }).records.map((r) => r.seq),
      [1],
    );
  },
);

t.test('a bounce of another shape (no RFC 3464 report) for a one-recipient mail', async (t) => {
  const { region, bounce } = await fateRegion(t);
  const seq = await region.journal().accept(
    {
      tranid: 'MAIL',
      taskn: 1,
      userid: 'TESTER',
      jobname: 'J',
      ccsid: 37,
      envelope: { from: 'a@b.example', to: ['someone@far.example'] },
      subject: 's',
      attachments: 0,
      messageId: '<x@region.test>',
    },
    Buffer.from('Subject: s\r\n\r\nhi\r\n'),
  );
  await region.journal().settle(seq, {
    at: new Date().toISOString(),
    relay: 'r',
    outcome: 'sent',
    reply: '250 ok',
    via: 'task',
    accepted: ['someone@far.example'],
  });
  t.equal((await bounce(`bounce+prd1.${seq}@bounce.example`, QMAIL_BOUNCE)).kind, 'sent');
  t.match(region.journal().get(seq)?.fates, [{ recipient: 'someone@far.example', fate: 'BOUNCED', status: '5.1.1' }]);
});

t.test('hostile bounces change nothing and are counted by reason', async (t) => {
  const { region, bounce } = await fateRegion(t);
  await region.post('MAIL', MAIL_037);
  const before = JSON.stringify(region.journal().get(1));
  const failed = { final: 'rfc822; wayne@bar.com', action: 'failed', status: '5.1.1' };
  // Another region's return path: refused at RCPT.
  const other = await bounce('bounce+prd2.1@bounce.example', reportMail({ envid: 'PRD2.1', recipients: [failed] }));
  t.match(other, { kind: 'failed', reply: /^550 5\.1\.1 / });
  // A mail never sent.
  const never = await bounce('bounce+prd1.77@bounce.example', reportMail({ envid: 'PRD1.77', recipients: [failed] }));
  t.match(never, { kind: 'failed', reply: /^550 5\.7\.1 NOMAIL: no mail PRD1\.77/ });
  // A recipient the mail never had.
  const stranger = { final: 'rfc822; stranger@bar.com', action: 'failed', status: '5.1.1' };
  const nobody = await bounce('bounce+prd1.1@bounce.example', reportMail({ envid: 'PRD1.1', recipients: [stranger] }));
  t.match(nobody, { kind: 'failed', reply: /NORECIPIENT/ });
  // An ENVID of another mail than the return path's (a forgery).
  const forged = await bounce('bounce+prd1.1@bounce.example', reportMail({ envid: 'PRD1.2', recipients: [failed] }));
  t.match(forged, { kind: 'failed', reply: /^554/ });
  // Huge: over the size limit.
  const huge = reportMail({ envid: 'PRD1.1', recipients: [failed], perMessage: [`X-Pad: ${'x'.repeat(40_000)}`] });
  const small = await fateRegion(t, { CICSMAIL_BOUNCE_MAX_KB: '16' });
  t.match(await small.bounce('bounce+prd1.1@bounce.example', huge), { kind: 'failed', reply: /^552/ });
  t.equal(JSON.stringify(region.journal().get(1)), before, 'the record is as it was');
  t.equal(region.journal().suppression.size(), 0);
  t.same(region.app.bounceCounts(), {
    accepted: 0,
    refused: { OTHERREGION: 1, NOMAIL: 1, NORECIPIENT: 1, ENVIDMISMATCH: 1 },
    unchanged: 0,
  });
  // Our client declares SIZE=, which smtp-server refuses at MAIL before the listener sees it
  // (so uncounted); a client that declares nothing is refused after the dot and counted
  // TOOLARGE (test/smtp/dsn/listener.test.ts).
  t.same(small.region.app.bounceCounts().refused, {});
  const metrics = await (await region.fetch('/metrics')).text();
  for (const reason of ['OTHERREGION', 'NOMAIL', 'NORECIPIENT', 'ENVIDMISMATCH'])
    t.match(metrics, new RegExp(`^cicsmail_bounces\\{result="${reason}",sysid="PRD1"\\} 1$`, 'm'), reason);
  t.match(metrics, /^cicsmail_suppressed_addresses\{sysid="PRD1"\} 0$/m);
  t.match(metrics, /^cicsmail_outbox_events\{sysid="PRD1"\} 0$/m);
});

t.test('CICSMAIL_BOUNCE_KEY: return paths with a tag; a bounce to a guessed one is refused BADTAG', async (t) => {
  const { relay, region, bounce } = await fateRegion(t, { CICSMAIL_BOUNCE_KEY: 'the-region-s-bounce-secret' });
  await region.post('MAIL', MAIL_037);
  const from = relay.mails[0]?.from ?? '';
  t.match(from, /^bounce\+prd1\.1-[a-z2-7]{8}@bounce\.example$/);
  t.match(relay.commands[1], new RegExp(`^MAIL FROM:<${from.replace(/[.+]/g, '\\$&')}> RET=HDRS ENVID=PRD1\\.1`));
  const failed = { final: 'rfc822; wayne@bar.com', action: 'failed', status: '5.1.1' };
  const report = reportMail({ envid: 'PRD1.1', recipients: [failed] });
  t.match(await bounce('bounce+prd1.1@bounce.example', report), { kind: 'failed', reply: /^550 5\.1\.1 / });
  t.match(await bounce('bounce+prd1.1-aaaaaaaa@bounce.example', report), { kind: 'failed', reply: /^550 5\.7\.1 / });
  t.equal(region.journal().get(1)?.fates, undefined, 'nothing moved');
  t.match(await bounce(from.toUpperCase(), report), { kind: 'sent' });
  t.match(region.journal().get(1)?.fates, [{ recipient: 'wayne@bar.com', fate: 'BOUNCED' }]);
  t.same(region.app.bounceCounts().refused, { NOTOURS: 1, BADTAG: 1 });
  const { loadConfig } = await import('../../config/settings.js');
  const load = (env: Record<string, string>) => () =>
    loadConfig({ CICSMAIL_DATA: '/nonexistent', CICSMAIL_BOUNCE_ADDRESS: 'b+{sysid}.{seq}@b.example', ...env });
  t.throws(load({ CICSMAIL_BOUNCE_KEY: 'short' }), { message: /CICSMAIL_BOUNCE_KEY: give at least 16 characters/ });
  const long = `${'x'.repeat(30)}+{sysid}.{seq}@b.example`;
  t.throws(load({ CICSMAIL_BOUNCE_ADDRESS: long, CICSMAIL_BOUNCE_KEY: 'k'.repeat(16) }), {
    message: /CICSMAIL_BOUNCE_KEY: with the tag, .* is 64 octets, over 64|over 64/,
  });
});

t.test('CICSMAIL_BOUNCE_LISTEN: checked at start', async (t) => {
  const { loadConfig } = await import('../../config/settings.js');
  const load = (env: Record<string, string>) => () => loadConfig({ CICSMAIL_DATA: '/nonexistent', ...env });
  t.throws(load({ CICSMAIL_BOUNCE_LISTEN: '2525' }), {
    message: /CICSMAIL_BOUNCE_LISTEN: needs CICSMAIL_BOUNCE_ADDRESS/,
  });
  const withAddress = { CICSMAIL_BOUNCE_ADDRESS: 'b+{sysid}.{seq}@b.example' };
  t.throws(load({ ...withAddress, CICSMAIL_BOUNCE_LISTEN: 'x:99999' }), { message: /not a port or host:port/ });
  t.same(load({ ...withAddress, CICSMAIL_BOUNCE_LISTEN: '[::1]:2525' })().fate.listen, { host: '::1', port: 2525 });
  t.same(load({ ...withAddress, CICSMAIL_BOUNCE_LISTEN: '2525' })().fate.listen, { host: '0.0.0.0', port: 2525 });
  t.equal(load({})().fate.listen, null);
  t.equal(load({ CICSMAIL_FATE_WINDOW: '48' })().fate.windowMs, 48 * HOUR);
});
