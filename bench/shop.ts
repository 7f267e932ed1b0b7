// (e) A transaction of the shop's own beside MAIL, in one region: PAYS, the payslip template
// program of docs/transactions.md (its copybook and templates are the ones the tests check
// byte for byte: test/fixtures), its COMMAREA sent as EBCDIC bytes as MAIL's is, and MAIL's
// 2 KB mail. The two take turns, each `rounds` times, and each one's best run counts: on a
// shared machine a slow stretch falls on one run, not on one transaction.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildViewPayloads, copybookLayout, type PayloadPool } from '../cli/load/payloads.js';
import { summarize } from '../cli/load/record.js';
import type { RunResult } from '../cli/load/run.js';
import { auth, load, notOk, perSecond, regionFor } from './region-load.js';

/** The checkout: found upwards from here (bench/ or dist/bench/). */
function projectFolder(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'test', 'fixtures'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the project folder above the bench');
    dir = up;
  }
  return dir;
}

const FILES = {
  'copybooks/PAYSLIP.cpy': 'cobol/PAYSLIP.cpy',
  'templates/payslip.txt.liquid': 'templates/payslip.txt.liquid',
  'templates/payslip.html.liquid': 'templates/payslip.html.liquid',
  'templates/payslip.csv.liquid': 'templates/payslip.csv.liquid',
};

/** Twelve payslip lines: the most the table holds, each a loop turn and two PIC edits. */
const PAYSLIP = {
  ps_employee: { ps_emp_no: 4711, ps_name: 'JANE   Q. <PUBLIC> & CO', ps_email: 'jane@corp.example' },
  ps_period: 202601,
  ps_pay_date: 20260130,
  ps_hire_date: 19032,
  ps_status: 'F',
  ps_gross: 12345.6,
  ps_deductions: 2345.6,
  ps_net: 10000,
  ps_lines: Array.from({ length: 12 }, (_, i) => ({
    ps_line_kind: i % 3 === 2 ? 'D' : 'E',
    ps_line_text: `LINE ${i + 1}`,
    ps_line_amount: i % 3 === 2 ? -(100 + i) : 1000 + i * 11.5,
  })),
};

export interface ShopFigures {
  readonly mail: { readonly txPerSec: number; readonly p50: number; readonly p99: number; readonly notRc0: number };
  readonly pays: { readonly txPerSec: number; readonly p50: number; readonly p99: number; readonly notRc0: number };
  readonly ratio: number;
}

function figuresOf(runs: readonly RunResult[]): ShopFigures['mail'] {
  const best = runs.reduce((a, b) => (perSecond(b) > perSecond(a) ? b : a));
  const l = summarize(best.recorder.histogram);
  return { txPerSec: perSecond(best), p50: l.p50, p99: l.p99, notRc0: runs.reduce((n, r) => n + notOk(r), 0) };
}

export async function shopBeside(
  relay: string,
  mailPool: PayloadPool,
  plan: { readonly connections: number; readonly warmupS: number; readonly runS: number; readonly rounds: number },
): Promise<ShopFigures> {
  const folder = mkdtempSync(join(tmpdir(), 'cicsmail-bench-shop-'));
  try {
    const fixtures = join(projectFolder(), 'test', 'fixtures');
    for (const [to, from] of Object.entries(FILES)) {
      mkdirSync(dirname(join(folder, to)), { recursive: true });
      copyFileSync(join(fixtures, from), join(folder, to));
    }
    const config = join(folder, 'region.json');
    // PAYS as docs/transactions.md defines it: the region file's entry the tests use.
    const PAYS: unknown = JSON.parse(readFileSync(join(fixtures, 'shop', 'pays.json'), 'utf8'));
    writeFileSync(config, JSON.stringify({ transactions: { PAYS } }));
    const pays = buildViewPayloads({
      tranid: 'PAYS',
      ccsid: 37,
      views: [PAYSLIP],
      copybook: copybookLayout(join(folder, 'copybooks/PAYSLIP.cpy')),
      jobname: 'BENCH',
    });
    const region = await regionFor(relay, { env: { CICSMAIL_CONFIG: config } });
    try {
      const run = (pool: PayloadPool, durationS: number) =>
        load(region.url, pool, auth(region), { connections: plan.connections, durationS });
      await run(mailPool, plan.warmupS);
      await run(pays, plan.warmupS);
      const mailRuns: RunResult[] = [];
      const paysRuns: RunResult[] = [];
      for (let r = 0; r < plan.rounds; r++) {
        mailRuns.push(await run(mailPool, plan.runS));
        paysRuns.push(await run(pays, plan.runS));
      }
      const mail = figuresOf(mailRuns);
      const paysFigures = figuresOf(paysRuns);
      return { mail, pays: paysFigures, ratio: paysFigures.txPerSec / mail.txPerSec };
    } finally {
      await region.stop();
    }
  } finally {
    rmSync(folder, { recursive: true, force: true });
  }
}
