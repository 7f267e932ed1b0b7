// Each recipient's fate, on its own: the moves journal/states.ts allows, and work in
// proportion to the input (a mail of many recipients, a report naming many).
import t from 'tap';
import { recipientViews, type FateReport } from '../../journal/fate.js';
import { Journal } from '../../journal/journal.js';
import type { JournalRecord } from '../../journal/record.js';
import { afterReport, fateAt, FATES } from '../../journal/states.js';
import { doubling, doublingText, LINEAR_RATIO } from '../helpers/doubling.js';

t.test('the moves: final fates stay, relayed and expanded say nothing, a delay after a delay is news', async (t) => {
  const table = FATES.map((from) =>
    [
      from,
      ...(['delivered', 'delayed', 'failed', 'relayed', 'expanded'] as const).map((a) => afterReport(from, a) ?? '-'),
    ].join(' '),
  );
  t.same(table, [
    'RELAYED DELIVERED DELAYED BOUNCED - -',
    'DELIVERED - - - - -',
    'DELAYED DELIVERED DELAYED BOUNCED - -',
    'BOUNCED - - - - -',
    'EXPIRED DELIVERED DELAYED BOUNCED - -',
  ]);
  t.same(
    FATES.map((f) => fateAt(f, 0, 10, 10)),
    ['EXPIRED', 'DELIVERED', 'EXPIRED', 'BOUNCED', 'EXPIRED'],
  );
  t.same(
    FATES.map((f) => fateAt(f, 0, 9, 10)),
    [...FATES],
  );
});

const recipients = (n: number) => Array.from({ length: n }, (_, i) => `r${i}@x.example`);

function recordOf(n: number): JournalRecord {
  const to = recipients(n);
  const half = to.slice(0, n / 2);
  return {
    tranid: 'MAIL',
    taskn: 1,
    userid: 'U',
    jobname: 'J',
    ccsid: 37,
    subject: 's',
    attachments: 0,
    messageId: '<m@x>',
    envelope: { from: 'a@x.example', to },
    seq: 1,
    acceptedAt: '2026-12-01T00:00:00.000Z',
    updatedAt: '2026-12-01T00:00:00.000Z',
    size: 1,
    state: 'SENT',
    pending: [],
    delivered: to.slice(n / 2),
    failed: half,
    nextAttemptAt: null,
    relayReply: '250 ok',
    attempts: [
      {
        at: '2026-12-01T00:00:00.000Z',
        relay: 'r',
        outcome: 'sent',
        reply: '250 ok',
        via: 'task',
        accepted: to.slice(n / 2),
        refused: half.map((recipient) => ({ recipient, reply: '550 no' })),
      },
    ],
    fates: to.slice(n / 2, (3 * n) / 4).map((recipient) => ({
      recipient,
      fate: 'BOUNCED',
      at: '2026-12-01T00:00:01.000Z',
      status: '5.1.1',
      diagnostic: '',
      bounce: 1,
    })),
  };
}

t.test("a record's recipients, read: doubling them about doubles the time", async (t) => {
  const d = await doubling(recordOf, (r) => recipientViews(r, Date.parse('2026-12-02T00:00:00Z'), 0), { n: 1024 });
  t.ok(d.ratio < LINEAR_RATIO, doublingText(d));
  const views = recipientViews(recordOf(8), Date.parse('2026-12-02T00:00:00Z'), 0);
  t.same(
    views.map((v) => v.fate),
    ['REFUSED', 'REFUSED', 'REFUSED', 'REFUSED', 'BOUNCED', 'BOUNCED', 'RELAYED', 'RELAYED'],
  );
  t.equal(views[0]?.diagnostic, '550 no');
});

t.test('a report naming many recipients, recorded: doubling it about doubles the time', async (t) => {
  const journal = Journal.open(t.testdir(), { sysid: 'PRD1' });
  t.teardown(() => journal.close());
  const make = async (n: number) => {
    const to = recipients(n);
    const seq = await journal.accept(
      {
        tranid: 'MAIL',
        taskn: 1,
        userid: 'U',
        jobname: 'J',
        ccsid: 37,
        subject: 's',
        attachments: 0,
        messageId: '<m@x>',
        envelope: { from: 'a@x.example', to },
      },
      Buffer.from('x'),
    );
    await journal.settle(seq, {
      at: new Date().toISOString(),
      relay: 'r',
      outcome: 'sent',
      reply: '250',
      via: 'task',
      accepted: to,
    });
    const report: FateReport = {
      kind: 'dsn',
      recipients: to.map((a) => ({
        addresses: [a.toUpperCase()],
        action: 'delayed',
        status: '4.4.1',
        diagnostic: 'later',
      })),
    };
    return { seq, report };
  };
  // Inputs made before the clock: each size's records are ready, a report is recorded on each.
  const inputs = new Map<number, { seq: number; report: FateReport }>();
  const d = await doubling(
    (n) => n,
    async (n) => {
      const input = inputs.get(n) ?? (await make(n));
      inputs.set(n, input);
      return journal.fate.record(input.seq, 'PRD1', input.report, Buffer.from('b'), Date.now());
    },
    { n: 256, maxN: 16_384 },
  );
  t.ok(d.ratio < LINEAR_RATIO, doublingText(d));
});
