// The fault-injection suite (npm run test:faults; not part of npm test): a region under
// steady load against a relay (or a disk, or its own processes) that misbehaves, one fault
// at a time. Each fault's answers and journal states are asserted exactly; then the fault
// is cleared, the retry spool drains, and answers, journal and relay are reconciled: every
// RC 0 and RC 4 mail delivered, duplicates only with the same Message-ID, every mail
// refused for good FAILED and undelivered, nothing lost. Prints a table, one row a fault
// (docs/faults.md); FAULTS_TABLE=file writes it to a file too. FAULTS=text,… runs only the
// faults whose name contains one of the texts ('4.' is fault 4).
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import t from 'tap';
import { relayDown } from './relay-down.js';
import { relayReplies } from './relay-replies.js';
import { recipientsRefused } from './recipients-refused.js';
import { brokenConnections } from './broken-connections.js';
import { slowRelay } from './slow-relay.js';
import { regionKilled } from './region-killed.js';
import { journalFull } from './journal-full.js';
import { journalFullAfter } from './journal-full-after.js';
import { workerKilled } from './worker-killed.js';
import { requestKeyFaults } from './request-keys.js';
import { FaultTable, type Check, type Scenario } from './table.js';

const checks: readonly Check[] = [...journalFullAfter, ...requestKeyFaults];
const all: readonly Scenario[] = [
  ...relayDown,
  ...relayReplies,
  ...recipientsRefused,
  ...brokenConnections,
  ...slowRelay,
  ...regionKilled,
  ...journalFull,
  ...workerKilled,
];

const only = (process.env.FAULTS ?? '')
  .split(',')
  .map((s) => s.trim().toLowerCase())
  .filter((s) => s !== '');
// '1.' picks fault 1 (not 11 or 12); other text, every fault whose name has it.
const picked = (name: string) =>
  only.length === 0 || only.some((o) => (/^\d+\.$/.test(o) ? name.startsWith(o) : name.toLowerCase().includes(o)));
const chosen = all.filter((s) => picked(s.fault));

const table = new FaultTable();
const started = performance.now();
for (const scenario of chosen) {
  if (scenario.skip) table.skipped.push({ fault: scenario.fault, reason: scenario.skip });
  t.test(scenario.fault, { skip: scenario.skip ?? false, timeout: 90_000 }, async (t) => {
    table.rows.push(await scenario.run(t));
  });
}

const checked = checks.filter((c) => picked(c.name));
for (const check of checked) {
  t.test(check.name, { skip: check.skip ?? false, timeout: 90_000 }, (t) => check.run(t));
}

t.teardown(() => {
  const wall = `${chosen.length} faults and ${checked.length} checks in ${((performance.now() - started) / 1000).toFixed(1)} s`;
  const text = `${table.markdown()}\n\n${wall}\n`;
  console.log(`\n${text}`);
  if (process.env.FAULTS_TABLE) writeFileSync(process.env.FAULTS_TABLE, text);
});
