// ZIP: one file in a deflated archive, its name in UTF-8, dated with the mail.
import { zipSync, strToU8 } from 'fflate';

export function zipOne(name: string, content: Uint8Array | string, date: Date): Uint8Array {
  const data = typeof content === 'string' ? strToU8(content) : content;
  // ZIP dates run from 1980 to 2107; a clock outside them is no reason to refuse a mail.
  const year = date.getFullYear();
  const mtime = year < 1980 || year > 2099 ? new Date(1980, 0, 1) : date;
  return zipSync({ [name]: [data, { level: 6, mtime }] });
}
