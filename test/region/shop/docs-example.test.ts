// docs/transactions.md as a shop would follow it: the region file it shows (its PAYS the one
// the payslip tests run), and its NOTICE copybook and notify.mjs module, copied out of the
// page into a region folder and run: an urgent notice is two mails, its answer the first's
// journal record.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { startRegion } from '../../helpers/region.js';
import { startRelay } from '../../helpers/relay.js';
import { PAYS, shopFolder } from '../../helpers/shop.js';

const page = readFileSync(new URL('../../../docs/transactions.md', import.meta.url), 'utf8');
const blocks = [...page.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({ lang: m[1], text: m[2] ?? '' }));
const block = (lang: string, holding: string) => {
  const found = blocks.filter((b) => b.lang === lang && b.text.includes(holding));
  if (found.length !== 1) throw new Error(`docs/transactions.md: ${found.length} ${lang} blocks hold '${holding}'`);
  return (found[0] as { text: string }).text;
};

t.test(
  "the region file it shows defines PAYS as the payslip tests run it, and NOTE on the page's module",
  async (t) => {
    const file = JSON.parse(block('json', '"PAYS"')) as { transactions: Record<string, unknown> };
    // Its class and time limit besides.
    t.same(file.transactions.PAYS, { ...PAYS, class: 'BATCH', timeLimitMs: 30000 });
    t.same(file.transactions.NOTE, { program: 'programs/notify.mjs', copybook: 'copybooks/NOTICE.cpy' });
  },
);

t.test("the page's module and copybook run: an urgent notice, two mails", async (t) => {
  const relay = await startRelay(t);
  const shop = shopFolder(
    t,
    { transactions: { NOTE: { program: 'programs/notify.mjs', copybook: 'copybooks/NOTICE.cpy' } } },
    {
      'copybooks/NOTICE.cpy': block('cobol', '01  NOTICE.'),
      'programs/notify.mjs': block('js', 'export default async function notify'),
    },
  );
  const region = await startRegion(t, { CICSMAIL_RELAY: relay.url, CICSMAIL_CONFIG: shop.config });
  const res = await region.fetch('/cics/NOTE', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ nt_to: 'clerk@corp.example', nt_text: 'The ledger is closed.', nt_kind: 'U' }),
  });
  t.equal(res.status, 200);
  const seqs = (res.headers.get('x-journal-seq') ?? '').split(',').map(Number);
  t.equal(seqs.length, 2, 'two mails, both journaled');
  t.same(await res.json(), {
    nt_to: 'clerk@corp.example',
    nt_text: 'The ledger is closed.',
    nt_kind: 'U',
    nt_rc: 0,
    nt_seq: seqs[0],
  });
  t.same(
    relay.mails.map((m) => [m.to, /^Subject: (.*)$/m.exec(m.message.toString('latin1'))?.[1]]),
    [
      [['clerk@corp.example'], 'Notice'],
      [['ops@corp.example'], 'Urgent: clerk@corp.example'],
    ],
  );
});
