// multipart/form-data (RFC 7578) for channels, read from a whole buffered body. Written by
// hand because the parsers at hand either decode parts without a file name as text (the
// COMMAREA is binary) or drop the charset parameter of a part's Content-Type (a CHAR
// container's code page): this one keeps every byte and every header.

export interface FormPart {
  readonly name: string;
  readonly filename: string | null;
  /** The part's Content-Type as sent, parameters included ('' where it gave none). */
  readonly contentType: string;
  readonly data: Buffer;
}

export class MultipartError extends Error {
  readonly code = 'CICSMAIL_MULTIPART';
}

/** The boundary of a multipart/form-data Content-Type, or an error saying why not. */
export function boundaryOf(contentType: string): string {
  const m = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary) throw new MultipartError('multipart/form-data without a boundary parameter');
  return boundary;
}

function param(header: string, name: string): string | null {
  const m = new RegExp(`;\\s*${name}="((?:[^"\\\\]|\\\\.)*)"|;\\s*${name}=([^;\\s]+)`, 'i').exec(header);
  if (!m) return null;
  return m[1] !== undefined ? m[1].replace(/\\(.)/g, '$1') : (m[2] ?? null);
}

export function parseFormData(body: Buffer, boundary: string): FormPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  if (at === -1) throw new MultipartError(`the body has no part: boundary '${boundary}' not found`);
  const parts: FormPart[] = [];
  for (;;) {
    at += delimiter.length;
    if (body[at] === 0x2d && body[at + 1] === 0x2d) return parts; // "--": the close delimiter
    if (body[at] !== 0x0d || body[at + 1] !== 0x0a)
      throw new MultipartError(`part ${parts.length + 1}: the boundary line does not end in CRLF`);
    at += 2;
    const headEnd = body.indexOf('\r\n\r\n', at);
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), at);
    if (next === -1) throw new MultipartError(`part ${parts.length + 1} is not closed by the boundary (a cut body?)`);
    if (headEnd === -1 || headEnd > next)
      throw new MultipartError(`part ${parts.length + 1} has no blank line after its headers`);
    const headers = new Map<string, string>();
    // Browsers and curl send names in UTF-8 (RFC 7578 5.1).
    for (const line of body.subarray(at, headEnd).toString('utf8').split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw new MultipartError(`part ${parts.length + 1}: '${line.slice(0, 40)}' is not a header`);
      headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    const disposition = headers.get('content-disposition') ?? '';
    if (!/^form-data\b/i.test(disposition))
      throw new MultipartError(`part ${parts.length + 1} is not Content-Disposition: form-data`);
    const name = param(disposition, 'name');
    if (name === null || name === '') throw new MultipartError(`part ${parts.length + 1} has no name`);
    parts.push({
      name,
      filename: param(disposition, 'filename'),
      contentType: headers.get('content-type') ?? '',
      data: body.subarray(headEnd + 4, next),
    });
    at = next + 2;
  }
}
