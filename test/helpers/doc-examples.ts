// A document followed line by line: its shell examples, in order, each command line run by a
// check of the test's (or said why not), and an output the document shows after a command
// compared with what the command printed. An example with no check, or a check with no
// example, fails the test: the document and its test cannot drift apart. The README's test
// (test/readme-examples.test.ts) and the docs' (test/docs/*-examples.test.ts) use this.
import { spawn } from 'node:child_process';
import type { Test } from 'tap';

export interface Block {
  readonly lang: string;
  readonly lines: string[];
}

/** A document's fenced blocks, in order. */
export function fencedBlocks(text: string): Block[] {
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    lang: m[1] ?? '',
    lines: (m[2] ?? '').replace(/\n$/, '').split('\n'),
  }));
}

/** The command lines of a shell block: continuation lines and here-documents joined, comments left out. */
function commandsOf(lines: readonly string[]): string[] {
  const commands: string[] = [];
  for (let i = 0; i < lines.length;) {
    let command = lines[i++] as string;
    while (command.endsWith('\\') && i < lines.length) command += `\n${lines[i++]}`;
    const here = /<<'(\w+)'/.exec(command)?.[1];
    if (here) {
      while (i < lines.length) {
        const line = lines[i++] as string;
        command += `\n${line}`;
        if (line === here) break;
      }
    }
    if (command.trim() && !command.trimStart().startsWith('#')) commands.push(command);
  }
  return commands;
}

export interface Example {
  readonly command: string;
  /** The output block the document shows after the command's block, for its last command. */
  readonly shown?: string[];
}

/** Each shell command of `text`, with the output it shows after it. */
export function examples(text: string): Example[] {
  const list: { command: string; shown?: string[] }[] = [];
  for (const block of fencedBlocks(text)) {
    if (block.lang === 'sh') list.push(...commandsOf(block.lines).map((command) => ({ command })));
    else if (block.lang === '' && list.length > 0) (list.at(-1) as { shown?: string[] }).shown = block.lines;
  }
  return list;
}

/** Whether `printed` is what the document shows: `…` stands for any text, a line of it for any lines. */
export function shownMatches(shown: readonly string[], printed: readonly string[]): boolean {
  const line = (pattern: string) =>
    new RegExp(
      `^${pattern
        .split('…')
        .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*')}$`,
    );
  const match = (i: number, j: number): boolean => {
    if (i === shown.length) return j === printed.length;
    if (shown[i] === '…') return [...Array(printed.length - j + 1).keys()].some((k) => match(i + 1, j + k));
    return j < printed.length && line(shown[i] as string).test(printed[j] as string) && match(i + 1, j + 1);
  };
  return match(0, 0);
}

export interface Run {
  readonly code: number;
  readonly stdout: Buffer;
  readonly stderr: string;
}

/** `command` through /bin/sh in `cwd` with `env` alone. */
export function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

export interface Check {
  /** The document's command: its first line, from the start. */
  readonly starts: string;
  /** Why the test does not run it; or, for a variable the test sets, what it sets. */
  readonly skip?: string;
  /** The command the test runs in its place. */
  readonly instead?: string;
  /** For a command not run (`skip`): what the test checks of its text all the same. */
  readonly inspect?: (t: Test, command: string) => void;
  /** Runs the command itself (one that does not end by itself: started, checked, stopped). */
  readonly run?: (t: Test, command: string) => Promise<Run>;
  readonly check?: (t: Test, run: Run) => Promise<void> | void;
}

export interface Follow {
  /** The document's text. */
  readonly text: string;
  /** Where the commands run, and their environment (a shell the document set up). */
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  readonly checks: readonly Check[];
  /** What the test puts in place of the document's addresses in a shown output. */
  readonly shownAs?: (line: string) => string;
}

/** Runs `doc`'s examples in order, each by its check; fails on an example without one and a check without its example. */
export async function followDoc(t: Test, doc: Follow): Promise<void> {
  const used = new Set<Check>();
  for (const { command, shown } of examples(doc.text)) {
    const first = command.split('\n')[0] as string;
    const check = doc.checks.find((c) => first.startsWith(c.starts) && !used.has(c));
    if (!check) {
      t.fail(`the document's \`${first}\` has no check here`);
      continue;
    }
    used.add(check);
    if (check.skip) {
      t.comment(`not run: ${first}: ${check.skip}`);
      const inspect = check.inspect;
      if (inspect) await t.test(`${first} (read, not run)`, async (t) => inspect(t, command));
      continue;
    }
    await t.test(first, async (t) => {
      const run = check.run ? await check.run(t, command) : await sh(check.instead ?? command, doc.cwd, doc.env);
      await check.check?.(t, run);
      if (shown) {
        const printed = run.stdout.toString('utf8').trimEnd().split(/\r?\n/);
        const expected = shown.map((l) => doc.shownAs?.(l) ?? l);
        t.ok(shownMatches(expected, printed), 'the output the document shows', { printed, expected });
      }
    });
  }
  t.same(
    doc.checks.filter((c) => !used.has(c)).map((c) => c.starts),
    [],
    'every check has its example in the document',
  );
}
