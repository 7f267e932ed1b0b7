// EBCDIC code pages, from the tables of the maintained `codepage` package, registered
// with iconv-lite (which ships none) under the names `ibm037`, `ibm1047`, … so that every
// conversion in the region goes through one library.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { runInNewContext } from 'node:vm';
import iconv from 'iconv-lite';

const require = createRequire(import.meta.url);

/**
 * One table of the `codepage` package, read on first use. The package's index builds every
 * code page it knows, the double-byte Asian ones included: 33 MB of heap and 69 MB of RSS in
 * each thread that imports it, where a region needs a few single-byte tables. Its `bits/N.js`
 * files hold one table each, as scripts that fill a global `cptable`; run in a context of their
 * own, they fill that context's and nothing else.
 */
function packageTable(table: number): readonly string[] | undefined {
  const context: { cptable: Record<number, { dec?: string[] } | undefined> } = { cptable: {} };
  runInNewContext(readFileSync(require.resolve(`codepage/bits/${table}.js`), 'utf8'), context);
  return context.cptable[table]?.dec;
}

/**
 * CCSID → the `codepage` table that holds it. Windows numbers the national EBCDIC pages
 * 20273…20871; 037, 500, 1047 and 1140–1149 keep IBM's numbers.
 */
const TABLE_OF_CCSID: ReadonlyMap<number, number> = new Map([
  [37, 37],
  [273, 20273],
  [277, 20277],
  [278, 20278],
  [280, 20280],
  [284, 20284],
  [285, 20285],
  [297, 20297],
  [500, 500],
  [871, 20871],
  [1047, 1047],
  [1140, 1140],
  [1141, 1141],
  [1142, 1142],
  [1143, 1143],
  [1144, 1144],
  [1145, 1145],
  [1146, 1146],
  [1147, 1147],
  [1148, 1148],
  [1149, 1149],
]);

export const SUPPORTED_CCSIDS: readonly number[] = [...TABLE_OF_CCSID.keys()];

export interface CodePage {
  readonly ccsid: number;
  /** The iconv-lite encoding name it is registered under. */
  readonly encoding: string;
  /** The 256 characters that the bytes x'00'…x'FF' stand for. */
  readonly chars: string;
  decode(bytes: Uint8Array): string;
  encode(text: string): Buffer;
  /** The first character of `text` that this code page cannot hold, or undefined. */
  firstUnmappable(text: string): string | undefined;
}

/**
 * Where the `codepage` tables differ from IBM's CCSID definitions (as glibc's iconv and
 * IBM's CDRA have them), IBM wins. The Windows 20xxx tables map x'00' and x'01' both to
 * U+009F, and follow other editions of 278, 285 and 871; the 1047 table has the z/OS
 * UNIX line-end swap (x'15' = LF, x'25' = NEL). test/cics/codepages.test.ts checks
 * every page against glibc on all 256 bytes, both ways.
 */
const WINDOWS_CONTROLS = { 0x00: '\u0000', 0x01: '\u0001' };
const IBM_CORRECTIONS: Readonly<Record<number, Readonly<Record<number, string>>>> = {
  273: WINDOWS_CONTROLS,
  277: WINDOWS_CONTROLS,
  278: { ...WINDOWS_CONTROLS, 0x71: '\u00c9', 0xe0: '\\' },
  280: WINDOWS_CONTROLS,
  284: WINDOWS_CONTROLS,
  285: { ...WINDOWS_CONTROLS, 0xa1: '\u203e' },
  297: WINDOWS_CONTROLS,
  871: { ...WINDOWS_CONTROLS, 0x4a: '\u00fe', 0xc0: '\u00de' },
  1047: { 0x15: '\u0085', 0x25: '\n' },
};

function tableChars(ccsid: number, table: number): string {
  const dec = packageTable(table);
  if (!dec || dec.length !== 256) throw new Error(`codepage table ${table} for CCSID ${ccsid} is missing`);
  const chars = [...dec];
  for (const [byte, char] of Object.entries(IBM_CORRECTIONS[ccsid] ?? {})) chars[Number(byte)] = char;
  return chars.join('');
}

const registered = new Map<number, CodePage>();

function register(ccsid: number): CodePage {
  const table = TABLE_OF_CCSID.get(ccsid);
  if (table === undefined) throw new Error(`CCSID ${ccsid} is not supported`);
  const chars = tableChars(ccsid, table);
  const encoding = `ibm${String(ccsid).padStart(3, '0')}`;
  // iconv-lite loads its encodings lazily; asking for one fills `iconv.encodings`.
  iconv.getCodec('utf8');
  const encodings = (iconv as unknown as { encodings: Record<string, unknown> }).encodings;
  encodings[encoding] = { type: '_sbcs', chars };
  const mappable = new Uint8Array(65536);
  for (let i = 0; i < 256; i++) mappable[chars.charCodeAt(i)] = 1;
  const page: CodePage = {
    ccsid,
    encoding,
    chars,
    decode: (bytes) => iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), encoding),
    encode: (text) => iconv.encode(text, encoding),
    firstUnmappable(text) {
      for (let i = 0; i < text.length; i++) {
        if (mappable[text.charCodeAt(i)] === 0) {
          const cp = text.codePointAt(i) ?? 0;
          return String.fromCodePoint(cp);
        }
      }
      return undefined;
    },
  };
  registered.set(ccsid, page);
  return page;
}

/**
 * Parses a CCSID as callers write it: `37`, `037`, `1047`, `IBM-273`, `ibm273`, `cp1141`.
 * Returns undefined for anything that is not one of the supported pages.
 */
export function parseCcsid(value: string): number | undefined {
  const m = /^(?:ibm-?|cp|ccsid-?)?0*(\d{1,5})$/i.exec(value.trim());
  if (!m || m[1] === undefined) return undefined;
  const ccsid = Number(m[1]);
  return TABLE_OF_CCSID.has(ccsid) ? ccsid : undefined;
}

/** The code page of a supported CCSID (throws for others: parse with `parseCcsid` first). */
export function codePage(ccsid: number): CodePage {
  return registered.get(ccsid) ?? register(ccsid);
}
