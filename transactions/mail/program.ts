// Program of transaction MAIL: one mail from a MAILCA COMMAREA (copybooks/MAILCA.cpy, or
// version 02, MAILCA2.cpy, whose MC-KEY the region has read before the task: cics/mailca.ts).
// Reads the input fields, composes the mail, journals it, sends it, and returns the
// COMMAREA as received with MC-RC, MC-REASON, MC-MESSAGE-ID, MC-JOURNAL-SEQ and
// MC-RELAY-REPLY filled in.
import { codePage, type CodePage } from '../../cics/codepages.js';
import { readNumber, readText, writeNumber, writeText } from '../../cics/copybook/codec.js';
import { FieldError } from '../../cics/copybook/errors.js';
import { elementaryOf } from '../../cics/copybook/layout.js';
import type { RecordLayout } from '../../cics/copybook/layout.js';
import { mailcaLayout, mailcaVersion, type MailcaVersion } from '../../cics/mailca.js';
import type { Container, ProgramContext, TaskResult } from '../../cics/task.js';
import libmime from 'libmime';
import { textLines } from '../../cics/text-lines.js';
import { fieldCondition, REASONS, type Reason } from '../errors.js';
import type { Services } from '../services.js';
import { parseAddressList, type Address } from '../../cics/addresses.js';
import type { Attachment, Importance } from './compose.js';
import { composeAndSend, type Outcome } from './deliver.js';
import { contentTypeParams, makeReportAttachments, readReportOptions, REPORT_KEYS } from '../report/report.js';
import { CONTROL_OR_C1 } from '../../cics/characters.js';
import { notEbcdic } from '../../cics/not-ebcdic.js';

/** The items of one version's layout (version 02 adds MC-KEY, which the region reads). */
function fieldsOf(layout: RecordLayout) {
  return {
    layout,
    version: elementaryOf(layout, 'MC-VERSION'),
    from: elementaryOf(layout, 'MC-FROM'),
    replyTo: elementaryOf(layout, 'MC-REPLY-TO'),
    to: elementaryOf(layout, 'MC-TO'),
    cc: elementaryOf(layout, 'MC-CC'),
    bcc: elementaryOf(layout, 'MC-BCC'),
    subject: elementaryOf(layout, 'MC-SUBJECT'),
    importance: elementaryOf(layout, 'MC-IMPORTANCE'),
    bodyFormat: elementaryOf(layout, 'MC-BODY-FORMAT'),
    rc: elementaryOf(layout, 'MC-RC'),
    reason: elementaryOf(layout, 'MC-REASON'),
    messageId: elementaryOf(layout, 'MC-MESSAGE-ID'),
    journalSeq: elementaryOf(layout, 'MC-JOURNAL-SEQ'),
    relayReply: elementaryOf(layout, 'MC-RELAY-REPLY'),
    bodyLen: elementaryOf(layout, 'MC-BODY-LEN'),
    body: elementaryOf(layout, 'MC-BODY'),
  };
}
type Fields = ReturnType<typeof fieldsOf>;
const VERSIONS: Readonly<Record<MailcaVersion, Fields>> = {
  '01': fieldsOf(mailcaLayout('01')),
  '02': fieldsOf(mailcaLayout('02')),
};
const F = VERSIONS['01'];
const BODY_MAX = F.body.occurs?.max ?? 0;

const IMPORTANCE: Record<string, Importance> = { L: 'low', N: 'normal', '': 'normal', H: 'high' };
const FORMAT: Record<string, 'text' | 'html'> = { T: 'text', '': 'text', H: 'html' };

// C0 and C1 controls and DEL: in a header field they could start a new header line.

/**
 * A COMMAREA whose MC-VERSION is not '01' or '02' in its code page and whose text fields read as
 * ASCII or UTF-8: said so, before its binary fields (read as numbers they are nonsense) or
 * its version are taken at their word. Undefined where it may well be EBCDIC.
 */
function notEbcdicOutcome(area: Uint8Array, cp: CodePage): Outcome | undefined {
  if (mailcaVersion(area, cp) !== undefined) return undefined;
  const looks = notEbcdic(area.subarray(F.version.offset, F.subject.offset + F.subject.size));
  if (!looks) return undefined;
  const bytes = Buffer.from(area.subarray(F.version.offset, F.version.offset + F.version.size));
  return {
    reason: 'ASCII',
    detail:
      `the COMMAREA looks like ${looks} text, not EBCDIC: MC-VERSION is x'${bytes.toString('hex').toUpperCase()}' ` +
      `('${bytes.toString('latin1').replace(/[^\x20-\x7e]/g, '?')}' in ASCII); send its text in CCSID ${cp.ccsid} ` +
      `(or the code page X-CICS-CCSID names), or send the JSON view (Content-Type: application/json)`,
  };
}

/** The request, decoded and checked, or the RC 8 outcome that says what is wrong. */
type Parsed =
  | {
      readonly ok: true;
      readonly from: Address | null;
      readonly replyTo?: Address;
      readonly to: readonly Address[];
      readonly cc: readonly Address[];
      readonly bcc: readonly Address[];
      readonly subject: string;
      readonly importance: Importance;
      readonly format: 'text' | 'html';
      readonly body: string;
    }
  | { readonly ok: false; readonly outcome: Outcome };

function invalid(reason: Reason, detail: string): Parsed {
  return { ok: false, outcome: { reason, detail } };
}

function parse(area: Uint8Array, cp: CodePage, bodyLen: number, F: Fields): Parsed {
  const headerFields = [F.from, F.replyTo, F.to, F.cc, F.bcc, F.subject] as const;
  const text = new Map<string, string>();
  for (const field of headerFields) {
    const value = readText(area, field, cp);
    const bad = CONTROL_OR_C1.exec(value);
    if (bad) {
      const code = (bad[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
      return invalid('CTLCHAR', `${field.name} holds control character U+${code} at position ${bad.index + 1}`);
    }
    text.set(field.name, value.trim());
  }

  // A blank MC-FROM is the user's default sender's to fill (transactions/sender-check.ts).
  const fromText = text.get(F.from.name) ?? '';
  const from = fromText === '' ? null : parseAddressList(fromText);
  if (from && !from.ok) return invalid('BADFROM', `MC-FROM: ${from.reason}`);
  if (from && from.addresses.length !== 1)
    return invalid('BADFROM', `MC-FROM holds ${from.addresses.length} addresses; give one`);

  let replyTo: Address | undefined;
  const replyToText = text.get(F.replyTo.name) ?? '';
  if (replyToText !== '') {
    const r = parseAddressList(replyToText);
    if (!r.ok) return invalid('BADREPTO', `MC-REPLY-TO: ${r.reason}`);
    if (r.addresses.length !== 1)
      return invalid('BADREPTO', `MC-REPLY-TO holds ${r.addresses.length} addresses; give one`);
    replyTo = r.addresses[0];
  }

  const lists: Record<'to' | 'cc' | 'bcc', readonly Address[]> = { to: [], cc: [], bcc: [] };
  for (const [key, field, reason] of [
    ['to', F.to, 'BADTO'],
    ['cc', F.cc, 'BADCC'],
    ['bcc', F.bcc, 'BADBCC'],
  ] as const) {
    const r = parseAddressList(text.get(field.name) ?? '');
    if (!r.ok) return invalid(reason, `${field.name}: ${r.reason}`);
    lists[key] = r.addresses;
  }
  if (lists.to.length + lists.cc.length + lists.bcc.length === 0) {
    return invalid('NORCPT', 'MC-TO, MC-CC and MC-BCC are all blank: no recipient');
  }

  const importanceCode = readText(area, F.importance, cp);
  const importance = IMPORTANCE[importanceCode];
  if (!importance) return invalid('BADIMPOR', `MC-IMPORTANCE is '${importanceCode}'; use L, N, H or blank`);
  const formatCode = readText(area, F.bodyFormat, cp);
  const format = FORMAT[formatCode];
  if (!format) return invalid('BADFORMT', `MC-BODY-FORMAT is '${formatCode}'; use T, H or blank`);

  const bodyBytes = area.subarray(F.body.offset, F.body.offset + bodyLen);
  // SUB (x'3F') marks a character the code page could not hold: show it as U+FFFD.
  const body = textLines(cp.decode(bodyBytes)).join('\n').replaceAll('\u001a', '\ufffd');
  return {
    ok: true,
    from: from ? (from.addresses[0] as Address) : null,
    ...(replyTo ? { replyTo } : {}),
    to: lists.to,
    cc: lists.cc,
    bcc: lists.bcc,
    subject: text.get(F.subject.name) ?? '',
    importance,
    format,
    body,
  };
}

/**
 * Each container of the channel as an attachment: CHAR ones as UTF-8 text, BIT ones as they
 * are; one whose Content-Type has report parameters (`recfm=FBA; lrecl=133; format=pdf`)
 * as a report, its data in the part's code page. A wrong report parameter is the mail's
 * RC 8, naming the container.
 */
const REPORT_PARAM = new RegExp(`;\\s*(${REPORT_KEYS.join('|')})\\s*=`, 'i');

async function attachmentsOf(containers: readonly Container[], now: Date): Promise<Attachment[] | Outcome> {
  const attachments: Attachment[] = [];
  for (const c of containers) {
    const filename = c.filename ?? c.name;
    let params = contentTypeParams(c.contentType);
    if (typeof params === 'string') {
      if (REPORT_PARAM.test(c.contentType)) return { reason: 'BADRPTOP', detail: `container ${c.name}: ${params}` };
      params = new Map<string, string>();
    }
    const options = readReportOptions(params);
    if (options !== undefined) {
      // A burst report's parts all go in this one mail: MAIL answers for one.
      const made =
        'code' in options
          ? options
          : await makeReportAttachments({
              name: filename,
              input: { bytes: c.data },
              options,
              cp: codePage(c.ccsid),
              date: now,
            });
      if ('code' in made) return { reason: made.code, detail: `container ${c.name}: ${made.message}` };
      attachments.push(...made);
    } else if (c.kind === 'char') {
      const text = textLines(codePage(c.ccsid).decode(c.data)).join('\n');
      attachments.push({ filename, contentType: 'text/plain', content: { text } });
    } else {
      const declared = c.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
      const contentType =
        declared !== '' && declared !== 'application/octet-stream' ? declared : libmime.detectMimeType(filename);
      attachments.push({ filename, contentType, content: { bytes: c.data } });
    }
  }
  return attachments;
}

async function deliver(ctx: ProgramContext<Services>, mail: Extract<Parsed, { ok: true }>): Promise<Outcome> {
  const { ok: _ok, format, ...fields } = mail;
  const now = new Date();
  const attachments = await attachmentsOf(ctx.containers, now);
  if (!Array.isArray(attachments)) return attachments;
  return composeAndSend(ctx, { ...fields, bodyFormat: format, attachments, substitutions: ctx.substitutions }, now);
}

export default async function mailProgram(ctx: ProgramContext<Services>): Promise<TaskResult> {
  const area = ctx.commarea;
  const short = (layout: RecordLayout, name: string): TaskResult => ({
    kind: 'condition',
    condition: 'LENGERR',
    field: 'MAILCA',
    message: `COMMAREA of ${area.length} bytes is shorter than the ${layout.minLength} bytes of ${name} before MC-BODY`,
  });
  if (area.length < F.layout.minLength) return short(F.layout, 'MAILCA');
  const cp = codePage(ctx.ccsid);
  const version = mailcaVersion(area, cp);
  const f = VERSIONS[version ?? '01'];
  if (area.length < f.layout.minLength) return short(f.layout, `MAILCA version ${version}`);
  const out = Buffer.from(area);
  let outcome = notEbcdicOutcome(area, cp);
  if (outcome === undefined && version === undefined) {
    outcome = { reason: 'VERSION', detail: `MC-VERSION is '${readText(area, f.version, cp)}', not '01' or '02'` };
  }
  if (outcome === undefined) {
    try {
      const bodyLen = Number(readNumber(area, f.bodyLen));
      if (bodyLen < 0 || bodyLen > BODY_MAX) {
        return {
          kind: 'condition',
          condition: 'INVREQ',
          field: f.bodyLen.name,
          message: `MC-BODY-LEN is ${bodyLen}, outside OCCURS 0 TO ${BODY_MAX}`,
        };
      }
      if (f.body.offset + bodyLen > area.length) {
        return {
          kind: 'condition',
          condition: 'LENGERR',
          field: f.bodyLen.name,
          message: `MC-BODY-LEN is ${bodyLen} but the COMMAREA holds ${area.length - f.body.offset} bytes of MC-BODY`,
        };
      }
      // A packed output field can hold bytes that are no number (COBOL's S0C7): say so
      // rather than echo them. A binary one cannot; MOVE SPACES leaves 16,448 in MC-RC.
      readNumber(area, f.journalSeq);
      const parsed = parse(area, cp, bodyLen, f);
      outcome = parsed.ok ? await deliver(ctx, parsed) : parsed.outcome;
    } catch (err) {
      if (err instanceof FieldError) return fieldCondition(err);
      throw err;
    }
  }
  writeNumber(out, f.rc, REASONS[outcome.reason].rc);
  writeText(out, f.reason, outcome.reason, cp);
  writeText(out, f.messageId, outcome.messageId ?? '', cp, { truncate: true, substitute: true });
  writeNumber(out, f.journalSeq, outcome.seq ?? 0);
  writeText(out, f.relayReply, outcome.detail, cp, { truncate: true, substitute: true });
  const seqs = outcome.seq !== undefined ? [outcome.seq] : [];
  return {
    kind: 'normal',
    commarea: out,
    journalSeqs: seqs,
    mailRc: REASONS[outcome.reason].rc,
    mailReason: { code: outcome.reason, text: outcome.detail },
    smtpReplies: outcome.replyClass ? [outcome.replyClass] : [],
  };
}
