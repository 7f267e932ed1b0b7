// deploy/haproxy/haproxy.cfg with keys, run: HAProxy (Debian's) in front of three real
// regions, each on its own journal, one relay (smtp-server) behind them. A keyed request
// always reaches the region that owns its key (the key's CRC-32 modulo three), so its
// repeat is a replay there; while the owner is down its keys hear 503 with Retry-After from
// HAProxy, never an answer of another region, and no mail is sent for them; a request
// without a key still goes to any region that is up.
import { crc32 } from 'node:zlib';
import t from 'tap';
import { buildMailCommarea } from '../client/mailca.js';
import { reservePort } from './faults/sink-relay.js';
import { noHaproxy, startHaproxy } from './fleet/haproxy.js';
import { startRegion, type TestRegion } from './helpers/region.js';
import { startRelay } from './helpers/relay.js';
import { freshDir } from './helpers/test-like.js';
import { basicAuth, TESTER } from './helpers/users.js';

const SYSIDS = ['MVSA', 'MVSB', 'MVSC'] as const;
const KEYS = Array.from({ length: 12 }, (_, i) => `route-${i}`);
/** The owner HAProxy picks: crc32 of the key, modulo the three slots. */
const ownerOf = (key: string) => SYSIDS[crc32(key) % 3] as string;

t.test('keyed requests reach the region that owns their key, and only it', { skip: noHaproxy() }, async (t) => {
  const relay = await startRelay(t);
  const regions: TestRegion[] = [];
  for (const sysid of SYSIDS) regions.push(await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_SYSID: sysid }));
  const haproxy = await startHaproxy(t, {
    port: await reservePort(),
    regions: regions.map((r) => r.url.replace('http://', '')),
    dir: freshDir(t),
  });
  const post = (key: string | null, subject: string) =>
    fetch(`${haproxy.url}/cics/MAIL`, {
      method: 'POST',
      headers: {
        authorization: basicAuth(TESTER.id, TESTER.password),
        'content-type': 'application/octet-stream',
        ...(key === null ? {} : { 'idempotency-key': key }),
      },
      body: buildMailCommarea({ from: 'foo@bar.com', to: 'wayne@bar.com', subject }, 37),
    });

  // The key owners' checks run on their own: every owner UP (two checks in a row) first.
  for (let tries = 0; ; tries++) {
    const rows = await haproxy.stat();
    if (SYSIDS.every((_, i) => rows.get(`key_owner${i + 1}/region${i + 1}`)?.status === 'UP')) break;
    if (tries === 600) throw new Error('the key owners did not come UP in 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  t.ok(new Set(KEYS.map(ownerOf)).size === 3, 'the keys of the test fall to all three regions');
  for (const key of KEYS) {
    const first = await post(key, key);
    const again = await post(key, key);
    t.equal(first.status, 200, key);
    t.equal(first.headers.get('x-cics-sysid'), ownerOf(key), `${key} went to its owner`);
    t.equal(again.headers.get('x-cics-sysid'), ownerOf(key), 'so did its repeat');
    t.equal(again.headers.get('idempotent-replayed'), 'true', 'and heard the first answer');
    await Promise.all([first.arrayBuffer(), again.arrayBuffer()]);
  }
  t.equal(relay.mails.length, KEYS.length, 'one mail a key');

  // MVSB goes down: its keys wait for it; nobody else sends their mail.
  await (regions[1] as TestRegion).app.close();
  for (const key of KEYS.filter((k) => ownerOf(k) === 'MVSB')) {
    const res = await post(key, key);
    t.equal(res.status, 503, `${key}: its owner is down`);
    t.equal(res.headers.get('retry-after'), '1');
    t.equal(res.headers.get('x-cics-sysid'), null, 'HAProxy answered, no other region');
    await res.arrayBuffer();
  }
  const fresh = KEYS.length;
  const unkeyed = await post(null, 'no key');
  t.equal(unkeyed.status, 200, 'a request without a key goes to a region that is up');
  t.not(unkeyed.headers.get('x-cics-sysid'), 'MVSB');
  await unkeyed.arrayBuffer();
  t.equal(relay.mails.length, fresh + 1, 'the down region’s keys sent nothing anywhere');
});
