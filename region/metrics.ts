// The region's numbers: Prometheus metrics (prom-client, a registry of the region's own)
// and the counts CEMT INQUIRE shows. Counted as tasks end, in the main thread; what is
// state (pool use, queue depth, journal backlog) is read when scraped.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Dispatcher } from './tasks/dispatcher.js';
import type { Journal } from '../journal/journal.js';
import { stateCounts } from '../journal/query.js';

export interface TaskEnd {
  readonly tranid: string;
  /** NORMAL, or the RESP of the answer. */
  readonly resp: string;
  readonly abcode: string | null;
  /** The RC of a mail transaction (X-Mail-RC), where it gave one. */
  readonly mailRc: number | null;
  /** Reply classes of the relay's answers to the task's mails: 2xx, 4xx, 5xx, none. */
  readonly replies: readonly string[];
  readonly seconds: number;
}

export class RegionMetrics {
  readonly registry = new Registry();
  readonly startedAt = new Date();
  readonly #tasks: Counter<'tranid' | 'resp'>;
  readonly #abends: Counter<'tranid' | 'abcode'>;
  readonly #rcs: Counter<'tranid' | 'rc'>;
  readonly #replies: Counter<'class'>;
  readonly #duration: Histogram<'tranid'>;
  readonly #refusals: Counter<'resp' | 'status'>;
  readonly #abandoned: Counter;
  /** CEMT's counts: tasks by tranid, abends by code. */
  readonly byTranid: Record<string, number> = {};
  readonly abends: Record<string, number> = {};
  tasksRun = 0;

  constructor(dispatcher: Dispatcher, journal: Journal, sysid: string) {
    const registers = [this.registry];
    // Every series names its region: a fleet's metrics meet in one Prometheus.
    this.registry.setDefaultLabels({ sysid });
    collectDefaultMetrics({ register: this.registry, prefix: 'cicsmail_' });
    this.#tasks = new Counter({
      name: 'cicsmail_tasks_total',
      help: 'Tasks ended, by tranid and RESP (NORMAL where the program ran to its end).',
      labelNames: ['tranid', 'resp'],
      registers,
    });
    this.#abends = new Counter({
      name: 'cicsmail_abends_total',
      help: 'Tasks that ended in an abend, by tranid and abend code.',
      labelNames: ['tranid', 'abcode'],
      registers,
    });
    this.#rcs = new Counter({
      name: 'cicsmail_mail_rc_total',
      help: 'Mail transactions by their return code (the highest of a SEND or SPOL).',
      labelNames: ['tranid', 'rc'],
      registers,
    });
    this.#replies = new Counter({
      name: 'cicsmail_smtp_replies_total',
      help: "The relay's replies to mails sent by tasks, by class (2xx, 4xx, 5xx; none: no reply came).",
      labelNames: ['class'],
      registers,
    });
    this.#refusals = new Counter({
      name: 'cicsmail_refusals_total',
      help: 'Requests refused before a task ran (no such transaction, credentials, rate, a body that does not fit, drain …), by RESP and HTTP status.',
      labelNames: ['resp', 'status'],
      registers,
    });
    this.#abandoned = new Counter({
      name: 'cicsmail_requests_abandoned_total',
      help: 'Requests whose caller closed the connection before the request was read.',
      registers,
    });
    this.#duration = new Histogram({
      name: 'cicsmail_task_duration_seconds',
      help: 'Task duration, from dispatch to answer, by tranid.',
      labelNames: ['tranid'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
      registers,
    });
    journalGauges(registers, journal);
    poolGauges(registers, dispatcher);
  }

  /** A request refused before a task ran. */
  refused(resp: string, status: number): void {
    this.#refusals.inc({ resp, status: String(status) });
  }

  abandoned(): void {
    this.#abandoned.inc();
  }

  taskEnded(end: TaskEnd): void {
    this.tasksRun++;
    this.byTranid[end.tranid] = (this.byTranid[end.tranid] ?? 0) + 1;
    this.#tasks.inc({ tranid: end.tranid, resp: end.resp });
    if (end.abcode) {
      this.abends[end.abcode] = (this.abends[end.abcode] ?? 0) + 1;
      this.#abends.inc({ tranid: end.tranid, abcode: end.abcode });
    }
    if (end.mailRc !== null) this.#rcs.inc({ tranid: end.tranid, rc: String(end.mailRc) });
    for (const reply of end.replies) this.#replies.inc({ class: reply });
    this.#duration.observe({ tranid: end.tranid }, end.seconds);
  }
}

/** What the journal holds, read when scraped. */
function journalGauges(registers: Registry[], journal: Journal): void {
  new Gauge({
    name: 'cicsmail_journal_backlog',
    help: 'Mails not delivered yet (ACCEPTED or DEFERRED): the retry spool has them.',
    registers,
    collect() {
      this.set(journal.backlog());
    },
  });
  new Gauge({
    name: 'cicsmail_journal_records',
    help: 'Records the journal holds, by state (counted as they move, read without a scan).',
    labelNames: ['state'],
    registers,
    collect() {
      for (const [state, n] of Object.entries(stateCounts(journal))) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'cicsmail_starts_waiting',
    help: 'START requests waiting for their time (the journal keeps them).',
    registers,
    collect() {
      this.set(journal.starts.waitingCount());
    },
  });
}

/** The pool's and the classes' use, read when scraped. */
function poolGauges(registers: Registry[], dispatcher: Dispatcher): void {
  const usage = () => dispatcher.usage();
  new Gauge({
    name: 'cicsmail_tasks_active',
    help: 'Tasks running now (MAXTASKS bounds it).',
    registers,
    collect() {
      this.set(usage().region.active);
    },
  });
  new Gauge({
    name: 'cicsmail_tasks_queued',
    help: 'Tasks waiting for a slot in the region.',
    registers,
    collect() {
      this.set(usage().region.queued);
    },
  });
  new Gauge({
    name: 'cicsmail_tasks_max',
    help: 'MAXTASKS.',
    registers,
    collect() {
      this.set(usage().region.maxActive);
    },
  });
  new Gauge({
    name: 'cicsmail_pool_capacity',
    help: 'Tasks the worker pool runs at once (workers times tasks per worker).',
    registers,
    collect() {
      this.set(usage().capacity);
    },
  });
  new Gauge({
    name: 'cicsmail_pool_utilisation',
    help: 'Running tasks over the pool capacity (0 to 1).',
    registers,
    collect() {
      const u = usage();
      this.set(u.capacity > 0 ? Math.min(1, u.region.active / u.capacity) : 0);
    },
  });
  new Gauge({
    name: 'cicsmail_class_tasks',
    help: 'Tasks of a transaction class, running or queued.',
    labelNames: ['class', 'state'],
    registers,
    collect() {
      for (const [name, c] of Object.entries(usage().classes)) {
        this.set({ class: name, state: 'running' }, c.active);
        this.set({ class: name, state: 'queued' }, c.queued);
      }
    },
  });
}
