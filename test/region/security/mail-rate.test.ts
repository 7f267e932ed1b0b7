// The rate limit counts mails, not only tasks: a user held to N a minute sends N mails a
// minute however they come, one a task or thousands in one SEND or SPOL. A task's request
// counts its first mail; each other mail of its input counts as the task takes it, in counts
// the region and its workers share; past the limit the task stops with RC 24 MAILRATE and
// the restart point. The window itself is checked with the clock passed in.
import t from 'tap';
import { UserRate } from '../../../cics/user-rate.js';
import { buildMailCommarea } from '../../../client/mailca.js';
import { ebcdicLines, fromEbcdic } from '../../helpers/ebcdic.js';
import { startRegion } from '../../helpers/region.js';
import { startRelay } from '../../helpers/relay.js';
import { basicAuth } from '../../helpers/users.js';
import { shopFolder } from '../../helpers/shop.js';

const LIMIT = 5;
const relay = await startRelay(t);
// A module of the shop's own that sends as many mails as it is asked, by sendMail or LINK.
const shop = shopFolder(
  t,
  {
    transactions: {
      MANY: { program: 'programs/many.mjs', copybook: 'copybooks/MANY.cpy' },
    },
  },
  {
    'copybooks/MANY.cpy': `       01  MANY.
           05  MN-COUNT                PIC 9(4).
           05  MN-LINK                 PIC X.
           05  MN-NOTE                 PIC X(400).
`,
    'programs/many.mjs': `
export default async function many(ctx) {
  const answers = [];
  for (let i = 1; i <= ctx.commarea.mn_count; i++) {
    if (ctx.commarea.mn_link === 'Y') {
      const a = await ctx.link('MAIL', { mc_version: '01', mc_from: 'batch@corp.example', mc_to: 'ops@corp.example', mc_subject: 'MODULE ' + i });
      answers.push(a.mc_rc + ' ' + a.mc_reason);
    } else {
      const a = await ctx.sendMail({ from: 'batch@corp.example', to: ['ops@corp.example'], subject: 'MODULE ' + i, text: 'x' });
      answers.push(a.rc + ' ' + a.reason);
    }
  }
  return { ...ctx.commarea, mn_note: answers.join(',') };
}`,
  },
);
const region = await startRegion(
  t,
  { CICSMAIL_RELAY: relay.url, CICSMAIL_CONFIG: shop.config },
  {
    users: [
      { id: 'HELD', password: 'held-password', transactions: ['*'], senders: ['*'], rateLimit: LIMIT },
      { id: 'HELD2', password: 'held2-password', transactions: ['*'], senders: ['*'], rateLimit: LIMIT },
      { id: 'FREE', password: 'free-password', transactions: ['*'], senders: ['*'] },
      { id: 'SHOP', password: 'shop-password', transactions: ['*'], senders: ['*'], rateLimit: 3 },
      { id: 'SHOP2', password: 'shop2-password', transactions: ['*'], senders: ['*'], rateLimit: 3 },
      { id: 'BURST', password: 'burst-password', transactions: ['*'], senders: ['*'], rateLimit: 3 },
    ],
  },
);
const as = (id: string) => ({ authorization: basicAuth(id, `${id.toLowerCase()}-password`) });

function statements(prefix: string, n: number): Buffer {
  const lines: string[] = [];
  for (let i = 1; i <= n; i++)
    lines.push('FROM batch@corp.example', 'TO ops@corp.example', `SUBJECT ${prefix} ${i}`, 'SEND');
  return ebcdicLines(lines, 37);
}

async function report(res: Response): Promise<string[]> {
  return fromEbcdic(Buffer.from(await res.arrayBuffer()), 37)
    .split('\u0085')
    .slice(0, -1);
}

const sentOf = (prefix: string) =>
  relay.mails.filter((m) => m.message.toString('latin1').includes(`Subject: ${prefix} `)).length;

t.test('one SEND of 12 mails by a user held to 5 a minute: 5 sent, then MAILRATE', async (t) => {
  const res = await region.post('SEND', statements('HELD', 12), as('HELD'));
  t.equal(res.status, 200);
  t.equal(res.headers.get('x-mail-rc'), '24');
  t.equal(res.headers.get('x-mail-from-mail'), '6');
  const lines = await report(res);
  t.equal(lines.length, 6);
  for (const line of lines.slice(0, 5)) t.match(line, /^RC=00 SEQ=\d+ /);
  t.equal(
    lines[5],
    "RC=24 LINE=21 MAIL=6 this mail and the 6 after it were not taken: the user's tasks and mails a minute are used up; go on from mail 6 (X-Mail-From-Mail: 6, cicsmail send --from-mail 6)",
  );
  t.equal(sentOf('HELD'), LIMIT, 'the relay got 5');
  // The minute is used up by mails: the next task is refused at the door.
  const next = await region.post(
    'MAIL',
    buildMailCommarea({ from: 'a@corp.example', to: 'b@corp.example' }, 37),
    as('HELD'),
  );
  t.equal(next.status, 429);
  t.match(await next.json(), { message: /^user HELD has made 5 tasks and mails this minute, the most allowed/ });
  const other = await region.post('SEND', statements('FREE', 12), as('FREE'));
  t.equal(other.headers.get('x-mail-rc'), '0', 'a user without a limit is not held');
  t.equal(sentOf('FREE'), 12);
});

t.test('two SENDs at once share the user’s minute: 5 mails in all', async (t) => {
  const [a, b] = await Promise.all([
    region.post('SEND', statements('TWO-A', 10), as('HELD2')),
    region.post('SEND', statements('TWO-B', 10), as('HELD2')),
  ]);
  const lines = [...(await report(a)), ...(await report(b))];
  t.equal(lines.filter((l) => l.startsWith('RC=00 ')).length, LIMIT, 'five taken between them');
  t.equal(lines.filter((l) => / MAIL=\d+ .*used up/.test(l)).length, 2, 'each stopped with its restart point');
  t.equal(sentOf('TWO-A') + sentOf('TWO-B'), LIMIT);
});

t.test("a module's mails count too, by sendMail and by LINK to MAIL", async (t) => {
  for (const [user, link] of [
    ['SHOP', ' '],
    ['SHOP2', 'Y'],
  ] as const) {
    const before = relay.mails.length;
    const res = await region.fetch('/cics/MANY', {
      method: 'POST',
      headers: { ...as(user), 'content-type': 'application/json' },
      body: JSON.stringify({ mn_count: 6, mn_link: link }),
    });
    t.equal(res.status, 200);
    t.equal(res.headers.get('x-mail-rc'), '24');
    const { mn_note } = (await res.json()) as { mn_note: string };
    t.equal(mn_note, '0 SENT,0 SENT,0 SENT,24 MAILRATE,24 MAILRATE,24 MAILRATE', user);
    t.equal(relay.mails.length - before, 3, 'three sent');
  }
});

t.test("a burst report's parts count too: the mail is taken in part, and goes on from itself", async (t) => {
  const pages = Array.from({ length: 8 }, (_, i) => [`1PAGE ${i + 1}`, ` LINE OF PAGE ${i + 1}`]).flat();
  const input = ebcdicLines(
    [
      'FROM batch@corp.example',
      'TO ops@corp.example',
      'SUBJECT BURSTY',
      'ATTACH NAME=R RECFM=FBA FORMAT=TXT BURST=PAGES(1)',
      ...pages,
      'ENDATTACH',
      'SEND',
      'FROM batch@corp.example',
      'TO ops@corp.example',
      'SUBJECT AFTER',
    ],
    37,
  );
  const before = relay.mails.length;
  const res = await region.post('SEND', input, as('BURST'));
  t.equal(res.headers.get('x-mail-rc'), '24');
  t.equal(res.headers.get('x-mail-from-mail'), '1');
  const lines = await report(res);
  t.equal(lines.length, 9);
  for (const line of lines.slice(0, 3)) t.match(line, /^RC=00 SEQ=\d+ MSGID=<[^>]+> PART=\d\/8 /);
  for (const [i, line] of lines.slice(3, 8).entries())
    t.equal(
      line,
      `RC=24 LINE=4 PART=${i + 4}/8 KEY="${i + 4}" PAGES=${i + 4} TO=ops@corp.example not taken: the user's tasks and mails a minute are used up`,
    );
  t.equal(
    lines[8],
    'RC=24 LINE=1 MAIL=1 this mail was taken in part (its lines above) and the 1 after it not at all; go on from mail 1 (X-Mail-From-Mail: 1: its parts sent go again; the same request under its key sends only the others)',
  );
  t.equal(relay.mails.length - before, 3, 'three parts sent, no more');
});

t.test('the window: counted up to the limit, begun again once the minute is over', async (t) => {
  const rate = new UserRate();
  const slot = rate.slotOf('U1');
  t.equal(rate.slotOf('U1'), slot, 'one slot a user');
  t.not(rate.slotOf('U2'), slot, 'another user, another slot');
  const start = 1_000_000;
  t.same(rate.add(slot, 60_000, start), { current: 1, endsAt: start + 60_000 });
  t.same(
    [1, 2, 3, 4, 5].map((i) => rate.take(slot, 3, 60_000, start + i)),
    [true, true, false, false, false],
    'a task and two mails of three',
  );
  t.same(rate.add(slot, 60_000, start + 59_999), { current: 4, endsAt: start + 60_000 }, 'the request past it counts');
  t.equal(rate.take(slot, 3, 60_000, start + 60_000), true, 'a new minute');
  t.same(rate.add(slot, 60_000, start + 60_001), { current: 2, endsAt: start + 120_000 });
});
