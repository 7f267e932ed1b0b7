// A mail made from templates: what the region definition file gives for a transaction whose
// program is `template` (config/region-file.ts reads it), and what the workers compile and
// fill from the COMMAREA's view (transactions/template/). Plain data: it crosses to them.

/** One template's text, and where it was written (for the messages that name it). */
export interface TemplateSource {
  readonly text: string;
  /** Its own file, or the region definition file where it is written inline. */
  readonly file: string;
  /** The region file's key that gives it, e.g. `transactions.PAYS.templates.html`. */
  readonly key: string;
  /** Written inline: the line of the region file its string is on. */
  readonly inlineLine?: number;
}

export interface AttachmentTemplates {
  /** The file name, a template like the headers. */
  readonly name: TemplateSource;
  readonly body: TemplateSource;
  /** Its MIME type; absent: the one its name says. `text/html` is escaped as the HTML part is. */
  readonly contentType?: string;
}

/** From, Reply-To, To, Cc, Bcc and Subject are header templates; text and HTML the body's parts. */
export interface MailTemplates {
  readonly from?: TemplateSource;
  readonly replyTo?: TemplateSource;
  readonly to: TemplateSource;
  readonly cc?: TemplateSource;
  readonly bcc?: TemplateSource;
  readonly subject: TemplateSource;
  readonly text?: TemplateSource;
  readonly html?: TemplateSource;
  readonly attachments: readonly AttachmentTemplates[];
}

export const HEADER_TEMPLATES = ['from', 'replyTo', 'to', 'cc', 'bcc', 'subject'] as const;
export type HeaderTemplate = (typeof HEADER_TEMPLATES)[number];
export type MailPart = HeaderTemplate | 'text' | 'html';

/** Where a template program puts its answer in the COMMAREA it returns: COBOL names of items. */
export interface OutputFields {
  /** The mail's return code (0, 4, 8, 12, 16): a numeric item. */
  readonly rc?: string;
  /** Its 8-character reason (SENT, BADTO, TMPLVAL …): alphanumeric, 8 or more. */
  readonly reason?: string;
  /** The Message-ID, cut to the item's length: alphanumeric. */
  readonly messageId?: string;
  /** The journal sequence number: numeric, 9 digits or more. */
  readonly journalSeq?: string;
  /** The relay's reply, or for RC 8 what was wrong, cut to the item's length: alphanumeric. */
  readonly relayReply?: string;
}
