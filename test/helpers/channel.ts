// Channels (multipart/form-data) for POST /cics/{TRANID}, byte for byte as the test says.

export interface ChannelPart {
  readonly name: string;
  readonly filename?: string;
  readonly type?: string;
  readonly data: Buffer;
}

/** A channel (multipart/form-data) built by hand, so the test controls every byte. */
export function channelBody(
  parts: readonly ChannelPart[],
  boundary = 'cicsmail-test-boundary',
): { body: Buffer; type: string } {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"${p.filename ? `; filename="${p.filename}"` : ''}\r\n`;
    if (p.type) head += `Content-Type: ${p.type}\r\n`;
    chunks.push(Buffer.from(`${head}\r\n`, 'utf8'), p.data, Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), type: `multipart/form-data; boundary=${boundary}` };
}
