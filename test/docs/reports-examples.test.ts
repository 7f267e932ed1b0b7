// docs/reports.md followed line by line (test/helpers/doc-examples.ts): its commands run as
// written, in order, in a shell set up as the README's, against a region on port 0 with a
// real relay (smtp-server); what the page shows after a command is what it printed; each
// mail is read back by mailparser, its PDFs by poppler, its ZIPs by unzip and Python.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleParser, type ParsedMail } from 'mailparser';
import t, { type Test } from 'tap';
import { followDoc, type Check, type Run } from '../helpers/doc-examples.js';
import { startRegion } from '../helpers/region.js';
import { startRelay } from '../helpers/relay.js';
import { until } from '../helpers/until.js';
import { writeUsers } from '../helpers/users.js';
import { pdfInfo, pdfPages, unzipOne } from '../transactions/report/report-check.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const doc = readFileSync(join(root, 'docs/reports.md'), 'utf8');

const cwd = t.testdir({
  data: {},
  test: { fixtures: { 'mail-037.bin': readFileSync(join(root, 'test/fixtures/mail-037.bin')) } },
});
const ADMIN = { id: 'ADMIN', password: 'reports-admin-password' };
writeUsers(join(cwd, 'data'), [{ ...ADMIN, admin: true, transactions: ['*'], senders: ['*'] }]);
const relay = await startRelay(t);
const region = await startRegion(t, {
  CICSMAIL_DATA: join(cwd, 'data'),
  CICSMAIL_HOSTNAME: 'myhost',
  CICSMAIL_RELAY: relay.url,
});

// The shell the README sets up: its two variables, nothing of npm's or cicsmail's beside them.
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(npm_|CICSMAIL_)/i.test(k))),
  CICSMAIL_USER: `${ADMIN.id}:${ADMIN.password}`,
  CICSMAIL_URL: region.url,
  npm_config_offline: 'true',
  npm_config_update_notifier: 'false',
};

const ok = (t: Test, run: Run) => void t.equal(run.code, 0, run.stderr);

/** The relay's mails from the `from`th on (0-based), once there are `count` of them, read. */
async function mails(from: number, count: number): Promise<(ParsedMail & { to: readonly string[] })[]> {
  await until(`${from + count} mails at the relay`, () => relay.mails.length >= from + count);
  return Promise.all(
    relay.mails.slice(from, from + count).map(async (m) => Object.assign(await simpleParser(m.message), { to: m.to })),
  );
}

const attachment = (mail: ParsedMail) => {
  const [one, ...more] = mail.attachments;
  if (!one || more.length > 0) throw new Error(`${mail.attachments.length} attachments`);
  return one;
};

const CHECKS: Check[] = [
  { starts: "cat > ledger.txt <<'END'", check: ok },
  {
    starts: 'npx cicsmail send ledger.txt',
    check: async (t, run) => {
      ok(t, run);
      const parts = await mails(0, 3);
      t.same(
        parts.map((m) => [m.to, attachment(m).filename]),
        [
          [['b0042@corp.example'], 'LEDGER.BRANCH_0042.pdf'],
          [['b0043@corp.example', 'audit@corp.example'], 'LEDGER.BRANCH_0043.pdf'],
          [['controller@corp.example'], 'LEDGER.BRANCH_0099.pdf'],
        ],
        "each part to its KEYMAIL's recipients, the one in no KEYMAIL to TO",
      );
      const pages = parts.map((m) => pdfPages(attachment(m).content));
      t.same(
        pages.map((p) =>
          p.map(
            (lines) =>
              lines
                .find((l) => l.trim() !== '')
                ?.trim()
                .split(/\s{2,}/)[0],
          ),
        ),
        [['BRANCH 0042', 'BRANCH 0042'], ['BRANCH 0043'], ['BRANCH 0099']],
        "every page in exactly one part, its branch's",
      );
      t.same(
        parts.map((m) => m.subject),
        Array(3).fill('General ledger by branch'),
      );
      t.equal(new Set(parts.map((m) => m.messageId)).size, 3, 'a Message-ID a part');
    },
  },
  { starts: 'npx cicsmail keymap set LEDGER "BRANCH 0042"', check: ok },
  { starts: 'npx cicsmail keymap set LEDGER "branch 0043"', check: ok },
  { starts: "cat > ledger-map.txt <<'END'", check: ok },
  {
    starts: 'npx cicsmail send ledger-map.txt',
    check: async (t, run) => {
      ok(t, run);
      const parts = await mails(3, 3);
      t.same(
        parts.map((m) => [m.to, attachment(m).filename]),
        [
          [['b0042@corp.example'], 'LEDGER.BRANCH_0042.txt'],
          [['b0043@corp.example', 'audit@corp.example'], 'LEDGER.BRANCH_0043.txt'],
          [['controller@corp.example'], 'LEDGER.BRANCH_0099.txt'],
        ],
        "the map's keys to its recipients, the KEYMAIL's to its",
      );
      t.match(
        attachment(parts[1]!).content.toString('utf8'),
        /^BRANCH 0043 +GENERAL LEDGER\r\n1000 CASH +250\.00\r\n$/,
      );
    },
  },
  { starts: "cat > payroll.txt <<'END'", check: ok },
  {
    starts: 'npx cicsmail send payroll.txt',
    check: async (t, run) => {
      ok(t, run);
      t.match(run.stdout.toString('utf8'), /^RC=00 SEQ=7 MSGID=<[^>]+@myhost> 250 /);
      const [mail] = await mails(6, 1);
      const zip = attachment(mail!);
      t.equal(zip.filename, 'payroll.zip');
      const inside = unzipOne(zip.content);
      t.equal(inside.name, 'payroll.pdf');
      const info = pdfInfo(inside.data);
      const [w, h] = (/^([\d.]+) x ([\d.]+) pts/.exec(info['Page size'] ?? '') ?? []).slice(1).map(Number);
      t.ok((w ?? 0) > (h ?? 0), `landscape: ${info['Page size']}`);
      t.match(pdfPages(inside.data)[0]?.join('\n'), /PAYROLL REPORT\s+PAGE 1\n\s*EMPLOYEE\s+NAME\s+AMOUNT/);
    },
  },
  {
    starts: "printf '%-133s%-133s' '1PAYROLL REPORT",
    check: (t, run) => {
      ok(t, run);
      t.equal(readFileSync(join(cwd, 'payroll.fba')).length, 266, 'two records of 133 bytes');
    },
  },
  {
    starts: 'curl -sS -u "$CICSMAIL_USER" -o /dev/null',
    check: async (t, run) => {
      ok(t, run);
      const [mail] = await mails(7, 1);
      const zip = attachment(mail!);
      t.match(zip.filename, /\.zip$/);
      const inside = unzipOne(zip.content);
      t.match(inside.name, /\.pdf$/);
      t.equal(pdfInfo(inside.data)['Page size'], '841.89 x 595.28 pts (A4)', 'A4 landscape');
      t.match(
        pdfPages(inside.data)[0]?.join('\n'),
        /PAYROLL REPORT\s+PAGE 1\n\s*EMPLOYEE\s+NAME\s+AMOUNT/,
        'the 273 decoded',
      );
    },
  },
];

t.test('every shell example of docs/reports.md runs as written and answers as the page says', async (t) => {
  await followDoc(t, { text: doc, cwd, env, checks: CHECKS });
});
