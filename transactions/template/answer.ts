// A template program's answer: the COMMAREA as it came, with the mail's RC, reason,
// Message-ID, journal sequence number and relay reply in the output fields its definition
// names (config/region-file.ts checked at start that each can hold what goes in it).
import type { CodePage } from '../../cics/codepages.js';
import { writeNumber, writeText } from '../../cics/copybook/codec.js';
import { elementaryOf, type RecordLayout } from '../../cics/copybook/layout.js';
import type { OutputFields } from '../../cics/mail-templates.js';
import { REASONS } from '../errors.js';
import type { Outcome } from '../mail/deliver.js';

/** Writes the outcome into the output fields of `area`, a copy of the COMMAREA. */
export function writeAnswer(
  area: Uint8Array,
  layout: RecordLayout,
  output: OutputFields,
  outcome: Outcome,
  cp: CodePage,
): void {
  const item = (name: string) => elementaryOf(layout, name);
  const text = { truncate: true, substitute: true };
  if (output.rc) writeNumber(area, item(output.rc), REASONS[outcome.reason].rc);
  if (output.reason) writeText(area, item(output.reason), outcome.reason, cp);
  if (output.messageId) writeText(area, item(output.messageId), outcome.messageId ?? '', cp, text);
  if (output.journalSeq) writeNumber(area, item(output.journalSeq), outcome.seq ?? 0);
  if (output.relayReply) writeText(area, item(output.relayReply), outcome.detail, cp, text);
}
