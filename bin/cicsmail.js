#!/usr/bin/env node
// The `cicsmail` command: runs the compiled CLI (npm install builds it; so does npm run build).
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  console.error('cicsmail: not built yet; run `npm run build` in the project folder');
  process.exit(2);
}
const cli = await import(main.href);
process.exitCode = await cli.main(process.argv.slice(2));
