// Property: any interleaving of repeats (one at a time or several at once), restarts of the
// region and different requests under one key leaves at most one mail for it, every answer
// that ran names the same journal record, and every request other than the one that took
// the key first is refused (422) without a task. A real region on one journal folder that
// is restarted where the sequence says, a real relay (smtp-server). A fixed seed: a failing
// run is found again.
import fc from 'fast-check';
import t from 'tap';
import { buildMailCommarea, readMailResponse } from '../../../client/mailca.js';
import { startRegion, type TestRegion } from '../../helpers/region.js';
import { startRelay } from '../../helpers/relay.js';
import { freshDir } from '../../helpers/test-like.js';

const SEED = 31;
const RUNS = 12;

type Step =
  | { readonly kind: 'send'; readonly body: 0 | 1; readonly copies: number }
  | { readonly kind: 'race' }
  | { readonly kind: 'restart' };

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('send' as const),
      body: fc.constantFrom(0 as const, 1 as const),
      copies: fc.integer({ min: 1, max: 4 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'race' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'restart' as const }) },
);

interface Heard {
  readonly body: 0 | 1;
  readonly status: number;
  readonly seq: number | null;
}

t.test('one key, any interleaving: at most one mail, one record, the other request refused', async (t) => {
  const relay = await startRelay(t);
  const dir = freshDir(t);
  const env = { CICSMAIL_RELAY: relay.url, CICSMAIL_DATA: dir };
  let region: TestRegion = await startRegion(t, env);
  let run = 0;

  const property = fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 7 }), async (steps) => {
    const key = `prop-${++run}`;
    const commareas = [0, 1].map((b) =>
      buildMailCommarea({ from: 'foo@bar.com', to: 'wayne@bar.com', subject: `${key} body ${b}`, body: `${b}\n` }, 37),
    );
    const send = async (body: 0 | 1): Promise<Heard> => {
      const res = await region.post('MAIL', commareas[body] as Buffer, { 'Idempotency-Key': key });
      const bytes = Buffer.from(await res.arrayBuffer());
      return { body, status: res.status, seq: res.status === 200 ? readMailResponse(bytes, 37).journalSeq : null };
    };
    const heard: Heard[] = [];
    for (const s of steps) {
      if (s.kind === 'restart') {
        await region.app.close();
        region = await startRegion(t, env);
      } else if (s.kind === 'race') heard.push(...(await Promise.all([send(0), send(1)])));
      else heard.push(...(await Promise.all(Array.from({ length: s.copies }, () => send(s.body)))));
    }
    const mails = relay.mails.filter((m) => m.message.includes(`Subject: ${key} `));
    const ran = heard.filter((h) => h.status === 200);
    const owner = ran[0]?.body;
    const problems = [
      mails.length > 1 && `${mails.length} mails for key ${key}`,
      mails.length !== 1 && `no mail for key ${key}, though ${ran.length} answers came`,
      new Set(ran.map((h) => h.seq)).size !== 1 && `answers name records ${ran.map((h) => h.seq).join(',')}`,
      ran.some((h) => h.body !== owner) && 'both requests ran under one key',
      heard.some((h) => h.status !== 200 && !(h.status === 422 && h.body !== owner)) &&
        `unexpected answers: ${heard.map((h) => `${h.body}:${h.status}`).join(' ')}`,
    ].filter((p): p is string => typeof p === 'string');
    if (problems.length > 0) throw new Error(problems.join('; '));
  });
  const details = await fc.check(property, { seed: SEED, numRuns: RUNS, endOnFailure: true });
  t.notOk(details.failed, `${RUNS} interleavings, seed ${SEED}`, {
    report: fc.defaultReportMessage(details) ?? '',
  });
});
