// Copybook layouts cross-checked with a real COBOL compiler (GnuCOBOL): the records it
// wrote decode to the values it was given, and the region encodes the same bytes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { codePage } from '../../cics/codepages.js';
import { jsonToRecord, recordToJson } from '../../cics/copybook/json.js';
import { copybook } from '../../cics/copybook/library.js';
import { parseCopybook } from '../../cics/copybook/parse.js';
import { asIbm, NO_COBC, runCobol } from '../helpers/gnucobol.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const cp = codePage(37);
const rich = parseCopybook(readFileSync(here('../fixtures/cobol/RICH.cpy'), 'latin1'), 'RICH.cpy');
const mailca = copybook('MAILCA');
const mailca2 = copybook('MAILCA2');

const RICH_VALUES = {
  r_name: 'GORDON',
  r_alpha: 'BRUCE',
  r_count: 42,
  r_delta: -1234,
  r_lead: -5,
  r_sep_t: -7,
  r_sep_l: 12,
  r_price: -123.45,
  r_half: -2,
  r_full: 123456789,
  r_double: '-123456789012345678',
  r_native: -300,
  r_packed: 1234567.89,
  r_packed_u: 4711,
  r_scaled: -12300,
  r_table: [
    { r_code: 'AA', r_amount: 1 },
    { r_code: 'BB', r_amount: -22 },
    { r_code: 'CC', r_amount: 333 },
  ],
  r_date: { r_year: 2026, r_month: 11 },
};

const MAIL_VALUES = {
  mc_version: '01',
  mc_from: 'foo@bar.com',
  mc_reply_to: '',
  mc_to: 'wayne@bar.com',
  mc_cc: '',
  mc_bcc: '',
  mc_subject: 'DAILY REPORT',
  mc_importance: 'H',
  mc_body_format: 'T',
  mc_rc: 0,
  mc_reason: '',
  mc_message_id: '',
  mc_journal_seq: -4711,
  mc_relay_reply: '',
  mc_body_len: 12,
  mc_body: 'Fix the bulb',
};

t.test('RICH: sizes, signs, binary, packed, scaling, tables and groups as GnuCOBOL lays them out', async (t) => {
  t.equal(rich.maxLength, 91, 'GnuCOBOL: FUNCTION LENGTH(RICH-REC) = 91');
  const record = asIbm(readFileSync(here('../fixtures/cobol/rich.bin')).subarray(0, 91), rich);
  t.same(recordToJson(record, rich, cp), RICH_VALUES, 'decodes to the values the COBOL program moved');
  const encoded = jsonToRecord(RICH_VALUES, rich, cp);
  t.equal(encoded.bytes.toString('hex'), record.toString('hex'), 'encodes the same bytes');
});

t.test("MAILCA: the contract's layout as GnuCOBOL lays it out", async (t) => {
  const record = asIbm(readFileSync(here('../fixtures/cobol/mailca.bin')), mailca);
  t.equal(record.length, 4390, 'GnuCOBOL: FUNCTION LENGTH(MAILCA) = 4378 + MC-BODY-LEN');
  t.same(recordToJson(record, mailca, cp), MAIL_VALUES);
  t.equal(jsonToRecord(MAIL_VALUES, mailca, cp).bytes.toString('hex'), record.toString('hex'));
});

t.test('MAILCA version 02: MC-KEY after MC-RELAY-REPLY, as GnuCOBOL lays it out', async (t) => {
  const record = asIbm(readFileSync(here('../fixtures/cobol/mailca2.bin')), mailca2);
  t.equal(record.length, 4454, 'GnuCOBOL: FUNCTION LENGTH(MAILCA) of MAILCA2 = 4442 + MC-BODY-LEN');
  const values = { ...MAIL_VALUES, mc_version: '02', mc_key: 'PAYROLL-2026-12-06' };
  t.same(recordToJson(record, mailca2, cp), values);
  t.equal(jsonToRecord(values, mailca2, cp).bytes.toString('hex'), record.toString('hex'));
  const v01 = asIbm(readFileSync(here('../fixtures/cobol/mailca.bin')), mailca);
  t.same(record.subarray(2, 4374), v01.subarray(2, 4374), 'every field of version 01 at its offset, with its bytes');
});

t.test('GnuCOBOL still writes MAILCA version 02', { skip: NO_COBC }, async (t) => {
  const dir = t.testdir();
  const out = runCobol(dir, here('../fixtures/cobol/writemc2.cbl'), [here('../../copybooks')], {
    MAILFILE: `${dir}/mailca2.bin`,
  });
  t.match(out, /^MAILCA2 0*4454$/m);
  t.same(readFileSync(`${dir}/mailca2.bin`), readFileSync(here('../fixtures/cobol/mailca2.bin')));
});

t.test('GnuCOBOL still writes these records', { skip: NO_COBC }, async (t) => {
  const dir = t.testdir();
  const out = runCobol(
    dir,
    here('../fixtures/cobol/writerec.cbl'),
    [here('../fixtures/cobol'), here('../../copybooks')],
    {
      RICHFILE: `${dir}/rich.bin`,
      MAILFILE: `${dir}/mailca.bin`,
    },
  );
  t.match(out, /^RICH 91$/m);
  t.match(out, /^MAILCA 0*4390$/m);
  t.same(readFileSync(`${dir}/rich.bin`), readFileSync(here('../fixtures/cobol/rich.bin')));
  t.same(readFileSync(`${dir}/mailca.bin`), readFileSync(here('../fixtures/cobol/mailca.bin')));
});
