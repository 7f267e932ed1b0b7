// SEND and SPOL under a short time limit against a slow relay: they stop taking mails before
// the limit and answer what they did, RC 24 NOTTAKEN with the restart point; going on from
// it (cicsmail send --from-mail, or the same request under its key) sends every mail exactly
// once, counted at the relay by subject and Message-ID. The relay's delay after each dot
// makes the whole job take three times the limit, so the first run cannot finish in time
// however fast the machine; what the test asserts does not depend on where it stops.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { defaultDefinitions } from '../../region/definitions.js';
import { cicsmail } from '../helpers/cli.js';
import { ebcdicLines, fromEbcdic } from '../helpers/ebcdic.js';
import { startRegion } from '../helpers/region.js';
import { startRelay, type ReceivedMail } from '../helpers/relay.js';
import { until } from '../helpers/until.js';
import { TESTER } from '../helpers/users.js';

const LIMIT_MS = 2000;
const DELAY_MS = 150;
const MAILS = 40;

let slow = true;
const relay = await startRelay(t, { delayMs: () => (slow ? DELAY_MS : 0) });
const region = await startRegion(
  t,
  // A mail a cut session left DEFERRED is the retry spool's, soon: the test waits for it.
  { CICSMAIL_RELAY: relay.url, CICSMAIL_RETRY_FIRST_MS: '100', CICSMAIL_RETRY_POLL_MS: '50' },
  {
    definitions: defaultDefinitions().map((d) =>
      d.tranid === 'SEND' || d.tranid === 'SPOL' ? { ...d, timeLimitMs: LIMIT_MS } : d,
    ),
  },
);
const dir = join(region.config.dataDir, 'files');
mkdirSync(dir);
const env = { CICSMAIL_URL: region.url, CICSMAIL_USER: `${TESTER.id}:${TESTER.password}` };

const subjectOf = (m: ReceivedMail) => /^Subject: (.*)$/m.exec(m.message.toString('latin1'))?.[1] ?? '';
const messageIdOf = (m: ReceivedMail) => /^Message-ID: (.*)$/im.exec(m.message.toString('latin1'))?.[1] ?? '';
const NOT_TAKEN =
  /^RC=24 LINE=(\d+) MAIL=(\d+) this mail and the (\d+) after it were not taken: the time limit ran out; go on from mail \2 \(X-Mail-From-Mail: \2, cicsmail send --from-mail \2\)$/;
const TAKEN = /^RC=0[04] SEQ=(\d+) MSGID=(<[^>]+>) /;

/** Waits until the relay has `n` mails of `prefix` and the journal nothing left to send; returns them. */
async function delivered(prefix: string, n: number): Promise<ReceivedMail[]> {
  const mine = () => relay.mails.filter((m) => subjectOf(m).startsWith(prefix));
  await until(`${n} mails of ${prefix} at the relay`, () => mine().length >= n && region.journal().backlog() === 0);
  return mine();
}

function exactlyOnce(t: Test, mails: readonly ReceivedMail[], prefix: string): void {
  const subjects = mails.map(subjectOf).sort();
  const expected = Array.from({ length: MAILS }, (_, i) => `${prefix} ${i + 1}`).sort();
  t.same(subjects, expected, 'every mail once, none twice');
  t.equal(new Set(mails.map(messageIdOf)).size, MAILS, 'one Message-ID a mail');
}

t.test('SEND: stopped at its time limit, then gone on with --from-mail', async (t) => {
  slow = true;
  const statements = Array.from(
    { length: MAILS },
    (_, i) =>
      `FROM batch@corp.example\nTO ops@corp.example\nSUBJECT job ${i + 1}\nTEXT\nmail ${i + 1}\nENDTEXT\nSEND\n`,
  ).join('');
  const path = join(dir, 'job.txt');
  writeFileSync(path, statements);
  // Each mail is 7 lines: mail n begins at line 7(n-1)+1.
  const lineOf = (mail: number) => 7 * (mail - 1) + 1;

  const first = await cicsmail(['send', path], env);
  t.equal(first.code, 24, 'RC 24: partly done');
  const lines = first.stdout.trimEnd().split('\n');
  const last = NOT_TAKEN.exec(lines.at(-1) ?? '');
  t.ok(last, lines.at(-1) ?? 'no report');
  const from = Number(last?.[2]);
  t.equal(lines.length, from, 'a line for each mail taken, then the restart point');
  t.equal(Number(last?.[1]), lineOf(from), "the restart point's line");
  t.equal(Number(last?.[3]), MAILS - from, 'how many after it');
  for (const line of lines.slice(0, -1)) t.match(line, TAKEN, 'each mail taken was journaled: sent or kept for retry');
  slow = false;

  // Go on, as a scheduler restarts the step, until a run is not stopped; each run takes mails.
  let next = from;
  for (let run = 0; run < 10 && next <= MAILS; run++) {
    const again = await cicsmail(['send', path, '--from-mail', String(next)], env);
    const report = again.stdout.trimEnd().split('\n');
    const stopped = NOT_TAKEN.exec(report.at(-1) ?? '');
    if (!stopped) {
      t.equal(again.code, 0, 'RC 0: the rest sent');
      t.equal(report.length, MAILS - next + 1, 'the rest, a line a mail');
      next = MAILS + 1;
      break;
    }
    t.equal(again.code, 24);
    t.ok(Number(stopped[2]) > next, `run ${run + 2} went on past mail ${next}`);
    next = Number(stopped[2]);
  }
  t.equal(next, MAILS + 1, 'the job is done');
  exactlyOnce(t, await delivered('job ', MAILS), 'job');
});

t.test('SPOL under a request key: the same request again goes on where it stopped', async (t) => {
  slow = true;
  const stream = ['HELO BATCH'];
  for (let i = 1; i <= MAILS; i++)
    stream.push(
      'MAIL FROM:<batch@corp.example>',
      'RCPT TO:<ops@corp.example>',
      'DATA',
      `Subject: spool ${i}`,
      '',
      `mail ${i}`,
      '.',
    );
  stream.push('QUIT');
  const body = ebcdicLines(stream, 37);
  const post = () => region.post('SPOL', body, { 'idempotency-key': 'SPOOL-RUN-1' });

  const first = await post();
  t.equal(first.status, 200);
  t.equal(first.headers.get('x-mail-rc'), '24');
  const report = fromEbcdic(Buffer.from(await first.arrayBuffer()), 37)
    .split('\u0085')
    .slice(0, -1);
  const stopped = NOT_TAKEN.exec(report.at(-1) ?? '');
  t.ok(stopped, report.at(-1) ?? 'no report');
  t.equal(first.headers.get('x-mail-from-mail'), stopped?.[2], 'the restart point in a header too');
  const taken = report.slice(0, -1).map((line) => TAKEN.exec(line)?.slice(1, 3));
  slow = false;

  // No answer was kept for the key: the request runs again, its journaled mails answered
  // from their records (the same SEQ and Message-ID), the others sent now.
  let lines: string[] = [];
  for (let run = 0; run < 10; run++) {
    const again = await post();
    t.equal(again.status, 200);
    lines = fromEbcdic(Buffer.from(await again.arrayBuffer()), 37)
      .split('\u0085')
      .slice(0, -1);
    if (again.headers.get('x-mail-rc') !== '24') break;
  }
  t.equal(lines.length, MAILS, 'a line a mail, the whole stream');
  t.same(
    lines.slice(0, taken.length).map((line) => TAKEN.exec(line)?.slice(1, 3)),
    taken,
    'the first run’s mails, from their records',
  );
  const replayed = await post();
  t.equal(replayed.headers.get('idempotent-replayed'), 'true', 'a done run is kept for its key');
  exactlyOnce(t, await delivered('spool ', MAILS), 'spool');
});

t.test('a restart point past the input, or not a number', async (t) => {
  const path = join(dir, 'one.txt');
  writeFileSync(path, 'FROM batch@corp.example\nTO ops@corp.example\nSUBJECT one\n');
  const past = await cicsmail(['send', path, '--from-mail', '2'], env);
  t.equal(past.code, 8);
  t.equal(past.stdout, 'RC=08 LINE=1 X-Mail-From-Mail 2: the input holds 1 mail\n');
  const bad = await region.post('SEND', ebcdicLines(['FROM a@x.example'], 37), { 'x-mail-from-mail': '0' });
  t.equal(bad.status, 400);
  t.match(await bad.json(), {
    resp: 'INVREQ',
    message: "X-Mail-From-Mail '0' is not a mail's number (1 the input's first)",
  });
  const start = await region.post('SEND', ebcdicLines(['FROM a@x.example'], 37), {
    'x-mail-from-mail': '2',
    'x-cics-start-interval': '000100',
  });
  t.equal(start.status, 400, 'not on a START, which would run from the first mail');
  t.match(await start.json(), {
    resp: 'INVREQ',
    message: /^X-Mail-From-Mail goes on a task that runs now, not on a START/,
  });
  const both = await cicsmail(['send', path, '--from-mail', '2', '--key', 'K1'], env);
  t.equal(both.code, 20);
  t.match(both.stderr, /--from-mail and --key/);
  const word = await cicsmail(['send', path, '--from-mail', 'two'], env);
  t.equal(word.code, 20);
  t.match(word.stderr, /--from-mail two is not a mail's number/);
});
