// Redrive: the recorded tasks submitted again to a region, as they came (tranid, COMMAREA
// or channel, CCSID, jobname), at their recorded pace or as fast as allowed, and their
// outcomes compared with the originals, RC by RC.
import { containersNotKept, outcomeText, type TaskEntry } from '../journal/task-log.js';
import { channelOf, type ChannelBody } from './channel.js';
import { RegionAnswerTooLarge, RegionUnreachable } from './errors.js';
import { outcomeOf } from './protocol.js';
import type { RegionClient } from './region-client.js';

/** The outcome of a task that was not run again: its channel was larger than the task log keeps. */
export const NOT_KEPT = 'NOT REDRIVEN: containers not kept';

/** The outcome of a task not run again because the region stopped answering (or taking the credentials) before its turn. */
export const NOT_RUN = 'NOT REDRIVEN: the run stopped';

export interface RedriveOptions {
  /** The region to run the tasks on, with an administrator's credentials (each task runs as its own user). */
  readonly region: RegionClient;
  /** Replay the recorded gaps between tasks divided by this; null: as fast as `concurrency` allows. */
  readonly speed: number | null;
  /** Tasks in flight at once, at most. */
  readonly concurrency: number;
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
  /** Why the run stopped before its last task (the region stopped answering, or refused the credentials); null where it ran them all. */
  readonly stopped: string | null;
}

/** The body that runs the task again, in the form it first came. */
export function bodyOf(task: TaskEntry): ChannelBody {
  const area = task.commarea;
  if (task.containers.length > 0) {
    const commarea =
      area.form === 'json'
        ? { name: 'DFHCOMMAREA', contentType: 'application/json', data: Buffer.from(JSON.stringify(area.json), 'utf8') }
        : { name: 'DFHCOMMAREA', contentType: 'application/octet-stream', data: area.bytes };
    const containers = task.containers.flatMap((c) =>
      c.data === null
        ? []
        : [{ name: c.name, contentType: c.contentType, filename: c.filename ?? c.name, data: c.data }],
    );
    return channelOf([{ ...commarea, filename: 'DFHCOMMAREA' }, ...containers]);
  }
  if (area.form === 'json')
    return { parts: [Buffer.from(JSON.stringify(area.json), 'utf8')], contentType: 'application/json' };
  return { parts: [area.bytes], contentType: 'application/octet-stream' };
}

/** A task's outcome, or why the run cannot go on (nothing more would reach the region). */
type Submitted = { readonly now: string } | { readonly stop: string };

async function submit(task: TaskEntry, region: RegionClient): Promise<Submitted> {
  try {
    // As its own user: with an administrator's credentials, the region runs it as that user.
    const { answer } = await region.runTask(task.tranid, bodyOf(task), {
      ccsid: task.ccsid,
      jobname: task.jobname,
      userid: task.userid,
    });
    // The credentials were refused: no task ran, and none will.
    if (answer.status === 401) return { stop: `the region at ${region.url} refused the credentials (HTTP 401)` };
    return { now: outcomeOf(answer) };
  } catch (err) {
    if (err instanceof RegionUnreachable || err instanceof RegionAnswerTooLarge) return { stop: err.message };
    throw err;
  }
}

/**
 * Before any task is sent: the region answers, and takes the credentials as an
 * administrator's (each task runs as its own user, which only an administrator may ask).
 * Rejects with the region's refusal or why it cannot be reached: one error, not a changed
 * outcome a task.
 */
export async function checkRedriveRegion(region: RegionClient): Promise<void> {
  const res = await region.request('/journal?limit=1');
  if (res.status !== 200) throw region.refused(res.status, res.body.toString('utf8'));
}

/** Runs `tasks` (journal/query.ts findTasks picks them) again on the region, or says what would run. */
export async function redrive(tasks: readonly TaskEntry[], options: RedriveOptions): Promise<RedriveReport> {
  const started = Date.now();
  if (options.dryRun) {
    const differences = tasks.map((t) => ({ id: t.id, tranid: t.tranid, at: t.at, was: outcomeText(t.outcome) }));
    return {
      url: options.region.url,
      dryRun: true,
      tasks: tasks.length,
      same: 0,
      different: 0,
      transitions: {},
      differences,
      elapsedMs: 0,
      stopped: null,
    };
  }
  if (tasks.length > 0) await checkRedriveRegion(options.region);
  const first = tasks[0] ? Date.parse(tasks[0].at) : 0;
  const results = new Array<RedriveTask>(tasks.length);
  let next = 0;
  let stopped: string | null = null;
  // Each lane takes the next task in recorded order and, with a speed, waits for its time.
  // Once the region stops answering, the tasks not yet sent are not run: reported, not failed one by one.
  const lane = async () => {
    for (let i = next++; i < tasks.length; i = next++) {
      const task = tasks[i] as TaskEntry;
      const result = (now: string) => ({
        id: task.id,
        tranid: task.tranid,
        at: task.at,
        was: outcomeText(task.outcome),
        now,
      });
      if (options.speed !== null && stopped === null) {
        const due = started + (Date.parse(task.at) - first) / options.speed;
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      }
      // Sent without its attachments, the task would be another task: it is reported, not run.
      if (containersNotKept(task) > 0) {
        results[i] = result(NOT_KEPT);
        continue;
      }
      if (stopped !== null) {
        results[i] = result(NOT_RUN);
        continue;
      }
      const submitted = await submit(task, options.region);
      if ('stop' in submitted) stopped ??= submitted.stop;
      results[i] = result('stop' in submitted ? NOT_RUN : submitted.now);
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
    url: options.region.url,
    dryRun: false,
    tasks: tasks.length,
    same: tasks.length - differences.length,
    different: differences.length,
    transitions,
    differences,
    elapsedMs: Date.now() - started,
    stopped,
  };
}
