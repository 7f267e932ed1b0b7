// ZIP: one file in a deflated archive, its name in UTF-8, dated with the mail; with a
// password, encrypted with AES-256 (WinZip's AE-2, which 7-Zip, WinZip and Windows 11's
// Explorer open) by zip.js: fflate writes no encryption, and ZIP's own (ZipCrypto) is
// broken by a known-plaintext attack.
import { zipSync, strToU8 } from 'fflate';

// ZIP dates run from 1980 to 2107; a clock outside them is no reason to refuse a mail.
const zipDate = (date: Date) => {
  const year = date.getFullYear();
  return year < 1980 || year > 2099 ? new Date(1980, 0, 1) : date;
};

export function zipOne(name: string, content: Uint8Array | string, date: Date): Uint8Array {
  const data = typeof content === 'string' ? strToU8(content) : content;
  return zipSync({ [name]: [data, { level: 6, mtime: zipDate(date) }] });
}

// zip.js is loaded on first use: most workers never encrypt a report.
let zipjs: Promise<typeof import('@zip.js/zip.js')> | undefined;

/** One file in an archive encrypted with AES-256 under `password`. */
export async function zipOneProtected(
  name: string,
  content: Uint8Array | string,
  date: Date,
  password: string,
): Promise<Uint8Array> {
  const { ZipWriter, Uint8ArrayReader, Uint8ArrayWriter } = await (zipjs ??= import('@zip.js/zip.js'));
  const data = typeof content === 'string' ? strToU8(content) : content;
  // In this thread: zip.js's web workers are for browsers, and a region's worker is one already.
  const writer = new ZipWriter(new Uint8ArrayWriter(), { password, encryptionStrength: 3, useWebWorkers: false });
  await writer.add(name, new Uint8ArrayReader(data), { level: 6, lastModDate: zipDate(date) });
  return writer.close();
}
