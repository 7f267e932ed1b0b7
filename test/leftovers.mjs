// Run by tap after every test file has ended (`after` in package.json): fails the run where a
// process the tests started still lives, and ends it. Such a process holds ports, temp
// folders and CPU on the machine the next run shares. It is recognised by what tap gives
// every process of this run (the environment variable of its run id), or, for a daemon
// that sheds its environment (Postfix's master), by its working folder: a temp folder whose
// name carries the same run id (test/postfix.ts names its instances so).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

const RUN = process.env._TAPJS_PROCESSINFO_ROOT_;
if (!RUN) {
  console.error('leftovers: no tap run id in the environment; nothing to check');
  process.exit(0);
}
const marker = `_TAPJS_PROCESSINFO_ROOT_=${RUN}`;
const runTag = RUN.slice(0, 8);

/** This process and the ones above it (tap, npm, the shell): they are the run, not its leftovers. */
function ancestors() {
  const pids = new Set();
  let pid = process.pid;
  while (pid > 1 && !pids.has(pid)) {
    pids.add(pid);
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    } catch {
      break;
    }
  }
  return pids;
}

function leftovers() {
  const mine = ancestors();
  const found = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || mine.has(Number(name))) continue;
    let ours = false;
    try {
      ours = readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(marker);
    } catch {
      // gone, or not ours to read
    }
    if (!ours) {
      try {
        const cwd = readlinkSync(`/proc/${name}/cwd`);
        ours = cwd.includes('/cicsmail-') && cwd.includes(runTag);
      } catch {
        // gone
      }
    }
    if (!ours) continue;
    let command = '?';
    try {
      command = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').join(' ').trim().slice(0, 200);
    } catch {
      continue;
    }
    found.push({ pid: Number(name), command });
  }
  return found;
}

// A process a teardown signalled may take a moment to go: ten seconds, as a real wait gets
// ten times what it needs.
let left = leftovers();
for (let i = 0; i < 100 && left.length > 0; i++) {
  await new Promise((resolve) => setTimeout(resolve, 100));
  left = leftovers();
}
if (left.length === 0) process.exit(0);
console.error(`leftovers: ${left.length} process(es) started by the tests outlived them; ending them:`);
for (const { pid, command } of left) {
  console.error(`  pid ${pid}: ${command}`);
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone meanwhile
  }
}
process.exit(1);
