// Where a program of many mails stops, on a clock the test moves: SEND's and SPOL's loop
// (takeMails) and a module's gate (laterMailsGate) take no more once only the second kept
// back to answer is left, or once the user's minute is used up, and say from which mail to
// go on. Each mail "takes" 300 ms of the fake clock.
import t from 'tap';
import type { ProgramContext } from '../../cics/task.js';
import { laterMailsGate } from '../../transactions/mail/deliver.js';
import { takeMails } from '../../transactions/text/request.js';
import { doubling, doublingText, LINEAR_RATIO } from '../helpers/doubling.js';
import { programContext } from '../helpers/program-context.js';

const DEADLINE = 10_000;

function context(clock: { now: number }, more: Partial<ProgramContext<unknown>> = {}): ProgramContext<unknown> {
  return programContext<unknown>(
    {},
    {
      eib: { eibtrnid: 'SEND', eibjobnm: 'NIGHTLY' },
      deadline: DEADLINE,
      now: () => clock.now,
      ...more,
    },
  );
}

const items = (n: number) => Array.from({ length: n }, (_, i) => ({ line: 10 * i + 1, n: i + 1 }));

t.test('the time limit: mails taken until a second before it, then the restart point', async (t) => {
  const clock = { now: 7_000 };
  const taken: number[] = [];
  const result = await takeMails(context(clock), items(20), async (item) => {
    taken.push(item.n);
    clock.now += 300;
    return [{ rc: 0, text: `mail ${item.n}` }];
  });
  // Taken while the clock is before the deadline less a second (9,000 ms).
  t.same(taken, [1, 2, 3, 4, 5, 6, 7], 'taken at 7,000 to 8,800 ms');
  t.equal(result.fromMail, 8);
  t.same(result.lines.at(-1), {
    rc: 24,
    reason: 'NOTTAKEN',
    text: 'RC=24 LINE=71 MAIL=8 this mail and the 12 after it were not taken: the time limit ran out; go on from mail 8 (X-Mail-From-Mail: 8, cicsmail send --from-mail 8)',
  });
  t.equal(result.lines.length, 8);
});

t.test('from a restart point: the mails before it are not taken again', async (t) => {
  const clock = { now: 0 };
  const taken: number[] = [];
  const result = await takeMails(context(clock, { fromMail: 18 }), items(20), async (item) => {
    taken.push(item.n);
    return [];
  });
  t.same(taken, [18, 19, 20]);
  t.equal(result.fromMail, undefined, 'done');
  const past = await takeMails(context(clock, { fromMail: 21 }), items(20), async () => []);
  t.same(past.lines, [{ rc: 8, reason: 'NOMAIL', text: 'RC=08 LINE=1 X-Mail-From-Mail 21: the input holds 20 mails' }]);
});

t.test('the last mail not taken, and a limit already past: nothing taken', async (t) => {
  const clock = { now: 8_999 };
  const one = await takeMails(context(clock, { fromMail: 20 }), items(20), async () => {
    clock.now += 1;
    return [];
  });
  t.equal(one.fromMail, undefined, 'the one mail was taken at 8,999');
  const late = await takeMails(context({ now: 9_000 }, { fromMail: 20 }), items(20), async () => []);
  t.same(late, {
    lines: [
      {
        rc: 24,
        reason: 'NOTTAKEN',
        text: 'RC=24 LINE=191 MAIL=20 this mail was not taken: the time limit ran out; go on from mail 20 (X-Mail-From-Mail: 20, cicsmail send --from-mail 20)',
      },
    ],
    fromMail: 20,
  });
});

t.test("a mail the gate refused (the user's rate limit): the report goes on from it", async (t) => {
  const taken: number[] = [];
  const result = await takeMails(context({ now: 0 }, { fromMail: 4 }), items(10), async (item) => {
    taken.push(item.n);
    return item.n < 7
      ? [{ rc: 0, text: `mail ${item.n}` }]
      : [
          {
            rc: 24,
            reason: 'MAILRATE',
            text: "RC=24 LINE=61 not taken: the user's tasks and mails a minute are used up",
          },
        ];
  });
  t.same(taken, [4, 5, 6, 7]);
  t.equal(result.fromMail, 7);
  t.same(
    result.lines.map((l) => l.text),
    [
      'mail 4',
      'mail 5',
      'mail 6',
      "RC=24 LINE=61 MAIL=7 this mail and the 3 after it were not taken: the user's tasks and mails a minute are used up; go on from mail 7 (X-Mail-From-Mail: 7, cicsmail send --from-mail 7)",
    ],
    "the refused mail's own line gives way to the restart point",
  );
});

t.test('the gate: the first mail journaled free, the others held to the time and the rate, then none', async (t) => {
  const clock = { now: 0 };
  let rate = true;
  const counted: boolean[] = [];
  const gate = laterMailsGate(
    context(clock, {
      takeMail: () => {
        counted.push(rate);
        return rate;
      },
    }),
  );
  clock.now = 9_500;
  t.equal(gate(), undefined, 'the first mail is the task’s own, whatever the time');
  clock.now = 8_999;
  t.equal(gate(), undefined);
  rate = false;
  const refused = { reason: 'MAILRATE', detail: "not taken: the user's tasks and mails a minute are used up" };
  t.same(gate(), refused);
  rate = true;
  t.same(gate(), refused, 'once refused, no mail after it goes: no hole in the report');
  t.same(counted, [true, false], 'counted once a mail, not after the refusal');
  const timed = laterMailsGate(context({ now: 9_000 }));
  t.equal(timed(), undefined);
  t.same(timed(), { reason: 'NOTTAKEN', detail: 'not taken: the time limit ran out' });
});

t.test('a mail taken in part (a burst its limit cut): the report goes on from it', async (t) => {
  const result = await takeMails(context({ now: 0 }), items(3), async (item) =>
    item.n === 2
      ? [
          { rc: 0, text: 'RC=00 SEQ=7 MSGID=<a@b> PART=1/2 …' },
          { rc: 24, reason: 'NOTTAKEN', text: 'RC=24 LINE=11 PART=2/2 … not taken: the time limit ran out' },
        ]
      : [{ rc: 0, text: `mail ${item.n}` }],
  );
  t.equal(result.fromMail, 2);
  t.same(result.lines.at(-1), {
    rc: 24,
    reason: 'NOTTAKEN',
    text: 'RC=24 LINE=11 MAIL=2 this mail was taken in part (its lines above) and the 1 after it not at all; go on from mail 2 (X-Mail-From-Mail: 2: its parts sent go again; the same request under its key sends only the others)',
  });
  t.equal(result.lines.length, 4, 'mail 1, the two lines of mail 2, the restart point');
});

t.test('the work grows in proportion to the mails, taken all or stopped at the last', async (t) => {
  // Stopped at the last mail: the restart line counts those after it, so both ways are measured.
  for (const stopAt of ['never', 'last'] as const) {
    const run = async (list: readonly { line: number; n: number }[]) => {
      const clock = { now: 0 };
      return takeMails(context(clock), list, async (item) => {
        if (stopAt === 'last' && item.n === list.length - 1) clock.now = DEADLINE;
        return [{ rc: 0, text: 'taken' }];
      });
    };
    const figures = await doubling(items, run, { n: 20_000, maxN: 20_000 });
    t.ok(figures.ratio < LINEAR_RATIO, `stopped ${stopAt}: ${doublingText(figures)}`);
  }
});
