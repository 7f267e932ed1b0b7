// Every supported code page agrees with glibc's iconv (IBMnnn) on all 256 byte values,
// both ways: an oracle that shares no table with the `codepage` package.
import { execFileSync } from 'node:child_process';
import t from 'tap';
import { codePage, parseCcsid, SUPPORTED_CCSIDS } from '../../cics/codepages.js';

const ALL_BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

function glibc(from: string, to: string, input: Buffer): Buffer {
  return execFileSync('iconv', ['-f', from, '-t', to], { input });
}

for (const ccsid of SUPPORTED_CCSIDS) {
  t.test(`CCSID ${ccsid} agrees with glibc IBM${String(ccsid).padStart(3, '0')}`, async (t) => {
    const name = `IBM${String(ccsid).padStart(3, '0')}`;
    const cp = codePage(ccsid);
    const expected = glibc(name, 'UTF-16BE', ALL_BYTES).swap16().toString('utf16le');
    t.equal(expected.length, 256);
    const ours = cp.decode(ALL_BYTES);
    const differ = [...ours].flatMap((c, i) =>
      c === expected[i]
        ? []
        : [
            `x'${i.toString(16)}': ours U+${c.charCodeAt(0).toString(16)}, glibc U+${expected.charCodeAt(i).toString(16)}`,
          ],
    );
    t.same(differ, [], 'decode: every byte to the same character');
    t.same(cp.encode(expected), ALL_BYTES, 'encode: every character back to its byte');
    t.same(
      glibc('UTF-16BE', name, Buffer.from(ours, 'utf16le').swap16()),
      ALL_BYTES,
      'glibc encodes our characters to the same bytes',
    );
    t.equal(cp.firstUnmappable(expected), undefined);
    t.equal(cp.firstUnmappable('abc\u20ac'), cp.chars.includes('\u20ac') ? undefined : '\u20ac');
  });
}

t.test('the places of @ and the line ends', async (t) => {
  t.equal(codePage(37).encode('@')[0], 0x7c);
  t.equal(codePage(273).encode('@')[0], 0xb5);
  t.equal(codePage(1141).encode('@')[0], 0xb5);
  t.equal(codePage(1140).encode('€')[0], 0x9f);
  for (const ccsid of SUPPORTED_CCSIDS) {
    t.equal(codePage(ccsid).chars[0x15], '\u0085', `${ccsid}: x'15' is NL`);
    t.equal(codePage(ccsid).chars[0x25], '\n', `${ccsid}: x'25' is LF`);
  }
});

t.test('CCSIDs as callers write them', async (t) => {
  for (const [text, ccsid] of [
    ['037', 37],
    ['37', 37],
    ['IBM-037', 37],
    ['ibm1047', 1047],
    ['cp273', 273],
    [' 1141 ', 1141],
    ['CCSID-500', 500],
  ] as const) {
    t.equal(parseCcsid(text), ccsid, text);
  }
  for (const bad of ['', '1', '850', '1252', 'ebcdic', '037x', '-37', '1e3', '0x25']) {
    t.equal(parseCcsid(bad), undefined, JSON.stringify(bad));
  }
});
