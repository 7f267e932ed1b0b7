// The per-mail return path (VERP): CICSMAIL_BOUNCE_ADDRESS is a template such as
// `bounce+{sysid}.{seq}@bounce.example`, and a mail's envelope sender is that address with
// the region's SYSID and the mail's journal sequence in it. A bounce comes back to it, so
// the address alone says which mail bounced, whatever the bounce's text (many are not
// RFC 3464). Checked strictly once at start; decoded strictly: an address this template
// could not have made is no bounce of this region's. With a key (CICSMAIL_BOUNCE_KEY) the
// sequence carries a tag, an HMAC of the SYSID and sequence: a return path can then not be
// made from the template and a sequence, so a forged bounce for one of the region's mails
// is refused before it is read.
import { createHmac, timingSafeEqual } from 'node:crypto';

/** A checked template, as plain data (it crosses to the worker threads). */
export interface ReturnPathTemplate {
  /** As given. */
  readonly text: string;
  /** The local part's literal text before the first field, between the two, after the second. */
  readonly before: string;
  readonly between: string;
  readonly after: string;
  /** Which field comes first. */
  readonly first: 'sysid' | 'seq';
  /** The domain, in lower case. */
  readonly domain: string;
  /** The key the tag after `{seq}` is made with; none: no tag. */
  readonly key?: string;
}

export type TemplateResult =
  { readonly ok: true; readonly template: ReturnPathTemplate } | { readonly ok: false; readonly reason: string };

/** Literal text in the local part: letters, digits, `.`, `+`, `-`, `_` (atext that every MTA passes as it is). */
const LITERAL = /^[A-Za-z0-9.+_-]*$/;
/** Between the fields, something neither field can hold: else `{sysid}{seq}` could not be told apart. */
const SEPARATOR = /[.+_-]/;
// RFC 1035 labels, as for CICSMAIL_HOSTNAME.
const DOMAIN = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;
const SYSID_MAX = 8;
/** Number.MAX_SAFE_INTEGER has 16 digits. */
const SEQ_MAX_DIGITS = 16;
const FIELDS = /\{(sysid|seq)\}/g;

/** Checks a template; the reason says what is wrong with it, for an error that names the variable. */
export function parseReturnPath(text: string): TemplateResult {
  const fail = (reason: string): TemplateResult => ({ ok: false, reason });
  const at = text.lastIndexOf('@');
  if (at <= 0 || text.indexOf('@') !== at) return fail(`'${text}' is not one local-part@domain`);
  const local = text.slice(0, at);
  const domain = text.slice(at + 1).toLowerCase();
  if (domain.length > 253 || !DOMAIN.test(domain))
    return fail(`'${text.slice(at + 1)}' is not a domain of two or more labels (letters, digits, hyphens)`);
  const fields = [...local.matchAll(FIELDS)];
  const names = fields.map((f) => f[1]);
  if (names.filter((n) => n === 'sysid').length !== 1 || names.filter((n) => n === 'seq').length !== 1)
    return fail(`'${text}': the local part must hold {sysid} and {seq} once each`);
  const [one, two] = fields as [RegExpExecArray, RegExpExecArray];
  const before = local.slice(0, one.index);
  const between = local.slice(one.index + one[0].length, two.index);
  const after = local.slice(two.index + two[0].length);
  for (const part of [before, between, after]) {
    if (!LITERAL.test(part))
      return fail(`'${text}': the local part may hold only letters, digits, . + - _ besides {sysid} and {seq}`);
  }
  if (!SEPARATOR.test(between))
    return fail(`'${text}': put one of . + - _ between {sysid} and {seq}, else the two cannot be told apart`);
  // A dot-atom: no dot at either end, no two dots in a row (RFC 5322 3.4.1).
  const shape = `${before}x${between}x${after}`;
  if (shape.startsWith('.') || shape.endsWith('.') || shape.includes('..'))
    return fail(`'${text}': the local part may not start or end with a dot or hold two in a row`);
  const longest = before.length + between.length + after.length + SYSID_MAX + SEQ_MAX_DIGITS;
  if (longest > 64)
    return fail(
      `'${text}': with an 8-character SYSID and a 16-digit sequence the local part is ${longest} octets, over 64`,
    );
  return {
    ok: true,
    template: { text, before, between, after, first: one[1] === 'sysid' ? 'sysid' : 'seq', domain },
  };
}

/**
 * A SYSID as it stands in the local part: lower case, `@` as `=` (SYSIDs are A-Z 0-9 @ # $
 * and `@` ends a local part; `=` is in no SYSID).
 */
function sysidText(sysid: string): string {
  return sysid.toLowerCase().replaceAll('@', '=');
}

/** What a tag adds to the local part: `-` and 8 characters. */
export const TAG_OCTETS = 9;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * A mail's tag: the first 40 bits of HMAC-SHA256(key, `SYSID.seq`) in lower-case base32
 * (RFC 4648's alphabet; eight characters of 5 bits, a few lines where node has no base32):
 * letters and digits that every MTA passes and that case folding cannot change.
 */
export function returnPathTag(key: string, sysid: string, seq: number): string {
  const mac = createHmac('sha256', key).update(`${sysid}.${seq}`).digest();
  let bits = 0n;
  for (const byte of mac.subarray(0, 5)) bits = (bits << 8n) | BigInt(byte);
  let tag = '';
  for (let i = 7; i >= 0; i--) tag += BASE32[Number((bits >> BigInt(i * 5)) & 31n)];
  return tag;
}

/** A mail's return path: the template with the region's SYSID and the mail's sequence (and its tag, with a key). */
export function returnPathOf(template: ReturnPathTemplate, sysid: string, seq: number): string {
  const seqText = template.key === undefined ? String(seq) : `${seq}-${returnPathTag(template.key, sysid, seq)}`;
  const [first, second] = template.first === 'sysid' ? [sysidText(sysid), seqText] : [seqText, sysidText(sysid)];
  return `${template.before}${first}${template.between}${second}${template.after}@${template.domain}`;
}

export type ReturnPathMatch =
  | { readonly ok: true; readonly sysid: string; readonly seq: number }
  /** `forged`: the template's shape with a tag that is not the mail's. */
  | { readonly ok: false; readonly reason: string; readonly forged?: true };

const escape = (text: string) => text.replace(/[.+*?^$()[\]{}|\\-]/g, '\\$&');

/**
 * The SYSID and sequence of a return path this template makes, or why `address` is none.
 * Case does not matter (MTAs may fold it); nothing else is forgiven: leading zeros, an
 * empty or over-long field, another domain, a source route, anything more or less.
 */
export function decodeReturnPath(template: ReturnPathTemplate, address: string): ReturnPathMatch {
  if (address.length > 254) return { ok: false, reason: 'the address is longer than 254 octets' };
  const sysid = `(?<sysid>[a-z0-9=#$]{1,${SYSID_MAX}})`;
  const seq = `(?<seq>[1-9][0-9]{0,${SEQ_MAX_DIGITS - 1}})${template.key === undefined ? '' : '-(?<tag>[a-z2-7]{8})'}`;
  const [first, second] = template.first === 'sysid' ? [sysid, seq] : [seq, sysid];
  const pattern = new RegExp(
    `^${escape(template.before)}${first}${escape(template.between)}${second}${escape(template.after)}@${escape(template.domain)}$`,
    'i',
  );
  const m = pattern.exec(address);
  if (!m?.groups) return { ok: false, reason: `<${address}> is not a return path of ${template.text}` };
  const n = Number(m.groups.seq);
  if (!Number.isSafeInteger(n)) return { ok: false, reason: `<${address}>: the sequence is out of range` };
  const found = (m.groups.sysid ?? '').toUpperCase().replaceAll('=', '@');
  if (template.key !== undefined) {
    const want = Buffer.from(returnPathTag(template.key, found, n));
    const got = Buffer.from((m.groups.tag ?? '').toLowerCase());
    if (got.length !== want.length || !timingSafeEqual(got, want))
      return { ok: false, reason: `<${address}>: the tag is not the one of mail ${found}.${n}`, forged: true };
  }
  return { ok: true, sysid: found, seq: n };
}
