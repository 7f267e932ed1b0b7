// Program of transaction MINQ: what became of a mail, for the program that sent it
// (copybooks/MINQCA.cpy). In: a journal sequence, a Message-ID or a request key; out: the
// mail's state and each recipient's address, fate, status, diagnostic and time, from the
// journal (journal/fate.ts). Only the user that sent a mail may ask about it: another
// user's mail is answered as such (RC 16), and says nothing of itself. A request key finds
// the first mail the caller sent under it, to any tranid (docs/bounces.md says why).
import { codePage, type CodePage } from '../../cics/codepages.js';
import { readNumber, readText, writeNumber, writeText } from '../../cics/copybook/codec.js';
import { FieldError } from '../../cics/copybook/errors.js';
import { elementaryOf } from '../../cics/copybook/layout.js';
import { copybook } from '../../cics/copybook/library.js';
import type { ProgramContext, TaskResult } from '../../cics/task.js';
import { recipientViews } from '../../journal/fate.js';
import { queryRecords } from '../../journal/query.js';
import { printableKey, REQUEST_KEY, REQUEST_KEY_RULE } from '../../cics/request-key.js';
import type { JournalRecord } from '../../journal/record.js';
import { fieldCondition, REASONS, type Reason } from '../errors.js';
import type { Services } from '../services.js';

const layout = copybook('MINQCA');
const F = {
  version: elementaryOf(layout, 'MQ-VERSION'),
  seq: elementaryOf(layout, 'MQ-JOURNAL-SEQ'),
  messageId: elementaryOf(layout, 'MQ-MESSAGE-ID'),
  requestKey: elementaryOf(layout, 'MQ-REQUEST-KEY'),
  rc: elementaryOf(layout, 'MQ-RC'),
  reason: elementaryOf(layout, 'MQ-REASON'),
  state: elementaryOf(layout, 'MQ-STATE'),
  foundSeq: elementaryOf(layout, 'MQ-FOUND-SEQ'),
  foundMessageId: elementaryOf(layout, 'MQ-FOUND-MESSAGE-ID'),
  relayReply: elementaryOf(layout, 'MQ-RELAY-REPLY'),
  total: elementaryOf(layout, 'MQ-RCPT-TOTAL'),
  count: elementaryOf(layout, 'MQ-RCPT-COUNT'),
  address: elementaryOf(layout, 'MQ-ADDRESS'),
  fate: elementaryOf(layout, 'MQ-FATE'),
  status: elementaryOf(layout, 'MQ-STATUS'),
  diagnostic: elementaryOf(layout, 'MQ-DIAGNOSTIC'),
  time: elementaryOf(layout, 'MQ-FATE-TIME'),
};
/** The entries MQ-RCPT holds at most. */
const RCPT_MAX = layout.root.children.find((c) => c.name === 'MQ-RCPT')?.occurs?.max ?? 0;
const ENTRY_SIZE = (layout.maxLength - layout.minLength) / RCPT_MAX;

type Found =
  | { readonly ok: true; readonly record: JournalRecord }
  | { readonly ok: false; readonly reason: Reason; readonly detail: string };

/** The mail the request names: by sequence, else by Message-ID, else by request key. */
function find(area: Uint8Array, cp: CodePage, services: Services, userid: string): Found {
  const version = readText(area, F.version, cp);
  if (version !== '01') return { ok: false, reason: 'VERSION', detail: `MQ-VERSION is '${version}', not '01'` };
  const seq = Number(readNumber(area, F.seq));
  const messageId = readText(area, F.messageId, cp).trim();
  // Blanks pad the field; any other character is the key's, and the key rule judges it.
  const requestKey = readText(area, F.requestKey, cp).replace(/^ +| +$/g, '');
  let record: JournalRecord | undefined;
  let asked: string;
  if (seq > 0) {
    record = services.journal.get(seq);
    asked = `journal sequence ${seq}`;
  } else if (messageId !== '') {
    // The journal's Message-ID index finds it in a few reads, however many records there are.
    record = queryRecords(services.journal, { messageId }, { limit: 1 }).records[0];
    asked = `Message-ID ${messageId}`;
  } else if (requestKey !== '') {
    if (!REQUEST_KEY.test(requestKey))
      return {
        ok: false,
        reason: 'BADKEY',
        detail: `MQ-REQUEST-KEY '${printableKey(requestKey)}' is not a request key: ${REQUEST_KEY_RULE}`,
      };
    // A key is the caller's own: its mails under the key first, whichever tranid they were
    // sent to (MINQCA names no tranid), the first by sequence. Another user's only where
    // the caller has none, to say it is theirs. Both through the journal's key index.
    record =
      queryRecords(services.journal, { requestKey, userid }, { limit: 1 }).records[0] ??
      queryRecords(services.journal, { requestKey }, { limit: 1 }).records[0];
    asked = `request key ${requestKey}`;
  } else {
    return {
      ok: false,
      reason: 'NOQUERY',
      detail: 'MQ-JOURNAL-SEQ is 0 and MQ-MESSAGE-ID and MQ-REQUEST-KEY are blank',
    };
  }
  if (!record || record.state === 'DENIED') return { ok: false, reason: 'NOTFOUND', detail: `no mail with ${asked}` };
  if (record.userid !== userid)
    return { ok: false, reason: 'NOTYOURS', detail: `the mail with ${asked} is another user's` };
  return { ok: true, record };
}

function writeFound(out: Buffer, record: JournalRecord, cp: CodePage, now: number, windowMs: number): number {
  const views = recipientViews(record, now, windowMs);
  const shown = views.slice(0, RCPT_MAX);
  const text = (item: typeof F.state, value: string, index = 0) =>
    writeText(out, item, value, cp, { index, truncate: true, substitute: true });
  text(F.state, record.state);
  writeNumber(out, F.foundSeq, record.seq);
  text(F.foundMessageId, record.messageId);
  text(F.relayReply, record.relayReply ?? '');
  writeNumber(out, F.total, views.length);
  writeNumber(out, F.count, shown.length);
  for (const [i, v] of shown.entries()) {
    text(F.address, v.recipient, i);
    text(F.fate, v.fate, i);
    text(F.status, v.status, i);
    text(F.diagnostic, v.diagnostic, i);
    text(F.time, v.at, i);
  }
  return shown.length;
}

export default async function inquiryProgram(ctx: ProgramContext<Services>): Promise<TaskResult> {
  const area = ctx.commarea;
  if (area.length < layout.minLength) {
    return {
      kind: 'condition',
      condition: 'LENGERR',
      field: 'MINQCA',
      message: `COMMAREA of ${area.length} bytes is shorter than the ${layout.minLength} bytes of MINQCA before MQ-RCPT`,
    };
  }
  const cp = codePage(ctx.ccsid);
  // The answer is as long as its entries need: the fixed part as received, then the table.
  const out = Buffer.alloc(layout.maxLength, 0x40);
  Buffer.from(area.subarray(0, layout.minLength)).copy(out);
  let found: Found;
  let entries = 0;
  try {
    found = find(area, cp, ctx.services, ctx.eib.eibusrid);
    const reason: Reason = found.ok ? 'FOUND' : found.reason;
    writeNumber(out, F.rc, REASONS[reason].rc);
    writeText(out, F.reason, reason, cp);
    writeNumber(out, F.count, 0);
    writeNumber(out, F.total, 0);
    writeNumber(out, F.foundSeq, 0);
    if (found.ok) {
      const { windowMs = 0 } = ctx.services.config.fate ?? {};
      entries = writeFound(out, found.record, cp, Date.now(), windowMs);
    } else {
      writeText(out, F.state, '', cp);
      writeText(out, F.foundMessageId, '', cp);
      writeText(out, F.relayReply, found.detail, cp, { truncate: true, substitute: true });
    }
  } catch (err) {
    if (err instanceof FieldError) return fieldCondition(err);
    throw err;
  }
  return {
    kind: 'normal',
    commarea: out.subarray(0, layout.minLength + entries * ENTRY_SIZE),
    journalSeqs: [],
  };
}
