// The region of a fault scenario, and what the journal must say about its answers.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Journal } from '../../journal/journal.js';
import type { MailState } from '../../journal/states.js';
import { defaultDefinitions } from '../../region/definitions.js';
import { buildMailCommarea } from '../../client/mailca.js';
import { startRegion, type TestRegion } from '../helpers/region.js';
import { type TestLike } from '../helpers/test-like.js';
import type { Answered } from './reconcile.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The newest modification time of the .ts files under `dir`. */
function newest(dir: string): number {
  let max = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) max = Math.max(max, newest(path));
    else if (entry.name.endsWith('.ts')) max = Math.max(max, statSync(path).mtimeMs);
  }
  return max;
}

/** Why a region process (it runs dist/) would not run these sources: dist/ missing or older; or false. */
export function distProblem(): string | false {
  let built: number;
  try {
    statSync(join(ROOT, 'dist/region/app.js'));
    // The build is incremental: it rewrites only what changed, and its build info each time.
    built = statSync(join(ROOT, 'dist/.tsbuildinfo')).mtimeMs;
  } catch {
    return 'dist/ is missing: run npm run build (npm run test:faults does)';
  }
  const changed = Math.max(...['region', 'transactions', 'journal', 'cli'].map((d) => newest(join(ROOT, d))));
  return changed > built ? 'dist/ is older than the sources: run npm run build (npm run test:faults does)' : false;
}

/**
 * Every transaction's time limit: short, so that a mail whose task died is an orphan soon;
 * not so short that a task in a worker that starts (and loads its programs, seconds on a
 * busy machine) runs past it.
 */
export const TIME_LIMIT_MS = 10_000;

/**
 * Retries soon and often (a deferred mail is due 200 ms after its first try, then at most a
 * second apart), short SMTP time-outs, and an orphan time just past what the region allows
 * (longest time limit + 5 s): a mail left ACCEPTED by a task that died is retried after 15 s.
 */
export const FAULT_ENV: Readonly<Record<string, string>> = {
  CICSMAIL_RETRY_FIRST_MS: '200',
  CICSMAIL_RETRY_MAX_MS: '1000',
  CICSMAIL_RETRY_POLL_MS: '100',
  CICSMAIL_RETRY_ORPHAN_MS: '15100',
  CICSMAIL_SMTP_CONNECT_MS: '1000',
  CICSMAIL_SMTP_COMMAND_MS: '1000',
  CICSMAIL_SMTP_FINAL_MS: '1000',
};

/**
 * A region in this process (test/helpers.ts: one worker), its relay the scenario's, its
 * worker warmed up: a MAIL with MC-VERSION '09' (RC 8: nothing journaled, nothing sent)
 * loads the MAIL program, so that the scenario's first mail does not pay for it.
 */
export async function faultRegion(
  t: TestLike,
  relayUrl: string,
  env: Record<string, string> = {},
): Promise<TestRegion> {
  const region = await startRegion(
    t,
    { CICSMAIL_RELAY: relayUrl, ...FAULT_ENV, ...env },
    { definitions: defaultDefinitions().map((d) => ({ ...d, timeLimitMs: TIME_LIMIT_MS })) },
  );
  const warm = buildMailCommarea({ version: '09', from: 'warm@corp.example', to: 'up@corp.example' }, 37);
  for (let i = 0; ; i++) {
    const res = await region.post('MAIL', warm);
    await res.arrayBuffer();
    if (res.status === 200 && res.headers.get('x-mail-rc') === '8') return region;
    if (i === 5)
      throw new Error(
        `the region's worker did not warm up: HTTP ${res.status} ${res.headers.get('x-cics-abcode') ?? ''}`,
      );
  }
}

/** Milliseconds until the journal's backlog (ACCEPTED and DEFERRED mail) is empty. */
export async function waitDrained(journal: Journal, since = performance.now(), timeoutMs = 120_000): Promise<number> {
  for (;;) {
    const open = journal.backlog();
    if (open === 0) return Math.round(performance.now() - since);
    if (performance.now() - since > timeoutMs)
      throw new Error(`the journal still has ${open} mails to deliver after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Records by state. */
export function states(journal: Journal): Partial<Record<MailState, number>> {
  const out: Partial<Record<MailState, number>> = {};
  for (const r of journal.scan()) out[r.state] = (out[r.state] ?? 0) + 1;
  return out;
}

export interface Expected {
  /** The record's state now (one of them). */
  readonly state: MailState | readonly MailState[];
  /** The reply of the task's own attempt, as the journal keeps it. */
  readonly reply: RegExp;
}

/** What a task's own attempt came to, by the RC it answered. */
const OUTCOME: Readonly<Record<number, string>> = { 0: 'sent', 4: 'deferred', 12: 'failed' };

/**
 * Each answer against its journal record: the state `expected` gives for its RC, the task's
 * attempt on record with the outcome the RC says (RC 0 sent, RC 4 deferred, RC 12 failed)
 * and the relay's reply expected. Returns the mismatches (the first 10, and how many in all).
 */
export function answersVersusJournal(
  journal: Journal,
  answered: readonly Answered[],
  expected: (rc: number, seq: number) => Expected | undefined,
): string[] {
  const out: string[] = [];
  let n = 0;
  for (const { rc, seq } of answered) {
    const record = journal.get(seq);
    const want = expected(rc, seq);
    const task = record?.attempts.find((a) => a.via === 'task');
    let wrong: string | undefined;
    if (!want) wrong = `RC ${rc} was not expected here`;
    else if (!record) wrong = 'no journal record';
    else if (![want.state].flat().includes(record.state))
      wrong = `the journal says ${record.state}, not ${[want.state].flat().join(' or ')}`;
    else if (!task) wrong = "the task's attempt is not on record";
    else if (task.outcome !== OUTCOME[rc]) wrong = `the task's attempt is ${task.outcome}, not ${OUTCOME[rc]}`;
    else if (!want.reply.test(task.reply))
      wrong = `the task's attempt has the reply '${task.reply}', not ${want.reply}`;
    if (wrong === undefined) continue;
    n++;
    if (out.length < 10) out.push(`RC ${rc} SEQ=${seq}: ${wrong}`);
  }
  if (n > out.length) out.push(`… ${n} mismatches in all`);
  return out;
}
