// A request's records found by its key, as an operator asks: GET /journal?key=, and
// `cicsmail journal list --key` on the journal's folder and over HTTP. The same key sent
// by two users (a key is the user's own) finds both, told apart by --userid; a SEND
// request's two mails are found together; a key that is no key is refused in words.
import t from 'tap';
import { buildMailCommarea } from '../../client/mailca.js';
import { cicsmail } from '../helpers/cli.js';
import { ebcdicLines } from '../helpers/ebcdic.js';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { basicAuth, TESTER } from '../helpers/users.js';

const OTHER = { id: 'OTHER', password: 'other-password-1', transactions: ['MAIL'], senders: ['*'] };
const relay = await startRelay(t);
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url }, { users: [OTHER] });
const mail = (subject: string) => buildMailCommarea({ from: 'foo@bar.com', to: 'wayne@bar.com', subject }, 37);
const send = ebcdicLines(
  [
    'FROM foo@bar.com',
    'TO wayne@bar.com',
    'SUBJECT one',
    'SEND',
    'FROM foo@bar.com',
    'TO robin@bar.com',
    'SUBJECT two',
  ],
  37,
);

// 1: TESTER's order-1; 2: OTHER's order-1; 3: an unkeyed mail; 4 and 5: TESTER's SEND under batch-7.
for (const [tranid, body, headers] of [
  ['MAIL', mail('mine'), { 'Idempotency-Key': 'order-1' }],
  ['MAIL', mail('theirs'), { 'Idempotency-Key': 'order-1', authorization: basicAuth(OTHER.id, OTHER.password) }],
  ['MAIL', mail('no key'), {}],
  ['SEND', send, { 'Idempotency-Key': 'batch-7' }],
] as const) {
  const res = await region.post(tranid, body, headers);
  if (res.status !== 200) throw new Error(`${tranid}: ${res.status} ${await res.text()}`);
}

const seqs = async (query: string) => {
  const res = await region.fetch(`/journal?${query}`);
  const body = (await res.json()) as { records?: { seq: number; requestKey?: string }[]; message?: string };
  return res.status === 200 ? (body.records ?? []).map((r) => [r.seq, r.requestKey]) : [res.status, body.message];
};

t.test('GET /journal?key=: the records under a key, with the other filters', async (t) => {
  t.same(await seqs('key=order-1'), [
    [1, 'order-1'],
    [2, 'order-1'],
  ]);
  t.same(await seqs('key=order-1&user=other'), [[2, 'order-1']], "another user's request under the same key");
  t.same(await seqs('key=batch-7'), [
    [4, 'batch-7'],
    [5, 'batch-7'],
  ]);
  t.same(await seqs('key=batch-7&tranid=MAIL'), []);
  t.same(await seqs('key=ORDER-1'), [], 'a key as sent: case counts');
  t.same(await seqs(`key=${'k'.repeat(64)}`), [], 'the longest key, never sent');
  const rule = 'is not a request key: 1 to 64 printable ASCII characters (x21 to x7E)';
  t.same(await seqs(`key=${'k'.repeat(65)}`), [400, `key '${'k'.repeat(64)}' ${rule}`], 'too long');
  t.same(await seqs('key=order%201'), [400, `key 'order 1' ${rule}`], 'a blank');
  t.same(await seqs('key=a%0D%0AX-Evil:%201'), [400, `key 'a??X-Evil: 1' ${rule}`], 'a line end');
  t.same(await seqs('key=cl%C3%A9'), [400, `key 'cl?' ${rule}`], 'beyond ASCII');
  const hostile = await seqs(`key=${'%00'.repeat(5000)}`);
  t.equal(hostile[0], 400, 'hostile: 5,000 NULs');
  t.match(hostile[1], /must NOT have more than 1000 characters/);
  t.same(await seqs('key='), [400, 'querystring/key must NOT have fewer than 1 characters']);
});

t.test('cicsmail journal list --key: from the folder and over HTTP, the key on each line', async (t) => {
  const env = { CICSMAIL_DATA: region.config.dataDir };
  const local = await cicsmail(['journal', 'list', '--key', 'order-1'], env);
  t.equal(local.code, 0, local.stderr);
  const lines = local.stdout.trimEnd().split('\n');
  t.same(
    lines.map((l) => l.trim().split(/\s+/)[0]),
    ['1', '2'],
  );
  for (const line of lines) t.match(line, /"(mine|theirs)" {2}key order-1$/);
  const theirs = await cicsmail(['journal', 'list', '--key', 'order-1', '--userid', 'OTHER'], env);
  t.match(theirs.stdout, /^\s+2 .*"theirs" {2}key order-1\n$/);
  const json = await cicsmail(['journal', 'list', '--key', 'batch-7', '--json'], env);
  t.same(
    json.stdout
      .trimEnd()
      .split('\n')
      .map((l) => (JSON.parse(l) as { seq: number; requestKey: string }).requestKey),
    ['batch-7', 'batch-7'],
  );
  const unkeyed = await cicsmail(['journal', 'list', '--tranid', 'MAIL'], env);
  t.match(unkeyed.stdout, /"no key"\n/, 'an unkeyed record says nothing of a key');

  const remote = await cicsmail(['journal', 'list', '--key', 'batch-7', '--url', region.url], {
    CICSMAIL_USER: `${TESTER.id}:${TESTER.password}`,
  });
  t.equal(remote.code, 0, remote.stderr);
  t.equal(remote.stdout.trimEnd().split('\n').length, 2);
  t.match(remote.stdout, /key batch-7\n.*key batch-7\n$/);

  const bad = await cicsmail(['journal', 'list', '--key', 'order 1'], env);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /--key 'order 1' is not a request key: 1 to 64 printable ASCII characters/);
});
