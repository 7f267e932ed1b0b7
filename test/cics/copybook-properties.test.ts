// Property tests (fast-check): for random copybooks and random values, writing a record
// and reading it back gives the same values, in every supported code page.
import fc from 'fast-check';
import t from 'tap';
import { codePage, SUPPORTED_CCSIDS } from '../../cics/codepages.js';
import { jsonToRecord, recordToJson, type JsonValue } from '../../cics/copybook/json.js';
import { parseCopybook } from '../../cics/copybook/parse.js';

interface TextField {
  kind: 'text';
  length: number;
}
interface NumberField {
  kind: 'number';
  digits: number;
  scale: number;
  signed: boolean;
  usage: 'DISPLAY' | 'COMP' | 'COMP-5' | 'COMP-3';
  sign: '' | 'SIGN LEADING' | 'SIGN TRAILING SEPARATE' | 'SIGN LEADING SEPARATE';
}
type Field = (TextField | NumberField) & { occurs: number };

const field: fc.Arbitrary<Field> = fc.oneof(
  fc.record({
    kind: fc.constant('text' as const),
    length: fc.integer({ min: 1, max: 30 }),
    occurs: fc.integer({ min: 0, max: 3 }),
  }),
  fc
    .record({
      kind: fc.constant('number' as const),
      digits: fc.integer({ min: 1, max: 18 }),
      scale: fc.integer({ min: 0, max: 4 }),
      signed: fc.boolean(),
      usage: fc.constantFrom('DISPLAY' as const, 'COMP' as const, 'COMP-5' as const, 'COMP-3' as const),
      sign: fc.constantFrom(
        '' as const,
        'SIGN LEADING' as const,
        'SIGN TRAILING SEPARATE' as const,
        'SIGN LEADING SEPARATE' as const,
      ),
      occurs: fc.integer({ min: 0, max: 3 }),
    })
    .map((f) => ({
      ...f,
      scale: Math.min(f.scale, f.digits),
      sign: f.usage === 'DISPLAY' && f.signed ? f.sign : ('' as const),
    })),
);

function picture(f: Field): string {
  if (f.kind === 'text') return `PIC X(${f.length})`;
  const int = f.digits - f.scale;
  const pic = `${f.signed ? 'S' : ''}${int > 0 ? `9(${int})` : ''}${f.scale > 0 ? `V9(${f.scale})` : ''}`;
  return `PIC ${pic} ${f.usage}${f.sign ? ` ${f.sign}` : ''}`;
}

function copybookOf(fields: Field[]): string {
  const lines = ['       01  REC.'];
  fields.forEach((f, i) => {
    const occurs = f.occurs > 0 ? ` OCCURS ${f.occurs} TIMES` : '';
    lines.push(`           05  F-${i}${occurs}`);
    lines.push(`               ${picture(f)}.`);
  });
  return lines.join('\n');
}

/** A value for one occurrence, as the JSON view gives it back. */
function valueOf(f: Field, chars: string): fc.Arbitrary<JsonValue> {
  if (f.kind === 'text') {
    // Any character of the code page but controls; trailing blanks are not kept.
    const printable = [...chars].filter(
      (c) => c.charCodeAt(0) >= 0x20 && !(c.charCodeAt(0) >= 0x7f && c.charCodeAt(0) < 0xa0),
    );
    return fc.array(fc.constantFrom(...printable), { maxLength: f.length }).map((cs) => cs.join('').replace(/ +$/, ''));
  }
  const limit = f.usage === 'COMP-5' ? 0n : 10n ** BigInt(f.digits);
  const bits = f.digits <= 4 ? 16n : f.digits <= 9 ? 32n : 64n;
  const max = f.usage === 'COMP-5' ? (f.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n) : limit - 1n;
  const min = f.usage === 'COMP-5' ? (f.signed ? -(1n << (bits - 1n)) : 0n) : f.signed ? -(limit - 1n) : 0n;
  return fc.bigInt({ min, max }).map((unscaled) => {
    const negative = unscaled < 0n;
    const digits = (negative ? -unscaled : unscaled).toString().padStart(f.scale + 1, '0');
    const text =
      f.scale > 0
        ? `${negative ? '-' : ''}${digits.slice(0, -f.scale)}.${digits.slice(-f.scale)}`
        : unscaled.toString();
    const safe = unscaled <= BigInt(Number.MAX_SAFE_INTEGER) && unscaled >= -BigInt(Number.MAX_SAFE_INTEGER);
    return safe ? Number(text) : text;
  });
}

t.test('decode(encode(x)) = x for random layouts, values and code pages', async (t) => {
  const scenario = fc
    .record({ fields: fc.array(field, { minLength: 1, maxLength: 8 }), ccsid: fc.constantFrom(...SUPPORTED_CCSIDS) })
    .chain(({ fields, ccsid }) => {
      const chars = codePage(ccsid).chars;
      const values = fields.map((f) =>
        f.occurs > 0 ? fc.array(valueOf(f, chars), { minLength: f.occurs, maxLength: f.occurs }) : valueOf(f, chars),
      );
      return fc.tuple(fc.constant(fields), fc.constant(ccsid), fc.tuple(...values));
    });
  let runs = 0;
  fc.assert(
    fc.property(scenario, ([fields, ccsid, values]) => {
      const layout = parseCopybook(copybookOf(fields), 'random');
      const cp = codePage(ccsid);
      const json = Object.fromEntries(values.map((v, i) => [`f_${i}`, v]));
      const { bytes } = jsonToRecord(json, layout, cp);
      if (bytes.length !== layout.maxLength) return false;
      const back = recordToJson(bytes, layout, cp);
      runs++;
      // Same values, and encoding what was read gives the same bytes again.
      return JSON.stringify(back) === JSON.stringify(json) && jsonToRecord(back, layout, cp).bytes.equals(bytes);
    }),
    { numRuns: 400 },
  );
  t.equal(runs, 400);
});
