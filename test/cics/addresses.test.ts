// Address lists as RFC 5322 3.4 has them, and as mainframe callers write them: checked by
// example, and against nodemailer's address parser on lists fast-check makes up.
import fc from 'fast-check';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import t from 'tap';
import { addrSpecProblem, parseAddressList } from '../../cics/addresses.js';
import { doubling, doublingText, LINEAR_RATIO } from '../helpers/doubling.js';

const ok = (text: string) => {
  const r = parseAddressList(text);
  return r.ok ? r.addresses.map((a) => (a.name ? `${a.name} <${a.address}>` : a.address)) : r.reason;
};

t.test('a quoted local part, bare or in brackets', async (t) => {
  t.same(ok('"x y"@z.example'), ['"x y"@z.example']);
  t.same(ok('"x y"@z.example, b@y.example'), ['"x y"@z.example', 'b@y.example']);
  t.same(ok('<"john smith"@x.example>'), ['"john smith"@x.example']);
  t.same(ok('"Smith, J" <"j smith"@x.example>'), ['Smith, J <"j smith"@x.example>']);
  t.same(ok('"a\\"b"@x.example'), ['"a\\"b"@x.example'], 'a quoted-pair in the local part');
  // A quoted string with a blank before @ is a display name without its address.
  t.equal(ok('"x y" @z.example'), 'display name "x y" is not followed by <address>');
});

t.test('comments: ignored, the old `address (Name)` form gives the name', async (t) => {
  t.same(ok('foo@bar.com (Commissioner Gordon)'), ['Commissioner Gordon <foo@bar.com>']);
  t.same(ok('foo@bar.com (Gordon (GCPD))'), ['Gordon (GCPD) <foo@bar.com>'], 'nested');
  t.same(ok('Bruce (the bat) Wayne <b@x.example>'), ['Bruce Wayne <b@x.example>']);
  t.same(ok('"Named" <n@x.example> (ignored)'), ['Named <n@x.example>'], 'a name already given stays');
  t.same(ok('a@x.example (), b@y.example'), ['a@x.example', 'b@y.example']);
  t.equal(ok('a@x.example (Gordon'), 'a comment is not closed: (Gordon');
  t.equal(ok('a@x.example Gordon)'), "')' without '(' at character 19");
});

t.test('groups: their members, without the group name', async (t) => {
  t.same(ok('Team: a@x.example, "B" <b@y.example>;'), ['a@x.example', 'B <b@y.example>']);
  t.same(ok('undisclosed-recipients:;'), []);
  t.same(ok('"The Team": a@x.example; c@z.example'), ['a@x.example', 'c@z.example']);
  t.equal(ok(': a@x.example'), "':' without a group name before it");
  t.same(ok('ops@[IPv6:2001:db8::1]'), ['ops@[IPv6:2001:db8::1]'], 'a colon in a domain literal is no group');
});

t.test('UTF-8 addresses (RFC 6532), control characters never', async (t) => {
  t.same(ok('jörg@bücher.example'), ['jörg@bücher.example']);
  t.same(ok('Ирина <ирина@пример.example>'), ['Ирина <ирина@пример.example>']);
  t.same(ok('"ü x"@y.example'), ['"ü x"@y.example']);
  t.equal(addrSpecProblem('a\u0007b@x.example'), "'a\\u0007b@x.example' has a control character");
  t.equal(addrSpecProblem('a\u0085b@x.example'), "'a\\u0085b@x.example' has a control character", 'C1 (NEL)');
  t.equal(
    addrSpecProblem(`${'ü'.repeat(33)}@x.example`),
    `'${'ü'.repeat(33)}@x.example': the local part is longer than 64 octets`,
  );
  t.equal(addrSpecProblem(`${'ü'.repeat(32)}@x.example`), undefined, '64 octets');
  t.equal(addrSpecProblem('a@-bücher.example'), "'a@-bücher.example': the domain is not valid");
  t.equal(addrSpecProblem('a@x_y.example'), "'a@x_y.example': the domain is not valid");
});

// Lists of valid addresses in every form above, as text and as what they must parse to.
const atom = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]{1,8}$/);
const utf8Atom = fc.stringMatching(/^[a-zäöüßçéжи0-9]{1,8}$/);
const local = fc.oneof(
  fc.array(fc.oneof(atom, utf8Atom), { minLength: 1, maxLength: 3 }).map((a) => a.join('.')),
  fc.stringMatching(/^[A-Za-z0-9 .,@ü]{1,10}$/).map((q) => `"${q}"`),
);
const label = fc.stringMatching(/^[a-z0-9ü](?:[a-z0-9ü-]{0,8}[a-z0-9ü])?$/);
const domain = fc.array(label, { minLength: 1, maxLength: 3 }).map((l) => [...l, 'example'].join('.'));
const word = fc.stringMatching(/^[A-Za-z]{1,8}$/);
const name = fc.array(word, { minLength: 1, maxLength: 3 }).map((w) => w.join(' '));
interface Made {
  readonly text: string;
  readonly parsed: { name: string; address: string }[];
}
const mailbox: fc.Arbitrary<Made> = fc
  .record({ local, domain, name: fc.option(name), form: fc.constantFrom('bare', 'quoted', 'plain', 'comment') })
  .map(({ local, domain, name, form }) => {
    const address = `${local}@${domain}`;
    if (name === null) return { text: address, parsed: [{ name: '', address }] };
    const text =
      form === 'bare'
        ? `<${address}>`
        : form === 'quoted'
          ? `"${name}" <${address}>`
          : form === 'plain'
            ? `${name} <${address}>`
            : `${address} (${name})`;
    return { text, parsed: [{ name: form === 'bare' ? '' : name, address }] };
  });
const item: fc.Arbitrary<Made> = fc.oneof(
  { weight: 4, arbitrary: mailbox },
  {
    weight: 1,
    arbitrary: fc.record({ group: name, members: fc.array(mailbox, { maxLength: 3 }) }).map(({ group, members }) => ({
      text: `${group}: ${members.map((m) => m.text).join(', ')};`,
      parsed: members.flatMap((m) => m.parsed),
    })),
  },
);

t.test('made-up lists parse to what they were made of, as nodemailer reads them too', async (t) => {
  type Parsed = { name: string; address?: string; group?: Parsed[] };
  const flat = (list: Parsed[]): { name: string; address: string }[] =>
    list.flatMap((a) => (a.group ? flat(a.group) : [{ name: a.name, address: a.address ?? '' }]));
  fc.assert(
    fc.property(fc.array(item, { minLength: 1, maxLength: 4 }), (items) => {
      const text = items.map((i) => i.text).join(', ');
      const expected = items.flatMap((i) => i.parsed);
      const ours = parseAddressList(text);
      if (!ours.ok) throw new Error(`${text}: ${ours.reason}`);
      t.strictSame(ours.addresses, expected, text);
      // nodemailer drops the quotes of a quoted local part ("a b"@x comes out a b@x): it is
      // asked only where there is none.
      if (!/"[^"<>]*"@/.test(text))
        t.strictSame(flat(addressparser(text) as Parsed[]), expected, `nodemailer: ${text}`);
    }),
    { numRuns: 300 },
  );
});

t.test('work in proportion to the list: doubling it about doubles the time, hostile shapes too', async (t) => {
  const many = (n: number, one: (i: number) => string, sep = ', ') =>
    Array.from({ length: n }, (_, i) => one(i)).join(sep);
  const shapes: [string, (n: number) => string, number][] = [
    ['bare addresses', (n) => many(n, (i) => `a${i}@b.example`), 2000],
    ['named addresses', (n) => many(n, (i) => `"N ${i}" <a${i}@b.example>`), 2000],
    // Each word of a name looked ahead to the end of the list for its <address>: quadratic.
    ['a name of many words', (n) => `${many(n, () => 'w', ' ')} <a@b.example>`, 2000],
    ['a name of words and comments', (n) => `${many(n, () => 'w (c)', ' ')} <a@b.example>`, 2000],
    // The quoted name was built a character at a time.
    ['a long quoted name', (n) => `"${'x'.repeat(n)}" <a@b.example>`, 50_000],
    ['a quoted name of escapes', (n) => `"${'\\x'.repeat(n)}" <a@b.example>`, 50_000],
    ['a group of many', (n) => `G: ${many(n, (i) => `a${i}@b.example`)};`, 2000],
    ['many groups', (n) => many(n, (i) => `G${i}: a${i}@b.example;`, ' '), 2000],
    ['nested comments', (n) => `${'('.repeat(n)}${')'.repeat(n)} a@b.example`, 20_000],
    ['an unclosed quote', (n) => `"${'x'.repeat(n)}`, 50_000],
    ['open brackets', (n) => 'a@[ '.repeat(n), 5000],
    ['a long domain', (n) => `x@${'b.'.repeat(n)}c`, 50_000],
  ];
  for (const [shape, make, n] of shapes) {
    const figures = await doubling(make, parseAddressList, { n, maxN: n });
    t.ok(figures.ratio < LINEAR_RATIO, `${shape}: ${doublingText(figures)}`);
  }
});

t.test('a reason quotes at most 60 characters of a name', async (t) => {
  const r = parseAddressList('w'.repeat(100_000));
  t.equal(r.ok ? '' : r.reason, `'${'w'.repeat(60)}...' is not an address`);
  const q = parseAddressList(`"${'n'.repeat(100_000)}" x@y.example`);
  t.equal(q.ok ? '' : q.reason, `display name "${'n'.repeat(60)}..." is not followed by <address>`);
});
