// The per-mail return path: a template checked strictly (each reason exact), made for a
// SYSID and sequence, and read back only where this template could have made it.
import fc from 'fast-check';
import t from 'tap';
import {
  decodeReturnPath,
  parseReturnPath,
  returnPathOf,
  returnPathTag,
  type ReturnPathTemplate,
} from '../../../smtp/dsn/return-path.js';

function template(text: string): ReturnPathTemplate {
  const parsed = parseReturnPath(text);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.template;
}

t.test('good templates: either order, literal text around, the domain in lower case', async (t) => {
  t.same(parseReturnPath('bounce+{sysid}.{seq}@Bounce.Example'), {
    ok: true,
    template: {
      text: 'bounce+{sysid}.{seq}@Bounce.Example',
      before: 'bounce+',
      between: '.',
      after: '',
      first: 'sysid',
      domain: 'bounce.example',
    },
  });
  t.equal(returnPathOf(template('bounce+{sysid}.{seq}@bounce.example'), 'PRD1', 42), 'bounce+prd1.42@bounce.example');
  t.equal(returnPathOf(template('{seq}_{sysid}-rp@b.example'), 'A#$@', 1), '1_a#$=-rp@b.example');
  t.equal(
    returnPathOf(template('r.{sysid}--{seq}.x@b.example'), 'CICSMAIL', 9007199254740991),
    'r.cicsmail--9007199254740991.x@b.example',
  );
});

t.test('bad templates: the reason says what is wrong', async (t) => {
  const cases: [string, string][] = [
    ['bounce.example', "'bounce.example' is not one local-part@domain"],
    ['@bounce.example', "'@bounce.example' is not one local-part@domain"],
    ['a@b@bounce.example', "'a@b@bounce.example' is not one local-part@domain"],
    ['{sysid}.{seq}@localhost', "'localhost' is not a domain of two or more labels (letters, digits, hyphens)"],
    [
      '{sysid}.{seq}@{sysid}.example',
      "'{sysid}.example' is not a domain of two or more labels (letters, digits, hyphens)",
    ],
    ['{sysid}.{seq}@-x.example', "'-x.example' is not a domain of two or more labels (letters, digits, hyphens)"],
    ['bounce@bounce.example', "'bounce@bounce.example': the local part must hold {sysid} and {seq} once each"],
    [
      '{sysid}.{sysid}.{seq}@b.example',
      "'{sysid}.{sysid}.{seq}@b.example': the local part must hold {sysid} and {seq} once each",
    ],
    ['{seq}@b.example', "'{seq}@b.example': the local part must hold {sysid} and {seq} once each"],
    ['{SYSID}.{seq}@b.example', "'{SYSID}.{seq}@b.example': the local part must hold {sysid} and {seq} once each"],
    [
      'b {sysid}.{seq}@b.example',
      "'b {sysid}.{seq}@b.example': the local part may hold only letters, digits, . + - _ besides {sysid} and {seq}",
    ],
    [
      'b{sysid}.{seq}{x}@b.example',
      "'b{sysid}.{seq}{x}@b.example': the local part may hold only letters, digits, . + - _ besides {sysid} and {seq}",
    ],
    [
      'b\r\n{sysid}.{seq}@b.example',
      "'b\r\n{sysid}.{seq}@b.example': the local part may hold only letters, digits, . + - _ besides {sysid} and {seq}",
    ],
    [
      '"{sysid}.{seq}"@b.example',
      `'"{sysid}.{seq}"@b.example': the local part may hold only letters, digits, . + - _ besides {sysid} and {seq}`,
    ],
    [
      'b={sysid}.{seq}@b.example',
      "'b={sysid}.{seq}@b.example': the local part may hold only letters, digits, . + - _ besides {sysid} and {seq}",
    ],
    [
      '{sysid}{seq}@b.example',
      "'{sysid}{seq}@b.example': put one of . + - _ between {sysid} and {seq}, else the two cannot be told apart",
    ],
    [
      '{sysid}x{seq}@b.example',
      "'{sysid}x{seq}@b.example': put one of . + - _ between {sysid} and {seq}, else the two cannot be told apart",
    ],
    [
      '.{sysid}.{seq}@b.example',
      "'.{sysid}.{seq}@b.example': the local part may not start or end with a dot or hold two in a row",
    ],
    [
      '{sysid}..{seq}@b.example',
      "'{sysid}..{seq}@b.example': the local part may not start or end with a dot or hold two in a row",
    ],
    [
      '{sysid}.{seq}.@b.example',
      "'{sysid}.{seq}.@b.example': the local part may not start or end with a dot or hold two in a row",
    ],
    [
      `${'b'.repeat(40)}{sysid}.{seq}@b.example`,
      `'${'b'.repeat(40)}{sysid}.{seq}@b.example': with an 8-character SYSID and a 16-digit sequence the local part is 65 octets, over 64`,
    ],
  ];
  for (const [text, reason] of cases) t.same(parseReturnPath(text), { ok: false, reason }, JSON.stringify(text));
});

t.test('decoding: only what the template makes, in any case; everything else refused with the reason', async (t) => {
  const tpl = template('bounce+{sysid}.{seq}@bounce.example');
  t.same(decodeReturnPath(tpl, 'bounce+prd1.42@bounce.example'), { ok: true, sysid: 'PRD1', seq: 42 });
  t.same(decodeReturnPath(tpl, 'BOUNCE+PRD1.42@BOUNCE.EXAMPLE'), { ok: true, sysid: 'PRD1', seq: 42 });
  t.same(decodeReturnPath(tpl, 'bounce+a=b.7@bounce.example'), { ok: true, sysid: 'A@B', seq: 7 });
  const refused = (address: string) => ({
    ok: false,
    reason: `<${address}> is not a return path of bounce+{sysid}.{seq}@bounce.example`,
  });
  for (const address of [
    'bounce+prd1.042@bounce.example',
    'bounce+prd1.0@bounce.example',
    'bounce+prd1.@bounce.example',
    'bounce+.42@bounce.example',
    'bounce+toolongid.42@bounce.example',
    'bounce+prd1.42@bounce.example.evil',
    'bounce+prd1.42@evil.bounce.example',
    'xbounce+prd1.42@bounce.example',
    'bounce+prd1.42x@bounce.example',
    'bounce+prd1.42@bounce.example ',
    'bounce+prd 1.42@bounce.example',
    'bounce+prd1.42',
    '@relay.example:bounce+prd1.42@bounce.example',
    'bounce+prd1.12345678901234567@bounce.example',
    'bounce-prd1.42@bounce.example',
    'bounce+prd1.4\n2@bounce.example',
    '',
  ])
    t.same(decodeReturnPath(tpl, address), refused(address), JSON.stringify(address));
  t.same(decodeReturnPath(tpl, 'bounce+prd1.9999999999999999@bounce.example'), {
    ok: false,
    reason: '<bounce+prd1.9999999999999999@bounce.example>: the sequence is out of range',
  });
  t.same(decodeReturnPath(tpl, `bounce+prd1.42@${'b'.repeat(250)}.example`), {
    ok: false,
    reason: 'the address is longer than 254 octets',
  });
});

t.test('every SYSID and sequence comes back from its return path, whatever the template', async () => {
  const literal = fc.stringMatching(/^[a-z0-9_+-]{0,6}$/);
  const sysid = fc.stringMatching(/^[A-Z0-9@#$]{1,8}$/);
  fc.assert(
    fc.property(
      literal,
      fc.stringMatching(/^[a-z0-9]{0,3}[_+-][a-z0-9]{0,3}$/),
      literal,
      fc.boolean(),
      sysid,
      fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
      (before, between, after, sysidFirst, id, seq) => {
        const fields = sysidFirst ? ['{sysid}', '{seq}'] : ['{seq}', '{sysid}'];
        const parsed = parseReturnPath(`${before}${fields[0]}${between}${fields[1]}${after}@bounce.example`);
        if (!parsed.ok) return false;
        const decoded = decodeReturnPath(parsed.template, returnPathOf(parsed.template, id, seq));
        return decoded.ok && decoded.sysid === id && decoded.seq === seq;
      },
    ),
  );
});

t.test('with a key: the sequence carries its tag; only the right tag decodes, in any case', async (t) => {
  const plain = parseReturnPath('bounce+{sysid}.{seq}@bounce.example');
  if (!plain.ok) throw new Error(plain.reason);
  const template = { ...plain.template, key: 'a-secret-of-the-region' };
  const tag = returnPathTag(template.key, 'PRD1', 42);
  t.match(tag, /^[a-z2-7]{8}$/);
  t.not(tag, returnPathTag(template.key, 'PRD1', 43), 'another mail, another tag');
  t.not(tag, returnPathTag('another-key-entirely', 'PRD1', 42), 'another key, another tag');
  const address = returnPathOf(template, 'PRD1', 42);
  t.equal(address, `bounce+prd1.42-${tag}@bounce.example`);
  t.same(decodeReturnPath(template, address), { ok: true, sysid: 'PRD1', seq: 42 });
  t.same(decodeReturnPath(template, address.toUpperCase()), { ok: true, sysid: 'PRD1', seq: 42 });
  const wrong = tag.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
  t.match(decodeReturnPath(template, `bounce+prd1.42-${wrong}@bounce.example`), { ok: false, forged: true });
  t.match(decodeReturnPath(template, `bounce+prd1.43-${tag}@bounce.example`), { ok: false, forged: true });
  t.match(decodeReturnPath(template, 'bounce+prd1.42@bounce.example'), { ok: false, reason: /is not a return path/ });
  t.notOk(
    'forged' in decodeReturnPath(template, 'bounce+prd1.42@bounce.example'),
    'no tag: no return path, no forgery',
  );
});
