// Big mails against their two ceilings, measured in the same run as the region's rate:
//   - the SMTP wire: smtp-source -d -s 20 -l <the mail's size> to smtp-sink, the relay's
//     side alone (no HTTP, no composing, no disk);
//   - the journal's disk: synced writes of the mail's size, one at a time, each as the
//     journal writes a message of 1 MB or more (journal/message-files.ts): a new file,
//     written, fdatasync, closed, its folder synced; in a folder on the file system that
//     holds the regions' data folders (both made in the temp folder). A file, not an LMDB
//     put, because that is the journal's own path for a 1 MB mail; a 64 KB mail goes into
//     LMDB instead, and for it the figure is what the disk allows for that many bytes synced.
// The region's rate for a size is the size table's cell (bench/scaling.ts).
import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { smtpSource } from './processes.js';
import type { MailSize, ScalingCell } from './scaling.js';

/** The sessions of the wire ceiling: as the figures were taken. */
const SESSIONS = 20;

export interface SizeCeilings {
  readonly size: MailSize;
  /** The mail as the region composed it. */
  readonly mailBytes: number;
  /** The region end to end, mails a second (the size table's cell). */
  readonly region: number;
  /** smtp-source's messages a second. */
  readonly wire: number;
  /** Synced writes of the mail's size a second. */
  readonly disk: number;
  /** The region over the lower of the two. */
  readonly ofLower: number;
}

/** What the ceilings run: smtp-source's messages for each size, and the seconds of synced writes. */
export interface CeilingPlan {
  readonly wireMessages: Readonly<Partial<Record<MailSize, number>>>;
  readonly diskS: number;
}

/** The ceilings of every size in `cells` that the plan has messages for (64 KB, 1 MB). */
export async function bigMailCeilings(
  sinkPort: number,
  folder: string,
  cells: readonly ScalingCell[],
  plan: CeilingPlan,
): Promise<SizeCeilings[]> {
  const figures: SizeCeilings[] = [];
  for (const cell of cells) {
    const size = cell.label as MailSize;
    const messages = plan.wireMessages[size];
    if (messages === undefined || cell.mailBytes === 0) continue;
    const wire = await smtpSource(sinkPort, { length: cell.mailBytes }, messages, SESSIONS);
    const disk = syncedWrites(join(folder, 'synced-writes'), cell.mailBytes, plan.diskS);
    figures.push({
      size,
      mailBytes: cell.mailBytes,
      region: cell.txPerSec,
      wire,
      disk,
      ofLower: cell.txPerSec / Math.min(wire, disk),
    });
  }
  return figures;
}

/**
 * Files of `bytes` written and synced one at a time for `seconds`, each as the journal
 * writes a message file; a second. Each is removed once synced, so that the run holds one
 * file's room at a time.
 */
function syncedWrites(folder: string, bytes: number, seconds: number): number {
  mkdirSync(folder, { recursive: true });
  const data = Buffer.alloc(bytes, 'a');
  const dir = openSync(folder, 'r');
  let n = 0;
  const t0 = performance.now();
  try {
    do {
      const path = join(folder, `${n}.eml`);
      const fd = openSync(path, 'wx');
      try {
        for (let at = 0; at < bytes;) at += writeSync(fd, data, at);
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
      fsyncSync(dir);
      rmSync(path);
      n++;
    } while (performance.now() - t0 < seconds * 1000);
  } finally {
    closeSync(dir);
    rmSync(folder, { recursive: true, force: true });
  }
  return n / ((performance.now() - t0) / 1000);
}

/** One line a size: the region, each ceiling, and the ratios. */
export function ceilingLines(figures: readonly SizeCeilings[]): string[] {
  const f0 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
  const f2 = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
  return figures.map(
    (c) =>
      `${c.size} mails against their ceilings: the region ${f0.format(c.region)} mails/s ` +
      `(${f0.format((c.region * c.mailBytes) / 1e6)} MB/s; the size table's cell, ${f0.format(c.mailBytes)} bytes a mail); ` +
      `SMTP wire, smtp-source -d -s ${SESSIONS} -l ${c.mailBytes} to smtp-sink: ${f0.format(c.wire)} msg/s; ` +
      `synced writes of ${f0.format(c.mailBytes)} bytes (a new file, fdatasync, its folder synced; one at a time, ` +
      `on the regions' file system): ${f0.format(c.disk)}/s; region / SMTP wire ${f2.format(c.region / c.wire)}, ` +
      `region / synced writes ${f2.format(c.region / c.disk)}, region / the lower ${f2.format(c.ofLower)}`,
  );
}
