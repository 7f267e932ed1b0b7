// Fault 13: a region killed (SIGKILL) around a keyed request, started again on its journal,
// and the request retried with its key. Killed after the key's commit but before the answer
// (the relay holds the DATA and never takes it), after the SMTP session but before the
// outcome's commit (the relay took it), and while a repeat of the key waits for the first.
// After each the retry hears the answer of the mail on record (its journal sequence and
// Message-ID), no second mail is composed, and the relay (smtp-server) gets one Message-ID
// for the key. Where the relay had taken the mail before the region died, the retry spool
// sends it once more with that Message-ID (design invariant 2: the region cannot know the
// relay took it); the key adds no copy of its own.
import type { ChildProcess } from 'node:child_process';
import type { Test } from 'tap';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import { Journal } from '../../journal/journal.js';
import { requestKeyId } from '../../cics/request-key.js';
import { startRegionProcess } from '../helpers/cli.js';
import { startRelay, smtpError, type Relay } from '../helpers/relay.js';
import { freshDir } from '../helpers/test-like.js';
import { until } from '../helpers/until.js';
import { basicAuth, TESTER, writeUsers } from '../helpers/users.js';
import { distProblem, FAULT_ENV } from './region.js';
import type { Check } from './table.js';

const KEY = 'fault-13-key';
const request = buildMailCommarea(
  { from: 'foo@bar.com', to: 'wayne@bar.com', subject: 'once, whatever fails', body: 'one mail\n' },
  37,
);

function post(url: string): Promise<Response> {
  return fetch(`${url}/cics/MAIL`, {
    method: 'POST',
    headers: {
      authorization: basicAuth(TESTER.id, TESTER.password),
      'content-type': 'application/octet-stream',
      'idempotency-key': KEY,
    },
    body: request,
  });
}

const messageIdOf = (message: Buffer) => /^Message-ID: *(\S+)/im.exec(message.toString('latin1'))?.[1] ?? '';

type Moment = 'before the relay took it' | 'after the relay took it' | 'while a repeat waits';

/**
 * Runs the keyed request against a region process that is killed at `moment`, starts the
 * region again on the same journal, retries with the key, and checks what came of it.
 */
async function killedAt(t: Test, moment: Moment): Promise<void> {
  const stale = distProblem();
  if (stale) throw new Error(stale);
  const dir = freshDir(t);
  writeUsers(dir);
  let region: { child: ChildProcess; url: string } | undefined;
  let repeat: Promise<unknown> | undefined;
  let armed = true;
  const died = () => new Promise((resolve) => region?.child.once('exit', resolve));
  const relay: Relay = await startRelay(t, {
    options: {
      // The first DATA is where the region dies; smtp-server's own onData, to hold its answer.
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const message = Buffer.concat(chunks);
          const keep = () => {
            relay.mails.push({ from: 'foo@bar.com', to: session.envelope.rcptTo.map((r) => r.address), message });
            cb(null, `Ok: queued as ${relay.mails.length}`);
          };
          if (!armed) return keep();
          armed = false;
          const dead = died();
          if (moment === 'after the relay took it') {
            // The mail is the relay's before the region can read its 250 or write its outcome.
            relay.mails.push({ from: 'foo@bar.com', to: ['wayne@bar.com'], message });
            region?.child.kill('SIGKILL');
            void dead.then(() => cb(null, 'Ok: taken, but nobody heard it'));
            return;
          }
          if (moment === 'while a repeat waits') {
            // The repeat reaches the region and waits for the first (it is no task of its own).
            repeat = post(region?.url ?? '').then(
              (res) => res.status,
              (err: Error) => err.message,
            );
          }
          // The region dies holding the key and the ACCEPTED mail; the relay never takes this copy.
          setTimeout(() => {
            region?.child.kill('SIGKILL');
            void dead.then(() => cb(smtpError(451, 'not taken: the sender went away')));
          }, 500);
        });
      },
    },
  });
  // The transactions' own time limits (a process has no test definitions), so the orphan time
  // stays its default: a new start makes what the crash left ACCEPTED due at once.
  const { CICSMAIL_RETRY_ORPHAN_MS: _orphan, ...faultEnv } = FAULT_ENV;
  const env = { ...faultEnv, CICSMAIL_RELAY: relay.url, CICSMAIL_WORKERS: '1', CICSMAIL_HOSTNAME: 'region.test' };
  region = await startRegionProcess(dir, env);
  t.teardown(() => region?.child.kill('SIGKILL'));
  const first = await post(region.url).then(
    (res) => `HTTP ${res.status}`,
    () => 'no answer',
  );
  t.equal(first, 'no answer', `killed ${moment}: the caller heard nothing`);
  if (repeat) t.ok(typeof (await repeat) === 'string', 'the waiting repeat heard nothing either');

  region = await startRegionProcess(dir, env);
  const retry = await post(region.url);
  t.equal(retry.status, 200, 'the retry is answered');
  const out = readMailResponse(Buffer.from(await retry.arrayBuffer()), 37);
  const journal = Journal.open(dir, { readOnly: true });
  t.teardown(() => journal.close());
  t.equal(out.journalSeq, 1, 'the retry answers the mail on record: journal sequence 1');
  t.equal(journal.latest()?.seq, 1, 'no second mail composed');
  const record = journal.get(1);
  t.equal(out.messageId, record?.messageId, 'with its Message-ID');
  t.equal(record?.requestKey, KEY);
  t.ok([0, 4].includes(out.rc), `RC ${out.rc} (${out.reason}): 0 where the spool had sent it, else 4`);
  t.same(journal.keys.get(requestKeyId(TESTER.id, 'MAIL', KEY))?.seqs, [1], 'the key holds the one mail');

  await until('the retry spool has sent the mail', () => journal.get(1)?.state === 'SENT', 30_000);
  const again = await post(region.url);
  t.equal(again.headers.get('idempotent-replayed'), 'true', 'a further repeat hears the stored answer');
  t.equal(readMailResponse(Buffer.from(await again.arrayBuffer()), 37).journalSeq, 1);
  const ids = relay.mails.map((m) => messageIdOf(m.message));
  t.same([...new Set(ids)], [record?.messageId], 'the relay got one Message-ID for the key');
  t.equal(
    relay.mails.length,
    moment === 'after the relay took it' ? 2 : 1,
    moment === 'after the relay took it'
      ? 'twice: the one the region died before recording, and the retry spool’s, same Message-ID'
      : 'once',
  );
}

export const requestKeyFaults: readonly Check[] = (
  ['before the relay took it', 'after the relay took it', 'while a repeat waits'] as const
).map((moment) => ({
  name: `13. keyed request, region killed ${moment}: the retry with the key sends no second mail`,
  run: (t) => killedAt(t, moment),
}));
