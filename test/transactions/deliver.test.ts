// A composed mail's way out: journaled ACCEPTED, sent, settled. The answer waits for the
// settle, but never past the task's deadline: a journal slow to write (a disk busy syncing)
// must not turn a mail the relay took into an AICA the caller would send again.
import t from 'tap';
import type { ProgramContext } from '../../cics/task.js';
import { Journal } from '../../journal/journal.js';
import { journalAndSend, newMessageId, type DeliveryServices } from '../../transactions/mail/deliver.js';
import { startRelay } from '../helpers/relay.js';
import { testPool } from '../helpers/smtp.js';
import { programContext } from '../helpers/program-context.js';
import { parseReturnPath } from '../../smtp/dsn/return-path.js';

function context(
  services: DeliveryServices,
  deadline: number,
  onCommit: () => boolean = () => true,
): ProgramContext<DeliveryServices> {
  return programContext(services, { deadline, committed: onCommit });
}

/** A region without a bounce address: the program's sender goes as the envelope sender. */
const NO_FATE: DeliveryServices['config'] = { sysid: 'TEST1', smtp: { fate: null } };

function mail() {
  const messageId = newMessageId('region.test');
  const message = Buffer.from(`Message-ID: ${messageId}\r\nSubject: s\r\n\r\nbody\r\n`);
  return { from: 'a@x.example', to: ['b@y.example'], message, messageId, subject: 's', attachments: 0 };
}

t.test('the answer waits for the journal to take the outcome', async (t) => {
  const relay = await startRelay(t);
  const journal = Journal.open(t.testdir());
  t.teardown(() => journal.close());
  const services = { journal, smtp: testPool(t, relay.url), config: NO_FATE };
  // Committed before the journal takes the mail: from its commit on the mail is the retry
  // spool's, so the task must answer what became of it, never AICA.
  const commits: { mails: number; state: string | undefined }[] = [];
  const onCommit = () => commits.push({ mails: relay.mails.length, state: journal.get(1)?.state }) > 0;
  const outcome = await journalAndSend(context(services, Date.now() + 60_000, onCommit), mail());
  t.equal(outcome.reason, 'SENT');
  t.equal(journal.get(outcome.seq ?? 0)?.state, 'SENT', 'settled before the answer');
  t.same(commits, [{ mails: 0, state: undefined }]);
});

t.test('a task its time limit ended first journals and sends nothing', async (t) => {
  const relay = await startRelay(t);
  const journal = Journal.open(t.testdir());
  t.teardown(() => journal.close());
  const services = { journal, smtp: testPool(t, relay.url), config: NO_FATE };
  // The worker answered AICA already (committed() says so): the program runs on, but its
  // mail must not be journaled, or the caller that sends again would make it twice.
  const outcome = await journalAndSend(
    context(services, Date.now() + 60_000, () => false),
    mail(),
  );
  t.same(outcome, { reason: 'NOTTAKEN', detail: "the task's time limit ran out before the mail was journaled" });
  t.equal(journal.get(1), undefined, 'nothing journaled');
  t.equal(relay.mails.length, 0, 'nothing sent');
});

t.test('a journal slow to settle: answered before the deadline with what the relay said, settled after', async (t) => {
  const relay = await startRelay(t);
  const journal = Journal.open(t.testdir());
  t.teardown(() => journal.close());
  let letGo!: () => void;
  const held = new Promise<void>((resolve) => (letGo = resolve));
  let settled = false;
  const slow: DeliveryServices['journal'] = {
    accept: (...args) => journal.accept(...args),
    get: (seq) => journal.get(seq),
    messageChunks: (seq) => journal.messageChunks(seq),
    settle: async (...args) => {
      await held;
      const record = await journal.settle(...args);
      settled = true;
      return record;
    },
  };
  // The deadline is near: the answer may wait for the settle only until 250 ms before it.
  const outcome = await journalAndSend(
    context({ journal: slow, smtp: testPool(t, relay.url), config: NO_FATE }, Date.now() + 1500),
    mail(),
  );
  t.equal(outcome.reason, 'SENT');
  t.equal(outcome.detail, '250 Ok: queued as 1');
  t.equal(relay.mails.length, 1);
  t.notOk(settled, 'answered while the settle still waited');
  t.equal(journal.get(outcome.seq ?? 0)?.state, 'ACCEPTED', 'on record, for the spool should the region die now');
  letGo();
  await t.resolveMatch(
    (async () => {
      while (!settled) await new Promise((r) => setImmediate(r));
      return journal.get(outcome.seq ?? 0)?.state;
    })(),
    'SENT',
  );
});

t.test('with a bounce address: the return path and ENVID name the record, the From header stays', async (t) => {
  const relay = await startRelay(t, { options: { hideDSN: false } });
  const journal = Journal.open(t.testdir(), { sysid: 'PRD@1' });
  t.teardown(() => journal.close());
  const template = parseReturnPath('bounce+{sysid}.{seq}@bounce.example');
  if (!template.ok) throw new Error(template.reason);
  const config: DeliveryServices['config'] = {
    sysid: 'PRD@1',
    smtp: { fate: { returnPath: template.template, notify: ['SUCCESS', 'FAILURE', 'DELAY'] } },
  };
  const sent = mail();
  const outcome = await journalAndSend(
    context({ journal, smtp: testPool(t, relay.url), config }, Date.now() + 60_000),
    sent,
  );
  t.equal(outcome.seq, 1);
  t.same(relay.commands, [
    'EHLO client.test',
    'MAIL FROM:<bounce+prd=1.1@bounce.example> RET=HDRS ENVID=PRD@1.1',
    'RCPT TO:<b@y.example> NOTIFY=SUCCESS,FAILURE,DELAY ORCPT=rfc822;b@y.example',
    'DATA',
  ]);
  t.equal(relay.mails[0]?.from, 'bounce+prd=1.1@bounce.example');
  t.equal(relay.mails[0]?.message.toString('latin1'), sent.message.toString('latin1'), 'the message as composed');
  t.same(
    journal.get(1)?.envelope,
    { from: 'a@x.example', to: ['b@y.example'] },
    "the record keeps the program's sender",
  );
});

t.test('the mail gate: asked for a new mail only, not for one an earlier keyed run journaled', async (t) => {
  const relay = await startRelay(t);
  const journal = Journal.open(t.testdir());
  t.teardown(() => journal.close());
  const services = { journal, smtp: testPool(t, relay.url), config: NO_FATE };
  const first = await journalAndSend(context(services, Date.now() + 60_000), mail());
  t.equal(first.reason, 'SENT');
  // A run again under the key: its first mail is on record, its second is new and the gate
  // (the user's minute used up) refuses it.
  const earlier = [first.seq as number];
  const asked: string[] = [];
  const ctx: ProgramContext<DeliveryServices> = {
    ...context(services, Date.now() + 60_000),
    requestKey: {
      ref: { id: 'TESTER\0SEND\0K', key: 'K', digest: 'd' },
      recordKey: 'K',
      earlier: () => earlier.shift(),
      part: () => {
        throw new Error('no burst here');
      },
      settling: () => undefined,
    },
    mailGate: () => {
      asked.push('asked');
      return { reason: 'MAILRATE', detail: "not taken: the user's tasks and mails a minute are used up" };
    },
  };
  const again = await journalAndSend(ctx, mail());
  t.match(again, { reason: 'SENT', seq: first.seq }, 'answered from its record');
  t.same(asked, [], 'counted nothing');
  const next = await journalAndSend(ctx, mail());
  t.same(next, { reason: 'MAILRATE', detail: "not taken: the user's tasks and mails a minute are used up" });
  t.same(asked, ['asked']);
  t.equal(relay.mails.length, 1, 'the mail went once, the refused one never');
  t.equal(journal.get((first.seq as number) + 1), undefined, 'the refused mail is not on record');
});
