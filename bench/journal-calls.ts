// The operator calls the journal's scale is measured by (test/journal/scale.test.ts counts
// their LMDB reads at 50,000 and 100,000 records; `npm run scale` times them at ten
// million): stats, CEMT INQUIRE SYSTEM, /metrics, each filter's first page and a deep
// page, a time range, a record, its bytes and its task, and an export's first bytes, on a
// journal of made-up records (journal-records.ts) built from empty.
import { syntheticMessageId, syntheticRecipient } from './journal-records.js';

/** The journal the calls ask about: `records` made-up records, the first at `start`, `stepMs` apart. */
export interface JournalShape {
  readonly records: number;
  readonly start: number;
  readonly stepMs: number;
  /** A deep page starts this many records before the end. */
  readonly deep: number;
}

export interface OperatorCall {
  readonly name: string;
  readonly path: (shape: JournalShape) => string;
  /** Read only up to the first bytes of the body (an export), then go away. */
  readonly firstBytes?: boolean;
  /**
   * A page that does not fill: it reads to the end of what the filter's index holds past
   * `after`, or to the page's budget, so its cost grows with the journal up to the budget.
   */
  readonly bounded?: boolean;
}

const time = (s: JournalShape, i: number) => encodeURIComponent(new Date(s.start + i * s.stepMs).toISOString());
const day = (s: JournalShape, i: number) => new Date(s.start + i * s.stepMs).toISOString().slice(0, 10);
const middle = (s: JournalShape) => Math.floor(s.records / 2) + 1;

const FILTERS: readonly (readonly [string, string, boolean?])[] = [
  ['state', 'state=DENIED'],
  ['two filters', 'state=FAILED&tranid=SPOL'],
  ['user', 'user=USER7'],
  ['tranid', 'tranid=SPOL'],
  ['job name', 'jobname=JOB12'],
  ['recipient', `recipient=${syntheticRecipient(77)}`],
  ['user and state', 'state=FAILED&user=USER3', true],
  ['a user with none', 'user=NOBODY'],
  ['four filters, no match', 'state=ACCEPTED&tranid=SEND&user=USER2&jobname=JOB5', true],
];

export const OPERATOR_CALLS: readonly OperatorCall[] = [
  { name: 'stats', path: () => '/journal/stats' },
  { name: 'CEMT INQUIRE SYSTEM', path: () => '/cemt/region' },
  { name: 'metrics', path: () => '/metrics' },
  { name: 'first page', path: () => '/journal?limit=100' },
  { name: 'deep page', path: (s) => `/journal?limit=100&after=${s.records - s.deep}` },
  ...FILTERS.flatMap(([name, q, bounded]) => [
    { name: `${name}: first page`, path: () => `/journal?${q}&limit=100`, bounded: bounded === true },
    {
      name: `${name}: deep page`,
      path: (s: JournalShape) => `/journal?${q}&limit=100&after=${s.records - s.deep}`,
      bounded: bounded === true,
    },
  ]),
  { name: 'Message-ID', path: (s) => `/journal?messageId=${encodeURIComponent(syntheticMessageId(middle(s) - 1))}` },
  {
    name: 'a time range',
    path: (s) => `/journal?since=${time(s, s.records - 600)}&until=${time(s, s.records - 450)}&limit=100`,
  },
  {
    name: 'a time range and a user',
    path: (s) => `/journal?since=${time(s, s.records - 2000)}&until=${time(s, s.records - 450)}&user=USER9`,
  },
  { name: 'stats of a user', path: () => '/journal/stats?user=USER5' },
  {
    name: 'stats of a day',
    path: (s) => `/journal/stats?since=${day(s, s.records / 2)}&until=${day(s, s.records / 2 + 86_400_000 / s.stepMs)}`,
  },
  { name: 'a record', path: (s) => `/journal/${middle(s)}` },
  { name: "a record's bytes", path: (s) => `/journal/${middle(s)}/message` },
  { name: "a record's task", path: (s) => `/console/api/journal/${s.records}/task` },
  { name: 'export, first bytes', path: () => '/journal/export?state=SENT', firstBytes: true },
];
