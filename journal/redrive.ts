// Redrive: the recorded tasks submitted again to a region, as they came (tranid, COMMAREA
// or channel, CCSID, jobname), at their recorded pace or as fast as allowed, and their
// outcomes compared with the originals, RC by RC.
import type { Journal } from './journal.js';
import { matches, type RecordFilter } from './query.js';
import { containersNotKept, outcomeText, type TaskEntry } from './task-log.js';

/** The outcome of a task that was not run again: its channel was larger than the task log keeps. */
export const NOT_KEPT = 'NOT REDRIVEN: containers not kept';

export interface RedriveOptions {
  /** The region's base URL, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly filter: RecordFilter;
  readonly limit: number;
  /** Replay the recorded gaps between tasks divided by this; null: as fast as `concurrency` allows. */
  readonly speed: number | null;
  /** Tasks in flight at once, at most. */
  readonly concurrency: number;
  /** An Authorization header value for the region, where it wants one. */
  readonly authorization?: string;
  readonly dryRun: boolean;
}

export interface RedriveTask {
  readonly id: number;
  readonly tranid: string;
  readonly at: string;
  readonly was: string;
  /** Absent in a dry run. */
  readonly now?: string;
}

export interface RedriveReport {
  readonly url: string;
  readonly dryRun: boolean;
  readonly tasks: number;
  readonly same: number;
  readonly different: number;
  /** `was -> now` with how many tasks went that way, e.g. `RC 4 -> RC 0`. */
  readonly transitions: Readonly<Record<string, number>>;
  /** The tasks whose outcome changed (all of them in a dry run: what would be sent). */
  readonly differences: readonly RedriveTask[];
  readonly elapsedMs: number;
}

/** Fields of a filter that only a task's mails can answer. */
const MAIL_FIELDS = ['state', 'recipient', 'messageId'] as const;

/** Task entries the filter picks: by their own fields, or where it asks about mails, by their mails'. */
export function selectTasks(journal: Journal, filter: RecordFilter, limit: number): TaskEntry[] {
  const byMail = MAIL_FIELDS.some((f) => filter[f] !== undefined);
  const out: TaskEntry[] = [];
  for (const task of journal.tasks.scan()) {
    if (out.length >= limit) break;
    if (filter.tranid && task.tranid !== filter.tranid.toUpperCase()) continue;
    if (filter.userid && task.userid !== filter.userid.toUpperCase()) continue;
    if (filter.jobname && task.jobname !== filter.jobname.toUpperCase()) continue;
    if (filter.since && task.at < new Date(filter.since).toISOString()) continue;
    if (filter.until && task.at >= new Date(filter.until).toISOString()) continue;
    if (byMail && !task.journalSeqs.some((seq) => {
      const record = journal.get(seq);
      return record !== undefined && matches(record, filter);
    })) continue;
    out.push(task);
  }
  return out;
}

/** The HTTP request that runs the task again, in the form it first came. */
export function requestOf(task: TaskEntry, authorization?: string): { headers: Record<string, string>; body: Uint8Array | string | FormData } {
  const headers: Record<string, string> = { 'x-cics-ccsid': String(task.ccsid) };
  if (task.jobname !== '') headers['x-cics-jobname'] = task.jobname;
  // As its own user: with an administrator's credentials, the region runs it as that user.
  headers['x-cics-userid'] = task.userid;
  if (authorization) headers.authorization = authorization;
  if (task.containers.length > 0) {
    const form = new FormData();
    const area = task.commarea;
    form.append('DFHCOMMAREA', area.form === 'json'
      ? new Blob([JSON.stringify(area.json)], { type: 'application/json' })
      : new Blob([area.bytes], { type: 'application/octet-stream' }), 'DFHCOMMAREA');
    for (const c of task.containers) if (c.data !== null) form.append(c.name, new Blob([c.data], { type: c.contentType }), c.filename ?? c.name);
    return { headers, body: form };
  }
  if (task.commarea.form === 'json') return { headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(task.commarea.json) };
  return { headers: { ...headers, 'content-type': 'application/octet-stream' }, body: task.commarea.bytes };
}

async function submit(task: TaskEntry, options: RedriveOptions): Promise<string> {
  const { headers, body } = requestOf(task, options.authorization);
  const url = new URL(`cics/${task.tranid}`, options.url.endsWith('/') ? options.url : `${options.url}/`);
  try {
    const res = await fetch(url, { method: 'POST', headers, body });
    await res.arrayBuffer();
    if (res.status === 200) {
      const rc = res.headers.get('x-mail-rc');
      return rc === null ? 'NORMAL' : `RC ${rc}`;
    }
    const resp = res.headers.get('x-cics-resp') ?? `HTTP ${res.status}`;
    const abcode = res.headers.get('x-cics-abcode');
    return abcode ? `${resp} ${abcode}` : resp;
  } catch (err) {
    const cause = (err as Error & { cause?: Error }).cause;
    return `UNREACHABLE ${cause?.message ?? (err as Error).message}`;
  }
}

export async function redrive(journal: Journal, options: RedriveOptions): Promise<RedriveReport> {
  const started = Date.now();
  const tasks = selectTasks(journal, options.filter, options.limit);
  if (options.dryRun) {
    const differences = tasks.map((t) => ({ id: t.id, tranid: t.tranid, at: t.at, was: outcomeText(t.outcome) }));
    return { url: options.url, dryRun: true, tasks: tasks.length, same: 0, different: 0, transitions: {}, differences, elapsedMs: 0 };
  }
  const first = tasks[0] ? Date.parse(tasks[0].at) : 0;
  const results: RedriveTask[] = new Array(tasks.length);
  let next = 0;
  // Each lane takes the next task in recorded order and, with a speed, waits for its time.
  const lane = async () => {
    for (let i = next++; i < tasks.length; i = next++) {
      const task = tasks[i] as TaskEntry;
      if (options.speed !== null) {
        const due = started + (Date.parse(task.at) - first) / options.speed;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
      // Sent without its attachments, the task would be another task: it is reported, not run.
      const now = containersNotKept(task) > 0 ? NOT_KEPT : await submit(task, options);
      results[i] = { id: task.id, tranid: task.tranid, at: task.at, was: outcomeText(task.outcome), now };
    }
  };
  await Promise.all(Array.from({ length: Math.min(options.concurrency, tasks.length) }, lane));
  const transitions: Record<string, number> = {};
  for (const r of results) {
    const key = `${r.was} -> ${r.now}`;
    transitions[key] = (transitions[key] ?? 0) + 1;
  }
  const differences = results.filter((r) => r.was !== r.now);
  return {
    url: options.url,
    dryRun: false,
    tasks: tasks.length,
    same: tasks.length - differences.length,
    different: differences.length,
    transitions,
    differences,
    elapsedMs: Date.now() - started,
  };
}
