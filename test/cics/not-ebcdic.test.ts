// Text sent as EBCDIC that is not: ASCII and UTF-8 told apart from every EBCDIC code page
// the region has (text encoded by glibc's iconv, the code-page oracle), from the README's
// COMMAREA files with their binary fields, and from hostile bytes (random, all one byte,
// all high bytes, a UTF-8 sequence cut short); the work grows with the bytes and no faster.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { SUPPORTED_CCSIDS } from '../../cics/codepages.js';
import { notEbcdic } from '../../cics/not-ebcdic.js';
import { doubling, doublingText, LINEAR_RATIO } from '../helpers/doubling.js';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/${name}`, import.meta.url));
const TEXT = 'Volume SYSRES is 97% full. Please fix the bulb in the searchlight, Gordon 0123456789';
const iconv = (text: string, to: string) => execFileSync('iconv', ['-f', 'UTF-8', '-t', to], { input: text });

t.test('ASCII and UTF-8 are named', async (t) => {
  t.equal(notEbcdic(Buffer.from(TEXT, 'latin1')), 'ASCII');
  t.equal(notEbcdic(Buffer.from(`01${TEXT}`, 'ascii')), 'ASCII', "a COMMAREA written by a script's printf");
  t.equal(notEbcdic(Buffer.from(`Grüße aus Köln, ${TEXT}`, 'utf8')), 'UTF-8');
  t.equal(notEbcdic(Buffer.from(`Grüße aus Köln, ${TEXT}`, 'latin1')), 'ASCII', 'Latin-1 is no UTF-8');
  t.equal(notEbcdic(Buffer.from('abcd', 'ascii')), 'ASCII', 'four letters are enough');
});

t.test('EBCDIC text in every code page the region has is not taken for either', async (t) => {
  for (const ccsid of SUPPORTED_CCSIDS) {
    const bytes = iconv(`${TEXT} äöü ÄÖÜ ß é`, `IBM${String(ccsid).padStart(3, '0')}`);
    t.equal(notEbcdic(bytes), undefined, `CCSID ${ccsid}`);
  }
  t.equal(notEbcdic(fixture('mail-037.bin')), undefined, "the README's COMMAREA, binary fields and all");
  t.equal(notEbcdic(fixture('mail-273.bin')), undefined);
});

t.test('short, malformed and hostile bytes: no verdict where there is nothing to tell', async (t) => {
  t.equal(notEbcdic(Buffer.alloc(0)), undefined, 'empty');
  t.equal(notEbcdic(Buffer.from('abc', 'ascii')), undefined, 'three letters say nothing');
  t.equal(notEbcdic(Buffer.alloc(32_763, 0x40)), undefined, 'EBCDIC blanks');
  t.equal(notEbcdic(Buffer.alloc(32_763, 0x00)), undefined, 'LOW-VALUES');
  t.equal(notEbcdic(Buffer.alloc(32_763, 0xff)), undefined, 'HIGH-VALUES');
  t.equal(notEbcdic(Buffer.alloc(32_763, 0x0a)), undefined, 'newlines');
  t.equal(notEbcdic(Buffer.alloc(32_763, 0x41)), 'ASCII', "32,763 'A's in ASCII");
  t.equal(
    notEbcdic(Buffer.from([...Buffer.from('abcdefgh'), 0xc3])),
    'ASCII',
    'a UTF-8 sequence cut short is no UTF-8',
  );
  t.equal(notEbcdic(Buffer.from([...Buffer.from('abcdefgh'), 0xc3, 0x41])), 'ASCII', 'nor one broken');
  t.equal(notEbcdic(Buffer.from([...Buffer.from('abcdefgh'), 0xc0, 0x80])), 'ASCII', 'an overlong NUL is no UTF-8');
  // Random bytes hold as many of EBCDIC's letter bytes as of ASCII's: never four times fewer.
  for (let i = 0; i < 50; i++) t.equal(notEbcdic(randomBytes(4096)), undefined, `random ${i}`);
});

t.test('the work grows with the bytes: ASCII, UTF-8 and EBCDIC doubled', async (t) => {
  const shapes: [string, (n: number) => Buffer][] = [
    ['ASCII', (n) => Buffer.alloc(n, 'a')],
    ['UTF-8', (n) => Buffer.from('aé'.repeat(Math.ceil(n / 3)), 'utf8')],
    ['EBCDIC', (n) => Buffer.alloc(n, 0xc1)],
  ];
  for (const [what, make] of shapes) {
    const figures = await doubling(make, notEbcdic, { n: 32_768 });
    t.ok(figures.ratio < LINEAR_RATIO, `${what}: ${doublingText(figures)}`);
  }
});
