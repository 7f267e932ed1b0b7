// SIGTERM during a burst: the region drains. Every task either completes (RC 0 or 4) or is
// refused (503 SYSIDERR, or the connection is not taken once the listener has closed); the journal
// closes cleanly, and the next start finds nothing half-done: every journaled mail ends SENT.
import t from 'tap';
import { simpleParser } from 'mailparser';
import { startRegionProcess } from '../helpers/cli.js';
import { startRelay } from '../helpers/relay.js';
import { freshDir } from '../helpers/test-like.js';
import { basicAuth, TESTER, writeUsers } from '../helpers/users.js';
import { Journal } from '../../journal/journal.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';

const TASKS = 500;
const CLIENTS = 25;

t.test('SIGTERM during a burst of 500 tasks', async (t) => {
  const relay = await startRelay(t);
  const dir = freshDir(t);
  writeUsers(dir);
  const region = await startRegionProcess(dir, { CICSMAIL_RELAY: relay.url, CICSMAIL_WORKERS: '2' });
  t.teardown(() => region.child.kill('SIGKILL'));
  const exited = new Promise<number | null>((resolve) => region.child.on('exit', (code) => resolve(code)));

  const outcomes = { completed: 0, refused503: 0, notTaken: 0, other: [] as string[] };
  const answered = new Set<string>();
  let next = 0;
  let signalled = false;
  const client = async (c: number) => {
    while (next < TASKS) {
      const n = next++;
      if (n === 150 && !signalled) {
        signalled = true;
        region.child.kill('SIGTERM');
      }
      try {
        const res = await fetch(`${region.url}/cics/MAIL`, {
          method: 'POST',
          headers: { 'content-type': 'application/octet-stream', authorization: basicAuth(TESTER.id, TESTER.password) },
          body: buildMailCommarea({ from: `c${c}@corp.example`, to: 'ops@corp.example', subject: `burst ${n}` }, 37),
        });
        const body = Buffer.from(await res.arrayBuffer());
        if (res.status === 200) {
          const r = readMailResponse(body, 37);
          if (r.rc === 0 || r.rc === 4) {
            outcomes.completed++;
            answered.add(r.messageId);
          } else outcomes.other.push(`RC ${r.rc} ${r.reason}`);
        } else if (res.status === 503 && res.headers.get('x-cics-resp') === 'SYSIDERR') outcomes.refused503++;
        else outcomes.other.push(`HTTP ${res.status} ${body.toString('utf8').slice(0, 100)}`);
      } catch {
        // The listener has closed: the request was never a task.
        outcomes.notTaken++;
      }
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  t.equal(await exited, 0, 'the drained region exits 0');
  t.comment(`completed ${outcomes.completed}, refused with 503 ${outcomes.refused503}, not taken ${outcomes.notTaken}`);
  t.same(outcomes.other, [], 'nothing but completed or refused');
  t.equal(outcomes.completed + outcomes.refused503 + outcomes.notTaken, TASKS);
  t.ok(outcomes.completed >= 150, 'the tasks before the signal completed');
  t.match(region.output(), /region CICSMAIL draining on SIGTERM: \d+ task\(s\) in flight\nregion CICSMAIL stopped\n$/);

  // The next start: nothing half-done, every journaled mail delivered.
  const again = await startRegionProcess(dir, { CICSMAIL_RELAY: relay.url });
  t.teardown(() => again.child.kill('SIGKILL'));
  const journal = Journal.open(dir, { readOnly: true });
  t.teardown(() => journal.close());
  const records = journal.list({ limit: 100_000 });
  t.same(
    records.filter((r) => r.state !== 'SENT').map((r) => [r.seq, r.state]),
    [],
    'no record ACCEPTED or DEFERRED after the drain',
  );
  t.equal(records.length, outcomes.completed, 'a record for every completed task, none for the refused');
  const received = new Set(
    await Promise.all(relay.mails.map(async (m) => (await simpleParser(m.message)).messageId ?? '')),
  );
  t.ok(
    [...answered].every((id) => received.has(id)),
    'every completed mail reached the relay',
  );
  again.child.kill('SIGTERM');
});
