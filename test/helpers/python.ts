// The Python that reads mail, CSV and spreadsheets back in tests. The system's own
// interpreter where there is one: it has the Debian packages the tests need (openpyxl),
// and it starts in about 80 ms where a version manager's shim took over a second.
import { existsSync } from 'node:fs';

export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
