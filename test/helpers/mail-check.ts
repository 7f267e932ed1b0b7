// Independent readers of composed mail: Python's email package, as a second opinion to
// mailparser, so that the composer and one parser cannot share a mistake unnoticed.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PYTHON } from './python.js';

export interface PythonView {
  from: string;
  from_name: string | null;
  to: string[];
  cc: string[];
  bcc: string | null;
  reply_to: string | null;
  subject: string;
  message_id: string;
  importance: string | null;
  content_type: string | null;
  body: string | null;
  /** The text/plain and text/html bodies, each as a reader preferring it shows it. */
  text: string | null;
  html: string | null;
  /** Content types of the multiparts, outermost first. */
  multiparts: string[];
  /** Every leaf part in order, and the attachments among them (iter_attachments). */
  parts: PythonPart[];
  attachments: PythonPart[];
  defects: string[];
}

export interface PythonPart {
  content_type: string;
  charset: string | null;
  transfer_encoding: string | null;
  disposition: string | null;
  filename: string | null;
  /** Of the decoded octets. */
  size: number;
  sha256: string;
}

const script = fileURLToPath(new URL('../fixtures/parse-mail.py', import.meta.url));

export function parseWithPython(message: Buffer): Promise<PythonView> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [script], { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`python3 failed: ${stderr || err.message}`));
      else resolve(JSON.parse(stdout) as PythonView);
    });
    child.stdin?.end(message);
  });
}
