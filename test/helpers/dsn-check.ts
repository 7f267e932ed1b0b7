// Python's `email` package reads a delivery status report too: an independent reading of
// its blocks to hold the project's parser against.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PYTHON } from './python.js';

export interface PythonReading {
  readonly content_type: string;
  /** Each block's [name, value] pairs in order; null where Python finds no delivery-status part. */
  readonly blocks: [string, string][][] | null;
}

const SCRIPT = fileURLToPath(new URL('../fixtures/read-dsn.py', import.meta.url));

export function pythonBlocks(raw: Uint8Array): Promise<PythonReading> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [SCRIPT], (err, stdout, stderr) =>
      err ? reject(new Error(stderr || err.message)) : resolve(JSON.parse(stdout) as PythonReading),
    );
    child.stdin?.end(raw);
  });
}
