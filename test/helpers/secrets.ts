// Looking for a secret where it must not be: a log kept in memory, and each form a secret
// could be written down in (as it is, escaped, base64, hex, EBCDIC ...).
import { Writable } from 'node:stream';
import { codePage } from '../../cics/codepages.js';

const cp037 = codePage(37);

/** A log that keeps every line the region writes. */
export function memoryLog(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

/** The ways a secret could be written down: as it is, and as bytes in the encodings a log or a file might use. */
export function forms(secret: string): Map<string, string> {
  const utf8 = Buffer.from(secret, 'utf8');
  const out = new Map<string, string>([
    ['plain', secret],
    ['JSON-escaped', JSON.stringify(secret).slice(1, -1)],
    ['base64', utf8.toString('base64').replace(/=+$/, '')],
    ['base64url', utf8.toString('base64url')],
    ['hex', utf8.toString('hex')],
    ['HEX', utf8.toString('hex').toUpperCase()],
    ['UTF-8 byte list', `${[...utf8].join(',')}`],
  ]);
  if (cp037.firstUnmappable(secret) === undefined) {
    const ebcdic = cp037.encode(secret);
    out.set('EBCDIC hex', ebcdic.toString('hex'));
    out.set('EBCDIC base64', ebcdic.toString('base64').replace(/=+$/, ''));
    out.set('EBCDIC byte list', [...ebcdic].join(','));
    out.set('EBCDIC as latin1', ebcdic.toString('latin1'));
  }
  return out;
}

/** Where `text` holds a form of one of the secrets: `what (form)`; [] where none. */
export function leaks(text: string, secrets: Record<string, string>): string[] {
  const found: string[] = [];
  const lower = text.toLowerCase();
  for (const [what, secret] of Object.entries(secrets)) {
    for (const [form, value] of forms(secret)) {
      // Hex and byte lists are compared without case; the rest as written.
      const hit =
        form.startsWith('hex') || form === 'HEX' || form.endsWith('hex')
          ? lower.includes(value.toLowerCase())
          : text.includes(value);
      if (hit) found.push(`${what} (${form})`);
    }
  }
  return found;
}
