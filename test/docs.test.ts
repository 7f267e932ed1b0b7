// The user docs list every reason and every error code the code can give, the MAILCA layout
// as the copybook has it, and every link in them leads somewhere in the repository.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import { copybook } from '../cics/copybook/library.js';
import { REPLIES } from '../region/errors.js';
import { REASONS } from '../transactions/errors.js';

const doc = (name: string) => readFileSync(new URL(`../docs/${name}`, import.meta.url), 'utf8');

t.test('docs/reasons.md has every MC-REASON with its RC', async (t) => {
  const text = doc('reasons.md');
  for (const [reason, { rc }] of Object.entries(REASONS)) {
    t.match(text, new RegExp(`^\\| ${rc} \\| \`${reason}\` \\|`, 'm'), reason);
  }
});

t.test('docs/errors.md has every RESP code with its HTTP status, RESP and ABCODE', async (t) => {
  const text = doc('errors.md');
  for (const [code, r] of Object.entries(REPLIES)) {
    if (code.startsWith('FST_')) continue;
    t.match(
      text,
      new RegExp(`^\\| \`${code}\` \\| ${r.status} \\| ${r.resp} \\| ${r.resp2} \\| ${r.abcode ?? '—'} \\|`, 'm'),
      code,
    );
  }
});

t.test('docs/mailca.md gives every item of MAILCA with the offset and PIC the copybook has', async (t) => {
  const text = doc('mailca.md');
  const layout = copybook('MAILCA');
  const items = [...layout.items.values()].filter((item) => item.kind === 'elementary');
  t.ok(items.length >= 16, 'the copybook has its items');
  for (const item of items) {
    const row = new RegExp(
      `^\\| \`${item.name}\` \\| \`[^\`]+\` \\| ${item.offset} \\| (in|out) \\| \`${item.jsonName}\` \\|`,
      'm',
    );
    t.match(text, row, item.name);
  }
  t.match(
    text,
    new RegExp(`It is ${layout.minLength.toLocaleString('en')} bytes before \`MC-BODY\``),
    'the fixed length',
  );
});

t.test('docs/mailca.md gives MAILCA version 02: MC-KEY and the fields it moves, at their offsets', async (t) => {
  const text = doc('mailca.md').split('## Version 02')[1] ?? '';
  const layout = copybook('MAILCA2');
  for (const name of ['MC-VERSION', 'MC-KEY', 'MC-BODY-LEN', 'MC-BODY']) {
    const item = layout.items.get(name);
    t.match(text, new RegExp(`^\\| \`${name}\` \\| \`[^\`]+\` \\| ${item?.offset} \\| in \\|`, 'm'), name);
  }
  t.match(
    text,
    new RegExp(`It is ${layout.minLength.toLocaleString('en')} bytes before \`MC-BODY\``),
    'the fixed length',
  );
  t.match(doc('mailca.md'), `| \`02\` | [\`copybooks/MAILCA2.cpy\`](../copybooks/MAILCA2.cpy) | 4,442 bytes |`);
});

t.test('every link between the docs and from the README leads to a file of the repository', async (t) => {
  const root = new URL('../', import.meta.url);
  for (const file of [
    'README.md',
    ...readdirSync(new URL('docs/', root))
      .filter((f) => f.endsWith('.md'))
      .map((f) => `docs/${f}`),
  ]) {
    const text = readFileSync(new URL(file, root), 'utf8');
    for (const [, target] of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      if (/^[a-z]+:/.test(target as string)) continue;
      const resolved = new URL(target as string, new URL(file, root));
      t.ok(resolved.href.startsWith(root.href) && existsSync(resolved), `${file} -> ${target}`);
    }
  }
});
