// docs/bounces.md lists every code a bounce can be refused with, and the reply it gets.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { BOUNCE_REFUSALS } from '../../../smtp/dsn/errors.js';

t.test('docs/bounces.md has every refusal code with its reply and meaning', async (t) => {
  const text = readFileSync(new URL('../../../docs/bounces.md', import.meta.url), 'utf8');
  for (const [code, { reply, text: meaning }] of Object.entries(BOUNCE_REFUSALS)) {
    t.ok(text.includes(`| \`${code}\` | ${reply} | ${meaning} |`), code);
  }
});
