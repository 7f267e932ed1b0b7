// Bounces as mail systems write them, built here byte for byte: RFC 3464 reports in the
// shapes Postfix, Exim and Exchange give them, and the older kinds without a report.

export interface RecipientBlock {
  readonly final: string;
  readonly original?: string;
  readonly action: string;
  readonly status: string;
  readonly diagnostic?: string;
  readonly remoteMta?: string;
  readonly lastAttempt?: string;
  readonly willRetry?: string;
}

export interface ReportOptions {
  /** The bounce's To (its envelope RCPT is given to the reader apart). */
  readonly to?: string;
  readonly from?: string;
  readonly envid?: string | null;
  readonly reportingMta?: string;
  readonly recipients: readonly RecipientBlock[];
  /** The top-level Content-Type's type and parameters before the boundary. */
  readonly reportType?: string;
  /** The status part's Content-Type. */
  readonly statusType?: string;
  /** base64 for the status part, as a few gateways send it. */
  readonly base64?: boolean;
  /** Extra lines in the per-message block. */
  readonly perMessage?: readonly string[];
}

/** The delivery-status body: per-message block, then one block per recipient. */
export function statusBody(options: ReportOptions): string {
  const message = [
    `Reporting-MTA: dns; ${options.reportingMta ?? 'mta.test'}`,
    ...(options.envid === null ? [] : [`Original-Envelope-Id: ${options.envid ?? 'PRD1.42'}`]),
    'Arrival-Date: Sat,  5 Dec 2026 12:00:00 +0000 (UTC)',
    ...(options.perMessage ?? []),
  ];
  const blocks = options.recipients.map((r) =>
    [
      `Final-Recipient: ${r.final}`,
      ...(r.original ? [`Original-Recipient: ${r.original}`] : []),
      `Action: ${r.action}`,
      `Status: ${r.status}`,
      ...(r.remoteMta ? [`Remote-MTA: ${r.remoteMta}`] : []),
      ...(r.diagnostic ? [`Diagnostic-Code: ${r.diagnostic}`] : []),
      ...(r.lastAttempt ? [`Last-Attempt-Date: ${r.lastAttempt}`] : []),
      ...(r.willRetry ? [`Will-Retry-Until: ${r.willRetry}`] : []),
    ].join('\r\n'),
  );
  return [message.join('\r\n'), ...blocks].join('\r\n\r\n') + '\r\n';
}

/** A whole RFC 3464 report. */
export function reportMail(options: ReportOptions): Buffer {
  const body = statusBody(options);
  const statusPart = options.base64
    ? `Content-Type: ${options.statusType ?? 'message/delivery-status'}\r\nContent-Transfer-Encoding: base64\r\n\r\n${
        Buffer.from(body)
          .toString('base64')
          .match(/.{1,76}/g)
          ?.join('\r\n') ?? ''
      }\r\n`
    : `Content-Description: Delivery report\r\nContent-Type: ${options.statusType ?? 'message/delivery-status'}\r\n\r\n${body}`;
  return Buffer.from(
    [
      `From: ${options.from ?? 'MAILER-DAEMON@mta.test (Mail Delivery System)'}`,
      `To: ${options.to ?? 'bounce+prd1.42@bounce.example'}`,
      'Subject: Undelivered Mail Returned to Sender',
      'Auto-Submitted: auto-replied',
      'MIME-Version: 1.0',
      `Content-Type: ${options.reportType ?? 'multipart/report; report-type=delivery-status'}; boundary="B1"`,
      '',
      'This is a MIME-encapsulated message.',
      '',
      '--B1',
      'Content-Description: Notification',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'This is the mail system at host mta.test.',
      '',
      '--B1',
      statusPart,
      '--B1',
      'Content-Description: Undelivered Message Headers',
      'Content-Type: text/rfc822-headers',
      '',
      'From: payroll@corp.example',
      'Subject: pay slip',
      '',
      '--B1--',
      '',
    ].join('\r\n'),
    'utf8',
  );
}

/** A plain text mail from `from`, with `text` as its body. */
export function textMail(from: string, subject: string, text: string, extra: readonly string[] = []): Buffer {
  return Buffer.from(
    [`From: ${from}`, 'To: bounce+prd1.42@bounce.example', `Subject: ${subject}`, ...extra, '', text, ''].join('\r\n'),
    'utf8',
  );
}

/** qmail's bounce: no report, the remote server's words quoted. */
export const QMAIL_BOUNCE = textMail(
  'MAILER-DAEMON@mx.old.example',
  'failure notice',
  [
    'Hi. This is the qmail-send program at mx.old.example.',
    "I'm afraid I wasn't able to deliver your message to the following addresses.",
    "This is a permanent error; I've given up. Sorry it didn't work out.",
    '',
    '<gone@old.example>:',
    '192.0.2.25 does not like recipient.',
    'Remote host said: 550 5.1.1 <gone@old.example>... User unknown',
    'Giving up on 192.0.2.25.',
    '',
    '--- Below this line is a copy of the message.',
    '',
    'Return-Path: <bounce+prd1.42@bounce.example>',
    'From: payroll@corp.example',
    'Subject: version 4.2.1 of the pay slip',
  ].join('\r\n'),
);
