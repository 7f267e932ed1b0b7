// The retry spool against real relays: a relay that comes back gets every deferred mail,
// once, with the same Message-ID (in the order they come due: each mail's retries follow
// its own schedule, so on a busy machine not always the order of acceptance); recipients refused for now get it
// later, alone; mail past the retry limit is FAILED; mail left ACCEPTED is delivered at start.
import { simpleParser } from 'mailparser';
import t from 'tap';
import { startRegion } from '../helpers/region.js';
import { startRelay, smtpError } from '../helpers/relay.js';
import { type TestLike } from '../helpers/test-like.js';
import { Journal } from '../../journal/journal.js';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import { until } from '../helpers/until.js';

const FAST_RETRY = {
  CICSMAIL_RETRY_FIRST_MS: '200',
  CICSMAIL_RETRY_MAX_MS: '400',
  CICSMAIL_RETRY_POLL_MS: '50',
  CICSMAIL_SMTP_CONNECT_MS: '500',
};

async function send(region: Awaited<ReturnType<typeof startRegion>>, to: string, subject: string) {
  const res = await region.post('MAIL', buildMailCommarea({ from: 'batch@corp.example', to, subject }, 37));
  return readMailResponse(Buffer.from(await res.arrayBuffer()), 37);
}

t.test('a relay that comes back gets every deferred mail, once, with the same Message-ID', async (t) => {
  const first = await startRelay(t);
  await first.close();
  const region = await startRegion(t, { ...FAST_RETRY, CICSMAIL_RELAY: first.url });
  const answers: Awaited<ReturnType<typeof send>>[] = [];
  for (let i = 1; i <= 5; i++) answers.push(await send(region, 'ops@corp.example', `mail ${i}`));
  t.same(
    answers.map((a) => [a.rc, a.reason]),
    Array(5).fill([4, 'NORELAY']),
  );
  const journal = region.journal();
  await until('a retry that fails too', () =>
    answers.every((a) => (journal.get(a.journalSeq)?.attempts.length ?? 0) >= 2),
  );

  const back = await startRelayOn(t, first.port);
  await until('all five delivered', () => answers.every((a) => journal.get(a.journalSeq)?.state === 'SENT'));
  const ids = await Promise.all(back.mails.map(async (m) => (await simpleParser(m.message)).messageId));
  t.same([...ids].sort(), answers.map((a) => a.messageId).sort(), 'the same Message-IDs, each once');
  for (const a of answers) {
    const record = journal.get(a.journalSeq)!;
    t.same(record.pending, []);
    t.same(record.delivered, ['ops@corp.example']);
    t.equal(record.nextAttemptAt, null);
    t.same(record.attempts.map((x) => x.via).slice(0, 1), ['task']);
    t.ok(
      record.attempts.slice(0, -1).every((x) => x.outcome === 'deferred'),
      'every failed try is on record',
    );
    t.match(record.attempts.at(-1), { via: 'retry', outcome: 'sent', accepted: ['ops@corp.example'] });
    t.same(
      journal.message(a.journalSeq),
      back.mails[ids.indexOf(a.messageId)]?.message,
      'the journaled bytes went out',
    );
  }
});

/** A relay on a given port (one that was closed before). */
async function startRelayOn(t: TestLike, port: number) {
  const { SMTPServer } = await import('smtp-server');
  const mails: { to: string[]; message: Buffer }[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    // Teardown closes the relay while the region may still hold an idle connection.
    closeTimeout: 100,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), message: Buffer.concat(chunks) });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { mails };
}

t.test('a recipient refused for now gets the mail later, alone, with the same Message-ID', async (t) => {
  let refusals = 0;
  const relay = await startRelay(t, {
    rcptTo: (a) => (a.address === 'full@corp.example' && refusals++ === 0 ? smtpError(452, 'mailbox full') : undefined),
  });
  const region = await startRegion(t, { ...FAST_RETRY, CICSMAIL_RELAY: relay.url });
  const a = await send(region, 'ok@corp.example full@corp.example', 'two recipients');
  t.equal(a.rc, 4);
  t.equal(a.reason, 'DEFERRED');
  t.equal(a.relayReply, '250 Ok: queued as 1; refused: full@corp.example 452 mailbox full');
  const journal = region.journal();
  t.match(journal.get(a.journalSeq), {
    state: 'DEFERRED',
    pending: ['full@corp.example'],
    delivered: ['ok@corp.example'],
  });
  await until('the retry', () => journal.get(a.journalSeq)?.state === 'SENT');
  t.same(
    relay.mails.map((m) => m.to),
    [['ok@corp.example'], ['full@corp.example']],
  );
  const ids = await Promise.all(relay.mails.map(async (m) => (await simpleParser(m.message)).messageId));
  t.same(ids, [a.messageId, a.messageId]);
  t.match(journal.get(a.journalSeq), { pending: [], delivered: ['ok@corp.example', 'full@corp.example'] });
});

t.test('past the retry limit a mail is FAILED with the last reply', async (t) => {
  const relay = await startRelay(t, { mailFrom: () => smtpError(451, 'greylisted') });
  const region = await startRegion(t, { ...FAST_RETRY, CICSMAIL_RELAY: relay.url, CICSMAIL_RETRY_LIMIT_MS: '700' });
  const a = await send(region, 'ops@corp.example', 'never');
  t.equal(a.rc, 4);
  const journal = region.journal();
  await until('the give-up', () => journal.get(a.journalSeq)?.state === 'FAILED');
  const record = journal.get(a.journalSeq)!;
  t.equal(record.relayReply, '451 greylisted');
  t.equal(record.nextAttemptAt, null);
  t.same(record.pending, []);
  t.same(record.failed, ['ops@corp.example'], 'who never got it');
  t.ok(record.attempts.length >= 2);
  t.equal(relay.mails.length, 0);
});

t.test('mail a crash left ACCEPTED is delivered at the next start', async (t) => {
  const relay = await startRelay(t);
  const dir = t.testdir();
  const before = Journal.open(dir);
  const message = Buffer.from(
    'From: batch@corp.example\r\nTo: ops@corp.example\r\nSubject: orphan\r\nMessage-ID: <orphan-1@region.test>\r\n\r\nleft behind\r\n',
  );
  const seq = await before.accept(
    {
      tranid: 'MAIL',
      taskn: 9,
      userid: 'CICSUSER',
      jobname: 'CRASH',
      ccsid: 37,
      envelope: { from: 'batch@corp.example', to: ['ops@corp.example'] },
      subject: 'orphan',
      attachments: 0,
      messageId: '<orphan-1@region.test>',
    },
    message,
  );
  await before.close();
  const region = await startRegion(t, { ...FAST_RETRY, CICSMAIL_RELAY: relay.url, CICSMAIL_DATA: dir });
  t.equal(region.app.orphans, 1);
  await until('the orphan delivered', () => region.journal().get(seq)?.state === 'SENT');
  t.same(relay.mails[0]?.message, message, 'the journaled bytes, as they were');
  t.match(region.journal().get(seq)?.attempts, [{ via: 'retry', outcome: 'sent' }]);
});

t.test('a record given up by its task is held while the spool tries it: never due twice at once', async (t) => {
  const dir = t.testdir();
  const journal = Journal.open(dir);
  t.teardown(() => journal.close());
  const seq = await journal.accept(
    {
      tranid: 'MAIL',
      taskn: 1,
      userid: 'U',
      jobname: 'J',
      ccsid: 37,
      envelope: { from: 'a@x.example', to: ['b@y.example'] },
      subject: 's',
      attachments: 0,
      messageId: '<m@t>',
    },
    Buffer.from('m'),
  );
  await journal.recoverOrphans();
  t.same(journal.due(Date.now(), 10), [seq]);
  const held = await journal.claim(seq, 60_000);
  t.equal(held?.state, 'ACCEPTED');
  t.same(journal.due(Date.now(), 10), [], 'not due while held');
  await journal.settle(seq, {
    at: new Date().toISOString(),
    relay: 'r',
    outcome: 'sent',
    reply: '250',
    via: 'retry',
    accepted: ['b@y.example'],
  });
  t.equal(await journal.claim(seq, 60_000), undefined, 'a final record is not claimed');
  t.equal(journal.nextDue(), null, 'and leaves nothing due');
});
