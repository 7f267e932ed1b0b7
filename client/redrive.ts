// Redrive: the recorded tasks submitted again to a region, as they came (tranid, COMMAREA
// or channel, CCSID, jobname), at their recorded pace or as fast as allowed, and their
// outcomes compared with the originals, RC by RC.
import { containersNotKept, outcomeText, type TaskEntry } from '../journal/task-log.js';
import { channelOf, type ChannelBody } from './channel.js';
import { outcomeOf } from './protocol.js';
import { RegionUnreachable, type RegionClient } from './region-client.js';

/** The outcome of a task that was not run again: its channel was larger than the task log keeps. */
export const NOT_KEPT = 'NOT REDRIVEN: containers not kept';

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

async function submit(task: TaskEntry, region: RegionClient): Promise<string> {
  try {
    // As its own user: with an administrator's credentials, the region runs it as that user.
    const { answer } = await region.runTask(task.tranid, bodyOf(task), {
      ccsid: task.ccsid,
      jobname: task.jobname,
      userid: task.userid,
    });
    return outcomeOf(answer);
  } catch (err) {
    if (err instanceof RegionUnreachable) return `UNREACHABLE ${err.message}`;
    throw err;
  }
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
    };
  }
  const first = tasks[0] ? Date.parse(tasks[0].at) : 0;
  const results = new Array<RedriveTask>(tasks.length);
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
      const now = containersNotKept(task) > 0 ? NOT_KEPT : await submit(task, options.region);
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
    url: options.region.url,
    dryRun: false,
    tasks: tasks.length,
    same: tasks.length - differences.length,
    different: differences.length,
    transitions,
    differences,
    elapsedMs: Date.now() - started,
  };
}
