// Export of the accounting fields (what SMF records held on MVS): JSON Lines, and CSV that
// a spreadsheet opens (RFC 4180: CRLF rows, fields with commas, quotes or line ends quoted,
// quotes doubled).
import type { JournalRecord } from './record.js';

export const EXPORT_COLUMNS = [
  'seq',
  'acceptedAt',
  'userid',
  'jobname',
  'tranid',
  'sender',
  'recipients',
  'attachments',
  'subject',
  'size',
  'state',
  'relayReply',
  'messageId',
  'sysid',
  'requestKey',
  'fates',
  'suppressed',
] as const;

export type ExportRow = Record<(typeof EXPORT_COLUMNS)[number], string | number>;

/**
 * The accounting fields of a record. `owner` is the SYSID of the region whose journal holds
 * it, for a record written before records named their region ('' where not known).
 */
export function exportRow(r: JournalRecord, owner = ''): ExportRow {
  return {
    seq: r.seq,
    acceptedAt: r.acceptedAt,
    userid: r.userid,
    jobname: r.jobname,
    tranid: r.tranid,
    sender: r.envelope.from,
    recipients: r.envelope.to.length,
    attachments: r.attachments,
    subject: r.subject,
    size: r.size,
    state: r.state,
    relayReply: r.denial ? `denied: ${r.denial.reason} ${r.denial.detail}` : (r.relayReply ?? ''),
    messageId: r.messageId,
    sysid: r.sysid ?? owner,
    requestKey: r.requestKey ?? '',
    // What the far end said, recipient by recipient (the others relayed are RELAYED).
    fates: (r.fates ?? []).map((f) => `${f.recipient} ${f.fate} ${f.status}`.trim()).join('; '),
    suppressed: (r.suppressed ?? []).join('; '),
  };
}

function csvField(value: string | number): string {
  const text = String(value);
  // A leading = + - @ would be a formula to a spreadsheet: quote it with a ' first.
  const safe = /^[=+\-@\t\r\n]/.test(text) && typeof value === 'string' ? `'${text}` : text;
  return /[",\r\n]/.test(safe) || safe !== text ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/** The header row, after a UTF-8 byte order mark: without it Excel reads UTF-8 as ANSI. */
export function csvHeader(): string {
  return `\ufeff${EXPORT_COLUMNS.join(',')}\r\n`;
}

export function csvLine(r: JournalRecord, owner = ''): string {
  const row = exportRow(r, owner);
  return `${EXPORT_COLUMNS.map((c) => csvField(row[c])).join(',')}\r\n`;
}

export function jsonLine(r: JournalRecord, owner = ''): string {
  return `${JSON.stringify(exportRow(r, owner))}\n`;
}

export type ExportFormat = 'csv' | 'jsonl';

/** The lines of a page of records, as one string. */
export function exportLines(records: readonly JournalRecord[], format: ExportFormat, owner = ''): string {
  const line = format === 'csv' ? csvLine : jsonLine;
  let text = '';
  for (const r of records) text += line(r, owner);
  return text;
}
