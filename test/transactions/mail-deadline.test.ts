// MAIL with a time limit shorter than its relay takes: every request is answered either with
// a refusal before its mail was journaled (AICA, nothing on record, nothing sent) or with
// what became of its mail (RC 0, or RC 4 with the retry spool to send it), never AICA for a
// journaled mail; and no mail reaches the relay twice. The relay answers each dot 2 s late,
// past the 1.5 s limit and past the region's hard stop (100 ms after it): the task waits
// for it, the session is not cut after its dot. Two rounds: the first leaves the worker
// connections to the relay that the second's mails find open. Then a round of MAIL with a
// 10 ms limit (MTNY), most of them ended before their mail was journaled. Where each request
// lands depends on the machine's speed; what is asserted holds for every one.
import t, { type Test } from 'tap';
import { buildMailCommarea, readMailResponse } from '../../client/mailca.js';
import { defaultDefinitions } from '../../region/definitions.js';
import { startRegion } from '../helpers/region.js';
import { startRelay, type ReceivedMail } from '../helpers/relay.js';
import { until } from '../helpers/until.js';

const LIMIT_MS = 1500;
const REQUESTS = 24;

const relay = await startRelay(t, { delayMs: () => 2000 });
const region = await startRegion(
  t,
  {
    CICSMAIL_RELAY: relay.url,
    CICSMAIL_HARD_STOP_GRACE_MS: '100',
    CICSMAIL_RETRY_FIRST_MS: '100',
    CICSMAIL_RETRY_POLL_MS: '50',
  },
  {
    definitions: [
      ...defaultDefinitions().map((d) => (d.tranid === 'MAIL' ? { ...d, timeLimitMs: LIMIT_MS } : d)),
      ...defaultDefinitions()
        .filter((d) => d.tranid === 'MAIL')
        .map((d) => ({ ...d, tranid: 'MTNY', timeLimitMs: 10 })),
    ],
  },
);

const subjectOf = (m: ReceivedMail) => /^Subject: (.*)$/m.exec(m.message.toString('latin1'))?.[1] ?? '';

async function round(t: Test, label: string, tranid = 'MAIL'): Promise<{ journaled: string[]; refused: string[] }> {
  const answers = await Promise.all(
    Array.from({ length: REQUESTS }, async (_, i) => {
      const subject = `${label} ${i + 1}`;
      const area = buildMailCommarea({ from: 'batch@corp.example', to: 'ops@corp.example', subject }, 37);
      const res = await region.post(tranid, area);
      const body = Buffer.from(await res.arrayBuffer());
      return { subject, status: res.status, abcode: res.headers.get('x-cics-abcode'), body };
    }),
  );
  const journaled = new Map([...region.journal().scan()].map((r) => [r.subject, r]));
  const refused: string[] = [];
  const outcomes = new Map<string, number>();
  for (const a of answers) {
    if (a.status !== 200) {
      // A refusal before journaling: the task never reached the journal.
      t.equal(a.abcode, 'AICA', `${a.subject}: ${a.body.toString('utf8')}`);
      t.notOk(journaled.has(a.subject), `${a.subject}: answered AICA, and nothing of it on record`);
      refused.push(a.subject);
      outcomes.set('AICA', (outcomes.get('AICA') ?? 0) + 1);
      continue;
    }
    const response = readMailResponse(a.body, 37);
    const record = journaled.get(a.subject);
    t.ok(record, `${a.subject}: answered RC ${response.rc} ${response.reason}, and on record`);
    t.ok(
      (response.rc === 0 && response.reason === 'SENT') || (response.rc === 4 && response.reason === 'NORELAY'),
      `${a.subject}: ${response.rc} ${response.reason} ${response.relayReply}`,
    );
    t.equal(response.journalSeq, record?.seq, `${a.subject}: the answer names its record`);
    outcomes.set(response.reason, (outcomes.get(response.reason) ?? 0) + 1);
  }
  t.comment(`${label}: ${[...outcomes].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  const mine = [...journaled.keys()].filter((s) => s.startsWith(`${label} `));
  t.equal(mine.length, REQUESTS - refused.length, 'a record for each mail answered, none for the others');
  return { journaled: mine, refused };
}

t.test('no AICA for a journaled mail, no mail twice', async (t) => {
  const first = await round(t, 'FIRST');
  const second = await round(t, 'SECOND');
  const tiny = await round(t, 'TINY', 'MTNY');
  const journaled = [...first.journaled, ...second.journaled, ...tiny.journaled];
  // The spool sends what the sessions cut before their dot left; then nothing is left to send.
  await until(
    'the retry spool has sent every mail',
    () => region.journal().backlog() === 0 && relay.mails.length >= journaled.length,
    60_000,
  );
  const subjects = relay.mails.map(subjectOf).sort();
  t.same(subjects, journaled.sort(), 'every journaled mail delivered exactly once');
  for (const subject of [...first.refused, ...second.refused, ...tiny.refused])
    t.notOk(subjects.includes(subject), `${subject} never sent`);
  const ids = relay.mails.map((m) => /^Message-ID: (.*)$/im.exec(m.message.toString('latin1'))?.[1]);
  t.equal(new Set(ids).size, relay.mails.length, 'one Message-ID a mail');
});
