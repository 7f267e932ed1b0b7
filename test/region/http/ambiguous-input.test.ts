// Input that could be read two ways is refused, never guessed: a JSON key given twice (the
// transactions' JSON view, a channel's JSON DFHCOMMAREA, the operators' bodies), a key
// __proto__, a channel with two DFHCOMMAREA parts. A packed-decimal field follows one rule
// in every form a COMMAREA comes in.
import fc from 'fast-check';
import t from 'tap';
import { channelBody } from '../../helpers/channel.js';
import { startRegion } from '../../helpers/region.js';
import { startRelay } from '../../helpers/relay.js';
import { ambiguousKey, parseJson } from '../../../region/http/json-body.js';
import { buildMailCommarea } from '../../../client/mailca.js';
import { copybook } from '../../../cics/copybook/library.js';
import { elementaryOf } from '../../../cics/copybook/layout.js';

t.test('ambiguousKey: keys compared as JSON.parse reads them, with where', async (t) => {
  const cases: [string, string | undefined][] = [
    ['{"a":1,"a":2}', 'has property "a" twice (at /a)'],
    ['{"a":1,"\\u0061":2}', 'has property "a" twice (at /a)'],
    ['{"x":{"b":[1,{"c":1,"c":2}]}}', 'has property "c" twice (at /x/b/1/c)'],
    ['[{"a":1},{"a":1}]', undefined],
    ['{"a":{"a":{"a":1}}}', undefined],
    ['{"a":"\\",\\"a\\":","b":"{}[],\\\\"}', undefined],
    ['{"":1,"":2}', 'has property "" twice (at /)'],
    ['{"__proto__":{"admin":true}}', 'has a property named "__proto__" (at /__proto__), which is not accepted'],
    ['{"v":"__proto__"}', undefined],
    ['"just a string"', undefined],
    ['[1,2,[3,{"k":[]}]]', undefined],
  ];
  for (const [text, expected] of cases) t.equal(ambiguousKey(text), expected, text);
  t.throws(() => parseJson('{"a":1,"a":1}', 'the body'), {
    code: 'CICS_INVREQ',
    message: 'the body has property "a" twice (at /a)',
  });
  t.throws(() => parseJson('{"a":', 'the body'), { code: 'CICS_INVREQ', message: /^the body is not JSON: / });
  t.same(parseJson('  ', 'the body'), {}, 'blank: an empty object');
});

t.test('ambiguousKey agrees with JSON.parse on every JSON text', async () => {
  // JSON.stringify never writes a key twice: nothing to find, whatever the nesting or escapes.
  fc.assert(
    fc.property(fc.jsonValue(), (value) => {
      const text = JSON.stringify(value);
      return text.includes('"__proto__"') || ambiguousKey(text) === undefined;
    }),
    { numRuns: 2000 },
  );
  // An object given one of its keys again, anywhere in a larger document, is found.
  fc.assert(
    fc.property(
      fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }),
      fc.jsonValue(),
      fc.nat(),
      (object, other, pick) => {
        // A __proto__ key anywhere is found first, as itself (the first property checks that).
        fc.pre(!JSON.stringify([object, other]).includes('"__proto__"'));
        const keys = Object.keys(object);
        const key = keys[pick % keys.length] as string;
        const body = JSON.stringify(object);
        const twice = `${body.slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(other)}}`;
        return ambiguousKey(`{"outer":[${JSON.stringify(other)},${twice}]}`)?.startsWith(
          `has property ${JSON.stringify(key)} twice (at /outer/1/`,
        );
      },
    ),
    { numRuns: 1000 },
  );
});

const relay = await startRelay(t);
const region = await startRegion(t, { CICSMAIL_RELAY: relay.url });

/** POST /cics/MAIL with a channel. */
const postChannel = (channel: { body: Buffer; type: string }) =>
  region.fetch('/cics/MAIL', { method: 'POST', headers: { 'content-type': channel.type }, body: channel.body });

async function refusal(res: Response): Promise<[number, string | null, string]> {
  return [res.status, res.headers.get('x-cics-resp'), ((await res.json()) as { message: string }).message];
}

t.test('a JSON key twice: INVREQ, nothing sent', async (t) => {
  const sent = relay.mails.length;
  const view = `{"mc_version":"01","mc_from":"tester@corp.example","mc_to":"ops@corp.example","mc_to":"ceo@corp.example","mc_subject":"x"}`;
  t.same(
    await refusal(
      await region.fetch('/cics/MAIL', { method: 'POST', headers: { 'content-type': 'application/json' }, body: view }),
    ),
    [400, 'INVREQ', 'the body has property "mc_to" twice (at /mc_to)'],
  );
  const channel = channelBody([{ name: 'DFHCOMMAREA', type: 'application/json', data: Buffer.from(view) }]);
  t.same(await refusal(await postChannel(channel)), [
    400,
    'INVREQ',
    'the DFHCOMMAREA part has property "mc_to" twice (at /mc_to)',
  ]);
  t.same(
    await refusal(
      await region.fetch('/journal/replay', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"mode":"redrive","dryRun":true,"mode":"redeliver"}',
      }),
    ),
    [400, 'INVREQ', 'the body has property "mode" twice (at /mode)'],
    "the operators' routes too",
  );
  t.equal(relay.mails.length, sent, 'no mail went out');
});

t.test('two DFHCOMMAREA parts: INVREQ, nothing sent', async (t) => {
  const sent = relay.mails.length;
  const area = (to: string) =>
    buildMailCommarea({ from: 'tester@corp.example', to, subject: 'which?' }, 37) as Buffer<ArrayBuffer>;
  const channel = channelBody([
    { name: 'DFHCOMMAREA', data: area('ops@corp.example') },
    { name: 'DFHCOMMAREA', data: area('ceo@corp.example') },
  ]);
  t.same(await refusal(await postChannel(channel)), [
    400,
    'INVREQ',
    'the channel has DFHCOMMAREA twice: which one is the COMMAREA?',
  ]);
  t.equal(relay.mails.length, sent, 'no mail went out');
});

t.test('packed decimal: one rule for a COMMAREA as bytes and in a channel', async (t) => {
  const seq = elementaryOf(copybook('MAILCA'), 'MC-JOURNAL-SEQ');
  const answers = async (last: number, fill = 0): Promise<string[]> => {
    const area = buildMailCommarea({ from: 'tester@corp.example', to: 'ops@corp.example', subject: 'p' }, 37);
    area.fill(fill, seq.offset, seq.offset + seq.size);
    area[seq.offset + seq.size - 1] = last;
    const channel = channelBody([{ name: 'DFHCOMMAREA', data: area }]);
    const forms = [await region.post('MAIL', area), await postChannel(channel)];
    return Promise.all(forms.map(async (r) => `${r.status} ${r.headers.get('x-cics-resp')}`));
  };
  // The sign nibble: A to F are signs (IBM's rule), 0 to 9 are not.
  for (let sign = 0; sign < 16; sign++) {
    const want = sign >= 0x0a ? '200 NORMAL' : '400 INVREQ';
    t.same(await answers(0x10 | sign), [want, want], `sign x'${sign.toString(16).toUpperCase()}'`);
  }
  t.same(await answers(0xac), ['400 INVREQ', '400 INVREQ'], 'a digit past 9');
  t.same(await answers(0x40, 0x40), ['200 NORMAL', '200 NORMAL'], 'SPACES: zero');
  t.same(await answers(0x00, 0x00), ['200 NORMAL', '200 NORMAL'], 'LOW-VALUES: zero');
});
