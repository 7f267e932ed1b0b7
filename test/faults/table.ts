// The suite's table: one row a fault, in markdown (docs/faults.md shows the latest run).
import type { Test } from 'tap';
import type { Tally } from './load.js';
import type { Reconciliation } from './reconcile.js';

export interface Row {
  readonly fault: string;
  readonly sent: number;
  readonly rc: Readonly<Record<string, number>>;
  /** Answers without an RC: abend or RESP, and requests never answered. */
  readonly other: Readonly<Record<string, number>>;
  readonly delivered: number;
  readonly duplicated: number;
  readonly lost: number;
  /** From the fault cleared to an empty backlog; null where nothing was left to deliver. */
  readonly drainMs: number | null;
}

/** One fault: what it is called in the table, why it cannot run here (or false), and its run. */
export interface Scenario {
  readonly fault: string;
  readonly skip?: string | false;
  run(t: Test): Promise<Row>;
}

/** A check that belongs with the faults but makes no row (e.g. a known bug, its assertions marked todo). */
export interface Check {
  readonly name: string;
  readonly skip?: string | false;
  run(t: Test): Promise<void>;
}

export function rowOf(fault: string, tally: Tally, result: Reconciliation, drainMs: number | null): Row {
  return {
    fault,
    sent: tally.sent,
    rc: { ...tally.rc },
    other: { ...tally.other },
    delivered: result.delivered,
    duplicated: result.duplicated,
    lost: result.lost,
    drainMs,
  };
}

export class FaultTable {
  readonly rows: Row[] = [];
  readonly skipped: { fault: string; reason: string }[] = [];

  markdown(): string {
    const head = [
      'fault',
      'mails sent',
      'RC 0',
      'RC 4',
      'RC 8',
      'RC 12',
      'no RC (RESP/abend)',
      'delivered',
      'duplicated (same Message-ID)',
      'lost',
      'time to drain',
    ];
    const lines = [
      `| ${head.join(' | ')} |`,
      `|${head.map((_, i) => (i === 0 || i === 6 ? '---' : '---:')).join('|')}|`,
    ];
    for (const r of this.rows) {
      const other = Object.entries(r.other)
        .map(([what, n]) => `${what} ${n}`)
        .join(', ');
      const drain =
        r.drainMs === null ? '–' : r.drainMs >= 1000 ? `${(r.drainMs / 1000).toFixed(1)} s` : `${r.drainMs} ms`;
      const cells = [
        r.fault,
        r.sent,
        r.rc['0'] ?? 0,
        r.rc['4'] ?? 0,
        r.rc['8'] ?? 0,
        r.rc['12'] ?? 0,
        other || '–',
        r.delivered,
        r.duplicated,
        r.lost,
        drain,
      ];
      lines.push(`| ${cells.join(' | ')} |`);
    }
    for (const s of this.skipped) lines.push(`| ${s.fault} | skipped: ${s.reason} |||||||||| `);
    return lines.join('\n');
  }
}
