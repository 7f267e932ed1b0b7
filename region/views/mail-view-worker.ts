// The console's mail parser in a thread of its own (mail-views.ts): a mail of many parts
// takes postal-mime a good part of a second, which the region's main thread must not spend;
// at the lowest CPU priority, behind the tasks.
import { yieldToTheRegion } from '../../cics/worker-entry.js';
import { parseMail, type ParsedMail } from './mail-view.js';

yieldToTheRegion();

export default function parse(message: Uint8Array): Promise<ParsedMail> {
  return parseMail(message);
}
