// cicsmail cemt: CEMT from a shell. INQUIRE and SET of tasks, transactions, programs,
// transaction classes and the region, INQUIRE and CANCEL of STARTs, through the region's /cemt routes (an administrator's
// HTTP Basic credentials), printed in aligned columns or, with --json, as the region answered.
import { shapeOf, type Shape } from '../client/answer-shape.js';
import type { RegionClient } from '../client/region-client.js';
import { out, type CommandIo } from './io.js';
import { helpHint, orList, parseCommand, regionOf, timeoutOf, unknownWord, UsageError, wholeNumber } from './usage.js';
import { NAME8 } from '../cics/names.js';

const HELP = `usage: cicsmail cemt inquire task|transaction [TRANID]|program [NAME]|tranclass [NAME]
                            |system|start [REQID] [--all]
       cicsmail cemt cancel start REQID
       cicsmail cemt set transaction TRANID [enabled|disabled] [--class NAME|--no-class]
                                            [--time-limit MS]
       cicsmail cemt set program NAME --newcopy
       cicsmail cemt set tranclass NAME [--max-active N] [--purge-threshold N|none]
       cicsmail cemt set system [--max-tasks N] [--max-queued N]
       options: [--url URL] [--user ID:PASSWORD] [--json] [--timeout S]

CEMT from a shell, through the region's /cemt routes (for administrators).

  inquire task         the tasks in the region now: task number, tranid, user, jobname,
                       age in seconds, running or queued
  inquire transaction  each transaction (or TRANID): enabled or disabled, class, time
                       limit, program and copybook
  inquire program      each program (or NAME): built in, template or module, the version
                       of its copy, the transactions that run it, a module's file
  inquire tranclass    each transaction class (or NAME): MAXACTIVE, PURGETHRESH, tasks
                       active and queued
  inquire system       tasks run (by tranid), abends by code, mails by state, MAXTASKS,
                       pool, queue and journal backlog
  inquire start        the STARTs waiting (or REQID, or with --all every one on record):
                       REQID, tranid, user, when due, state, and once ended the task, its
                       outcome and its mails
  cancel start         CANCEL REQID: a START that waits never runs
  set transaction      enable or disable TRANID (callers of a disabled one get 503
                       DISABLED), put it in a class (--no-class: in none), change its
                       time limit
  set program --newcopy  read a template program's templates (from the region file as it
                       is now) or a module's file again: tasks that start from now on run
                       the new copy, tasks already running keep theirs; refused, the old
                       copy kept, where the new one has a fault
  set tranclass        make or change a class; a value left out stays as it is (a new
                       class needs --max-active; its PURGETHRESH is none unless given)
  set system           MAXTASKS and the bound of the region's queue (--max-queued)

Keywords may be cut short to a unique prefix, as in CEMT: 'cicsmail cemt i tas',
'cicsmail cemt s trans MAIL dis', 'cicsmail cemt i st'.

  --url URL    the region (default CICSMAIL_URL, else http://127.0.0.1:CICSMAIL_PORT,
               port 8080 where that is unset)
  --user ID:PW an administrator's HTTP Basic credentials (default CICSMAIL_USER)
  --json       print the region's JSON answer instead of columns
  --timeout S  seconds to wait for the region's answer (default 60)

Exit code: 0 done, 1 the region refused (its reason on standard error) or could not be
reached, 2 bad usage.`;

// The region's answers (region/routes/cemt.ts), as they come over the wire.
interface TaskView {
  readonly taskn: number;
  readonly tranid: string;
  readonly user: string;
  readonly jobname: string;
  readonly ageMs: number;
  readonly state: string;
}

interface TransactionView {
  readonly tranid: string;
  readonly enabled: boolean;
  readonly class: string | null;
  readonly timeLimitMs: number;
  readonly program?: string | null;
  readonly copybook?: string | null;
  readonly description?: string;
}

interface ProgramView {
  readonly program: string;
  readonly kind: string;
  readonly version: number | null;
  readonly transactions: readonly string[];
  readonly file?: string;
}

interface ClassView {
  readonly maxActive: number;
  readonly purgeThreshold: number | null;
  readonly active?: number;
  readonly queued?: number;
}

interface RegionView {
  readonly sysid: string;
  readonly startedAt: string;
  readonly tasks: { readonly run: number; readonly byTranid: Record<string, number>; readonly now: number };
  readonly abends: Record<string, number>;
  readonly mails: Record<string, number>;
  readonly maxTasks: number;
  readonly maxQueued: number | null;
  readonly pool: {
    readonly workers: number;
    readonly capacity: number;
    readonly running: number;
    readonly queued: number;
  };
  readonly classes: Record<string, ClassView>;
  readonly journalBacklog: number;
  readonly startsWaiting?: number;
  readonly journalSpace: string;
}

interface StartView {
  readonly reqid: string;
  readonly tranid: string;
  readonly user: string;
  readonly jobname: string;
  readonly state: string;
  readonly dueAt: string;
  readonly requestedAt: string;
  readonly taskn?: number;
  readonly outcome?: string;
  readonly journalSeqs?: readonly number[];
}

// The same answers' shapes, checked before a line is printed from them: a region of another
// version or a proxy's page fails the command with what is wrong, not a TypeError.
const int = { type: 'integer' } as const;
const str = { type: 'string' } as const;
const intOrNull = { type: ['integer', 'null'] } as const;
const tally = { type: 'object', additionalProperties: { type: 'number' } } as const;
const TRANSACTION_SCHEMA = {
  type: 'object',
  required: ['tranid', 'enabled', 'class', 'timeLimitMs'],
  properties: { tranid: str, enabled: { type: 'boolean' }, class: { type: ['string', 'null'] }, timeLimitMs: int },
} as const;
const CLASS_SCHEMA = {
  type: 'object',
  required: ['maxActive', 'purgeThreshold'],
  properties: { maxActive: int, purgeThreshold: intOrNull, active: int, queued: int },
} as const;
const TASKS = shapeOf<TaskView[]>('GET /cemt/tasks', {
  type: 'array',
  items: {
    type: 'object',
    required: ['taskn', 'tranid', 'user', 'jobname', 'ageMs', 'state'],
    properties: { taskn: int, tranid: str, user: str, jobname: str, ageMs: { type: 'number' }, state: str },
  },
});
const TRANSACTIONS = shapeOf<TransactionView[]>('GET /cemt/transactions', { type: 'array', items: TRANSACTION_SCHEMA });
const TRANSACTION = shapeOf<TransactionView>('PUT /cemt/transactions', TRANSACTION_SCHEMA);
const CLASS = shapeOf<ClassView & { class: string }>('PUT /cemt/classes', {
  ...CLASS_SCHEMA,
  required: [...CLASS_SCHEMA.required, 'class'],
  properties: { ...CLASS_SCHEMA.properties, class: str },
});
const SYSTEM = shapeOf<{ maxTasks: number; maxQueued: number | null }>('PUT /cemt/region', {
  type: 'object',
  required: ['maxTasks', 'maxQueued'],
  properties: { maxTasks: int, maxQueued: intOrNull },
});
const REGION = shapeOf<RegionView>('GET /cemt/region', {
  type: 'object',
  required: [
    'sysid',
    'startedAt',
    'tasks',
    'abends',
    'mails',
    'maxTasks',
    'maxQueued',
    'pool',
    'classes',
    'journalBacklog',
    'journalSpace',
  ],
  properties: {
    sysid: str,
    startedAt: str,
    tasks: {
      type: 'object',
      required: ['run', 'byTranid', 'now'],
      properties: { run: int, byTranid: tally, now: int },
    },
    abends: tally,
    mails: tally,
    maxTasks: int,
    maxQueued: intOrNull,
    pool: {
      type: 'object',
      required: ['workers', 'capacity', 'running', 'queued'],
      properties: { workers: int, capacity: int, running: int, queued: int },
    },
    classes: { type: 'object', additionalProperties: CLASS_SCHEMA },
    journalBacklog: int,
    journalSpace: str,
  },
});

const PROGRAM_SCHEMA = {
  type: 'object',
  required: ['program', 'kind', 'version', 'transactions'],
  properties: { program: str, kind: str, version: intOrNull, transactions: { type: 'array', items: str }, file: str },
} as const;
const PROGRAMS = shapeOf<ProgramView[]>('GET /cemt/programs', { type: 'array', items: PROGRAM_SCHEMA });
const PROGRAM = shapeOf<ProgramView>('PUT /cemt/programs', PROGRAM_SCHEMA);
const START_SCHEMA = {
  type: 'object',
  required: ['reqid', 'tranid', 'user', 'jobname', 'state', 'dueAt', 'requestedAt'],
  properties: {
    reqid: str,
    tranid: str,
    user: str,
    jobname: str,
    state: str,
    dueAt: str,
    requestedAt: str,
    taskn: int,
    outcome: str,
    journalSeqs: { type: 'array', items: int },
  },
} as const;
const START = shapeOf<StartView>('GET /cemt/starts/{reqid}', START_SCHEMA);
const STARTS = shapeOf<StartView[]>('GET /cemt/starts', { type: 'array', items: START_SCHEMA });

const VERBS = ['inquire', 'set', 'cancel'] as const;
const INQUIRE = ['task', 'transaction', 'program', 'tranclass', 'system', 'start'] as const;
const CANCEL = ['start'] as const;
const SET = ['transaction', 'program', 'tranclass', 'system'] as const;
const STATES = ['enabled', 'disabled'] as const;

/** The options each command takes, past --url, --user and --json. */
const OPTIONS: Readonly<Record<string, readonly string[]>> = {
  'set transaction': ['class', 'no-class', 'time-limit'],
  'set program': ['newcopy'],
  'set tranclass': ['max-active', 'purge-threshold'],
  'set system': ['max-tasks', 'max-queued'],
  'inquire start': ['all'],
};
const COMMON = new Set(['url', 'user', 'json', 'timeout', 'help']);

/** The keyword `word` stands for: itself or a unique prefix of one, in any case (CEMT lets 'i tas'). */
function keyword<K extends string>(word: string | undefined, choices: readonly K[], what: string): K {
  if (word === undefined) throw new UsageError(`${what} needs ${orList(choices)}; ${helpHint('cemt')}`);
  const w = word.toLowerCase();
  const hits = choices.filter((c) => c.startsWith(w));
  const exact = hits.find((c) => c === w);
  if (exact !== undefined) return exact;
  if (hits.length === 1 && hits[0] !== undefined) return hits[0];
  if (hits.length > 1) throw new UsageError(`${what}: '${word}' could be ${orList(hits)}; give more of it`);
  throw unknownWord('keyword', word, choices, 'cemt', what);
}

function className(value: string, name: string): string {
  const upper = value.toUpperCase();
  if (!NAME8.test(upper))
    throw new UsageError(`${name} '${value}' is not a class name: 1 to 8 characters of A-Z 0-9 @ # $`);
  return upper;
}

/** Lines of columns, each as wide as its widest cell; the columns in `right` right-aligned. */
function table(head: readonly string[], rows: readonly (readonly string[])[], right: readonly number[] = []): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(head), ...rows.map(line)];
}

/** `NAME value` lines with the names in one column. */
function labelled(pairs: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
}

const counts = (byKey: Record<string, number>) => {
  const list = Object.entries(byKey).map(([k, n]) => `${k} ${n}`);
  return list.length > 0 ? list.join(', ') : 'none';
};
const threshold = (n: number | null | undefined) => (n === null || n === undefined ? 'none' : String(n));

function transactionLines(list: readonly TransactionView[], withDescription: boolean): string[] {
  const more = withDescription ? ['PROGRAM', 'COPYBOOK', 'DESCRIPTION'] : [];
  const head = ['TRAN', 'STATUS', 'CLASS', 'TIMELIMIT(MS)', ...more];
  const rows = list.map((d) => [
    d.tranid,
    d.enabled ? 'enabled' : 'disabled',
    d.class ?? '-',
    String(d.timeLimitMs),
    ...(withDescription ? [d.program ?? '-', d.copybook ?? '-', d.description ?? ''] : []),
  ]);
  return table(head, rows, [3]);
}

function programLines(list: readonly ProgramView[]): string[] {
  const rows = list.map((p) => [
    p.program,
    p.kind,
    p.version === null ? '-' : String(p.version),
    p.transactions.join(','),
    p.file ?? '',
  ]);
  return table(['PROGRAM', 'KIND', 'VERSION', 'TRANSACTIONS', 'FILE'], rows, [2]);
}

function classLines(classes: Record<string, ClassView>): string[] {
  const entries = Object.entries(classes);
  if (entries.length === 0) return ['no transaction classes'];
  const withUse = entries.some(([, c]) => c.active !== undefined);
  const head = ['CLASS', 'MAXACTIVE', 'PURGETHRESH', ...(withUse ? ['ACTIVE', 'QUEUED'] : [])];
  const rows = entries.map(([name, c]) => [
    name,
    String(c.maxActive),
    threshold(c.purgeThreshold),
    ...(withUse ? [String(c.active ?? ''), String(c.queued ?? '')] : []),
  ]);
  return table(head, rows, [1, 2, 3, 4]);
}

function taskLines(tasks: readonly TaskView[]): string[] {
  if (tasks.length === 0) return ['no tasks'];
  const rows = tasks.map((t) => [
    String(t.taskn),
    t.tranid,
    t.user,
    t.jobname || '-',
    (t.ageMs / 1000).toFixed(1),
    t.state,
  ]);
  return table(['TASK', 'TRAN', 'USER', 'JOBNAME', 'AGE(S)', 'STATE'], rows, [0, 4]);
}

function systemLines(r: RegionView): string[] {
  const byTranid = Object.keys(r.tasks.byTranid).length > 0 ? `  (${counts(r.tasks.byTranid)})` : '';
  return labelled([
    ['Sysid', r.sysid],
    ['Started', r.startedAt],
    ['Maxtasks', String(r.maxTasks)],
    ['Maxqueued', threshold(r.maxQueued)],
    ['Tasks run', `${r.tasks.run}${byTranid}`],
    ['Tasks now', String(r.tasks.now)],
    ['Abends', counts(r.abends)],
    ['Mails', counts(r.mails)],
    ['Pool', `${r.pool.workers} workers, capacity ${r.pool.capacity}, ${r.pool.running} running`],
    ['Queue', `${r.pool.queued} waiting`],
    ['Backlog', `${r.journalBacklog} mails due for retry`],
    ['Starts', `${r.startsWaiting ?? 0} waiting`],
    ['Journal', r.journalSpace],
    ['Classes', Object.keys(r.classes).join(', ') || 'none'],
  ]);
}

function startLines(starts: readonly StartView[]): string[] {
  if (starts.length === 0) return ['no STARTs'];
  const rows = starts.map((s) => [
    s.reqid,
    s.tranid,
    s.user,
    s.jobname || '-',
    s.dueAt,
    s.state,
    s.taskn ? String(s.taskn) : '-',
    s.outcome ?? '-',
    s.journalSeqs?.join(',') || '-',
  ]);
  return table(['REQID', 'TRAN', 'USER', 'JOBNAME', 'DUE', 'STATE', 'TASK', 'OUTCOME', 'JOURNAL'], rows, [6]);
}

/** The region's /cemt routes, called as the user given (--user or CICSMAIL_USER). */
class Cemt {
  readonly #region: RegionClient;

  constructor(
    readonly io: CommandIo,
    options: { url: string | undefined; user: string | undefined; timeoutMs: number | undefined },
  ) {
    this.#region = regionOf(io, options);
  }

  print(lines: readonly string[]): void {
    for (const l of lines) out(this.io, l);
  }

  call<T>(method: 'GET' | 'PUT' | 'DELETE', path: string, shape: Shape<T>, body?: unknown): Promise<T> {
    return this.#region.json<T>(method, `/cemt/${path}`, body, shape);
  }
}

async function inquire(
  cemt: Cemt,
  resource: (typeof INQUIRE)[number],
  args: readonly string[],
  json: boolean,
  all = false,
): Promise<void> {
  const [name, ...extra] = args;
  if (extra.length > 0 || (name !== undefined && (resource === 'task' || resource === 'system'))) {
    const takes = {
      transaction: 'one TRANID at most',
      program: 'one program NAME at most',
      tranclass: 'one class NAME at most',
      start: 'one REQID at most',
    };
    throw new UsageError(
      `inquire ${resource} takes ${resource in takes ? takes[resource as keyof typeof takes] : 'no names'}`,
    );
  }
  switch (resource) {
    case 'task': {
      const tasks = await cemt.call('GET', 'tasks', TASKS);
      if (json) out(cemt.io, JSON.stringify(tasks));
      else cemt.print(taskLines(tasks));
      return;
    }
    case 'transaction': {
      let list = await cemt.call('GET', 'transactions', TRANSACTIONS);
      if (name !== undefined) {
        list = list.filter((d) => d.tranid === name.toUpperCase());
        if (list.length === 0) throw new Error(`transaction '${name.toUpperCase()}' is not defined in this region`);
      }
      if (json) out(cemt.io, JSON.stringify(list));
      else cemt.print(transactionLines(list, true));
      return;
    }
    case 'program': {
      let list = await cemt.call('GET', 'programs', PROGRAMS);
      if (name !== undefined) {
        list = list.filter((p) => p.program === name.toUpperCase());
        if (list.length === 0) throw new Error(`program '${name.toUpperCase()}' is not defined in this region`);
      }
      if (json) out(cemt.io, JSON.stringify(list));
      else cemt.print(programLines(list));
      return;
    }
    case 'tranclass': {
      let { classes } = await cemt.call('GET', 'region', REGION);
      if (name !== undefined) {
        const key = name.toUpperCase();
        const one = classes[key];
        if (!one) throw new Error(`class ${key} is not defined in this region`);
        classes = { [key]: one };
      }
      if (json) out(cemt.io, JSON.stringify(classes));
      else cemt.print(classLines(classes));
      return;
    }
    case 'system': {
      const region = await cemt.call('GET', 'region', REGION);
      if (json) out(cemt.io, JSON.stringify(region));
      else cemt.print(systemLines(region));
      return;
    }
    case 'start': {
      if (name !== undefined && all) throw new UsageError('inquire start takes a REQID or --all, not both');
      const list =
        name !== undefined
          ? [await cemt.call('GET', `starts/${encodeURIComponent(name)}`, START)]
          : await cemt.call('GET', all ? 'starts?all=true' : 'starts', STARTS);
      if (json) out(cemt.io, JSON.stringify(list));
      else cemt.print(startLines(list));
      return;
    }
  }
}

async function cancel(cemt: Cemt, args: readonly string[], json: boolean): Promise<void> {
  const [reqid, ...extra] = args;
  if (reqid === undefined) throw new UsageError('cancel start needs a REQID');
  if (extra.length > 0) throw new UsageError(`cancel start takes one REQID, not '${args.join(' ')}'`);
  const answer = await cemt.call('DELETE', `starts/${encodeURIComponent(reqid)}`, START);
  if (json) out(cemt.io, JSON.stringify(answer));
  else cemt.print(startLines([answer]));
}

interface SetValues {
  newcopy?: boolean | undefined;
  class?: string | undefined;
  'no-class'?: boolean | undefined;
  'time-limit'?: string | undefined;
  'max-active'?: string | undefined;
  'purge-threshold'?: string | undefined;
  'max-tasks'?: string | undefined;
  'max-queued'?: string | undefined;
}

async function set(
  cemt: Cemt,
  resource: (typeof SET)[number],
  args: readonly string[],
  v: SetValues,
  json: boolean,
): Promise<void> {
  switch (resource) {
    case 'transaction': {
      const [tranid, state, ...extra] = args;
      if (tranid === undefined) throw new UsageError('set transaction needs a TRANID');
      if (extra.length > 0)
        throw new UsageError(`set transaction takes a TRANID and enabled or disabled, not '${extra.join(' ')}'`);
      if (v.class !== undefined && v['no-class']) throw new UsageError('--class and --no-class do not go together');
      const body = {
        ...(state !== undefined ? { enabled: keyword(state, STATES, 'set transaction') === 'enabled' } : {}),
        ...(v.class !== undefined ? { class: className(v.class, '--class') } : {}),
        ...(v['no-class'] ? { class: null } : {}),
        ...(v['time-limit'] !== undefined ? { timeLimitMs: wholeNumber(v['time-limit'], '--time-limit') } : {}),
      };
      if (Object.keys(body).length === 0)
        throw new UsageError('set transaction needs enabled, disabled, --class, --no-class or --time-limit');
      const answer = await cemt.call('PUT', `transactions/${encodeURIComponent(tranid)}`, TRANSACTION, body);
      if (json) out(cemt.io, JSON.stringify(answer));
      else cemt.print(transactionLines([answer], false));
      return;
    }
    case 'program': {
      const [name, ...extra] = args;
      if (name === undefined) throw new UsageError('set program needs a program NAME');
      if (extra.length > 0) throw new UsageError(`set program takes one program NAME, not '${args.join(' ')}'`);
      if (!v.newcopy) throw new UsageError('set program needs --newcopy');
      const answer = await cemt.call('PUT', `programs/${encodeURIComponent(name)}`, PROGRAM, { newcopy: true });
      if (json) out(cemt.io, JSON.stringify(answer));
      else cemt.print(programLines([answer]));
      return;
    }
    case 'tranclass': {
      const [given, ...extra] = args;
      if (given === undefined) throw new UsageError('set tranclass needs a class NAME');
      if (extra.length > 0) throw new UsageError(`set tranclass takes one class NAME, not '${args.join(' ')}'`);
      const name = className(given, 'class NAME');
      let maxActive = wholeNumber(v['max-active'], '--max-active');
      const purge = v['purge-threshold'];
      let purgeThreshold =
        purge === undefined
          ? undefined
          : purge.toLowerCase() === 'none'
            ? null
            : wholeNumber(purge, '--purge-threshold');
      if (maxActive === undefined && purgeThreshold === undefined)
        throw new UsageError('set tranclass needs --max-active or --purge-threshold');
      // The region sets a class whole: a value left out is the one the class has now.
      if (maxActive === undefined || purgeThreshold === undefined) {
        const now = (await cemt.call('GET', 'region', REGION)).classes[name];
        if (maxActive === undefined && !now)
          throw new Error(`class ${name} is not defined in this region; give --max-active to make it`);
        maxActive ??= now?.maxActive;
        if (purgeThreshold === undefined) purgeThreshold = now?.purgeThreshold ?? null;
      }
      const answer = await cemt.call('PUT', `classes/${encodeURIComponent(name)}`, CLASS, {
        maxActive,
        purgeThreshold,
      });
      if (json) out(cemt.io, JSON.stringify(answer));
      else
        cemt.print(
          classLines({ [answer.class]: { maxActive: answer.maxActive, purgeThreshold: answer.purgeThreshold } }),
        );
      return;
    }
    case 'system': {
      if (args.length > 0) throw new UsageError(`set system takes no names, not '${args.join(' ')}'`);
      const maxTasks = wholeNumber(v['max-tasks'], '--max-tasks');
      const maxQueued = wholeNumber(v['max-queued'], '--max-queued');
      if (maxTasks === undefined && maxQueued === undefined)
        throw new UsageError('set system needs --max-tasks or --max-queued');
      const answer = await cemt.call('PUT', 'region', SYSTEM, {
        ...(maxTasks !== undefined ? { maxTasks } : {}),
        ...(maxQueued !== undefined ? { maxQueued } : {}),
      });
      if (json) out(cemt.io, JSON.stringify(answer));
      else
        cemt.print(
          labelled([
            ['Maxtasks', String(answer.maxTasks)],
            ['Maxqueued', threshold(answer.maxQueued)],
          ]),
        );
      return;
    }
  }
}

export async function cemtCommand(argv: readonly string[], io: CommandIo): Promise<number> {
  const parsed = parseCommand(
    io,
    argv,
    {
      url: { type: 'string' },
      user: { type: 'string' },
      json: { type: 'boolean', default: false },
      newcopy: { type: 'boolean' },
      class: { type: 'string' },
      'no-class': { type: 'boolean' },
      'time-limit': { type: 'string' },
      'max-active': { type: 'string' },
      'purge-threshold': { type: 'string' },
      'max-tasks': { type: 'string' },
      'max-queued': { type: 'string' },
      timeout: { type: 'string' },
      all: { type: 'boolean' },
    },
    HELP,
    { command: 'cemt', words: [...VERBS, ...INQUIRE, ...STATES] },
  );
  if (!parsed) return 0;
  const { values, positionals } = parsed;
  const [verbWord, resourceWord, ...args] = positionals;
  const onlyFor = (command: string) => {
    const allowed = OPTIONS[command] ?? [];
    for (const [option, value] of Object.entries(values)) {
      if (value !== undefined && !COMMON.has(option) && !allowed.includes(option))
        throw new UsageError(
          `--${option} is not an option of 'cemt ${command}'; ${allowed.length > 0 ? `it takes ${allowed.map((o) => `--${o}`).join(', ')}; ` : ''}${helpHint('cemt')}`,
        );
    }
  };
  const timeoutMs = timeoutOf(values.timeout);
  const region = () => new Cemt(io, { url: values.url, user: values.user, timeoutMs });
  const verb = keyword(verbWord, VERBS, 'cemt');
  if (verb === 'inquire') {
    const resource = keyword(resourceWord, INQUIRE, 'cemt inquire');
    onlyFor(`inquire ${resource}`);
    await inquire(region(), resource, args, values.json, values.all === true);
  } else if (verb === 'cancel') {
    keyword(resourceWord, CANCEL, 'cemt cancel');
    onlyFor('cancel start');
    await cancel(region(), args, values.json);
  } else {
    const resource = keyword(resourceWord, SET, 'cemt set');
    onlyFor(`set ${resource}`);
    await set(region(), resource, args, values, values.json);
  }
  return 0;
}
