// cicsmail load --keys retries a request whose answer was lost, with its key and its body,
// until it is answered: against a real HTTP server on port 0 that plays a balancer in front
// of a region (503 with Retry-After, a connection cut with the request on it, then the
// region's answer), and the rules (wait, retry, give up) on a clock the test gives.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { KeyRetries, LONGEST_RETRY_WAIT_MS, retryWaitMs } from '../../../cli/load/key-retry.js';
import { buildPayloads } from '../../../cli/load/payloads.js';
import { runLoad } from '../../../cli/load/run.js';

t.test('the wait before a retry: Retry-After where given (at most 10 s), else doubling from 50 ms', async (t) => {
  const middle = () => 0.5;
  t.equal(retryWaitMs('1', 1, middle), 1000);
  t.equal(retryWaitMs(' 3 ', 1, middle), 3000);
  t.equal(retryWaitMs('0', 4, middle), 0);
  t.equal(retryWaitMs('86400', 1, middle), LONGEST_RETRY_WAIT_MS, 'a day is cut to the longest wait');
  t.equal(retryWaitMs('9'.repeat(10_000), 1, middle), 50, 'a hostile header: the doubling wait');
  for (const bad of ['', '-1', '1.5', 'Wed, 21 Oct 2015 07:28:00 GMT', '1e3', '0x10'])
    t.equal(retryWaitMs(bad, 3, middle), 200, `'${bad.slice(0, 20)}' is no number of seconds: the doubling wait`);
  t.equal(retryWaitMs(undefined, 1, middle), 50);
  t.equal(retryWaitMs(undefined, 9, middle), 1000);
});

t.test('a key: retried after its wait, given up after its retries or its time', async (t) => {
  const keys = new KeyRetries('k', { maxRetries: 2, maxAgeMs: 1000 });
  const a = keys.fresh(7, 0, 0);
  t.equal(a.key, 'k-1');
  t.same(keys.decide(a, 10), { kind: 'retry' }, 'a lost connection: at once');
  a.notBefore = 500;
  t.same(keys.decide(a, 100), { kind: 'wait', ms: 400 }, 'a Retry-After: not before');
  keys.retry(a);
  keys.retry(a);
  t.same(keys.decide(a, 600), { kind: 'give-up', why: 'no answer after 2 retries' });
  keys.gaveUp(a, 'no answer after 2 retries');
  const b = keys.fresh(8, 0, 1);
  t.equal(b.key, 'k-2', 'each request its own key');
  t.same(keys.decide(b, 1001), { kind: 'give-up', why: 'no answer within 1 s' });
  const c = keys.fresh(9, 0, 2);
  keys.answered(c);
  keys.answered(c);
  t.same(
    keys.figures,
    {
      used: 3,
      retries: 2,
      retried: 1,
      answered: 1,
      gaveUp: 1,
      unfinished: 1,
      gaveUpSamples: ['key k-1 given up: no answer after 2 retries'],
    },
    'an answer counted once; b neither answered nor given up yet',
  );
});

interface Seen {
  readonly key: string | undefined;
  readonly body: string;
}

/**
 * A server that answers each key's first send with the balancer's 503 (Retry-After 0, no
 * X-CICS-Sysid), cuts the connection on its second, and answers the third as a region does
 * (a journal sequence number a key). `always503`: every send is a 503.
 */
async function balancer(t: Test, always503 = false) {
  const seen: Seen[] = [];
  const seqs = new Map<string, number>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const key = req.headers['idempotency-key'] as string | undefined;
      seen.push({ key, body: Buffer.concat(chunks).toString('base64') });
      const sends = seen.filter((s) => s.key === key).length;
      if (always503 || key === undefined || sends === 1) {
        res.writeHead(503, { 'retry-after': '0', 'content-type': 'text/plain' });
        res.end('No server is available to handle this request.');
      } else if (sends === 2) req.socket.destroy();
      else {
        if (!seqs.has(key)) seqs.set(key, seqs.size + 1);
        res.writeHead(200, {
          'x-cics-resp': 'NORMAL',
          'x-cics-sysid': 'MVSB',
          'x-mail-rc': '0',
          'x-journal-seq': String(seqs.get(key)),
        });
        res.end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  server.keepAliveTimeout = 10_000;
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => server.closeAllConnections() };
}

const pool = buildPayloads({ tx: 'MAIL', ccsid: 37, from: 'load@example.test', seed: 1, count: 5 });

t.test('each lost answer is sent again with its key and body until the region answers', async (t) => {
  const b = await balancer(t);
  const run = await runLoad({
    url: b.url,
    pool,
    connections: 3,
    requests: 12,
    timeoutS: 10,
    keys: 'fleet',
    keepMails: true,
  });
  const keys = [...new Set(b.seen.map((s) => s.key))];
  t.equal(keys.length, 12, '--requests counts keys: 12, each sent three times');
  for (const key of keys) {
    const sends = b.seen.filter((s) => s.key === key);
    t.equal(sends.length, 3, `${key}: a 503, a cut connection, an answer`);
    t.equal(new Set(sends.map((s) => s.body)).size, 1, `${key}: the same body each time`);
  }
  t.ok(
    keys.every((k) => k !== undefined && /^fleet-\d+$/.test(k)),
    'every send keyed',
  );
  t.same(run.keys, { used: 12, retries: 24, retried: 12, answered: 12, gaveUp: 0, unfinished: 0, gaveUpSamples: [] });
  const answered = run.recorder.mails;
  t.equal(answered.length, 12, 'every key answered once');
  t.same(answered.map((m) => m.key).sort(), [...keys].sort(), 'each answer with its key');
  t.equal(run.recorder.byStatus['503'], 12, "the balancer's 503s are counted as its answers");
  t.equal(run.recorder.byStatus['200'], 12);
});

t.test('a key that is never answered is given up after its retries; without keys nothing is sent again', async (t) => {
  const b = await balancer(t, true);
  const run = await runLoad({
    url: b.url,
    pool,
    connections: 2,
    requests: 4,
    timeoutS: 10,
    keys: 'lost',
    keyRetries: 2,
    keepMails: true,
  });
  t.same(
    [...new Set(b.seen.map((s) => s.key))].map((k) => [k, b.seen.filter((s) => s.key === k).length]),
    [
      ['lost-1', 3],
      ['lost-2', 3],
      ['lost-3', 3],
      ['lost-4', 3],
    ],
    'four keys, each sent three times',
  );
  t.same(run.keys?.used, 4);
  t.same(run.keys?.gaveUp, 4, 'every key given up');
  t.same(run.keys?.answered, 0);
  t.same(run.keys?.gaveUpSamples.length, 4);

  const unkeyed = await balancer(t, true);
  const plain = await runLoad({ url: unkeyed.url, pool, connections: 2, requests: 4, timeoutS: 10, keepMails: true });
  t.equal(unkeyed.seen.length, 4, 'a 503 without a key is an answer: nothing sent again');
  t.ok(
    unkeyed.seen.every((s) => s.key === undefined),
    'no key header',
  );
  t.equal(plain.keys, null);
});
