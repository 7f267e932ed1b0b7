// --verify: after the run, what the region answered against what its journal holds and what
// the relay received. Every RC 0 must be journaled (SENT, or DEFERRED for the recipients a
// relay put off) and have arrived: once, or more than once with the same Message-ID (at
// least once is the promise, design invariant 2). Every RC 4 must be journaled with its
// bytes, not lost. A sequence number answered twice, a record missing or in a state that
// contradicts the answer, a mail never received: each is a problem, and any problem fails.
import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { RegionClient } from '../../client/region-client.js';
import { Journal } from '../../journal/journal.js';
import type { JournalRecord } from '../../journal/record.js';
import type { AnsweredMail } from './record.js';
import { headOf, messageIdOf } from './sink.js';

/** The few fields of a journal record that verification reads. */
export type RecordView = Pick<JournalRecord, 'seq' | 'state' | 'messageId' | 'size' | 'delivered'>;

export interface JournalSource {
  readonly name: string;
  /** Records of these sequence numbers (missing ones left out). */
  records(seqs: readonly number[]): Promise<Map<number, RecordView>>;
}

export interface ReceivedSource {
  readonly name: string;
  /** Message-ID (lower case) -> how many times it arrived; and mails without one. */
  received(): Promise<{ ids: Map<string, number>; total: number; complete: boolean }>;
}

export interface VerifyReport {
  readonly passed: boolean;
  readonly journal: string;
  readonly received: string;
  /** Answers checked, by RC. */
  readonly checked: Record<string, number>;
  /** RC 0 mails that arrived more than once (same Message-ID each time). */
  readonly duplicates: number;
  /** RC 4 mails that have arrived all the same (the retry spool, or a relay that answered 4xx after taking it). */
  readonly deferredArrived: number;
  /** Mails the relay received that no answer of this run names (other traffic, earlier runs). */
  readonly unrelated: number;
  readonly missingInJournal: number;
  readonly notDelivered: number;
  readonly stateMismatch: number;
  readonly answeredTwice: number;
  /** The first problems, each a line a person can act on. */
  readonly problems: readonly string[];
  /** Things worth knowing that are no failure. */
  readonly notes: readonly string[];
}

const MAX_PROBLEM_LINES = 20;

function norm(id: string): string {
  return id.trim().toLowerCase();
}

export async function verifyRun(
  mails: readonly AnsweredMail[],
  journal: JournalSource,
  received: ReceivedSource,
): Promise<VerifyReport> {
  const problems: string[] = [];
  const notes: string[] = [];
  const problem = (line: string) => {
    if (problems.length < MAX_PROBLEM_LINES) problems.push(line);
  };
  const checked: Record<string, number> = {};
  let missingInJournal = 0;
  let notDelivered = 0;
  let stateMismatch = 0;
  let answeredTwice = 0;
  let duplicates = 0;
  let deferredArrived = 0;

  // Behind a load balancer the answers come from several regions, each numbering its own
  // journal: one journal cannot account for them (--answers and the merged view can).
  const regions = [...new Set(mails.map((m) => m.sysid).filter((s) => typeof s === 'string'))].sort();
  if (regions.length > 1)
    problem(
      `the answers came from ${regions.length} regions (${regions.join(', ')}), each with its own journal: ` +
        `verify them with --answers FILE against 'cicsmail journal list --url …' of every region`,
    );
  const bySeq = new Map<number, AnsweredMail>();
  for (const m of mails) {
    if (regions.length > 1) break;
    if (bySeq.has(m.seq)) {
      answeredTwice++;
      problem(
        `SEQ=${m.seq} was answered twice (RC ${bySeq.get(m.seq)?.rc} and RC ${m.rc}): two tasks were given one journal record`,
      );
      continue;
    }
    bySeq.set(m.seq, m);
  }
  const records = await journal.records([...bySeq.keys()]);
  const { ids, total, complete } = await received.received();
  if (!complete)
    notes.push(
      `${received.name} may not list every mail it received (it lists at most 10,000): some "not received" may be false`,
    );
  const ours = new Set<string>();

  for (const { rc, seq } of bySeq.values()) {
    checked[String(rc)] = (checked[String(rc)] ?? 0) + 1;
    const record = records.get(seq);
    if (!record) {
      if (rc === 0 || rc === 4) {
        missingInJournal++;
        problem(`RC ${rc} SEQ=${seq}: no such record in the journal`);
      }
      continue;
    }
    const id = norm(record.messageId);
    ours.add(id);
    const arrived = ids.get(id) ?? 0;
    if (rc === 0) {
      const consistent = record.state === 'SENT' || (record.state === 'DEFERRED' && record.delivered.length > 0);
      if (!consistent) {
        stateMismatch++;
        problem(`RC 0 SEQ=${seq}: the journal says ${record.state}`);
      }
      if (arrived === 0) {
        notDelivered++;
        problem(`RC 0 SEQ=${seq} ${record.messageId}: answered as sent, never received by ${received.name}`);
      } else if (arrived > 1) {
        duplicates++;
      }
    } else if (rc === 4) {
      if (record.state === 'DENIED' || record.size <= 0) {
        stateMismatch++;
        problem(
          `RC 4 SEQ=${seq}: the journal says ${record.state}${record.size <= 0 ? ' with no message bytes' : ''}, not a mail kept for retry`,
        );
      }
      if (arrived > 0) deferredArrived++;
    } else if (rc === 12 && record.state !== 'FAILED') {
      notes.push(`RC 12 SEQ=${seq}: the journal says ${record.state}`);
    }
  }
  let unrelated = 0;
  for (const id of ids.keys()) if (!ours.has(id)) unrelated++;
  const withoutId = total - [...ids.values()].reduce((a, b) => a + b, 0);
  if (withoutId > 0) notes.push(`${withoutId} mail(s) arrived without a Message-ID`);
  if (duplicates > 0)
    notes.push(`${duplicates} mail(s) arrived more than once, each time with the same Message-ID (at least once)`);
  if (deferredArrived > 0)
    notes.push(`${deferredArrived} RC 4 mail(s) have arrived since (retried, or taken before the relay answered 4xx)`);
  if (unrelated > 0) notes.push(`${unrelated} Message-ID(s) at ${received.name} belong to no answer of this run`);
  const failures = missingInJournal + notDelivered + stateMismatch + answeredTwice + (regions.length > 1 ? 1 : 0);
  if (failures > problems.length) problems.push(`… and ${failures - problems.length} more`);
  return {
    passed: failures === 0,
    journal: journal.name,
    received: received.name,
    checked,
    duplicates,
    deferredArrived,
    unrelated,
    missingInJournal,
    notDelivered,
    stateMismatch,
    answeredTwice,
    problems,
    notes,
  };
}

/** The journal of a data folder, read-only (LMDB lets another process read while the region writes). */
export function journalFromData(dataDir: string): JournalSource {
  return {
    name: `the journal in ${dataDir}`,
    async records(seqs) {
      const journal = Journal.open(dataDir, { readOnly: true });
      try {
        const out = new Map<number, RecordView>();
        for (const seq of seqs) {
          const r = journal.get(seq);
          if (r) out.set(seq, r);
        }
        return out;
      } finally {
        await journal.close();
      }
    },
  };
}

/** The journal over HTTP (GET /journal, for administrators), paged from the lowest sequence number asked for. */
export function journalFromHttp(region: RegionClient): JournalSource {
  return {
    name: `${region.url}/journal`,
    async records(seqs) {
      const out = new Map<number, RecordView>();
      if (seqs.length === 0) return out;
      const wanted = new Set(seqs);
      const max = Math.max(...seqs);
      let after = Math.min(...seqs) - 1;
      for (;;) {
        const page = await region.json<{ records: JournalRecord[]; next: number | null }>(
          'GET',
          `/journal?after=${after}&limit=1000`,
        );
        for (const r of page.records) if (wanted.has(r.seq)) out.set(r.seq, r);
        const last = page.records.at(-1)?.seq;
        if (page.next === null || last === undefined || last >= max) return out;
        after = page.next;
      }
    },
  };
}

/** The region's embedded capture relay (GET /captured, for administrators). */
export function receivedFromCaptured(region: RegionClient): ReceivedSource {
  return {
    name: `the capture relay (${region.url}/captured)`,
    async received() {
      const list = await region.json<{ messageId: string | null }[]>('GET', '/captured?limit=10000');
      const ids = new Map<string, number>();
      for (const m of list) if (m.messageId) ids.set(norm(m.messageId), (ids.get(norm(m.messageId)) ?? 0) + 1);
      return { ids, total: list.length, complete: list.length < 10_000 };
    },
  };
}

/** The built-in sink's counts. */
export function receivedFromSink(
  name: string,
  messageIds: ReadonlyMap<string, number>,
  total: () => number,
): ReceivedSource {
  return {
    name,
    async received() {
      const ids = new Map<string, number>();
      for (const [id, n] of messageIds) ids.set(norm(id), (ids.get(norm(id)) ?? 0) + n);
      return { ids, total: total(), complete: true };
    },
  };
}

const HEAD_BYTES = 64 * 1024;

function readHead(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(HEAD_BYTES);
    const n = readSync(fd, buf, 0, HEAD_BYTES, 0);
    return headOf(buf.subarray(0, n));
  } finally {
    closeSync(fd);
  }
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
}

/**
 * A folder with a file a received mail: a maildir, `smtp-sink -d DIR/`, the region's
 * CICSMAIL_DATA/captured (whose JSON sidecars name the Message-ID; their .eml is not read
 * twice). Files are read only as far as their header.
 */
export function receivedFromFolder(dir: string): ReceivedSource {
  return {
    name: `the folder ${dir}`,
    async received() {
      const files: string[] = [];
      walk(dir, files);
      const ids = new Map<string, number>();
      const sidecars = new Set<string>();
      let total = 0;
      const add = (id: string | null) => {
        total++;
        if (id) ids.set(norm(id), (ids.get(norm(id)) ?? 0) + 1);
      };
      for (const path of files) {
        if (!path.endsWith('.json')) continue;
        try {
          const sidecar = JSON.parse(readFileSync(path, 'utf8')) as { messageId?: unknown };
          if (typeof sidecar.messageId !== 'string' && sidecar.messageId !== null) continue;
          sidecars.add(path.slice(0, -'.json'.length));
          add(sidecar.messageId);
        } catch {
          // Not a sidecar.
        }
      }
      for (const path of files) {
        if (path.endsWith('.json') || path.endsWith('.tmp')) continue;
        const stem = path.replace(/\.[^./]*$/, '');
        if (sidecars.has(stem)) continue;
        add(messageIdOf(readHead(path)));
      }
      return { ids, total, complete: true };
    },
  };
}

/** The report as lines for a person. */
export function formatVerify(report: VerifyReport): string[] {
  const counts = Object.entries(report.checked)
    .sort(([a], [b]) => Number(a) - Number(b))
    .map(([rc, n]) => `RC ${rc}: ${n}`)
    .join(', ');
  const lines = [
    `verify: ${report.passed ? 'PASSED' : 'FAILED'}: ${counts || 'no answers with a journal record'}; checked against ${report.journal} and ${report.received}`,
  ];
  if (!report.passed) {
    lines.push(
      `  missing in the journal ${report.missingInJournal}, answered RC 0 and not received ` +
        `${report.notDelivered}, journal state contradicts the answer ${report.stateMismatch}, sequence ` +
        `number answered twice ${report.answeredTwice}`,
    );
  }
  for (const p of report.problems) lines.push(`  ${p}`);
  for (const n of report.notes) lines.push(`  note: ${n}`);
  return lines;
}
