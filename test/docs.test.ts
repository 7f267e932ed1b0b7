// The user docs list every reason and every error code the code can give.
import { readFileSync } from 'node:fs';
import t from 'tap';
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
    t.match(text, new RegExp(`^\\| \`${code}\` \\| ${r.status} \\| ${r.resp} \\| ${r.resp2} \\| ${r.abcode ?? '—'} \\|`, 'm'), code);
  }
});
