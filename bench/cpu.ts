// The CPU a 2 KB mail costs the region, beside two floors measured in the same run: what
// one request costs a fastify server that only echoes it (the HTTP floor: the echo server of
// (c), a process of its own) and what one mail costs a client that only hands the composed
// message to smtp-sink (the SMTP floor: bench/smtp-client.ts, a process of its own). Each
// is a process's own CPU, user and system, every thread, over a measured run, divided by
// what it answered or sent.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** CPU time a process has spent (user and system, ms), from /proc; null where there is none. */
export function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name in parentheses: state is field 3, utime 14 and stime 15 (USER_HZ ticks, 100 a second).
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/**
 * `run` with the CPU process `pid` spent over it, in µs for each of what `count` says the
 * run did; null where /proc cannot tell or the run did nothing.
 */
export async function cpuEach<T>(
  pid: number | undefined,
  run: () => Promise<T>,
  count: (result: T) => number,
): Promise<{ result: T; cpuUs: number | null }> {
  const before = pid === undefined ? null : processCpuMs(pid);
  const result = await run();
  const after = pid === undefined ? null : processCpuMs(pid);
  const n = count(result);
  return { result, cpuUs: before !== null && after !== null && n > 0 ? ((after - before) * 1000) / n : null };
}

export interface SmtpFloor {
  readonly mailsPerSec: number;
  readonly cpuUsPerMail: number;
  readonly mails: number;
}

/** bench/smtp-client.js: the message in `file` to smtp-sink on `port`, its own CPU a mail. */
export async function smtpFloor(
  port: number,
  file: string,
  plan: { readonly connections: number; readonly warmupS: number; readonly runS: number },
): Promise<SmtpFloor> {
  const script = fileURLToPath(new URL('./smtp-client.js', import.meta.url));
  const argv = [
    script,
    '--port',
    String(port),
    '--file',
    file,
    '--connections',
    String(plan.connections),
    '--warmup',
    String(plan.warmupS),
    '--run',
    String(plan.runS),
  ];
  const stdout = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`the SMTP client exited with ${code}: ${err.trim()}`)),
    );
  });
  const { mails, seconds, cpuUs } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}') as {
    mails: number;
    seconds: number;
    cpuUs: number;
  };
  if (!(mails > 0)) throw new Error(`the SMTP client sent no mail: ${stdout.trim()}`);
  return { mailsPerSec: mails / seconds, cpuUsPerMail: cpuUs / mails, mails };
}
