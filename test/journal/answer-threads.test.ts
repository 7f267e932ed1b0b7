// A keyed task's worker submits its mail's settle, then the key's answer, and waits for the
// answer's commit only (transactions/worker.ts). This holds where lmdb-js commits one
// thread's writes in the order submitted and the region's main thread shares the worker's
// LMDB environment: a worker thread here does what a task does, round after round, and the
// main thread, blocked meanwhile, reads what it wrote.
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { mailOrigin } from '../helpers/mail-origin.js';
import { Journal } from '../../journal/journal.js';
import { requestKeyId, type RequestKeyRef } from '../../cics/request-key.js';

const ROUNDS = 30;

// The worker: tsx registered (as transactions/worker-ts.mjs does), the journal opened on the
// same folder. Each round: accept a mail, submit its settle without waiting, keep the key's
// answer and wait for that alone; then say so through the shared flag.
const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  const { register } = await import(workerData.tsx);
  register();
  const { Journal } = await import(workerData.journal);
  const journal = Journal.open(workerData.dir);
  const flag = new Int32Array(workerData.flag);
  parentPort.on('message', async (m) => {
    if (m.close) {
      await journal.close();
      parentPort.postMessage('closed');
      return;
    }
    const seq = await journal.accept(m.origin, Buffer.from('Subject: s\\r\\n\\r\\nbody ' + m.round + '\\r\\n'), m.ref);
    const settled = journal.settle(seq, m.attempt);
    await journal.keys.answered(m.ref, m.owner, m.answer);
    // Read in this thread after its own commit: the settle is there too.
    Atomics.store(flag, 2, journal.get(seq).state === 'SENT' ? 1 : 0);
    Atomics.store(flag, 1, seq);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    await settled;
  });
  parentPort.postMessage('ready');
})();
`;

t.test(
  "a worker's settle then answer: the answer's commit has the settle, and the main thread reads both",
  async (t) => {
    const dir = t.testdir();
    const journal = Journal.open(dir);
    t.teardown(() => journal.close());
    const flag = new Int32Array(new SharedArrayBuffer(12));
    const worker = new Worker(WORKER, {
      eval: true,
      workerData: {
        dir,
        flag: flag.buffer,
        tsx: import.meta.resolve('tsx/esm/api'),
        journal: new URL('../../journal/journal.ts', import.meta.url).href,
      },
    });
    const messages: string[] = [];
    let next: (() => void) | undefined;
    worker.on('message', (m: string) => {
      messages.push(m);
      next?.();
    });
    const message = (what: string) =>
      new Promise<void>((resolve) => {
        if (messages.includes(what)) return resolve();
        next = () => messages.includes(what) && resolve();
      });
    await message('ready');

    const stale: boolean[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const key = `round-${round}`;
      const ref: RequestKeyRef = { id: requestKeyId('CICSUSER', 'MAIL', key), key, digest: 'd' };
      const answer = {
        status: 200,
        headers: { 'x-cics-taskn': String(round) },
        body: Buffer.from([round, 0xc1, 0x40]),
      };
      // The main thread reads first: lmdb-js keeps that snapshot until its next turn of timers.
      t.equal(journal.keys.get(ref.id), undefined);
      Atomics.store(flag, 0, 0);
      worker.postMessage({
        round,
        ref,
        owner: { userid: 'CICSUSER', tranid: 'MAIL', taskn: round },
        answer,
        origin: mailOrigin(round),
        attempt: {
          at: new Date().toISOString(),
          relay: 'smtp://relay',
          outcome: 'sent',
          reply: '250 ok',
          via: 'task',
          accepted: ['c@d.example'],
        },
      });
      // Blocked, as the region's main thread may be busy in one turn while a worker commits.
      t.equal(Atomics.wait(flag, 0, 0, 20_000), 'ok', `round ${round}: the worker answered`);
      const seq = Atomics.load(flag, 1);
      t.equal(Atomics.load(flag, 2), 1, `round ${round}: settled in the worker once the answer's write resolved`);
      stale.push(journal.keys.get(ref.id) === undefined);
      journal.sawOtherThreads();
      t.equal(journal.get(seq)?.state, 'SENT', `round ${round}: the main thread reads the record SENT`);
      const kept = journal.keys.get(ref.id);
      t.same(kept?.seqs, [seq]);
      t.equal(Buffer.from(kept?.answer?.body ?? []).toString('hex'), answer.body.toString('hex'));
      t.same(kept?.answer?.headers, answer.headers);
    }
    // Why the region calls sawOtherThreads once a worker kept an answer: in the same turn,
    // its main thread still read the snapshot from before the worker's commits.
    t.same(stale, Array<boolean>(ROUNDS).fill(true), "without sawOtherThreads, the main thread's snapshot was stale");
    worker.postMessage({ close: true });
    await message('closed');
    await worker.terminate();
  },
);
