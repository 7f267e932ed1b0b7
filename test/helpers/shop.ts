// A shop's region folder for tests: a region definition file with transactions of the shop's
// own, and the copybooks, templates and program modules beside it; and the payslip
// transaction of docs/transactions.md, made from the fixtures.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { freshDir, type TestLike } from './test-like.js';

const fixture = (p: string) => readFileSync(new URL(`../fixtures/${p}`, import.meta.url));

/** The payslip transaction's files: its copybook and templates. */
export const PAYSLIP_FILES: Readonly<Record<string, Uint8Array>> = {
  'copybooks/PAYSLIP.cpy': fixture('cobol/PAYSLIP.cpy'),
  'templates/payslip.txt.liquid': fixture('templates/payslip.txt.liquid'),
  'templates/payslip.html.liquid': fixture('templates/payslip.html.liquid'),
  'templates/payslip.csv.liquid': fixture('templates/payslip.csv.liquid'),
};

/** The payslip as docs/transactions.md defines it (the region file's entry): the bench sends it too. */
export const PAYS = JSON.parse(fixture('shop/pays.json').toString('utf8')) as {
  readonly templates: Readonly<Record<string, unknown>>;
  readonly [field: string]: unknown;
};

/** The payslip's values as the JSON view (those GnuCOBOL's payslip.cbl moves). */
export const PAY_VALUES = {
  ps_employee: { ps_emp_no: 4711, ps_name: 'JANE   Q. <PUBLIC> & CO', ps_email: 'jane@corp.example' },
  ps_period: 202601,
  ps_pay_date: 20260130,
  ps_hire_date: 19032,
  ps_status: 'F',
  ps_gross: 1234.5,
  ps_deductions: 1500,
  ps_net: -265.5,
  ps_lines: [
    { ps_line_kind: 'E', ps_line_text: 'SALARY', ps_line_amount: 1234.5 },
    { ps_line_kind: 'D', ps_line_text: 'ADVANCE REPAID', ps_line_amount: -1500 },
  ],
};

export interface ShopFolder {
  readonly dir: string;
  /** The region definition file (CICSMAIL_CONFIG). */
  readonly config: string;
  /** Writes a file of the folder (again). */
  write(name: string, content: string | Uint8Array): void;
}

/** A folder with `region.json` (`regionFile` as JSON) and `files` beside it. */
export function shopFolder(
  t: TestLike,
  regionFile: object,
  files: Readonly<Record<string, string | Uint8Array>> = {},
): ShopFolder {
  const dir = freshDir(t);
  const write = (name: string, content: string | Uint8Array) => {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  };
  for (const [name, content] of Object.entries(files)) write(name, content);
  const config = join(dir, 'region.json');
  writeFileSync(config, `${JSON.stringify(regionFile, null, 2)}\n`);
  return { dir, config, write };
}
